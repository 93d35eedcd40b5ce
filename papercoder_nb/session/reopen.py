"""Find the latest session for a paper inside a work folder, so a front end reopens it."""

from __future__ import annotations

import json
from pathlib import Path

from ..paper import Paper


def latest_session(work: str | Path, paper: Paper) -> Path | None:
    """The most recently created session under `work` (itself or one level down) for this paper."""
    work, want = Path(work), paper.content_hash()
    best: tuple[str, Path] | None = None
    for state in [work / "session.json", *work.glob("*/session.json")]:
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a readable session: never the one to reopen
        if data.get("paper_hash") == want and (best is None or data.get("created_at", "") > best[0]):
            best = (data.get("created_at", ""), state.parent)
    return best[1] if best else None
