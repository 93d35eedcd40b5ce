"""CLI commands for review: history, restore, unapprove (the panel holds no ability the CLI lacks)."""

from __future__ import annotations

import argparse
from typing import Any

from ..session.history import diff, restore, versions
from ..session.store import Session


def cmd_history(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    if a.diff:
        print(diff(session, a.artifact, a.diff[0], a.diff[1]) or "no difference")
        return 0
    vs = versions(session, a.artifact)
    if not vs:
        print(f"{a.artifact} has no versions yet")
    for v in vs:
        print(f"{v.number:>3}  {v.at}  {v.by:<6}  {v.model or '-'}")
    return 0


def cmd_restore(a: argparse.Namespace) -> int:
    n = restore(Session.open(a.dir), a.artifact, a.version)
    print(f"restored version {a.version} of {a.artifact} as version {n} (an edit by you; approve it again)")
    return 0


def cmd_unapprove(a: argparse.Namespace) -> int:
    Session.open(a.dir).unapprove(a.artifact)
    print(f"unapproved: {a.artifact}")
    return 0


def add_commands(subparsers: Any) -> None:
    """Register ``history``, ``restore`` and ``unapprove``."""
    p = subparsers.add_parser("history", help="list every version of an artifact (who, when, which model), or diff two")
    p.add_argument("dir")
    p.add_argument("artifact")
    p.add_argument("--diff", nargs=2, type=int, metavar=("A", "B"), help="show the diff from version A to version B")
    p.set_defaults(fn=cmd_history)
    p = subparsers.add_parser("restore", help="make an earlier version current again (kept in history as your edit)")
    p.add_argument("dir")
    p.add_argument("artifact")
    p.add_argument("version", type=int)
    p.set_defaults(fn=cmd_restore)
    p = subparsers.add_parser("unapprove", help="withdraw an approval")
    p.add_argument("dir")
    p.add_argument("artifact")
    p.set_defaults(fn=cmd_unapprove)
