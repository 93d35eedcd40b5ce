"""`papercoder check DIR`: the static checker from the command line.

Registers on the main parser's subparsers; imports nothing of papercoder_nb.cli.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from papercoder_nb.checks.check import check_repository, check_session, unread_config


def _findings(folder: Path) -> list:
    """A session's code, or any repository of Python files."""
    if (folder / "code").is_dir() and ((folder / "session.json").is_file() or (folder / "planning").is_dir()):
        return check_session(folder)
    if (folder / "session.json").is_file():
        raise ValueError(f"{folder} has no code folder; run the coding stage first "
                         f"(`papercoder resume {folder}`)")
    if not folder.is_dir() or not any(folder.rglob("*.py")):
        raise ValueError(f"{folder} is neither a session folder nor a folder of Python files; "
                         "give a session folder (from `papercoder run`) or a repository")
    return check_repository(folder)


def cmd_check(a: argparse.Namespace) -> int:
    session = Path(a.dir)
    findings = _findings(session)
    if (session / "session.json").is_file():  # on demand too: the records follow the files
        from papercoder_nb.checks.hooks import refresh_check_findings
        from papercoder_nb.session.store import Session

        refresh_check_findings(Session.open(session))
    unread = unread_config(session)
    if a.json:
        print(json.dumps({"findings": [f.__dict__ for f in findings], "unread_config": unread},
                         indent=1))
    else:
        for f in sorted(findings, key=lambda f: (f.severity != "error", f.file, f.line)):
            print(str(f))
        if unread:
            print(f"config values the paper states that no code reads ({len(unread)}): "
                  + ", ".join(unread))
        n_errors = sum(f.severity == "error" for f in findings)
        print(f"{n_errors} error(s), {len(findings) - n_errors} warning(s)", file=sys.stderr)
    return 1 if any(f.severity == "error" for f in findings) else 0


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="static cross-file check of a session's code or any repository (no execution); "
        "exit 1 on errors",
        description="Imports of repository modules (absolute, relative, through packages), calls "
        "(functions, methods through objects, constructors, torch modules' forward), attributes, "
        "undefined names, circular imports, config keys read in code and third-party packages "
        "versus the requirements (requirements.txt, pyproject, setup.cfg/py, environment.yml, or "
        "the logic design). Each finding names file, line, the problem and the fix. Errors fail "
        "when the line runs (exit 1); warnings may be intended (an undeclared package) and do not "
        "fail the check. Config values no code reads are listed as notes.",
    )
    p.add_argument("dir", help="a session folder, or a repository of Python files")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.set_defaults(fn=cmd_check)
