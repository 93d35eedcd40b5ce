"""Which model a student may use, decided once from the instructor's settings.

A locked option is the instructor's value whatever the student asks; asking for another
one is an error that says who locked it and why, never a silent swap (a batch user who
named a model must not pay for a different one unawares). An unlocked default fills in
only what the student left open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..llm.providers import info_of
from ..llm.spec import provider_of
from ..util.errors import CliError
from .settings import ClassSettings


class ModelNotAllowed(CliError):
    """The student asked for a model or server the class does not allow."""


@dataclass(frozen=True)
class Choice:
    """The model and options a session will use, and the lines that explain them."""

    spec: str | None
    options: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _by(settings: ClassSettings) -> str:
    return f"locked by your instructor ({settings.reason}; {settings.where()})"


def allowed(settings: ClassSettings, spec: str) -> bool:
    """``spec`` is allowed when listed, or when its provider alone is listed (``replay``)."""
    if settings.replay_only:
        return provider_of(spec) == "replay"
    if not settings.allowed_models:
        return True
    return spec in settings.allowed_models or provider_of(spec) in settings.allowed_models


def choose(settings: ClassSettings, asked: str | None, options: dict[str, str] | None = None) -> Choice:
    """Apply the class's defaults, locks and allowed list to what the student asked."""
    options = dict(options or {})
    if not settings.active:
        return Choice(asked, options)
    notes: list[str] = []
    spec = _choose_model(settings, asked, notes)
    if spec is not None and _server_applies(settings, spec):
        _choose_option(settings, "base_url", options, notes)
    _choose_option(settings, "reasoning", options, notes)
    if spec is not None and not allowed(settings, spec):
        listed = "recorded answers (replay) only" if settings.replay_only else ", ".join(settings.allowed_models)
        raise ModelNotAllowed(f"{spec} is not allowed in this class: {listed} ({settings.reason}; "
                              f"{settings.where()}); pick one of those or ask your instructor")
    return Choice(spec, options, tuple(notes))


def _choose_model(settings: ClassSettings, asked: str | None, notes: list[str]) -> str | None:
    if settings.is_locked("model") and settings.model:
        if asked and asked != settings.model:
            raise ModelNotAllowed(f"the model is {_by(settings)}: {settings.model}, not {asked}; "
                                  "leave the model out to use it, or ask your instructor")
        notes.append(f"model {settings.model}: {_by(settings)}")
        return settings.model
    if asked:
        return asked
    if settings.model:
        notes.append(f"model {settings.model}: the class default ({settings.where()})")
    return settings.model


def _server_applies(settings: ClassSettings, spec: str) -> bool:
    """The class's server is for the class model's provider (a replay has no server)."""
    provider = provider_of(spec)
    return provider == provider_of(settings.model or "openai") and info_of(provider).served


def _choose_option(settings: ClassSettings, name: str, options: dict[str, str], notes: list[str]) -> None:
    value = settings.base_url if name == "base_url" else None
    if settings.is_locked(name):
        asked = options.get(name)
        if value is None:  # locked to "the backend's own default": nothing may be named
            if asked:
                raise ModelNotAllowed(f"{name} is {_by(settings)}; leave it out")
            return
        if asked and asked.rstrip("/") != value.rstrip("/"):
            raise ModelNotAllowed(f"{name} is {_by(settings)}: {value}, not {asked}; leave it out to use it")
        options[name] = value
        notes.append(f"{name} {value}: {_by(settings)}")
    elif value and not options.get(name):
        options[name] = value
