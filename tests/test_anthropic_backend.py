"""AnthropicBackend driven through the real SDK over httpx.MockTransport.

The mock speaks the real wire format (Messages API SSE events, error bodies, headers);
no test touches the network (a guard fails any non-loopback connect).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from papercoder_nb.llm.anthropic import AnthropicBackend, build_messages
from papercoder_nb.llm.base import (
    BackendError,
    CancelledError,
    CancelToken,
    Message,
    Part,
    Request,
    RetryableError,
)
from papercoder_nb.llm.limits import limits_of

KEY = "sk-ant-test-SECRET-0123456789"
SCHEMA = {
    "type": "object",
    "properties": {"files": {"type": "array", "items": {"type": "string"}}, "approach": {"type": "string"}},
    "required": ["files", "approach"],
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


class SSE(httpx.SyncByteStream):
    """An SSE body that counts what was read and whether it was closed."""

    def __init__(self, events: list[tuple[str, dict]], fail_after: int | None = None) -> None:
        self.chunks = [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events]
        self.fail_after = fail_after
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if self.fail_after is not None and self.sent >= self.fail_after:
                raise httpx.ReadError("connection reset by peer")
            self.sent += 1
            yield chunk

    def close(self) -> None:
        self.closed = True


def message_start(input_tokens: int = 25, cache_write: int = 0, cache_read: int = 0) -> tuple[str, dict]:
    return (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_01",
                "type": "message",
                "role": "assistant",
                "model": "claude-3-7-sonnet-20250219",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "cache_creation_input_tokens": cache_write,
                    "cache_read_input_tokens": cache_read,
                    "output_tokens": 1,
                },
            },
        },
    )


def text_events(pieces: list[str], *, stop: bool = True, **usage: int) -> list[tuple[str, dict]]:
    events = [
        message_start(**usage),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
    ]
    for piece in pieces:
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 15}},
        ),
    ]
    if stop:
        events.append(("message_stop", {"type": "message_stop"}))
    return events


def tool_events(name: str, partial: list[str]) -> list[tuple[str, dict]]:
    events = [
        message_start(input_tokens=400),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_01", "name": name, "input": {}}},
        ),
    ]
    for piece in partial:
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": piece}})
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 42}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


class Server:
    """Records requests; answers each with the next queued responder."""

    def __init__(self, *responders: Callable[[httpx.Request], httpx.Response]) -> None:
        self.responders = list(responders)
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.anthropic.com"
        self.requests.append(request)
        self.bodies.append(json.loads(request.content))
        return self.responders.pop(0)(request)


def sse(stream: SSE) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)


def error(status: int, kind: str, message: str, headers: dict | None = None) -> Callable[[httpx.Request], httpx.Response]:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return lambda request: httpx.Response(status, json=body, headers=headers or {})


def sent_key(request: httpx.Request) -> str:
    """The key as sent: ``x-api-key`` (classic) or a bearer token (recent SDK releases)."""
    return request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")


MODEL = "claude-sonnet-4-6"


def backend(server: Server, model: str = MODEL, **options: object) -> AnthropicBackend:
    client = httpx.Client(transport=httpx.MockTransport(server))
    return AnthropicBackend(model, http_client=client, api_key=KEY, **options)


def simple_request(**kw: object) -> Request:
    return Request(messages=[Message.of("system", "You plan."), Message.of("user", "Plan it.")], **kw)


def test_streams_text_with_usage_and_cache_counts() -> None:
    stream = SSE(text_events(["Hel", "lo ", "world"], input_tokens=25, cache_write=1000, cache_read=2000))
    server = Server(sse(stream))
    tokens: list[str] = []
    done = backend(server).execute(simple_request(max_tokens=300, temperature=0.1), on_token=tokens.append)
    assert done.text == "Hello world"
    assert tokens == ["Hel", "lo ", "world"]
    assert done.finish_reason == "stop"
    assert done.parsed is None
    assert done.usage.input_tokens == 25 + 1000 + 2000
    assert done.usage.cache_read_tokens == 2000
    assert done.usage.cache_write_tokens == 1000
    assert done.usage.output_tokens == 15
    assert done.model == f"anthropic:{MODEL}"
    body = server.bodies[0]
    assert body["stream"] is True
    assert body["max_tokens"] == 300 and body["temperature"] == 0.1
    assert body["system"] == [{"type": "text", "text": "You plan."}]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Plan it."}]}]
    assert sent_key(server.requests[0]) == KEY
    assert stream.closed


def test_cache_breakpoints_after_marked_parts() -> None:
    server = Server(sse(SSE(text_events(["ok"]))))
    request = Request(
        messages=[
            Message(role="system", parts=[Part(text="system text", cache=True)]),
            Message(
                role="user",
                parts=[
                    Part(text="PAPER", cache=True),
                    Part(text="PLANNING", cache=True),
                    Part(text="write analysis for model.py"),
                ],
            ),
        ]
    )
    backend(server).execute(request)
    body = server.bodies[0]
    assert body["system"] == [{"type": "text", "text": "system text", "cache_control": {"type": "ephemeral"}}]
    content = body["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "PAPER", "cache_control": {"type": "ephemeral"}}
    assert content[1] == {"type": "text", "text": "PLANNING", "cache_control": {"type": "ephemeral"}}
    assert content[2] == {"type": "text", "text": "write analysis for model.py"}


def test_at_most_four_breakpoints_and_the_last_ones_win() -> None:
    parts = [Part(text=f"block{i}", cache=True) for i in range(6)] + [Part(text="tail")]
    system, turns = build_messages([Message(role="user", parts=parts)])
    marked = [b["text"] for b in turns[0]["content"] if "cache_control" in b]
    assert marked == ["block2", "block3", "block4", "block5"]
    assert system == []


def test_consecutive_same_role_messages_merge_and_empty_cached_part_marks_previous() -> None:
    system, turns = build_messages(
        [
            Message(role="user", parts=[Part(text="paper")]),
            Message(role="user", parts=[Part(text="plan"), Part(text="", cache=True)]),
        ]
    )
    assert len(turns) == 1
    assert turns[0]["content"][-1] == {"type": "text", "text": "plan", "cache_control": {"type": "ephemeral"}}
    assert all(block["text"] for block in turns[0]["content"])  # the API rejects empty blocks


def test_structured_output_through_forced_tool() -> None:
    answer = {"files": ["model.py", "train.py"], "approach": "PyTorch"}
    raw = json.dumps(answer)
    server = Server(sse(SSE(tool_events("architecture", [raw[:10], raw[10:30], raw[30:]]))))
    tokens: list[str] = []
    done = backend(server, structured="tool").execute(
        simple_request(schema=SCHEMA, schema_name="architecture"), on_token=tokens.append
    )
    assert done.parsed == answer
    assert json.loads(done.text) == answer
    assert done.finish_reason == "tool_use"
    assert "".join(tokens) == raw
    body = server.bodies[0]
    assert body["tools"][0]["name"] == "architecture"
    assert body["tools"][0]["input_schema"] == SCHEMA
    assert body["tool_choice"] == {"type": "tool", "name": "architecture"}


def test_non_object_schema_is_wrapped_and_unwrapped() -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    server = Server(sse(SSE(tool_events("files", ['{"value": ["a.py", ', '"b.py"]}']))))
    done = backend(server, structured="tool").execute(simple_request(schema=schema, schema_name="file list!"))
    assert done.parsed == ["a.py", "b.py"]
    tool = server.bodies[0]["tools"][0]
    assert tool["name"] == "file_list_"  # sanitised to the API's name pattern
    assert tool["input_schema"]["properties"]["value"] == schema


def cached_request(**kw: object) -> Request:
    return Request(
        messages=[
            Message.of("system", "You plan."),
            Message(role="user", parts=[Part(text="PAPER", cache=True), Part(text="PLAN", cache=True), Part(text="task")]),
        ],
        **kw,
    )


def test_prompt_mode_is_the_default_and_sends_no_tools() -> None:
    answer = {"files": ["model.py"], "approach": "NumPy"}
    raw = json.dumps(answer)
    server = Server(sse(SSE(text_events([raw[:12], raw[12:]]))), sse(SSE(text_events(["plain"]))))
    b = backend(server)
    tokens: list[str] = []
    done = b.execute(cached_request(schema=SCHEMA, schema_name="architecture"), on_token=tokens.append)
    b.execute(cached_request())  # the same prompt without a schema
    assert done.parsed == answer and done.text == raw and "".join(tokens) == raw
    assert done.finish_reason == "stop"
    with_schema, without = server.bodies
    assert "tools" not in with_schema and "tool_choice" not in with_schema
    content = with_schema["messages"][-1]["content"]
    # Everything up to the instruction is byte-identical to a schema-less call: one
    # cached prefix serves both.
    assert with_schema["system"] == without["system"]
    assert content[:-1] == without["messages"][-1]["content"]
    assert [b.get("cache_control") for b in content] == [{"type": "ephemeral"}, {"type": "ephemeral"}, None, None]
    instruction = content[-1]["text"]
    assert instruction.startswith("Answer with a single JSON object")
    assert json.loads(instruction.split("\n", 1)[1]) == SCHEMA


def test_prompt_mode_reads_fenced_json_after_prose() -> None:
    text = 'Here is the design:\n```json\n{"files": ["a.py"], "approach": "x",}\n```\n'
    server = Server(sse(SSE(text_events([text]))))
    done = backend(server).execute(simple_request(schema=SCHEMA))
    assert done.parsed == {"files": ["a.py"], "approach": "x"}
    assert done.text == text  # the model's own words are kept for the record


@pytest.mark.parametrize(
    "text",
    [
        '{"files": ["a.py"]}',  # "approach" is required
        '{"files": "a.py", "approach": "x"}',  # wrong type
        "I cannot design this.",  # no JSON at all
    ],
)
def test_prompt_mode_answer_that_does_not_conform_is_not_parsed(text: str) -> None:
    server = Server(sse(SSE(text_events([text]))))
    done = backend(server).execute(simple_request(schema=SCHEMA))
    assert done.parsed is None
    assert done.text == text  # the runner quotes it in its one repair request


def test_prompt_mode_without_jsonschema_checks_required_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "jsonschema", None)  # import jsonschema now fails
    server = Server(sse(SSE(text_events(['{"files": ["a.py"]}']))), sse(SSE(text_events(['{"files": 1, "approach": "x"}']))))
    b = backend(server)
    assert b.execute(simple_request(schema=SCHEMA)).parsed is None
    assert b.execute(simple_request(schema=SCHEMA)).parsed == {"files": 1, "approach": "x"}  # shallow check only


def test_prompt_mode_non_object_schema_is_wrapped() -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    server = Server(sse(SSE(text_events(['{"value": ["a.py", "b.py"]}']))))
    done = backend(server).execute(simple_request(schema=schema))
    assert done.parsed == ["a.py", "b.py"]
    instruction = server.bodies[0]["messages"][-1]["content"][-1]["text"]
    assert json.loads(instruction.split("\n", 1)[1])["properties"]["value"] == schema


def test_prompt_mode_instruction_ends_a_repair_conversation() -> None:
    request = cached_request(schema=SCHEMA)
    request.messages += [Message.of("assistant", "{bad"), Message.of("user", "Fix it.")]
    server = Server(sse(SSE(text_events(['{"files": [], "approach": "y"}']))))
    done = backend(server).execute(request)
    assert done.parsed == {"files": [], "approach": "y"}
    turns = server.bodies[0]["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert [b["text"] for b in turns[-1]["content"]][0] == "Fix it."
    assert turns[-1]["content"][-1]["text"].startswith("Answer with a single JSON object")
    assert "Answer with" not in json.dumps(turns[0])


def test_unknown_structured_mode_is_refused() -> None:
    with pytest.raises(BackendError, match="structured must be one of prompt, tool"):
        backend(Server(), structured="grammar")


def test_temperature_not_sent_to_models_that_reject_it() -> None:
    server = Server(sse(SSE(text_events(["ok"]))))
    backend(server, model="claude-opus-4-7").execute(simple_request())
    assert "temperature" not in server.bodies[0]


def test_temperature_rejection_is_remembered_and_retried_without() -> None:
    server = Server(
        error(400, "invalid_request_error", "`temperature` is deprecated for this model."),
        sse(SSE(text_events(["first"]))),
        sse(SSE(text_events(["second"]))),
    )
    b = backend(server)
    assert b.execute(simple_request()).text == "first"
    assert b.execute(simple_request()).text == "second"
    assert "temperature" in server.bodies[0]
    assert "temperature" not in server.bodies[1] and "temperature" not in server.bodies[2]


def test_rate_limit_is_retryable_with_retry_after() -> None:
    server = Server(error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit", {"retry-after": "7"}))
    with pytest.raises(RetryableError) as info:
        backend(server).execute(simple_request())
    assert info.value.retry_after == 7.0
    assert "429" in str(info.value)
    assert len(server.requests) == 1  # the SDK itself must not retry: llm.call does


def test_retry_after_ms_header_wins() -> None:
    server = Server(error(429, "rate_limit_error", "slow down", {"retry-after-ms": "1500", "retry-after": "2"}))
    with pytest.raises(RetryableError) as info:
        backend(server).execute(simple_request())
    assert info.value.retry_after == 1.5


@pytest.mark.parametrize(
    ("status", "kind", "word"),
    [(500, "api_error", "server error"), (529, "overloaded_error", "overloaded"), (503, "api_error", "503")],
)
def test_server_errors_are_retryable(status: int, kind: str, word: str) -> None:
    server = Server(error(status, kind, "Internal server trouble"))
    with pytest.raises(RetryableError) as info:
        backend(server).execute(simple_request())
    assert word in str(info.value)
    assert info.value.retry_after is None
    assert len(server.requests) == 1


def test_timeout_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(RetryableError, match="timed out"):
        backend(Server(handler)).execute(simple_request())


def test_connection_error_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(RetryableError, match="connection failed"):
        backend(Server(handler)).execute(simple_request())


def test_stream_without_message_stop_is_retryable() -> None:
    server = Server(sse(SSE(text_events(["partial an"], stop=False))))
    tokens: list[str] = []
    with pytest.raises(RetryableError, match="message_stop"):
        backend(server).execute(simple_request(), on_token=tokens.append)
    assert tokens == ["partial an"]


def test_connection_dropped_mid_stream_is_retryable() -> None:
    stream = SSE(text_events(["a", "b", "c", "d"]), fail_after=4)
    # Behaviour, not one SDK release's wording: retryable, naming the host and the cause
    # (older SDKs let the httpx error through, newer ones wrap it as a connection error).
    with pytest.raises(RetryableError) as info:
        backend(Server(sse(stream))).execute(simple_request())
    assert "api.anthropic.com" in str(info.value) and re.search(r"\(\w+Error\)", str(info.value)), info.value


def test_overloaded_error_event_inside_the_stream_is_retryable() -> None:
    events = text_events(["x"], stop=False)[:4] + [
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    ]
    with pytest.raises(RetryableError, match="Overloaded"):
        backend(Server(sse(SSE(events)))).execute(simple_request())


def test_bad_request_is_final_and_one_line() -> None:
    server = Server(error(400, "invalid_request_error", "prompt is too long:\n 210000 tokens > 200000 maximum"))
    with pytest.raises(BackendError) as info:
        backend(server).execute(simple_request())
    assert not isinstance(info.value, RetryableError)
    assert "\n" not in str(info.value)
    assert "prompt is too long" in str(info.value)


def test_not_found_names_the_model_problem() -> None:
    server = Server(error(404, "not_found_error", "model: claude-9"))
    with pytest.raises(BackendError, match="not found") as info:
        backend(server).execute(simple_request())
    assert not isinstance(info.value, RetryableError)


def test_unauthorized_names_the_variable_and_never_the_key() -> None:
    server = Server(error(401, "authentication_error", f"invalid x-api-key {KEY}"))
    with pytest.raises(BackendError) as info:
        backend(server).execute(simple_request())
    message = str(info.value)
    assert "ANTHROPIC_API_KEY" in message and "401" in message
    assert KEY not in message and KEY not in repr(info.value)
    assert not isinstance(info.value, RetryableError)
    assert info.value.__cause__ is None  # no SDK object (with request headers) chained on


def test_key_echoed_in_other_errors_is_redacted() -> None:
    server = Server(error(400, "invalid_request_error", f"bad header value {KEY}"))
    with pytest.raises(BackendError) as info:
        backend(server).execute(simple_request())
    assert KEY not in str(info.value)
    assert "***" in str(info.value)


def test_key_not_in_completion() -> None:
    server = Server(sse(SSE(text_events(["fine"]))))
    done = backend(server).execute(simple_request())
    assert KEY not in done.model_dump_json()


def test_cancel_from_on_token_stops_reading_the_stream() -> None:
    stream = SSE(text_events([f"tok{i} " for i in range(500)]))
    cancel = CancelToken()
    seen: list[str] = []

    def on_token(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 2:
            cancel.cancel()

    with pytest.raises(CancelledError):
        backend(Server(sse(stream))).execute(simple_request(), on_token=on_token, cancel=cancel)
    assert seen == ["tok0 ", "tok1 "]
    assert stream.closed
    assert stream.sent < 20 < len(stream.chunks)  # the rest was never read


def test_cancelled_before_start_sends_nothing() -> None:
    server = Server()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        backend(server).execute(simple_request(), cancel=cancel)
    assert server.requests == []


def test_missing_key_is_one_line_naming_the_variable(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("PAPERCODER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BackendError) as info:
        AnthropicBackend("claude-sonnet-4-5")
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert "\n" not in str(info.value)


def test_key_and_base_url_from_dotenv(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.setenv("PAPERCODER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"ANTHROPIC_API_KEY={KEY}\nANTHROPIC_BASE_URL=http://127.0.0.1:9/\n")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=SSE(text_events(["hi"])))

    b = AnthropicBackend("claude-haiku-4-5", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert b.execute(simple_request()).text == "hi"
    assert seen[0].url.host == "127.0.0.1"
    assert sent_key(seen[0]) == KEY


def test_context_window_and_protocol() -> None:
    from papercoder_nb.llm.base import Backend

    b = backend(Server())
    assert b.context_window == 200_000
    assert b.concurrent is True
    assert isinstance(b, Backend)
    assert backend(Server(), context_window=50_000).context_window == 50_000


def test_registry_builds_it() -> None:
    from papercoder_nb.llm.registry import get_backend

    b = get_backend("anthropic:claude-sonnet-4-5", api_key=KEY)
    assert isinstance(b, AnthropicBackend) and b.spec == "anthropic:claude-sonnet-4-5"


def test_sdk_native_client_is_accepted_too() -> None:
    """An http client of the SDK's own HTTP package passes straight through."""
    import anthropic

    from papercoder_nb.llm._sdk import sdk_http_module

    native = sdk_http_module(anthropic.DefaultHttpxClient)

    def handler(request: object) -> object:
        body = b"".join(SSE(text_events(["native"])).chunks)
        return native.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = native.Client(transport=native.MockTransport(handler))
    b = AnthropicBackend("claude-haiku-4-5", http_client=client, api_key=KEY)
    assert b.execute(simple_request()).text == "native"


