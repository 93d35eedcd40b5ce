"""A provider is one declared thing: a plugin's entry point is all a new one needs, and a
backend with only the protocol's members gets every capability's default."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from papercoder_nb.classroom.guard import ClassroomBackend
from papercoder_nb.classroom.settings import ClassSettings
from papercoder_nb.llm import providers
from papercoder_nb.llm.base import (
    CAPABILITIES,
    BackendBase,
    CancelToken,
    Capabilities,
    Completion,
    Message,
    Request,
    TokenCallback,
    Usage,
    capabilities_of,
)
from papercoder_nb.llm.call import backend_cost, call_model
from papercoder_nb.llm.config import key_status, load_settings
from papercoder_nb.llm.limits import default_max_output, limits_of
from papercoder_nb.llm.registry import default_spec, get_backend
from papercoder_nb.llm.spec import ModelSpec, model_of, provider_of
from papercoder_nb.session.backend import build_backend


class Bare:
    """Only what the protocol asks: no capability at all."""

    def __init__(self, model: str = "small", **options: object) -> None:
        self.spec = f"echo:{model}"
        self.context_window = 4096
        self.options = options

    def execute(self, request: Request, on_token: TokenCallback | None = None,
                cancel: CancelToken | None = None) -> Completion:
        text = "echo: " + request.messages[-1].text
        if on_token is not None:
            on_token(text)
        return Completion(text=text, usage=Usage(input_tokens=10, output_tokens=3), model=self.spec)


def request() -> Request:
    return Request(messages=[Message.of("user", "hello")], max_tokens=64, artifact="plan", kind="planning.plan")


ECHO = providers.ProviderInfo(
    "echo", label="echo — says it back", hint="small or large", default_model="small",
    key_variable="ECHO_API_KEY", base_url_variable="ECHO_BASE_URL", free=True, caches_prompts=True)


@pytest.fixture
def echo_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The echo provider installed the way a package would: one entry point naming a Provider."""
    point = SimpleNamespace(name="echo", load=lambda: providers.Provider(Bare, ECHO))
    monkeypatch.setattr(providers, "_FACTORIES", dict(providers._FACTORIES))
    monkeypatch.setattr(providers, "_INFOS", dict(providers._INFOS))
    monkeypatch.setattr(providers, "_PLUGINS_LOADED", False)
    monkeypatch.setattr(providers, "entry_points",
                        lambda group: [point] if group == "papercoder_nb.backends" else [])


def test_a_plugin_provider_works_end_to_end_with_its_one_registration(
        echo_plugin: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert "echo" in providers.providers()
    built = build_backend("echo:large", {"timeout": 5}, settings=ClassSettings())
    assert isinstance(built.backend, Bare) and built.backend.spec == "echo:large"
    assert built.backend.options == {"timeout": 5}
    answer = call_model(built.backend, request())
    assert answer.text == "echo: hello"
    assert backend_cost(built.backend, answer.usage) == 0.0  # declared free
    # Its key and server settings are read like the built-in ones', and its key picks it as the default.
    monkeypatch.setenv("ECHO_API_KEY", "not-a-real-key")
    monkeypatch.setenv("ECHO_BASE_URL", "http://127.0.0.1:9/v1")
    assert load_settings()["ECHO_BASE_URL"] == "http://127.0.0.1:9/v1"
    assert key_status()["ECHO_API_KEY"] is True
    assert default_spec() == "echo:small"
    # In a class, its calls are counted against the student's cap like any paid provider's.
    settings = ClassSettings(usage_dir=tmp_path / "usage", budget={"tokens_per_day": 1000},
                             source=tmp_path / "papercoder.toml")
    guarded = build_backend(None, settings=settings).backend  # the default: its key is set
    assert isinstance(guarded, ClassroomBackend) and guarded.spec == "echo:small"
    call_model(guarded, request())
    assert guarded.ledger is not None and guarded.ledger.spent().calls == 1


def test_the_panels_model_box_lists_a_plugin_provider_with_its_label(echo_plugin: None) -> None:
    from papercoder_nb.widgets.model_box import ModelBox

    box = ModelBox("echo:large")
    assert ("echo — says it back", "echo") in box.provider.options
    assert box.spec == "echo:large" and box.model.placeholder == "small or large"
    box.provider.value = "local"
    box.provider.value = "echo"
    assert box.model.value == "small"  # its default model fills in
    assert "scripted" not in [v for _, v in box.provider.options]  # declared unlisted


def test_a_backend_with_only_the_protocol_gets_every_capabilitys_default() -> None:
    caps = capabilities_of(Bare())
    assert set(CAPABILITIES) == {
        "concurrent", "reports_progress", "count_tokens", "max_output", "reasoning_reserve", "small_model",
        "reasoning", "stall_seconds", "price", "base_url", "where"}
    for name in CAPABILITIES:
        assert getattr(caps, name) == getattr(Capabilities, name), name
    assert caps.concurrent is True and caps.reasoning_reserve == 0 and caps.count_tokens is None
    limits = limits_of(Bare())
    assert limits.max_output == min(default_max_output(4096), 4096) and limits.small
    assert call_model(Bare(), request()).text == "echo: hello"


def test_capabilities_are_read_through_wrappers_and_when_asked() -> None:
    inner = Bare()
    inner.reasoning_reserve = 512  # type: ignore[attr-defined]
    wrapped = ClassroomBackend(inner, ClassSettings(), None, lambda r: r.max_tokens)
    assert capabilities_of(wrapped).reasoning_reserve == 512  # forwarded to the inner backend
    caps = capabilities_of(inner)
    inner.concurrent = False  # type: ignore[attr-defined]
    assert caps.concurrent is False  # read when asked, never a stale copy

    class Own(BackendBase):
        spec, context_window = "own:x", 1000
        concurrent = False

    own = Own()
    assert capabilities_of(own) is own and own.reasoning_reserve == 0 and own.where is None


def test_a_model_spec_has_one_parser() -> None:
    assert ModelSpec.parse("openai:gpt-4.1-mini") == ("openai", "gpt-4.1-mini")
    assert ModelSpec.parse("local") == ("local", "") and str(ModelSpec.parse("local")) == "local"
    provider, model = ModelSpec.parse("replay:/tmp/a:b/calls.jsonl")  # only the first colon splits
    assert (provider, model) == ("replay", "/tmp/a:b/calls.jsonl")
    assert provider_of(None) == "" and model_of("anthropic:claude-sonnet-4-6") == "claude-sonnet-4-6"


def test_an_unknown_provider_is_named_with_the_known_ones() -> None:
    from papercoder_nb.llm.base import BackendError

    with pytest.raises(BackendError, match="unknown model provider 'nope'.*openai"):
        get_backend("nope:x")
