"""(Re)build the example session from its hand-written artifacts, deterministically.

    python examples/build_example_session.py            # rebuilds the session folder
    python examples/build_example_session.py --out DIR  # builds it somewhere else

The artifacts live where a session keeps them, in
``examples/neural-audio-style-transfer/session/`` (planning/, analysis/, code/): edit them
there, then run this script to rebuild the rest of the session around them — the parsed
paper, ``session.json``, a one-version ``history/`` and the approvals. Those artifacts were
written by hand, not produced by a model: every artifact is stored with ``by="user"``, the
session's model is ``"hand-written"``, and a note in ``session.json`` says so. The clock is
frozen while building, so a rebuild from the same files is byte-identical (and a
``git diff`` shows only real changes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent / "neural-audio-style-transfer"
SOURCE = EXAMPLE / "session"
FIXED_TIME = "2025-01-01T00:00:00.000Z"
MODEL = "hand-written"
NOTE = (
    "All artifacts of this session (plan, architecture, logic, config, analyses and code) "
    "were written by hand by the papercoder-nb developers as a worked example, not "
    "produced by a model; no model calls were made (there is no calls.jsonl)."
)
PLANNING = ("plan", "architecture", "logic", "config")


def read_artifacts(source: Path) -> dict[str, str]:
    """The hand-written artifacts, read before anything is replaced."""
    from papercoder_nb.session.artifacts import Logic
    from papercoder_nb.session.store import artifact_path

    def read(aid: str) -> str:
        return (source / artifact_path(aid)).read_text(encoding="utf-8")

    texts = {aid: read(aid) for aid in PLANNING}
    for f in Logic.model_validate_json(texts["logic"]).ordered_files():
        texts[f"analysis:{f}"] = read(f"analysis:{f}")
        texts[f"code:{f}"] = read(f"code:{f}")
    return texts


def build(out: Path, source: Path = SOURCE) -> Path:
    from papercoder_nb.session import store
    from papercoder_nb.session.artifacts import Architecture, Logic, parse_config
    from papercoder_nb.paper import load_paper

    texts = read_artifacts(source)
    if (out / "session.json").exists():
        shutil.rmtree(out)  # only ever a session folder this script made
    elif out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not a session folder; refusing to replace it")

    # Validate the hand-written designs before writing anything.
    Architecture.model_validate_json(texts["architecture"])
    files = Logic.model_validate_json(texts["logic"]).ordered_files()
    parse_config(texts["config"])

    real_now = store.now
    store.now = lambda: FIXED_TIME  # frozen clock: timestamps and history names repeat
    cwd = os.getcwd()
    try:
        os.chdir(EXAMPLE)  # a relative source, so no absolute path lands in the session
        paper = load_paper("paper.pdf")
    finally:
        os.chdir(cwd)
    try:
        session = store.Session.create(out, paper)  # no source copy: paper.pdf sits beside it
        session.state.created_at = FIXED_TIME
        session.state.paper_source = "examples/neural-audio-style-transfer/paper.pdf"
        session.state.model = MODEL
        session.state.notes = [NOTE]
        order = [*PLANNING, *(f"analysis:{f}" for f in files), *(f"code:{f}" for f in files)]
        for aid in order:
            session.write(aid, texts[aid], by="user")
        for aid in order:
            session.approve(aid)
        for rec in session.state.artifacts.values():
            rec.model = MODEL
        session.save()
    finally:
        store.now = real_now
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXAMPLE / "session")
    a = parser.parse_args(argv)
    out = build(a.out.resolve())
    print(f"example session written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