def thinking_events(thought: str, pieces: list[str]) -> list[tuple[str, dict]]:
    """A reply with an extended-thinking block (index 0) before the text (index 1)."""
    text = text_events(pieces)
    for _name, data in text:
        if "index" in data:
            data["index"] = 1
    thinking = [
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "thinking_delta", "thinking": thought}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
    return [text[0], *thinking, *text[1:]]


def test_reasoning_sets_a_thinking_budget_on_top_of_the_answer() -> None:
    server = Server(sse(SSE(thinking_events("Let me think about eq. 2 first.", ["The ", "answer"]))))
    b = backend(server, reasoning="high")
    completion = b.execute(simple_request(max_tokens=20_000))
    assert completion.text == "The answer"  # the thinking is not part of the answer
    body = server.bodies[0]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 32_768}
    assert body["max_tokens"] == 20_000 + 32_768  # the answer keeps all it was given
    assert "temperature" not in body  # extended thinking takes the default only
    limits = limits_of(b)
    assert limits.max_output == 64_000 - 32_768 and not limits.small  # Sonnet 4.6: 64k output
    with pytest.raises(BackendError, match="reasoning must be one of low, medium, high"):
        backend(Server(), reasoning="extreme")


def test_known_claude_limits() -> None:
    assert (backend(Server()).context_window, backend(Server()).max_output) == (200_000, 64_000)
    assert backend(Server(), model="claude-3-5-haiku-20241022").max_output == 8_192
    assert backend(Server(), model="claude-sonnet-4-6", max_output=10_000).max_output == 10_000  # --max-output
    no_thinking = backend(Server())
    assert "thinking" not in no_thinking.params(simple_request())


