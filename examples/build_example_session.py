"""(Re)build the example session from its hand-written artifacts, deterministically.

    python examples/build_example_session.py            # rebuilds the session folder
    python examples/build_example_session.py --out DIR  # builds it somewhere else

The session folder ``examples/neural-audio-style-transfer/session/`` is made from the
bundled paper (``paper.pdf``, parsed by papercoder-nb) and the files under
``examples/neural-audio-style-transfer/artifacts/`` (plan, designs, config, analyses and
code). Those artifacts were written by hand, not produced by a model: every artifact is
stored with ``by="user"``, the session's model is ``"hand-written"``, and a note in
``session.json`` says so. The clock is frozen while building, so a rebuild from the same
files is byte-identical (and a ``git diff`` shows only real changes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent / "neural-audio-style-transfer"
ARTIFACTS = EXAMPLE / "artifacts"
FIXED_TIME = "2025-01-01T00:00:00.000Z"
MODEL = "hand-written"
NOTE = (
    "All artifacts of this session (plan, architecture, logic, config, analyses and code) "
    "were written by hand by the papercoder-nb developers as a worked example, not "
    "produced by a model; no model calls were made (there is no calls.jsonl)."
)
PLANNING = {
    "plan": "plan.md",
    "architecture": "architecture.json",
    "logic": "logic.json",
    "config": "config.yaml",
}


def build(out: Path) -> Path:
    from papercoder_nb import store
    from papercoder_nb.artifacts import Architecture, Logic, parse_config
    from papercoder_nb.paper import load_paper

    if (out / "session.json").exists():
        shutil.rmtree(out)  # only ever a session folder this script made
    elif out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not a session folder; refusing to replace it")

    # Validate the hand-written designs before writing anything.
    Architecture.model_validate_json((ARTIFACTS / "architecture.json").read_text())
    logic = Logic.model_validate_json((ARTIFACTS / "logic.json").read_text())
    parse_config((ARTIFACTS / "config.yaml").read_text())
    files = logic.ordered_files()

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
        for aid, name in PLANNING.items():
            session.write(aid, (ARTIFACTS / name).read_text(encoding="utf-8"), by="user")
        for f in files:
            analysis = ARTIFACTS / "analysis" / f"{f[:-3]}.md"
            session.write(f"analysis:{f}", analysis.read_text(encoding="utf-8"), by="user")
        for f in files:
            session.write(f"code:{f}", (ARTIFACTS / "code" / f).read_text(encoding="utf-8"), by="user")
        for aid in [*PLANNING, *(f"analysis:{f}" for f in files), *(f"code:{f}" for f in files)]:
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
