"""The run bar: Run (named for the next step), Cancel, auto-approve, progress, the live
line, the model's stream and the error box — the widgets every step shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as W

from .errors import advice, group_failures
from .progress_line import ProgressLine
from .ui import box, button, html, set_class, show
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.run.runner import RunResult


class RunBar:
    def __init__(self, on_run: Callable[[], None], on_cancel: Callable[[], None], auto_approve: bool) -> None:
        self.run_button = button("Run planning", "pc-run", style="primary", icon="play", width="auto")
        self.run_button.on_click(lambda _b: on_run())
        self.auto_approve = W.Checkbox(value=auto_approve, description="auto-approve (batch: no stops for review)", indent=False)
        self.auto_approve.layout.width = "auto"
        self.auto_approve.add_class("pc-auto-approve")
        self.cancel_button = button("Cancel", "pc-cancel", style="danger", icon="stop", )
        self.cancel_button.disabled = True
        self.cancel_button.on_click(lambda _b: on_cancel())
        self.progress = W.IntProgress(value=0, min=0, max=1)
        self.progress.add_class("pc-progress")
        self.meter = html("pc-meter")
        self.run_status = html("pc-run-status")
        self.progress_line = ProgressLine()  # phase · elapsed · tokens · tokens/s · ETA
        self.stream = html("pc-stream")
        self.error = html("pc-error")
        self.widget = box([
            box([self.run_button, self.cancel_button, self.auto_approve, self.progress, self.meter], vertical=False),
            self.run_status, self.progress_line.widget, self.stream, self.error,
        ], "pc-runbar")

    def start(self, planned: int) -> None:
        """A job starts: an empty bar for ``planned`` model calls, no old error."""
        self.clear_error()
        self.progress.max = max(1, planned)
        self.progress.value = 0
        self.progress.bar_style = "info"

    def report(self, r: RunResult) -> None:
        """What a run did, on the status line; its failures, grouped, in the error box."""
        parts = []
        if r.generated:
            parts.append(f"generated {', '.join(r.generated)}")
        if r.cancelled:
            parts.append("cancelled — nothing partial was stored; Run continues from here")
        if r.waiting_for_approval:
            parts.append(f"waiting for your approval of {', '.join(r.waiting_for_approval)}")
        if r.failed:
            self.show_error("<br>".join(esc(m) for m in group_failures(r.failed)), raw=True,
                            hint=advice(" ".join(r.failed.values())))
        if not parts and not r.failed:
            parts.append("nothing to do: everything in scope is up to date and approved")
        self.run_status.value = esc("; ".join(parts))

    def show_error(self, message: str, *, raw: bool = False, hint: str | None = None) -> None:
        body = message if raw else esc(message)
        self.error.value = (
            f"<div class='pc-error-box' style='border:1px solid var(--pc-error-border, #f5c2c7);background:var(--pc-error-bg, #fff5f5);padding:6px 10px;"
            f"border-radius:4px;color:var(--pc-bad, #a40e26)'><b>Problem:</b> {body}<br><b>What to do next:</b> "
            f"<span style='color:var(--jp-ui-font-color1, #24292f)'>{hint or advice(message)}</span></div>"
        )
        set_class(self.error, "pc-has-error", "yes")
        show(self.widget, True)  # also before a paper is loaded, when the bar is hidden

    def clear_error(self) -> None:
        self.error.value = ""
        set_class(self.error, "pc-has-error", "no")
