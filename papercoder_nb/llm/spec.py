"""The one reader of a model spec: ``provider:model`` (``local`` alone names a provider too).

Every place that needs a spec's provider or model asks here, so the format has one
definition. (An artifact id such as ``code:model.py`` has a colon too; it is not a spec.)
"""

from __future__ import annotations

from typing import NamedTuple


class ModelSpec(NamedTuple):
    """A parsed spec; unpacks as ``provider, model = ModelSpec.parse(text)``."""

    provider: str
    model: str = ""  # empty: the provider's own default (``local``: the embedded model)

    @classmethod
    def parse(cls, text: str | None) -> ModelSpec:
        provider, _, model = (text or "").partition(":")
        return cls(provider, model)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider


def provider_of(spec: str | None) -> str:
    """``openai`` of ``openai:gpt-4.1-mini``; ``""`` of nothing."""
    return ModelSpec.parse(spec).provider


def model_of(spec: str | None) -> str:
    """``gpt-4.1-mini`` of ``openai:gpt-4.1-mini``; ``""`` when the spec names no model."""
    return ModelSpec.parse(spec).model
