"""Where a session's model lives: the base URL it recorded is used again, unless told otherwise.

A session started against a local or private server must keep talking to it from every
command (resume, regen, repair, eval) and from the panel: without the recorded address the
OpenAI client would fall back to its public endpoint and a paper meant for a local server
could be sent elsewhere. Only the address is recorded, never a key.
"""

from __future__ import annotations

from .spec import provider_of


def session_base_url(recorded_url: str, recorded_model: str, spec: str | None, given: str | None = None) -> str:
    """The base URL for a backend of ``spec``: the one given, else the one the session
    recorded when ``spec`` is of the same provider (another provider's server is never reused)."""
    if given:
        return given
    if recorded_url and spec and provider_of(spec) == provider_of(recorded_model):
        return recorded_url
    return ""