class PingsOnly(SSE):
    """message_start, then only pings (a stalled stream the read timeout never trips)."""

    def __init__(self, seconds: float) -> None:
        super().__init__([message_start(input_tokens=10)])
        self.seconds = seconds

    def __iter__(self) -> Iterator[bytes]:
        yield from super().__iter__()
        import time

        end = time.monotonic() + self.seconds
        while time.monotonic() < end and not self.closed:
            time.sleep(0.1)
            yield b'event: ping\ndata: {"type": "ping"}\n\n'


def test_a_stream_of_only_pings_is_cut_as_stalled() -> None:
    stream = PingsOnly(seconds=20.0)
    b = backend(Server(sse(stream)), timeout=1.0)
    with pytest.raises(RetryableError, match=r"no new content for 1s \(the stream stalled\)"):
        b.execute(simple_request())
    assert stream.closed


def test_cancel_while_waiting_for_the_first_byte_returns_without_it() -> None:
    stream = SSE(text_events([f"tok{i} " for i in range(50)]))
    entered, release = threading.Event(), threading.Event()

    def respond(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(30)  # the server is still reading a long prompt
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    cancel, seen = CancelToken(), []
    threading.Thread(target=lambda: entered.wait(30) and cancel.cancel(), daemon=True).start()
    with pytest.raises(CancelledError):
        backend(Server(respond)).execute(simple_request(), on_token=seen.append, cancel=cancel)
    assert not release.is_set() and stream.sent == 0  # returned before the server answered
    release.set()  # a late answer is closed at its first event, and nothing is passed on
    for _ in range(600):
        if stream.closed:
            break
        threading.Event().wait(0.05)
    assert stream.closed and stream.sent <= 1 and seen == []
