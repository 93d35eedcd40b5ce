"""``anthropic:<model>`` through the official SDK.

Streams every call (text deltas to ``on_token``, cancel checked per event, the HTTP
stream closed on cancel). ``Part.cache`` becomes a ``cache_control`` breakpoint (the API
allows four; the last four win, since later breakpoints cover longer prefixes). Retries
belong to the caller (``llm.call``): the SDK is built with ``max_retries=0``.

Structured output has two modes (option ``structured``):

* ``"prompt"`` (default): no tools are sent; the schema goes as an instruction at the
  very end of the last user message, after everything cacheable, and the answer is
  parsed as JSON and validated here (``parsed`` is None when it does not conform, and
  the runner's one repair request quotes the error). Why: Anthropic's cached prefix is
  ``tools → system → messages``, so a forced tool puts its schema *before* the paper
  and a schema call can never reuse the paper/planning prefix that every other call
  wrote (nor write one they can read). Without tools, every call of a run shares one
  prefix: system → paper → each planning artifact.
* ``"tool"``: a forced tool whose input schema is the request's schema — the API then
  guarantees well-formed JSON, at the price of a cache prefix of its own per schema.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..util.extract import ExtractError
from ..util.extract import extract_json as extract_object
from ..util.extract import find_json as extract_json
from ._sdk import (
    StallWatch,
    adapt_http_client,
    conforms,
    host_of,
    map_sdk_error,
    schema_instruction,
    sdk_http_module,
)
from .base import (
    BackendBase,
    BackendError,
    CancelledError,
    CancelToken,
    Completion,
    Message,
    Request,
    RetryableError,
    TokenCallback,
    Usage,
)
from .config import load_settings, require_key
from .interruptible import quiet_after_cancel, run_interruptible
from .limits import check_reasoning, known_limits

KEY_VARIABLE = "ANTHROPIC_API_KEY"
MAX_BREAKPOINTS = 4
# Extended thinking: the budget per --reasoning level (tokens, taken from max_tokens).
THINKING_BUDGET = {"low": 4_096, "medium": 16_384, "high": 32_768}
# Models known to accept ``temperature``; newer ones (Opus 4.7 on) reject it with a 400.
SAMPLING_MODELS = (
    "claude-3",
    "claude-opus-4-0",
    "claude-opus-4-1",
    "claude-opus-4-2025",
    "claude-opus-4-5",
    "claude-opus-4-6",
    "claude-sonnet-4-0",
    "claude-sonnet-4-2025",
    "claude-sonnet-4-5",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
)
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_use"}
_WRAP_KEY = "value"  # tool input must be an object; other schemas are wrapped in one
STRUCTURED_MODES = ("prompt", "tool")


def _import_sdk() -> Any:
    try:
        import anthropic
    except ImportError:
        raise BackendError(
            "the anthropic package is not installed: pip install 'papercoder-nb[cloud]'"
        ) from None
    return anthropic


def tool_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "result"


def tool_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(input_schema, wrapped): tool input is always a JSON object."""
    if schema.get("type") == "object":
        return schema, False
    return {"type": "object", "properties": {_WRAP_KEY: schema}, "required": [_WRAP_KEY]}, True


def build_messages(messages: list[Message]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, turns) with ``cache_control`` on the last four marked parts."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    marked: list[dict[str, Any]] = []  # blocks ending a cached part, in prefix order
    for message in messages:
        if message.role == "system":
            target = system
        else:
            if not turns or turns[-1]["role"] != message.role:  # the API wants alternation
                turns.append({"role": message.role, "content": []})
            target = turns[-1]["content"]
        for part in message.parts:
            if part.text:
                target.append({"type": "text", "text": part.text})
            # An empty cached part still ends a cacheable prefix: mark the block before it.
            if part.cache and target and (not marked or marked[-1] is not target[-1]):
                marked.append(target[-1])
    for block in marked[-MAX_BREAKPOINTS:]:
        block["cache_control"] = {"type": "ephemeral"}
    return system, turns


