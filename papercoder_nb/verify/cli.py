"""`papercoder check DIR`: the static checker from the command line.

Registers on the main parser's subparsers; imports nothing of papercoder_nb.cli.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from papercoder_nb.verify.check import check_session, unread_config


def cmd_check(a: argparse.Namespace) -> int:
    session = Path(a.dir)
    if not (session / "code").is_dir():
        raise ValueError(f"{a.dir} has no code folder; run the coding stage first "
                         f"(`papercoder resume {a.dir}`)")
    findings = check_session(session)
    if (session / "session.json").is_file():  # on demand too: the records follow the files
        from papercoder_nb.store import Session
        from papercoder_nb.verify.hooks import refresh_check_findings

        refresh_check_findings(Session.open(session))
    unread = unread_config(session)
    if a.json:
        print(json.dumps({"findings": [f.__dict__ for f in findings], "unread_config": unread},
                         indent=1))
    else:
        for f in findings:
            print(str(f))
        if unread:
            print(f"config values the paper states that no code reads ({len(unread)}): "
                  + ", ".join(unread))
        print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="static cross-file check of the session's code (no execution); exit 1 on findings",
        description="Imports of repository modules, call signatures, config keys read in code "
        "and third-party packages versus the requirements; each finding names file, line, the "
        "problem and what it should match. Config values no code reads are listed as notes "
        "(they do not fail the check).",
    )
    p.add_argument("dir", help="the session folder")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.set_defaults(fn=cmd_check)
