"""Live progress for runs: one line per artifact, a status line with tokens per second."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..run.progress import Progress as ProgressSnapshot
from ..run.progress import describe as describe_progress
from ..run.runner import Event
from ..util.failures import problem_key

err = Console(stderr=True, highlight=False, soft_wrap=True)


class Progress:
    """Draws runner events: one line per artifact, a live status with tokens/s."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tokens: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.phases: dict[str, tuple[ProgressSnapshot, float]] = {}  # artifact -> (last progress, when)
        self.problems: dict[str, str] = {}  # a problem printed in full -> the first artifact it hit
        self.status = None if quiet else err.status("")
        if self.status:
            self.status.start()

    def __call__(self, e: Event) -> None:
        if self.quiet:
            return
        stage = _stage(e.artifact)
        if e.kind == "start":
            self.started[e.artifact] = time.monotonic()
            self.tokens[e.artifact] = 0
            note = f" ({e.text})" if e.text else ""
            err.print(f"[cyan]{stage:>8}[/] {escape(e.artifact)} …{escape(note)}")
        elif e.kind == "progress" and e.progress is not None:
            # phase · elapsed · tokens · tokens/s · ETA, for up to three artifacts in flight;
            # the status redraws it several times a second, so the clock runs between events
            self.tokens[e.artifact] = e.progress.tokens
            self.phases[e.artifact] = (e.progress, time.monotonic())
            if self.status:
                self.status.update(self)
        elif e.kind == "done":
            dt = time.monotonic() - self.started.pop(e.artifact, time.monotonic())
            self.tokens.pop(e.artifact, None)
            self.phases.pop(e.artifact, None)
            u = e.usage
            tok = f"{u.input_tokens} in / {u.output_tokens} out" if u else ""
            rate = f", {u.output_tokens / dt:.0f} tok/s" if u and dt > 0 else ""
            warn = f" [yellow]({escape(e.text)})[/]" if e.text else ""
            err.print(f"[green]{stage:>8}[/] {escape(e.artifact)} done in {dt:.1f}s, {tok}{rate}{warn}")
        elif e.kind in ("error", "retry", "info", "waiting"):
            text = e.text
            if e.kind == "error":
                self.phases.pop(e.artifact, None)
                text = self._once(e.artifact, text)
            color = {"error": "red", "retry": "yellow", "info": "blue", "waiting": "magenta"}[e.kind]
            err.print(f"[{color}]{e.kind:>8}[/] {escape(e.artifact)} {escape(text)}")

    def _once(self, artifact: str, text: str) -> str:
        """A problem already printed for another artifact is named, not printed again."""
        first = self.problems.setdefault(problem_key(artifact, text), artifact)
        return text if first == artifact else f"the same problem as {first}"

    def shown(self, artifact: str, message: str) -> bool:
        """Whether this failure's problem was printed in full during the run."""
        return not self.quiet and problem_key(artifact, message) in self.problems

    def line(self) -> str:
        now = time.monotonic()
        return " | ".join(f"{a}: {describe_progress(p, extra_s=now - at)}"
                          for a, (p, at) in list(self.phases.items())[-3:])

    def __rich__(self) -> Text:
        return Text(self.line())  # plain text: nothing in it is read as markup

    def close(self) -> None:
        if self.status:
            self.status.stop()


def _stage(aid: str) -> str:
    from ..run.runner import stage_of

    return stage_of(aid) if aid else ""



def paper_progress(a: argparse.Namespace) -> Any:
    def progress(what: str, done: int, total: int) -> None:
        if total > 20 and (done % 10 == 0 or done == total):
            err.print(f"[dim]{escape(what)} {done}/{total}[/]")

    return progress