@dataclass
class _StreamedAnswer:
    """What the events of one answer stream add up to: its blocks, usage and stop."""

    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    finished: bool = False

    def take(self, event: Any, watch: StallWatch, on_token: TokenCallback | None) -> None:
        kind = event.type
        if kind == "message_start":
            _take_usage(self.counts, event.message.usage)
        elif kind == "content_block_start":
            block = event.content_block
            self.blocks[event.index] = {"type": block.type, "chunks": []}
            if block.type == "text" and block.text:
                self.blocks[event.index]["chunks"].append(block.text)
        elif kind == "content_block_delta":
            delta = event.delta
            piece = getattr(delta, "text", None) if delta.type == "text_delta" else None
            if delta.type == "input_json_delta":
                piece = delta.partial_json
            # text, JSON or thinking: progress (pings are not)
            watch.touch(len(piece or getattr(delta, "thinking", None) or "") or 1)
            if piece:
                self.blocks.setdefault(event.index, {"type": "text", "chunks": []})["chunks"].append(piece)
                if on_token is not None:
                    on_token(piece)  # partial JSON too: the user sees progress
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            _take_usage(self.counts, event.usage)
        elif kind == "message_stop":
            self.finished = True

    def usage(self) -> Usage:
        read = self.counts.get("cache_read_input_tokens", 0)
        written = self.counts.get("cache_creation_input_tokens", 0)
        return Usage(
            input_tokens=self.counts.get("input_tokens", 0) + read + written,
            output_tokens=self.counts.get("output_tokens", 0),
            cache_read_tokens=read,
            cache_write_tokens=written,
        )


