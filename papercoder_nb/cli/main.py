"""The ``papercoder`` command: one parser, one error handler, for every command.

Each room registers its own commands (``add_commands(subparsers)``) and raises
``papercoder_nb.util.errors.CliError`` (or an engine error; all derive from
``PapercoderError``) for a problem the user can fix; the handler here turns any failure into a
non-zero exit and one line saying what went wrong and what to do. Tracebacks are for ``--debug``.
"""

from __future__ import annotations

import argparse
import errno
import sys

from rich.console import Console
from rich.markup import escape

from ..classroom.cli import add_commands as add_class_commands
from ..evaluate.cli import add_commands as add_eval_commands
from ..util.errors import PapercoderError
from ..verify.cli import add_commands as add_check_commands
from ..verify.smoke_cli import add_commands as add_smoke_commands
from . import generate, review, session

err = Console(stderr=True, highlight=False, soft_wrap=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="papercoder", description="Turn a machine-learning paper into a runnable repository, one reviewed stage at a time.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    generate.add_commands(sub)
    session.add_commands(sub)
    add_smoke_commands(sub)
    add_check_commands(sub)
    review.add_commands(sub)
    add_eval_commands(sub)
    add_class_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return int(a.fn(a) or 0)
    except KeyboardInterrupt:
        if a.debug:
            raise
        err.print("[red]error:[/] interrupted", soft_wrap=True)
        return 130
    except Exception as e:  # the one error handler: every command, every failure
        if a.debug:
            raise
        return _report_error(e)


def _report_error(e: Exception) -> int:
    """One line naming the problem (and, where known, the fix: a ``PapercoderError``'s hint); no traceback."""
    # Ours say what to do; a stdlib ValueError/OSError (a bad value, a missing file) names its cause.
    known = (PapercoderError, ValueError, OSError)
    # One line, whatever the exception carried (a listing of paths becomes a list).
    msg = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        msg += "; free some space, then `papercoder resume` continues where it stopped (nothing written is lost)"
    if not isinstance(e, known):
        msg = f"{type(e).__name__}: {msg} (unexpected; rerun with --debug for the traceback and report it)"
    err.print(f"[red]error:[/] {escape(msg)}", soft_wrap=True)
    return 1




if __name__ == "__main__":
    sys.exit(main())
