"""The session's server is used by repair, eval and the panel too; errors name the host."""

from __future__ import annotations

import pytest
from conftest import TRANSFORMER_JSON
from faultserver import FaultServer

from papercoder_nb.cli import main
from papercoder_nb.llm.base import BackendError, Message, Request
from papercoder_nb.llm.endpoint import session_base_url


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    with FaultServer() as server:
        s = tmp_path_factory.mktemp("endpoint") / "s"
        assert main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "openai:fake", "--base-url",
                     server.base_url, "--auto-approve", "--quiet"]) == 0
        yield server, s


def test_eval_judges_at_the_recorded_server(made, capsys) -> None:
    server, s = made
    before = len(server.requests)
    main(["eval", str(s), "--model", "openai:fake", "--no-imports", "--json"])
    err = capsys.readouterr().err
    assert len(server.requests) > before, err  # the judge asked the session's server
    assert "OPENAI_API_KEY" not in err and "Traceback" not in err


def test_repair_builds_its_model_at_the_recorded_server(made, capsys) -> None:
    _, s = made
    code = main(["repair", str(s), "--auto-approve", "--attempts", "1"])
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" not in err and "Traceback" not in err, err
    assert code in (0, 1)


def test_another_providers_server_is_never_reused() -> None:
    url = "http://127.0.0.1:8080/v1"
    assert session_base_url(url, "openai:fake", "openai:other") == url
    assert session_base_url(url, "openai:fake", "anthropic:claude-sonnet-4-6") == ""
    assert session_base_url(url, "openai:fake", None) == ""  # the configured default: unknown provider
    assert session_base_url(url, "openai:fake", "openai:x", "http://h:1/v1") == "http://h:1/v1"


def test_anthropic_network_errors_name_the_host() -> None:
    from papercoder_nb.llm.anthropic import AnthropicBackend

    backend = AnthropicBackend("claude-sonnet-4-6", api_key="k", base_url="http://127.0.0.1:9", timeout=2.0)
    request = Request(messages=[Message.of("user", "hi")], artifact="plan", kind="plan", max_tokens=16)
    with pytest.raises(BackendError) as caught:
        backend.execute(request)
    assert "127.0.0.1:9" in str(caught.value) and "k" != str(caught.value)
