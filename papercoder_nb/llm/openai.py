"""``openai:<model>`` through the official SDK, and any OpenAI-compatible server.

Chat Completions, always streamed (``stream_options.include_usage`` for the final usage
chunk). Structured output asks for ``json_schema``; a server that rejects it (llama.cpp's
Python server, older vLLM, LM Studio builds) is downgraded once per backend instance to
``json_object`` and then to a prompt instruction, with the answer parsed and validated
here. ``json_object`` carries the schema too: llama-cpp-python's server turns it into a
grammar, so even a 135M model emits JSON of the right shape; others ignore it. That
schema is made grammar-safe first: llama.cpp refuses a repetition as long as a 4000-char
``maxLength`` (and llama-cpp-python's server process dies on it), and in small windows
strings and lists are capped as for the in-process model, so a small model cannot loop
inside one field until the token limit.
Parallel calls to a server that ends a running stream when the next request arrives
(llama-cpp-python's, by default) cut each other off; the first such cut makes the
backend send one request at a time, and the cut call is retried.
With a ``base_url`` (option, config or ``OPENAI_BASE_URL``) no key is needed.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import urlparse

from ..paper.tokens import estimate_tokens
from ..util.extract import ExtractError
from ..util.extract import extract_json as extract_object
from ..util.extract import find_json as extract_json
from ._sdk import (
    StallWatch,
    adapt_http_client,
    conforms,
    host_of,
    map_sdk_error,
    one_line,
    schema_instruction,
    sdk_http_module,
)
from .base import (
    BackendBase,
    BackendError,
    CancelledError,
    CancelToken,
    Completion,
    Request,
    RetryableError,
    TokenCallback,
    Usage,
)
from .config import load_settings, require_key
from .interruptible import quiet_after_cancel, run_interruptible
from .limits import check_reasoning, known_limits, server_limits
from .schema import bound_schema

KEY_VARIABLE = "OPENAI_API_KEY"
NO_KEY = "sk-no-key-required"  # local servers ignore the key but the SDK insists on one
DEFAULT_LOCAL_WINDOW = 8192
DEFAULT_OPENAI_WINDOW = 128_000
DEFAULT_OPENAI_OUTPUT = 16_384
# Hidden reasoning tokens count against max_completion_tokens; leave room for them so a
# reasoning model does not spend the whole allowance thinking and return nothing.
REASONING_HEADROOM = {"minimal": 1024, "low": 4096, "medium": 16384, "high": 32768}
SCHEMA_MODES = ("json_schema", "json_object", "prompt")
SMALL_WINDOW = 32_000
GRAMMAR_STRING_CAP = 1000  # llama.cpp's grammar parser fails somewhere below 2000
SMALL_STRING_CAP, SMALL_LIST_CAP = 240, 6  # as the in-process model's grammar
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_use", "function_call": "tool_use"}


def is_reasoning_model(model: str) -> bool:
    name = model.rsplit("/", 1)[-1].lower()
    return name.startswith("gpt-5") or (len(name) > 1 and name[0] == "o" and name[1].isdigit())


def _import_sdk() -> Any:
    try:
        import openai
    except ImportError:
        raise BackendError(
            "the openai package is not installed: pip install 'papercoder-nb[cloud]'"
        ) from None
    return openai


class _Rejected(Exception):
    """The server refused a feature we can do without (response_format, stream_options)."""


class _StreamCut(RetryableError):
    """The answer stream stopped early (dropped, or closed without a finish reason)."""


class _StreamedAnswer:
    """What the chunks of one answer stream add up to; a runaway answer is cut, not kept."""

    def __init__(self, where: str, max_tokens: int) -> None:
        self.where, self.max_tokens = where, max_tokens
        self.pieces: list[str] = []
        self.size, self.cap = 0, answer_cap(max_tokens)
        self.finish: str | None = None
        self.usage: Any = None

    def take(self, chunk: Any, watch: StallWatch, on_token: TokenCallback | None) -> None:
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            piece = choice.delta.content if choice.delta is not None else None
            if piece:
                watch.touch(len(piece))
                self.pieces.append(piece)
                self.size += len(piece)
                if self.size > self.cap:  # an endless or runaway answer: cut it, don't grow memory
                    raise _StreamCut(
                        f"{self.where}: the answer passed {self.cap:,} characters, far beyond the "
                        f"{self.max_tokens:,} tokens asked for; cut off"
                    )
                if on_token is not None:
                    on_token(piece)
            if choice.finish_reason:
                self.finish = choice.finish_reason


class OpenAIBackend(BackendBase):
    def __init__(
        self,
        model: str,
        *,
        http_client: Any = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 600.0,
        reasoning_effort: str | None = None,
        reasoning: str | None = None,
        context_window: int | None = None,
        max_output: int | None = None,
        **_: Any,
    ) -> None:
        if not model:
            raise BackendError("name a model, e.g. openai:gpt-4.1-mini")
        sdk = _import_sdk()
        settings = load_settings()
        self.model = model
        self.spec = f"openai:{model}"
        self.base_url = base_url or settings.get("OPENAI_BASE_URL") or None
        host = (urlparse(self.base_url).hostname or "") if self.base_url else "api.openai.com"
        self.official = host == "openai.com" or host.endswith(".openai.com")
        self.where = f"{self.spec} at {host_of(self.base_url, 'api.openai.com')}"  # every network error names the host
        key = api_key or settings.get(KEY_VARIABLE)
        if not key:
            key = require_key(KEY_VARIABLE) if self.official else NO_KEY
        self._secret = None if key == NO_KEY else key
        self._sdk = sdk
        self._http = sdk_http_module(sdk.DefaultHttpxClient)
        self._client = sdk.OpenAI(
            api_key=key,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,  # llm.call retries, with backoff and the budget in view
            http_client=adapt_http_client(http_client, self._http),
        )
        self.reasoning_effort = reasoning_effort or check_reasoning(reasoning)
        self.reasoning = self.reasoning_effort  # recorded with every call
        self._window = context_window
        self._max_output = max_output
        # A stream that sends only keep-alives (or one token an hour) never trips the
        # client's read timeout: it is cut after this long without new content.
        self.timeout = self.stall_seconds = float(timeout) if isinstance(timeout, (int, float)) else 600.0
        # What this server accepted so far; only ever downgraded.
        self.schema_mode = "json_schema"
        self.stream_usage = True
        self._lock = threading.Lock()
        # llama-cpp-python's server (by default) ends a running stream when the next
        # request arrives, so parallel calls cut each other off. Once a stream is cut
        # while another call is in flight, this backend sends one request at a time.
        self.serial = False
        self._in_flight = 0
        self._gate = threading.Lock()

    # -- context window -------------------------------------------------------------

    @property
    def context_window(self) -> int:
        """From the option, the table, or (unknown model on a server) what the server says."""
        if self._window is None:
            self._resolve_limits()
        assert self._window is not None
        return self._window

    @property
    def max_output(self) -> int:
        """Output tokens the model may write (answer and hidden reasoning together)."""
        if self._max_output is None:
            self._resolve_limits()
        assert self._max_output is not None
        return self._max_output

    @property
    def reasoning_reserve(self) -> int:
        """Output tokens kept for hidden reasoning: the answer's cap is the rest."""
        if not is_reasoning_model(self.model):
            return 0
        return REASONING_HEADROOM.get(self.reasoning_effort or "medium", 16384)

    def _resolve_limits(self) -> None:
        known = known_limits(self.model)
        window, out = known if known is not None else (None, None)
        if known is None and not self.official:
            window, out = self.probe_limits()
            window = window or DEFAULT_LOCAL_WINDOW
            out = out or window  # a server caps prompt + answer at its window, nothing less
        elif known is None:
            window, out = DEFAULT_OPENAI_WINDOW, DEFAULT_OPENAI_OUTPUT
        if self._window is None:
            self._window = window
        if self._max_output is None:
            self._max_output = min(out or self._window, self._window) if known is None else out

    def probe_limits(self, timeout: float = 5.0) -> tuple[int | None, int | None]:
        """llama.cpp's ``/props`` (the window it runs with), then ``/v1/models`` (vLLM and others).

        ``timeout`` bounds each request; the pre-flight estimate asks with a short one.
        """
        client = self._client.with_options(timeout=timeout)
        props = models = None
        root = str(self._client.base_url).rstrip("/").removesuffix("/v1")
        try:
            props = client.get(f"{root}/props", cast_to=object)
        except Exception:  # any failure just means "not llama.cpp": try the next source
            props = None
        window, out = server_limits(props, None, self.model)
        if window is None:
            try:
                models = client.get("/models", cast_to=object)
            except Exception:
                models = None
            window, _ = server_limits(None, models, self.model)
        return window, out

    # -- request ----------------------------------------------------------------------

    def params(self, request: Request, schema_mode: str | None = None) -> dict[str, Any]:
        """The ``chat.completions.create`` arguments (public for tests and logs)."""
        mode = schema_mode or self.schema_mode
        messages = [{"role": m.role, "content": m.text} for m in request.messages]
        schema = request.schema
        if schema is not None and mode != "json_schema":
            # Appended at the very end so the cached prefix stays the same.
            if messages and messages[-1]["role"] == "user":
                messages[-1] = {**messages[-1], "content": messages[-1]["content"] + schema_instruction(schema)}
            else:
                messages.append({"role": "user", "content": schema_instruction(schema).lstrip()})
        params: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        if self.stream_usage:
            params["stream_options"] = {"include_usage": True}
        if is_reasoning_model(self.model):
            headroom = REASONING_HEADROOM.get(self.reasoning_effort or "medium", 16384)
            params["max_completion_tokens"] = request.max_tokens + headroom
            if self.reasoning_effort:  # extra_body: older SDK releases lack the keyword
                params["extra_body"] = {"reasoning_effort": self.reasoning_effort}
            # Reasoning models accept only the default temperature.
        else:
            params["max_tokens"] = request.max_tokens
            params["temperature"] = request.temperature
        if schema is not None and mode == "json_schema":
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(request.schema_name), "schema": schema, "strict": False},
            }
        elif schema is not None and mode == "json_object":
            # "schema" is honoured by llama-cpp-python (as a grammar) and ignored elsewhere.
            # The window as far as known without asking the server (the runner has asked).
            window = self._window or (DEFAULT_OPENAI_WINDOW if self.official else DEFAULT_LOCAL_WINDOW)
            params["response_format"] = {"type": "json_object", "schema": grammar_schema(schema, window < SMALL_WINDOW)}
        return params

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        # Cancel returns at once, also while waiting for the first byte or a turn.
        on_token = quiet_after_cancel(on_token, cancel)
        return run_interruptible(lambda: self._execute_counted(request, on_token, cancel), cancel, self.spec)

    def _execute_counted(
        self, request: Request, on_token: TokenCallback | None, cancel: CancelToken | None
    ) -> Completion:
        if self.serial:
            with self._gate:
                return self._execute(request, on_token, cancel)
        with self._lock:
            self._in_flight += 1
        try:
            return self._execute(request, on_token, cancel)
        except _StreamCut:
            with self._lock:
                if self._in_flight > 1 and not self.official:
                    self.serial = True  # the retry (llm.call) then waits its turn
            raise
        finally:
            with self._lock:
                self._in_flight -= 1

    def _execute(self, request: Request, on_token: TokenCallback | None, cancel: CancelToken | None) -> Completion:
        for _ in range(len(SCHEMA_MODES) + 2):  # each refusal downgrades one feature
            mode = self.schema_mode
            stream_usage = self.stream_usage
            try:
                return self._run(request, mode, on_token, cancel)
            except _Rejected as rejected:
                self._downgrade(str(rejected), request, mode, stream_usage)
        raise BackendError(f"{self.spec}: the server rejected every request format")

    def _downgrade(self, message: str, request: Request, mode: str, stream_usage: bool) -> None:
        with self._lock:
            if self.schema_mode != mode or self.stream_usage != stream_usage:
                return  # another call already downgraded: just try again
            if "stream_options" in message and self.stream_usage:
                self.stream_usage = False
            elif request.schema is not None and mode != "prompt":
                self.schema_mode = SCHEMA_MODES[SCHEMA_MODES.index(mode) + 1]
            else:
                raise BackendError(f"{self.spec}: request rejected: {one_line(message, self._secret)}")

    def _error(self, exc: Exception, request: Request) -> Exception:
        if isinstance(exc, self._http.HTTPError):  # raised while reading the stream
            return _StreamCut(f"{self.where}: the stream broke off ({type(exc).__name__})")
        status = getattr(exc, "status_code", None)
        raw = f"{exc} {getattr(exc, 'body', '')}"  # the whole server text, not a shortened line
        # llama-cpp-python's server reports its request validation failure as a 500
        # ("1 validation error: ... literal_error ... response_format"), not a 4xx.
        validation = status in (400, 422) or (status == 500 and ("validation error" in raw or "literal_error" in raw))
        if validation and (
            (request.schema is not None and ("response_format" in raw or "json_schema" in raw))
            or "stream_options" in raw
        ):
            return _Rejected(raw)
        return map_sdk_error(
            exc, sdk=self._sdk, spec=self.where, key_variable=KEY_VARIABLE, secret=self._secret
        )

    def _run(
        self,
        request: Request,
        mode: str,
        on_token: TokenCallback | None,
        cancel: CancelToken | None,
    ) -> Completion:
        if cancel is not None:
            cancel.raise_if_cancelled()
        started = time.perf_counter()
        try:
            stream = self._client.chat.completions.create(**self.params(request, mode))
        except (self._sdk.APIError, self._http.HTTPError) as exc:
            raise self._error(exc, request) from None
        answer = _StreamedAnswer(self.where, request.max_tokens)
        watch = StallWatch(self.stall_seconds, stream.close, request.max_tokens + self.reasoning_reserve)
        try:
            for chunk in stream:
                watch.check()
                if cancel is not None and cancel.cancelled:
                    raise CancelledError(f"{self.spec}: cancelled by the user")
                answer.take(chunk, watch, on_token)
        except CancelledError:
            raise
        except (self._sdk.APIError, self._http.HTTPError) as exc:
            if watch.fired:
                raise self._stalled(watch) from None
            raise self._error(exc, request) from None
        except Exception:  # a read on the stream the watchdog closed fails in its own way
            if watch.fired:
                raise self._stalled(watch) from None
            raise
        finally:
            watch.stop()
            stream.close()  # on cancel this drops the connection: no more tokens are read
        if watch.fired:
            raise self._stalled(watch)
        if answer.finish is None:  # no choice ever finished: the stream was cut
            raise _StreamCut(f"{self.where}: the stream ended before the answer finished")
        text = "".join(answer.pieces)
        return Completion(
            text=text,
            parsed=self._parse(text, request, mode),
            usage=self._usage(answer.usage, request, text),
            finish_reason=_FINISH.get(answer.finish, answer.finish),
            latency_s=round(time.perf_counter() - started, 4),
            model=self.spec,
        )

    def _stalled(self, watch: StallWatch) -> _StreamCut:
        return _StreamCut(f"{self.where}: {watch.reason}; cut off")

    @staticmethod
    def _parse(text: str, request: Request, mode: str) -> Any:
        if request.schema is None:
            return None
        try:  # lenient: grammar-made JSON may hold raw control characters in strings
            value: Any = extract_object(text)
        except ExtractError:
            value = extract_json(text)
        if mode == "json_schema":
            return value  # the server constrained it
        return value if value is not None and conforms(value, request.schema) else None

    @staticmethod
    def _usage(usage: Any, request: Request, text: str) -> Usage:
        if usage is None:  # some servers never send usage: estimate rather than show zero
            return Usage(input_tokens=request.estimated_input_tokens(), output_tokens=estimate_tokens(text))
        details = getattr(usage, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None) or 0
        return Usage(
            input_tokens=usage.prompt_tokens or 0,
            output_tokens=usage.completion_tokens or 0,
            cache_read_tokens=int(cached),
        )


def answer_cap(max_tokens: int) -> int:
    """Characters an answer may reach: ~4 per token, with room for a generous tokenizer."""
    return max(max_tokens, 256) * 4 * 4 + 65536


def grammar_schema(schema: dict[str, Any], small: bool) -> dict[str, Any]:
    """The schema with every string (and, when ``small``, list) bounded for a grammar."""
    if small:
        return bound_schema(schema, SMALL_STRING_CAP, SMALL_LIST_CAP)
    return bound_schema(schema, GRAMMAR_STRING_CAP)


def _schema_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "result"
