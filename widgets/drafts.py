"""Unsaved editor text kept beside the session (``<session>/.drafts/``).

A kernel restart or a closed tab then loses at most the last autosave interval of
typing. Each draft remembers the hash of the file it was based on, so a file changed on
disk since (by the CLI, another editor, a regeneration) is never silently overwritten:
the panel shows both and asks. The folder starts with a dot, so the session's scan for
hand-dropped artifact files never mistakes a draft for an artifact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from papercoder_nb.session.store import now
from papercoder_nb.util.fsutil import atomic_write_text, sha256_text

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session

FOLDER = ".drafts"


@dataclass(frozen=True)
class Draft:
    artifact: str
    text: str
    base_sha: str  # hash of the saved text the edit started from (no file counts as empty)
    at: str


def _path(session: Session, artifact_id: str) -> Path:
    return session.root / FOLDER / (re.sub(r"[^\w.\-]+", "_", artifact_id) + ".json")


def base_hash(text: str | None) -> str:
    return sha256_text(text or "")


def save_draft(session: Session, artifact_id: str, text: str, base_text: str | None) -> Draft:
    draft = Draft(artifact_id, text, base_hash(base_text), now())
    path = _path(session, artifact_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(draft.__dict__, ensure_ascii=False))
    return draft


def load_draft(session: Session, artifact_id: str) -> Draft | None:
    try:
        data = json.loads(_path(session, artifact_id).read_text(encoding="utf-8"))
        return Draft(data["artifact"], data["text"], data.get("base_sha", ""), data.get("at", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no draft, or an unreadable one: nothing to restore


def drop_draft(session: Session, artifact_id: str) -> None:
    _path(session, artifact_id).unlink(missing_ok=True)


def list_drafts(session: Session) -> list[Draft]:
    folder = session.root / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for p in sorted(folder.glob("*.json")):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            found.append(Draft(data["artifact"], data["text"], data.get("base_sha", ""), data.get("at", "")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def disk_changed(draft: Draft, disk_text: str | None) -> bool:
    """True when the saved file is no longer the one the draft was started from."""
    return base_hash(disk_text) != draft.base_sha
