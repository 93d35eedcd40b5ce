"""Plumbing shared by the Anthropic and OpenAI backends.

* The transport seam: callers (tests, proxies) hand in an ``httpx.Client``. Recent SDK
  releases moved to the ``httpx2`` fork and reject ``httpx`` objects, so such a client is
  bridged: the SDK talks to an ``httpx2`` transport that forwards to the given client.
* Error mapping: SDK exceptions become ``RetryableError`` (worth another try, with the
  server's ``retry-after``) or ``BackendError`` (one line, what to do) — never with a key.
* JSON extraction for answers that no server-side schema constrained.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import httpx

from .base import BackendError, RetryableError

# Mid-stream error events carry a type instead of a status code.
_RETRYABLE_TYPES = {"overloaded_error", "rate_limit_error", "api_error", "timeout_error", "server_error"}
_FATAL_TYPES = {"invalid_request_error", "authentication_error", "permission_error", "not_found_error"}


def sdk_http_module(default_client_cls: type) -> ModuleType:
    """The HTTP package an SDK is built on (``httpx`` or ``httpx2``)."""
    import sys

    for cls in default_client_cls.__mro__:
        top = cls.__module__.partition(".")[0]
        if top in ("httpx", "httpx2"):
            return sys.modules[top]
    return httpx


def adapt_http_client(http_client: Any, sdk_http: ModuleType) -> Any:
    """``http_client`` as the SDK's own client class (bridged when it is plain httpx)."""
    if http_client is None or isinstance(http_client, sdk_http.Client):
        return http_client
    if isinstance(http_client, httpx.Client):
        return sdk_http.Client(transport=_bridge(http_client, sdk_http))
    raise TypeError(f"http_client must be an httpx.Client, not {type(http_client).__name__}")


def _convert(exc: Exception, sdk_http: ModuleType, request: Any = None) -> Exception:
    """An httpx exception as the same-named exception of the SDK's HTTP package."""
    cls = getattr(sdk_http, type(exc).__name__, None)
    if not (isinstance(cls, type) and issubclass(cls, sdk_http.TransportError)):
        cls = sdk_http.TransportError
    return cls(str(exc), request=request)


