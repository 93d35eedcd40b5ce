"""The run bar's live line: phase, elapsed time, tokens, tokens/s and ETA per artifact.

Fed with the runner's ``progress`` events on the main thread (the panel's drain). The
ticker calls ``tick`` even when no event came, so the elapsed time and the ETA keep
moving while a model reads a long prompt or a server has not sent its first byte.
"""

from __future__ import annotations

import time
from html import escape as esc

import ipywidgets as W

from papercoder_nb.run.progress import Progress, describe
from papercoder_nb.run.runner import Event

SHOWN = 3  # artifacts in flight shown at once; the newest ones


class ProgressLine:
    def __init__(self) -> None:
        self.widget = W.HTML(value="")
        self.widget.add_class("pc-progress-line")
        self.latest: dict[str, tuple[Progress, float]] = {}  # artifact -> (snapshot, when received)

    def event(self, e: Event) -> None:
        if e.kind == "progress" and e.progress is not None:
            self.latest.pop(e.artifact, None)  # re-inserted last: newest first in the line
            self.latest[e.artifact] = (e.progress, time.monotonic())
            self.render()
        elif e.kind in ("done", "error"):
            self.latest.pop(e.artifact, None)
            self.render()

    def tick(self) -> None:
        if self.latest:
            self.render()

    def clear(self) -> None:
        self.latest.clear()
        self.widget.value = ""

    def text(self) -> list[str]:
        now = time.monotonic()
        items = list(self.latest.items())[-SHOWN:]
        return [f"{aid}: {describe(p, extra_s=now - at)}" for aid, (p, at) in reversed(items)]

    def render(self) -> None:
        lines = self.text()
        self.widget.value = "".join(
            f"<div class='pc-progress-item' style='font-size:12px;line-height:1.4'>{esc(line)}</div>"
            for line in lines
        )
