"""Live progress for runs: one line per artifact, a status line with tokens per second."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..runner import Event

err = Console(stderr=True, highlight=False)


class Progress:
    """Draws runner events: one line per artifact, a live status with tokens/s."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tokens: dict[str, int] = {}
        self.started: dict[str, float] = {}
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
        elif e.kind == "token":
            self.tokens[e.artifact] = self.tokens.get(e.artifact, 0) + 1
            active = [a for a in self.started if a in self.tokens]
            parts = []
            for a in active[-3:]:
                dt = max(1e-3, time.monotonic() - self.started[a])
                parts.append(f"{a}: {self.tokens[a]} chunks, {self.tokens[a] / dt:.0f}/s")
            if self.status:
                self.status.update(escape(" | ".join(parts)))
        elif e.kind == "done":
            dt = time.monotonic() - self.started.pop(e.artifact, time.monotonic())
            self.tokens.pop(e.artifact, None)
            u = e.usage
            tok = f"{u.input_tokens} in / {u.output_tokens} out" if u else ""
            rate = f", {u.output_tokens / dt:.0f} tok/s" if u and dt > 0 else ""
            warn = f" [yellow]({escape(e.text)})[/]" if e.text else ""
            err.print(f"[green]{stage:>8}[/] {escape(e.artifact)} done in {dt:.1f}s, {tok}{rate}{warn}")
        elif e.kind in ("error", "retry", "info", "waiting"):
            color = {"error": "red", "retry": "yellow", "info": "blue", "waiting": "magenta"}[e.kind]
            err.print(f"[{color}]{e.kind:>8}[/] {escape(e.artifact)} {escape(e.text)}")

    def close(self) -> None:
        if self.status:
            self.status.stop()


def _stage(aid: str) -> str:
    from ..runner import stage_of

    return stage_of(aid) if aid else ""



def paper_progress(a: argparse.Namespace) -> Any:
    def progress(what: str, done: int, total: int) -> None:
        if total > 20 and (done % 10 == 0 or done == total):
            err.print(f"[dim]{escape(what)} {done}/{total}[/]")

    return progress