def _bridge(client: httpx.Client, sdk_http: ModuleType) -> Any:
    class _Body(sdk_http.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, response: httpx.Response) -> None:
            self._response = response

        def __iter__(self) -> Iterator[bytes]:
            try:  # decoded bytes: in-memory bodies (MockTransport) are already read
                yield from self._response.iter_bytes()
            except httpx.HTTPError as exc:
                raise _convert(exc, sdk_http) from None

        def close(self) -> None:
            self._response.close()  # closing here is what stops a cancelled stream

    class _Bridge(sdk_http.BaseTransport):  # type: ignore[name-defined,misc]
        def handle_request(self, request: Any) -> Any:
            extensions = {}
            if "timeout" in request.extensions:
                extensions["timeout"] = request.extensions["timeout"]
            outgoing = httpx.Request(
                request.method,
                str(request.url),
                headers=list(request.headers.raw),
                content=request.read(),
                extensions=extensions,
            )
            try:
                response = client.send(outgoing, stream=True)
            except httpx.HTTPError as exc:
                raise _convert(exc, sdk_http, request) from None
            # The body is passed on decoded, so its encoding and length headers no longer hold.
            headers = [
                (k, v)
                for k, v in response.headers.raw
                if k.lower() not in (b"content-encoding", b"content-length")
            ]
            return sdk_http.Response(
                response.status_code,
                headers=headers,
                stream=_Body(response),
                request=request,
            )

        def close(self) -> None:
            client.close()

    return _Bridge()


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def one_line(text: str, secret: str | None = None, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    if secret:
        text = text.replace(secret, "***")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _server_message(exc: Any) -> tuple[str, str]:
    """(error type, message) from an SDK error's body, falling back to its text."""
    body = getattr(exc, "body", None)
    err = body.get("error", body) if isinstance(body, Mapping) else None
    if isinstance(err, Mapping):
        return str(err.get("type") or err.get("code") or ""), str(err.get("message") or body)
    if isinstance(body, Mapping) and "detail" in body:  # FastAPI-style validation errors
        return "", json.dumps(body["detail"])[:500]
    return "", str(getattr(exc, "message", None) or exc)


def host_of(base_url: str | None, default: str) -> str:
    """``host[:port]`` of a base URL (the provider's public host when there is none)."""
    if not base_url:
        return default
    parsed = urlparse(base_url)
    return f"{parsed.hostname or base_url}{f':{parsed.port}' if parsed.port else ''}"


def map_sdk_error(
    exc: Exception, *, sdk: ModuleType, spec: str, key_variable: str, secret: str | None
) -> BackendError:
    """One SDK exception as ``RetryableError`` or ``BackendError``; keys never included."""
    where = spec
    if isinstance(exc, sdk.APITimeoutError):
        return RetryableError(f"{where}: the request timed out")
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f" ({type(cause).__name__})" if cause is not None else ""
        return RetryableError(f"{where}: connection failed{detail}")
    status = getattr(exc, "status_code", None)
    err_type, message = _server_message(exc)
    message = one_line(message, secret)
    if status == 401 or err_type == "authentication_error":
        # The server's text may echo part of the key: leave it out.
        return BackendError(f"{where}: the API key was rejected (401); check {key_variable}")
    if isinstance(exc, sdk.APIStatusError) and status is not None and status >= 400:
        headers = getattr(getattr(exc, "response", None), "headers", None)
        retry_after = parse_retry_after(headers)
        if status == 429:
            return RetryableError(f"{where}: rate limited (429): {message}", retry_after)
        if status == 529 or err_type == "overloaded_error":
            return RetryableError(f"{where}: overloaded ({status}): {message}", retry_after)
        if status in (408, 409) or status >= 500:
            return RetryableError(f"{where}: server error ({status}): {message}", retry_after)
        if status == 403:
            return BackendError(f"{where}: permission denied (403): {message}")
        if status == 404:
            return BackendError(f"{where}: model or endpoint not found (404): {message}; check the model name")
        return BackendError(f"{where}: request rejected ({status}): {message}")
    # An error event inside a 200 stream.
    if err_type in _FATAL_TYPES:
        return BackendError(f"{where}: {err_type}: {message}")
    if err_type in _RETRYABLE_TYPES or not err_type:
        return RetryableError(f"{where}: error during the stream: {message}")
    return BackendError(f"{where}: {err_type}: {message}")


def conforms(value: Any, schema: Mapping[str, Any]) -> bool:
    """Schema check for answers nothing constrained; jsonschema when installed."""
    try:
        import jsonschema
    except ImportError:  # a shallow check beats none
        if schema.get("type") == "object":
            return isinstance(value, dict) and all(k in value for k in schema.get("required", []))
        return True
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return False
    except jsonschema.SchemaError:
        return True  # our schema's fault, not the answer's
    return True


def schema_instruction(schema: Mapping[str, Any]) -> str:
    """Appended last (after the cached prefix) when the server can't enforce a schema."""
    return (
        "\n\nAnswer with a single JSON object and nothing else (no prose, no code fences). "
        "It must conform to this JSON schema:\n" + json.dumps(schema, ensure_ascii=False)
    )


# Below this many tokens a second, an answer trickles: no real server streams that slowly
# once it has started writing (a 2-core CPU serving a 7B model writes ~3 tokens/s).
MIN_TOKENS_PER_S = 1.0


class StallWatch:
    """Closes a stream that has stopped making progress: no new content for ``seconds``
    (keep-alives don't count), content trickling below ``MIN_TOKENS_PER_S`` for longer than
    ``seconds`` once it started, or an answer running past its whole-answer limit
    (``seconds + max_tokens / MIN_TOKENS_PER_S``). A silence timeout alone never ends a
    stream that sends one word every few seconds.

    Closing from this thread makes the reading thread's next read fail; ``fired`` tells
    the reader that the failure was the watchdog's, ``reason`` says which rule fired."""

    def __init__(self, seconds: float, close: Callable[[], None], max_tokens: int | None = None) -> None:
        self.seconds, self._close = seconds, close
        self.limit = seconds + max_tokens / MIN_TOKENS_PER_S if max_tokens else None
        self.fired = False
        self.reason = f"no new content for {seconds:g}s (the stream stalled)"
        self._start = self._last = time.monotonic()
        self._first: float | None = None
        self._chars = 0
        self._done = threading.Event()
        threading.Thread(target=self._watch, daemon=True, name="stall-watch").start()

    def touch(self, chars: int = 0) -> None:
        self._last = time.monotonic()
        if chars:
            self._first = self._first if self._first is not None else self._last
            self._chars += chars

    def _verdict(self) -> str | None:
        now = time.monotonic()
        if now - self._last > self.seconds:
            return f"no new content for {self.seconds:g}s (the stream stalled)"
        if self._first is not None and now - self._first > self.seconds:
            rate = self._chars / 4 / (now - self._first)  # ~4 characters a token
            if rate < MIN_TOKENS_PER_S:
                return (f"the answer trickles at {rate:.2f} tokens/s, below {MIN_TOKENS_PER_S:g} "
                        f"(it could not finish in time)")
        if self.limit is not None and now - self._start > self.limit:
            return f"the answer ran past its whole-answer limit of {self.limit:.0f}s"
        return None

    def check(self) -> None:
        """Called per chunk: a stream of empty chunks is a stall too."""
        verdict = self._verdict()
        if verdict:
            self.fired, self.reason = True, verdict
            raise self._http_error()

    @staticmethod
    def _http_error() -> Exception:
        import httpx

        return httpx.ReadError("stalled")

    def stop(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self.seconds / 4)):
            verdict = self._verdict()
            if verdict:
                self.fired, self.reason = True, verdict
                try:
                    self._close()
                except Exception:  # already closing: the reader sees the failure either way
                    pass
                return
