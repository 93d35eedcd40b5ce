"""The panel's live progress line and the stream box that follows its newest text."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import TRANSFORMER_JSON, scripted
from papercoder_nb.widgets import Workbench
from papercoder_nb.widgets.progress_line import ProgressLine
from papercoder_nb.widgets.views import stream_html

from papercoder_nb.llm.base import CancelledError, CancelToken, Completion, Request, TokenCallback
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.run.progress import WRITING, Progress
from papercoder_nb.run.runner import Event


def test_the_line_shows_phase_tokens_rate_eta_escaped_and_moves_on_between_events() -> None:
    line = ProgressLine()
    snap = Progress(WRITING, elapsed_s=12.0, tokens=340, tokens_per_s=20.0, eta_s=30.0, eta_is_bound=True)
    line.event(Event("progress", "code:<b>x.py</b>", progress=snap))
    value = line.widget.value
    assert "code:&lt;b&gt;x.py&lt;/b&gt;: writing · 12s · 340 tokens written · 20.0 tokens/s · ETA ≤ 30s" in value
    aid = "code:<b>x.py</b>"
    line.latest[aid] = (snap, line.latest[aid][1] - 10)  # as if 10 s passed without an event
    line.tick()
    assert "writing · 22s" in line.widget.value and "ETA ≤ 20s" in line.widget.value
    line.event(Event("done", aid))
    assert line.widget.value == ""


def test_the_stream_box_starts_scrolled_to_its_newest_text() -> None:
    html = stream_html("old line\n" * 300 + "newest")
    assert "flex-direction:column-reverse" in html and html.rstrip().endswith("</pre></div>")
    assert "flex:none" in html  # the text keeps its height: shrunk, it hides its newest lines
    assert "newest" in html


class SlowBackend(ScriptedBackend):
    def execute(self, request: Request, on_token: TokenCallback | None = None,
                cancel: CancelToken | None = None) -> Completion:
        for _ in range(2000):
            if cancel is not None and cancel.wait(0.01):
                raise CancelledError("cancelled by the user")
            if on_token:
                on_token("word ")
        return super().execute(request, on_token, cancel)


def test_a_running_panel_shows_the_phase_and_clears_it_when_cancelled(tmp_path: Path) -> None:
    wb = Workbench(workdir=tmp_path / "sessions", backend=SlowBackend("slow", responder=scripted().responder))
    wb.paper_box.path.value = str(TRANSFORMER_JSON)
    wb.paper_box.load.click()
    assert wb.wait_idle(20) and wb.session is not None
    wb.run_button.click()
    deadline = time.monotonic() + 10
    while "tokens/s" not in wb.progress_line.widget.value and time.monotonic() < deadline:
        time.sleep(0.05)
        wb.pump()
    value = wb.progress_line.widget.value
    assert "plan: writing" in value and "tokens/s" in value and "ETA ≤" in value
    wb.cancel_button.click()
    assert wb.wait_idle(10)
    assert wb.progress_line.widget.value == "" and wb.session.read("plan") is None
