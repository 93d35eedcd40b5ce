"""A served model the table does not know: its window is asked of its server before a run,
so the pre-flight estimate warns when the paper will not fit (against a real loopback server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from conftest import TRANSFORMER_JSON
from faultserver import FaultServer

from papercoder_nb import load_paper
from papercoder_nb.run import served_window as sw
from papercoder_nb.run.estimate import estimate_run

MODEL = "my-served-model"
SPEC = f"openai:{MODEL}"


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    sw._answers.clear()
    sw._misses.clear()
    yield
    sw._answers.clear()
    sw._misses.clear()


def serving(window: int) -> FaultServer:
    server = FaultServer()
    server.models = [{"id": "other", "object": "model", "max_model_len": 999_999},
                     {"id": MODEL, "object": "model", "max_model_len": window}]  # vLLM's field
    return server


def dead_url() -> str:
    with socket.socket() as s:  # a port nobody listens on once this closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_a_small_served_window_warns_with_the_servers_figure() -> None:
    paper = load_paper(TRANSFORMER_JSON)  # ≈8.8k tokens
    with serving(4096) as server:
        window = sw.server_window(SPEC, server.base_url)
        asked = len(server.gets)
        assert sw.server_window(SPEC, server.base_url) == window  # kept: not asked again
        assert len(server.gets) == asked
    assert window == 4096  # this model's entry, not the first one listed
    est = estimate_run(paper, SPEC, window=window)
    assert est.warnings and f"do not fit whole in the 4,096-token window of {SPEC}" in est.warnings[0]


def test_a_large_served_window_gets_no_warning() -> None:
    with serving(131_072) as server:
        window = sw.server_window(SPEC, server.base_url)
    assert window == 131_072
    assert estimate_run(load_paper(TRANSFORMER_JSON), SPEC, window=window).warnings == []


def test_a_dead_server_says_nothing_and_is_remembered_briefly() -> None:
    url = dead_url()
    assert sw.server_window(SPEC, url) is None
    assert sw.cached_window(SPEC, url) == (True, None)  # the next estimate does not wait again
    assert estimate_run(load_paper(TRANSFORMER_JSON), SPEC, window=None).warnings == []
    assert "did not say its context window" in sw.silent_note(url) and url.split("/")[2] in sw.silent_note(url)


def test_a_server_that_does_not_say_its_window_gives_none() -> None:
    with FaultServer() as server:  # lists a model without any window field
        assert sw.server_window(SPEC, server.base_url) is None
        assert server.gets  # it was asked


def test_only_a_custom_server_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sw.server_to_ask(SPEC) is None  # no base URL anywhere: the official endpoint has no window to say
    assert sw.server_to_ask(SPEC, "https://api.openai.com/v1") is None
    assert sw.server_to_ask("openai:gpt-4o", "http://127.0.0.1:8000/v1") is None  # the table knows it
    assert sw.server_to_ask(f"anthropic:{MODEL}", "http://127.0.0.1:8000/v1") is None
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    assert sw.server_to_ask(SPEC) == "http://127.0.0.1:8000/v1"
    assert sw.server_window("openai:gpt-4o") is None  # nothing asked for a model the table knows
