"""The one way a session's backend is built: the class's rules, the registry, the guard.

Every entry point (panel, ``papercoder run``, ``smoke --fix``, ``eval``) asks here, so an
instructor's lock, allowed list and daily cap hold whichever way a student starts a call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..classroom.guard import ClassroomBackend
from ..classroom.ledger import Ledger
from ..classroom.policy import choose
from ..classroom.settings import ClassSettings, load_settings
from ..llm.base import Backend
from ..llm.endpoint import session_base_url
from ..llm.providers import info_of
from ..llm.registry import default_spec, get_backend
from ..llm.spec import provider_of
from ..llm.typical import expected_output


@dataclass(frozen=True)
class BuiltBackend:
    backend: Backend
    notes: tuple[str, ...]  # why the model or server is what it is (a lock, the class default)


def build_backend(asked: str | None, options: dict[str, Any] | None = None, *, session: Any = None,
                  settings: ClassSettings | None = None) -> BuiltBackend:
    """The backend for ``asked`` (``provider:model``; ``None``: the default) under the class's rules.

    With a ``session`` and no ``base_url`` named, a model of the session's provider talks to
    the server the session recorded, so the OpenAI client never falls back to its public
    endpoint for a session that ran on a local server.
    """
    settings = load_settings() if settings is None else settings
    options = {k: v for k, v in (options or {}).items() if v not in (None, "")}
    if session is not None:
        url = session_base_url(session.state.base_url, session.state.model, asked, options.get("base_url"))
        options.update({"base_url": url} if url else {})
    choice = choose(settings, asked, options)
    spec = choice.spec or default_spec()
    backend = get_backend(spec, **choice.options)
    if settings.active and info_of(provider_of(spec)).counted:  # a replay's answers: nobody pays
        ledger = Ledger(settings.usage_folder())
        backend = ClassroomBackend(backend, settings, ledger, lambda r: min(r.max_tokens, expected_output(r.kind)))
    return BuiltBackend(backend, choice.notes)