class AnthropicBackend(BackendBase):
    def __init__(
        self,
        model: str,
        *,
        http_client: Any = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 600.0,
        context_window: int | None = None,
        max_output: int | None = None,
        reasoning: str | None = None,
        structured: str = "prompt",
        **_: Any,
    ) -> None:
        if not model:
            raise BackendError("name a Claude model, e.g. anthropic:claude-sonnet-4-6")
        if structured not in STRUCTURED_MODES:
            raise BackendError(f"structured must be one of {', '.join(STRUCTURED_MODES)}, not {structured!r}")
        self.structured = structured
        sdk = _import_sdk()
        self.model = model
        self.spec = f"anthropic:{model}"
        self._sdk = sdk
        self._http = sdk_http_module(sdk.DefaultHttpxClient)
        self._secret = api_key or require_key(KEY_VARIABLE)
        self.base_url = base_url or load_settings().get("ANTHROPIC_BASE_URL") or None
        # Pings keep a stalled stream under the read timeout: cut after this long without content.
        self.stall_seconds = float(timeout) if isinstance(timeout, (int, float)) else 600.0
        self.where = f"{self.spec} at {host_of(self.base_url, 'api.anthropic.com')}"  # errors name the host
        self._client = sdk.Anthropic(
            api_key=self._secret,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,  # llm.call retries, with backoff and the budget in view
            http_client=adapt_http_client(http_client, self._http),
        )
        known = known_limits(model) or (200_000, 32_000)
        self.context_window = context_window or known[0]
        self.max_output = max_output or known[1]
        self.reasoning = check_reasoning(reasoning)
        # The thinking budget comes out of max_tokens: the answer's cap is what is left.
        self.reasoning_reserve = THINKING_BUDGET[self.reasoning] if self.reasoning else 0
        # Sent only where known to be accepted; dropped for good after a 400 naming it.
        # Extended thinking accepts no temperature either.
        self.send_temperature = model.startswith(SAMPLING_MODELS) and not self.reasoning

    def params(self, request: Request) -> dict[str, Any]:
        """The ``messages.create`` arguments for a request (public for tests and logs)."""
        system, turns = build_messages(request.messages)
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens + self.reasoning_reserve,
            "messages": turns,
        }
        if self.reasoning:
            params["thinking"] = {"type": "enabled", "budget_tokens": self.reasoning_reserve}
        if self.send_temperature:
            # extra_body: recent SDK releases dropped the keyword, the older API still takes it.
            params["extra_body"] = {"temperature": request.temperature}
        if system:
            params["system"] = system
        if request.schema is not None and self.structured == "prompt":
            # Last, after every cached block: the shared prefix stays byte-identical.
            instruction = {"type": "text", "text": schema_instruction(tool_schema(request.schema)[0]).lstrip()}
            if turns and turns[-1]["role"] == "user":
                turns[-1]["content"].append(instruction)
            else:
                turns.append({"role": "user", "content": [instruction]})
        elif request.schema is not None:
            name = tool_name(request.schema_name)
            input_schema, _ = tool_schema(request.schema)
            params["tools"] = [
                {
                    "name": name,
                    "description": "Record the answer. Its input is the complete answer.",
                    "input_schema": input_schema,
                }
            ]
            # With thinking on, the API takes only tool_choice "auto"; the answer falls back
            # to JSON in the text when the model does not call the tool.
            params["tool_choice"] = {"type": "auto"} if self.reasoning else {"type": "tool", "name": name}
        return params

    def _stalled(self, watch: StallWatch) -> RetryableError:
        return RetryableError(f"{self.where}: {watch.reason}; cut off")

    def _error(self, exc: Exception) -> BackendError:
        if isinstance(exc, self._http.HTTPError):  # raised while reading the stream
            return RetryableError(f"{self.where}: the stream broke off ({type(exc).__name__})")
        return map_sdk_error(
            exc, sdk=self._sdk, spec=self.where, key_variable=KEY_VARIABLE, secret=self._secret
        )

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        # Cancel returns at once, also while waiting for the first byte.
        on_token = quiet_after_cancel(on_token, cancel)
        return run_interruptible(lambda: self._execute(request, on_token, cancel), cancel, self.spec)

    def _execute(self, request: Request, on_token: TokenCallback | None, cancel: CancelToken | None) -> Completion:
        if cancel is not None:
            cancel.raise_if_cancelled()
        started = time.perf_counter()
        try:
            stream = self._open(request)
        except (self._sdk.APIError, self._http.HTTPError) as exc:
            raise self._error(exc) from None
        answer = _StreamedAnswer()
        watch = StallWatch(self.stall_seconds, stream.close, request.max_tokens + self.reasoning_reserve)
        try:
            for event in stream:
                watch.check()
                if cancel is not None and cancel.cancelled:
                    raise CancelledError(f"{self.spec}: cancelled by the user")
                answer.take(event, watch, on_token)
        except CancelledError:
            raise
        except (self._sdk.APIError, self._http.HTTPError) as exc:
            if watch.fired:
                raise self._stalled(watch) from None
            raise self._error(exc) from None
        except Exception:  # a read on the stream the watchdog closed fails in its own way
            if watch.fired:
                raise self._stalled(watch) from None
            raise
        finally:
            watch.stop()
            stream.close()  # on cancel this drops the connection: no more tokens are read
        if watch.fired:
            raise self._stalled(watch)
        if not answer.finished:
            raise RetryableError(f"{self.where}: the stream ended before message_stop")
        text, parsed = self._answer(request, answer.blocks, self.structured)
        return Completion(
            text=text,
            parsed=parsed,
            usage=answer.usage(),
            finish_reason=_FINISH.get(answer.stop_reason or "", answer.stop_reason or "stop"),
            latency_s=round(time.perf_counter() - started, 4),
            model=self.spec,
        )

    def _open(self, request: Request) -> Any:
        try:
            return self._client.messages.create(**self.params(request), stream=True)
        except self._sdk.BadRequestError as exc:
            if not (self.send_temperature and "temperature" in str(exc)):
                raise
        self.send_temperature = False  # this model takes no sampling parameters
        return self._client.messages.create(**self.params(request), stream=True)

    @staticmethod
    def _answer(request: Request, blocks: dict[int, dict[str, Any]], structured: str = "tool") -> tuple[str, Any]:
        ordered = [blocks[i] for i in sorted(blocks)]
        text = "".join("".join(b["chunks"]) for b in ordered if b["type"] == "text")
        if request.schema is None:
            return text, None
        if structured == "prompt":
            return text, parse_answer(text, request.schema)
        raw = next(("".join(b["chunks"]) for b in ordered if b["type"] == "tool_use"), None)
        if raw is None:  # no tool call despite tool_choice: take JSON from the text
            return text, extract_json(text)
        try:
            value = json.loads(raw or "{}")
        except ValueError:  # cut off at max_tokens: keep the raw text for the caller
            return raw, None
        if tool_schema(request.schema)[1] and isinstance(value, dict):
            value = value.get(_WRAP_KEY)
        return json.dumps(value, ensure_ascii=False), value


def parse_answer(text: str, schema: dict[str, Any]) -> Any:
    """The schema answer in a text reply, or None when absent or not conforming.

    The text itself is kept as the completion's text: on None the runner's parser
    reports exactly what is wrong and asks once for a repair.
    """
    wire, wrapped = tool_schema(schema)
    try:
        value: Any = extract_object(text)
    except ExtractError:
        return None
    if not conforms(value, wire):
        return None
    return value.get(_WRAP_KEY) if wrapped else value


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _take_usage(counts: dict[str, int], usage: Any) -> None:
    """message_start has the input side; message_delta has cumulative totals (None = unsent)."""
    if usage is None:
        return
    for name in _USAGE_FIELDS:
        value = getattr(usage, name, None)
        if value is not None:
            counts[name] = int(value)
