"""The one error type a command raises for a problem the user can fix.

It lives below every room so a room's commands (``verify``, ``evaluate``, ``cli``) can raise
it without importing the CLI package; the one handler in ``papercoder_nb.cli.main`` prints
it as one line (what went wrong, what to do) and exits non-zero.
"""

from __future__ import annotations


class CliError(Exception):
    """A one-line failure of a command: the message names the problem and the fix."""
