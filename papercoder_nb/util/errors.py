"""The one error base, and the error type a command raises for a problem the user can fix.

Every error papercoder shows to a user derives from ``PapercoderError``: it carries a
user-facing ``message`` (what went wrong) and an optional ``hint`` (what to do), and prints as
"message; hint" (just the message when there is no hint, exactly as a plain exception would).
The CLI's one handler (``papercoder_nb.cli.main``) prints any of them as one line and exits 1;
the panel (``widgets/errors.py``) shows the message under "Problem" and the hint under "What to
do next". Anything else reaching either is unexpected (a bug to report).

They live below every room so any room (``verify``, ``evaluate``, ``cli``, the engine) can raise
them without importing the CLI package.
"""

from __future__ import annotations


class PapercoderError(Exception):
    """A failure the user can act on: ``message`` names the problem, ``hint`` (optional) the fix.

    Backward compatible with a plain exception: ``XError("one line with the fix")`` keeps its
    ``args`` and prints the same; ``hint=`` is a keyword for new code. A subclass may also derive
    from ``ValueError``/``OSError``/... where callers catch it as such.
    """

    hint: str | None = None  # a class default, so a subclass that skips ``__init__`` still has it

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        """What went wrong: the text the exception had before any hint (its ``args`` as usual)."""
        return super().__str__()

    def __str__(self) -> str:
        message = self.message
        return f"{message}; {self.hint}" if self.hint else message


class CliError(PapercoderError):
    """A one-line failure of a command: the message names the problem and the fix."""
