"""A tiny session whose code fails its smoke run, shared by the repair and CLI tests."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from conftest import EXAMPLE_PAPER

from papercoder_nb import Session, load_paper
from papercoder_nb.paper import Paper
from papercoder_nb.session.graph import input_hash, nodes

UTIL_BROKEN = '''"""Scaling helpers (Eq. 1)."""


def scale(xs, k):
    """Multiply every value by k."""
    return [x * factor for x in xs]
'''

UTIL_FIXED = UTIL_BROKEN.replace("x * factor", "x * k")

MAIN_PY = '''"""Entry point: prints the scaled sum."""
import argparse

from util import scale


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.parse_args()
    print("total", sum(scale([1, 2, 3], 2)))


if __name__ == "__main__":
    main()
'''

# main.py calling scale with the wrong arity: the error surfaces in main.py itself.
MAIN_BROKEN = MAIN_PY.replace("scale([1, 2, 3], 2)", "scale([1, 2, 3])")

SEARCH_REPLACE_FIX = """The helper used an undefined name; it should use its argument `k`.

<<<<<<< SEARCH
    return [x * factor for x in xs]
=======
    return [x * k for x in xs]
>>>>>>> REPLACE
"""

NOT_MATCHING_FIX = """Use k.

<<<<<<< SEARCH
    return [value * factor for value in values]
=======
    return [x * k for x in xs]
>>>>>>> REPLACE
"""


@lru_cache(maxsize=1)
def _paper() -> Paper:
    return load_paper(EXAMPLE_PAPER)


def broken_session(root: Path, *, util: str = UTIL_BROKEN, main: str = MAIN_PY) -> Session:
    """Two files, main.py imports util.py; written by the "model" so history shows it."""
    session = Session.create(root, _paper())
    session.write("plan", "## Method\nScale and sum.\n\n## Smoke configuration\n`main.py --smoke`\n", by="user")
    session.write(
        "architecture",
        json.dumps({
            "implementation_approach": "Plain Python.",
            "file_list": ["util.py", "main.py"],
            "data_structures_and_interfaces": "classDiagram\n  class util",
            "program_call_flow": "sequenceDiagram\n  main->>util: scale",
        }),
        by="user",
    )
    session.write(
        "logic",
        json.dumps({
            "required_packages": [],
            "files": [
                {"file": "util.py", "purpose": "scaling helper", "depends_on": [], "paper_refs": ["3-results"]},
                {"file": "main.py", "purpose": "entry point", "depends_on": ["util.py"], "paper_refs": []},
            ],
            "task_list": ["util.py", "main.py"],
            "entry_point": "main.py",
            "smoke_args": ["--smoke"],
        }),
        by="user",
    )
    session.write("config", "scale:\n  k: 2  # assumption\n", by="user")
    for f in ("util.py", "main.py"):
        session.write(f"analysis:{f}", f"## Purpose\nThe design of {f}.\n", by="user")
    # Real input hashes, so statuses are what a generated session would show.
    for f, text in (("util.py", util), ("main.py", main)):
        graph = {n.id: n for n in nodes(session)}
        digest = input_hash(session, graph[f"code:{f}"], graph)
        session.write(f"code:{f}", text, by="model", model="scripted:test", input_hash=digest)
    return session
