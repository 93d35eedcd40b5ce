"""Progress events (phase, elapsed, tokens, rate, ETA) and Cancel's record, with scripted models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, architecture

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import CancelledError, CancelToken, Completion, Request, Usage
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.run.progress import (
    READING,
    REPAIRING,
    VALIDATING,
    WRITING,
    ArtifactProgress,
    describe,
)
from papercoder_nb.run.runner import Event


def new_session(tmp_path: Path) -> Session:
    return Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reading_eta_comes_from_prompt_progress_and_writing_eta_is_a_bound() -> None:
    clock = Clock()
    p = ArtifactProgress(clock)
    p.begin_call(max_tokens=1000)
    assert p.snapshot().eta_s is None  # nothing read yet: no guess
    clock.now += 10
    p.prompt_read(500, 2000)
    snap = p.snapshot()
    assert snap.phase == READING and snap.eta_s == pytest.approx(30.0)  # 10 s per 500 tokens, 1500 left
    assert not snap.eta_is_bound
    assert "reading the prompt 500/2,000 tokens" in describe(snap)
    for _ in range(100):
        p.token("abcd")
    clock.now += 4  # 100 tokens in 4 s of writing
    snap = p.snapshot()
    assert snap.phase == WRITING and snap.tokens == 100 and snap.tokens_per_s == pytest.approx(25.0)
    assert snap.eta_is_bound and snap.eta_s == pytest.approx(900 / 25)
    assert describe(snap) == "writing · 14s · 100 tokens written · 25.0 tokens/s · ETA ≤ 36s"
    assert describe(snap, extra_s=6).startswith("writing · 20s")  # the panel ticks between events
    p.validating()
    clock.now += 5
    assert p.snapshot().phase == VALIDATING and p.snapshot().tokens_per_s == pytest.approx(25.0)


def test_large_chunks_count_as_about_four_characters_a_token() -> None:
    p = ArtifactProgress(Clock())
    p.begin_call(max_tokens=100)
    p.token("x" * 400)
    assert p.snapshot().tokens == 100


def test_runner_reports_every_phase_of_a_repaired_artifact(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    good = json.dumps(architecture())
    backend = ScriptedBackend("t", answers=["## Method\nplan body text\n", "not json at all", good])
    events: list[Event] = []
    Runner(session, backend, auto_approve=True, on_event=events.append).run(until="architecture")
    arch = [e.progress for e in events if e.kind == "progress" and e.artifact == "architecture"]
    phases = [p.phase for p in arch if p is not None]
    assert phases[0] == READING and WRITING in phases and REPAIRING in phases
    assert phases.index(WRITING) < phases.index(REPAIRING) and phases[-1] == VALIDATING
    assert arch[-1].tokens >= (len("not json at all") + len(good)) // 4
    elapsed = [p.elapsed_s for p in arch]
    assert elapsed == sorted(elapsed)


class PromptReader:
    """A backend that says how far it has read the prompt, as the local model does."""

    spec, context_window, concurrent, reports_progress = "reader:test", 100_000, False, True

    def __init__(self) -> None:
        self.inner = ScriptedBackend("t", responder=lambda r: "## Method\nplan body text\n")

    def execute(self, request: Request, on_token=None, cancel=None, on_progress=None) -> Completion:
        for done in (256, 512, 600):
            on_progress(done, 600)
        return self.inner.execute(request, on_token, cancel)


def test_prompt_reading_progress_reaches_the_events(tmp_path: Path) -> None:
    events: list[Event] = []
    Runner(new_session(tmp_path), PromptReader(), on_event=events.append).generate("plan")
    read = [e.progress for e in events if e.kind == "progress" and e.progress and e.progress.prompt_total]
    assert read and read[-1].prompt_total == 600 and read[-1].prompt_done in (256, 512, 600)


class CancelsWhileReading:
    """The user presses Cancel while the model still reads the prompt."""

    spec, context_window, concurrent = "cancel:test", 100_000, False

    def __init__(self, token: CancelToken) -> None:
        self.token = token

    def execute(self, request: Request, on_token=None, cancel=None) -> Completion:
        self.token.cancel()
        assert cancel is not None
        cancel.raise_if_cancelled()
        return Completion(text="never", usage=Usage())


def test_a_cancelled_call_is_recorded_as_cancelled_and_nothing_is_written(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    token = CancelToken()
    events: list[Event] = []
    runner = Runner(session, CancelsWhileReading(token), cancel=token, on_event=events.append)
    with pytest.raises(CancelledError):
        runner.generate("plan")
    last = session.calls()[-1]
    assert last["finish_reason"] == "cancelled" and "error" not in last and "response" not in last
    assert session.read("plan") is None
    rec = session.record("plan")
    assert rec is None or not rec.error
    assert [e.text for e in events if e.kind == "error"] == ["cancelled"]
    again = Runner(session, ScriptedBackend("t", responder=lambda r: "## Method\nplan body text\n")).run(until="plan")
    assert again.generated == ["plan"], again.failed  # the session is consistent: Run just goes on


def test_cancel_listeners_run_on_cancel_once_and_can_be_removed() -> None:
    token, calls = CancelToken(), []
    remove = token.on_cancel(lambda: calls.append("a"))
    remove_b = token.on_cancel(lambda: calls.append("b"))
    remove_b()
    token.cancel()
    assert calls == ["a"]
    remove()
    token.on_cancel(lambda: calls.append("late"))  # already cancelled: called at once
    assert calls == ["a", "late"]


def test_the_cli_status_line_shows_the_progress_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from rich.console import Console

    from papercoder_nb.cli import progress as cli
    from papercoder_nb.run.progress import Progress

    monkeypatch.setattr(cli, "err", Console(file=StringIO(), width=200))
    line = cli.Progress()
    shown: list[object] = []
    monkeypatch.setattr(line.status, "update", shown.append)
    line(Event("start", "code:[bold]x.py"))
    line(Event("progress", "code:[bold]x.py", progress=Progress(READING, 3.0, 0, prompt_done=512, prompt_total=2048,
                                                                 eta_s=9.0)))
    line.close()
    assert shown == [line]  # the status draws the line itself, so its clock keeps running
    drawn = line.__rich__()
    assert drawn.plain == "code:[bold]x.py: reading the prompt 512/2,048 tokens · 3s · ETA 9s"
    assert not drawn.spans  # the artifact's brackets are text, not markup
    aid = "code:[bold]x.py"
    line.phases[aid] = (line.phases[aid][0], line.phases[aid][1] - 5)  # 5 s without an event
    assert "· 8s · ETA 4s" in line.line()


def test_run_interruptible_returns_raises_and_gives_up_a_blocked_call_on_cancel() -> None:
    import threading

    from papercoder_nb.llm.interruptible import quiet_after_cancel, run_interruptible

    assert run_interruptible(lambda: 7, CancelToken(), "t") == 7
    with pytest.raises(ValueError, match="boom"):
        run_interruptible(lambda: (_ for _ in ()).throw(ValueError("boom")), CancelToken(), "t")
    token, release, started = CancelToken(), threading.Event(), threading.Event()

    def blocked() -> int:
        started.set()
        release.wait(30)
        return 1

    threading.Thread(target=lambda: started.wait(30) and token.cancel(), daemon=True).start()
    with pytest.raises(CancelledError):
        run_interruptible(blocked, token, "t")
    assert not release.is_set()  # it did not wait for the blocked call
    release.set()
    seen: list[str] = []
    quiet_after_cancel(seen.append, token)("late")
    assert seen == []


def test_a_bound_eta_that_ran_out_is_not_shown() -> None:
    """Token counts are estimates: an answer can pass its max_tokens estimate while still
    streaming. 'ETA ≤ 0s' would be a false promise, so no ETA is shown then."""
    from papercoder_nb.run.progress import WRITING, Progress, describe

    assert "ETA" not in describe(Progress(WRITING, 7.0, 1136, 173.6, 0.0, True))
    assert "ETA ≤ 0s" not in describe(Progress(WRITING, 7.0, 1000, 170.0, 2.0, True), extra_s=2.5)
    assert "ETA ≤ 12s" in describe(Progress(WRITING, 7.0, 1000, 170.0, 12.0, True))
