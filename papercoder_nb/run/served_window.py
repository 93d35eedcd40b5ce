"""The window of a served model the table does not know, asked of its server before a run.

A model behind an OpenAI-compatible server (vLLM, llama.cpp's server, LM Studio) is
usually missing from the model table, and its window is often small: the very case the
pre-flight fit warning (``fit.fit_warnings``) is for. The run learns the window from the
server (``OpenAIBackend.context_window``); this asks the same way, with the same parser,
before the run, within a few seconds, so a dead server never holds up an estimate. Only
a custom base URL is asked: the official endpoint has no window to report.

Answers are kept per (base URL, model) for the process; a server that did not answer is
asked again after a minute (it may have been started meanwhile).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlparse

from ..llm.config import load_settings
from ..llm.spec import ModelSpec, model_of
from .fit import window_of

LOOKUP_SECONDS = 3.0  # the whole lookup, both requests, whatever the server does
REQUEST_SECONDS = 1.4  # each request (connect, and each read)
RETRY_AFTER = 60.0  # seconds before a server that said nothing is asked again

_answers: dict[tuple[str, str], int] = {}
_misses: dict[tuple[str, str], float] = {}  # (url, model) -> when the lookup failed (monotonic)
_lock = threading.Lock()


def server_to_ask(spec: str, base_url: str | None = None) -> str | None:
    """The custom base URL whose server knows ``spec``'s window, when the table does not."""
    provider, model = ModelSpec.parse(spec)
    if provider != "openai" or not model or window_of(spec) is not None:
        return None
    url = base_url or load_settings().get("OPENAI_BASE_URL") or ""
    host = (urlparse(url).hostname or "").lower()
    if not host or host == "openai.com" or host.endswith(".openai.com"):
        return None
    return url


def cached_window(spec: str, url: str) -> tuple[bool, int | None]:
    """(already asked, window): a kept answer, or a recent miss (asked, None)."""
    key = (url, model_of(spec))
    with _lock:
        if key in _answers:
            return True, _answers[key]
        missed = _misses.get(key)
    return missed is not None and time.monotonic() - missed < RETRY_AFTER, None


def server_window(spec: str, base_url: str | None = None) -> int | None:
    """The window the server at the custom base URL says ``spec`` has; None when the
    table knows it, no custom server is set, or the server did not say in time."""
    url = server_to_ask(spec, base_url)
    if url is None:
        return None
    asked, window = cached_window(spec, url)
    if asked:
        return window
    model = model_of(spec)
    window = _ask_within(model, url, LOOKUP_SECONDS)
    with _lock:
        if window:
            _answers[(url, model)] = window
            _misses.pop((url, model), None)
        else:
            _misses[(url, model)] = time.monotonic()
    return window


def _ask_within(model: str, url: str, seconds: float) -> int | None:
    """The backend's own probe, abandoned after ``seconds`` (a server may trickle bytes
    so slowly that no single read times out)."""
    found: list[int | None] = []

    def ask() -> None:
        try:
            from ..llm.openai import OpenAIBackend

            found.append(OpenAIBackend(model, base_url=url, timeout=REQUEST_SECONDS).probe_limits(REQUEST_SECONDS)[0])
        except Exception:  # no SDK, a refused connection, a garbled answer: the window stays unknown
            found.append(None)

    thread = threading.Thread(target=ask, name="papercoder-window", daemon=True)
    thread.start()
    thread.join(seconds)
    return found[0] if found else None


def silent_note(url: str) -> str:
    """What to say when the server did not tell its window."""
    from ..llm.openai import DEFAULT_LOCAL_WINDOW

    host = urlparse(url).netloc or url
    return (f"the server at {host} did not say its context window, so whether the paper fits is not checked "
            f"(a run assumes {DEFAULT_LOCAL_WINDOW:,} tokens if the server still does not say)")
