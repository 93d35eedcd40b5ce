"""Every provider declared once: its factory and what the rest of the engine knows of it.

A provider is a factory (``factory(model, **options) -> Backend``) registered under its
name with a ``ProviderInfo``: the panel's label and hint, the model used when none is
named, the settings that hold its key and server, whether its calls are billed or counted
against a student's cap, whether it caches prompts. The built-in providers are declared
at the bottom of this file; a third-party package declares its own through the
``papercoder_nb.backends`` entry-point group, naming a factory or a ``Provider``
(factory and info). No backend module is imported here: each is imported when first built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, NamedTuple

from .base import Backend

Factory = Callable[..., Backend]  # factory(model: str, **options) -> Backend


@dataclass(frozen=True)
class ProviderInfo:
    """What the engine and the panel know of a provider besides how to build its backend."""

    name: str
    label: str = ""  # the panel's drop-down entry, short ("": the name)
    hint: str = "model name"  # the model field's placeholder: what to type there
    default_model: str = ""  # the model used when none is named and its key is set
    key_variable: str | None = None  # the setting that holds its API key (read by ``config``)
    base_url_variable: str | None = None  # the setting that names its server
    free: bool = False  # nothing is billed (in-process, recorded or canned answers)
    counted: bool = True  # its calls count against a student's daily cap (recorded ones do not)
    served: bool = True  # a class's server (``base_url``) may apply to it (no model: no server)
    caches_prompts: bool = False  # a repeated prompt prefix is read from a cache, for less
    default_window: int | None = None  # its context window when the model's name tells none
    listed: bool = True  # offered in the panel's picker (scripted: tests and demos only)

    @property
    def shown(self) -> str:
        return self.label or self.name


class Provider(NamedTuple):
    """What a plugin's entry point may name instead of a bare factory: factory and info."""

    factory: Factory
    info: ProviderInfo


_FACTORIES: dict[str, Factory] = {}
_INFOS: dict[str, ProviderInfo] = {}
_PLUGINS_LOADED = False


def register(provider: str, factory: Factory, info: ProviderInfo | None = None) -> None:
    """Declare ``provider``; without ``info`` it keeps the one declared before, or the defaults."""
    _FACTORIES[provider] = factory
    _INFOS[provider] = info or _INFOS.get(provider) or ProviderInfo(provider)


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in entry_points(group="papercoder_nb.backends"):
        loaded = ep.load()
        if isinstance(loaded, Provider):
            register(ep.name, loaded.factory, loaded.info)
        else:
            register(ep.name, loaded)


def providers() -> list[str]:
    """Every provider's name, sorted (those ``get_backend`` can build)."""
    _load_plugins()
    return sorted(_FACTORIES)


def factory_of(provider: str) -> Factory | None:
    _load_plugins()
    return _FACTORIES.get(provider)


def provider_infos(plugins: bool = True) -> list[ProviderInfo]:
    """Every declared provider's info, in the order declared (built-in ones first)."""
    if plugins:
        _load_plugins()
    return [_INFOS.get(name) or ProviderInfo(name) for name in _FACTORIES]


def info_of(provider: str) -> ProviderInfo:
    """``provider``'s info; a name nobody declared gets the defaults (billed, no label)."""
    _load_plugins()
    return _INFOS.get(provider) or ProviderInfo(provider)


def _builtin(module: str, attr: str, info: ProviderInfo) -> None:
    def factory(model: str, **options: Any) -> Backend:
        cls = getattr(importlib.import_module(module, __package__), attr)
        return cls(model, **options)

    register(info.name, factory, info)


# In the panel's order. Each line is all a built-in provider needs besides its own module.
_builtin(".local", "LocalBackend", ProviderInfo(
    "local", label="local — embedded, no key", hint="empty = embedded SmolLM2-135M, or a .gguf path",
    free=True, default_window=8192))  # LocalBackend's default n_ctx
_builtin(".anthropic", "AnthropicBackend", ProviderInfo(
    "anthropic", default_model="claude-sonnet-4-6", key_variable="ANTHROPIC_API_KEY",
    base_url_variable="ANTHROPIC_BASE_URL", caches_prompts=True))
_builtin(".openai", "OpenAIBackend", ProviderInfo(
    "openai", label="openai or compatible", hint="gpt-4.1-mini, or a served model (OPENAI_BASE_URL)",
    default_model="gpt-4.1-mini", key_variable="OPENAI_API_KEY", base_url_variable="OPENAI_BASE_URL",
    caches_prompts=True))
_builtin(".replay", "ReplayBackend", ProviderInfo(
    "replay", label="replay — a recording", hint="a recorded session folder or its calls.jsonl",
    free=True, counted=False, served=False))
_builtin(".scripted", "ScriptedBackend", ProviderInfo(
    "scripted", label="scripted — canned", hint="canned answers (tests, demos)",
    free=True, served=False, listed=False))
