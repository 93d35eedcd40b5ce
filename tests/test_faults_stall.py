"""A stream that stalls (keep-alives, no content) is cut, retried and visible while it waits;
usage far beyond max_tokens is flagged."""

from __future__ import annotations

from pathlib import Path

from conftest import TRANSFORMER_JSON
from faultserver import FaultServer

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.openai import OpenAIBackend
from papercoder_nb.run.runner import Event


def session_and_events(tmp_path: Path) -> tuple[Session, list[Event]]:
    return Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON), []


def test_a_stream_of_only_keepalives_is_cut_retried_and_reported_while_it_waits(tmp_path: Path) -> None:
    session, events = session_and_events(tmp_path)
    with FaultServer(slow_seconds=30.0) as server:  # keep-alives for 30 s: the watchdog must cut first
        server.faults.append("keepalive")
        backend = OpenAIBackend("fake", base_url=server.base_url, timeout=2.0)
        result = Runner(session, backend, auto_approve=True, on_event=events.append).run(until="plan")
    assert result.ok, result.failed
    errors = [c.get("error") or "" for c in session.calls()]
    assert any("no new content for 2s (the stream stalled)" in e and "127.0.0.1:" in e for e in errors)
    waits = [e.text for e in events if e.kind == "info" and e.text.startswith("no output for")]
    assert waits and "still waiting" in waits[0] and "127.0.0.1:" in waits[0]
    assert any(e.kind == "retry" for e in events)


def test_usage_far_beyond_max_tokens_is_flagged_in_the_record_and_the_call(tmp_path: Path) -> None:
    session, events = session_and_events(tmp_path)
    with FaultServer() as server:
        server.faults.append("bigusage")
        backend = OpenAIBackend("fake", base_url=server.base_url)
        assert Runner(session, backend, auto_approve=True, on_event=events.append).run(until="plan").ok
    warning = next(w for w in session.record("plan").warnings if "500,002 output tokens" in w)
    assert "check the answer" in warning
    assert "500,002" in session.calls()[-1]["warning"]
    assert any(e.kind == "info" and "500,002" in e.text for e in events)


def test_usage_that_cannot_be_true_is_estimated_flagged_and_budgets_still_count(tmp_path: Path) -> None:
    """-10^9 input tokens: counted as an estimate from the prompt, never as a negative total."""
    session, events = session_and_events(tmp_path)
    with FaultServer() as server:
        server.faults.append("negusage")
        backend = OpenAIBackend("fake", base_url=server.base_url)
        assert Runner(session, backend, auto_approve=True, on_event=events.append).run(until="plan").ok
    call = [c for c in session.calls() if "response" in c][-1]
    assert call["usage_reported"]["input_tokens"] == -10**9  # what the server said, kept for the record
    prompt_chars = sum(len(m["content"]) for m in call["messages"])
    assert 0 < call["usage"]["input_tokens"] <= prompt_chars  # an estimate from what was sent
    assert "not credible" in call["warning"] and "-1,000,000,000 input tokens" in call["warning"]
    assert any("not credible" in w for w in session.record("plan").warnings)
    assert session.record("plan").usage.input_tokens > 0
    assert session.state.usage.input_tokens > 0
    assert any(e.kind == "info" and "not credible" in e.text for e in events)


def test_a_trickling_stream_is_cut_by_its_rate_and_retried(tmp_path: Path) -> None:
    """A word every 1.5 s never trips a 2 s silence timeout; the rate rule ends it."""
    session, events = session_and_events(tmp_path)
    with FaultServer(slow_seconds=3.0) as server:
        server.faults.append("trickle")
        backend = OpenAIBackend("fake", base_url=server.base_url, timeout=2.0)
        assert Runner(session, backend, auto_approve=True, on_event=events.append).run(until="plan").ok
    errors = [c.get("error") or "" for c in session.calls()]
    assert any("trickles at" in e and "tokens/s" in e and "127.0.0.1:" in e for e in errors), errors
    assert any(e.kind == "retry" for e in events)
