"""OpenAIBackend driven through the real SDK over httpx.MockTransport.

The mock speaks the real Chat Completions wire format (chat.completion.chunk SSE with a
final usage chunk and ``[DONE]``, error bodies, headers); no test touches the network.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from papercoder_nb.llm.base import (
    BackendError,
    CancelledError,
    CancelToken,
    Message,
    Request,
    RetryableError,
)
from papercoder_nb.llm.limits import limits_of
from papercoder_nb.llm.openai import NO_KEY, OpenAIBackend, is_reasoning_model

KEY = "sk-proj-test-SECRET-9876543210"
SCHEMA = {
    "type": "object",
    "properties": {"files": {"type": "array", "items": {"type": "string"}, "maxItems": 20}},
    "required": ["files"],
}


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No network, and no real settings: env, ./.env and user config are all empty."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERCODER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


class SSE(httpx.SyncByteStream):
    """Chat-completion chunks as SSE; counts what was read and whether it was closed."""

    def __init__(self, chunks: list[dict], *, done: bool = True, fail_after: int | None = None) -> None:
        self.lines = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks]
        if done:
            self.lines.append(b"data: [DONE]\n\n")
        self.fail_after = fail_after
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for line in self.lines:
            if self.fail_after is not None and self.sent >= self.fail_after:
                raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
            self.sent += 1
            yield line

    def close(self) -> None:
        self.closed = True


def chunk(delta: dict, finish: str | None = None, model: str = "gpt-4.1-mini") -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1730000000,
        "model": model,
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }


def usage_chunk(prompt: int, completion: int, cached: int | None = 0) -> dict:
    details = None if cached is None else {"cached_tokens": cached, "audio_tokens": 0}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1730000000,
        "model": "gpt-4.1-mini",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": details,
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def answer(pieces: list[str], *, finish: str | None = "stop", usage: dict | None = None, **kw: object) -> SSE:
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": p}) for p in pieces]
    if finish:
        chunks.append(chunk({}, finish))
    if usage is not None:
        chunks.append(usage)
    return SSE(chunks, **kw)


class Server:
    def __init__(self, *responders: Callable[[httpx.Request], httpx.Response], host: str = "api.openai.com") -> None:
        self.responders = list(responders)
        self.host = host
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == self.host
        self.requests.append(request)
        self.bodies.append(json.loads(request.content) if request.content else {})
        return self.responders.pop(0)(request)


def sse(stream: SSE) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)


def error(status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
          headers: dict | None = None) -> Callable[[httpx.Request], httpx.Response]:
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return lambda request: httpx.Response(status, json=body, headers=headers or {})


def backend(server: Server, model: str = "gpt-4.1-mini", **options: object) -> OpenAIBackend:
    client = httpx.Client(transport=httpx.MockTransport(server))
    options.setdefault("api_key", KEY)
    return OpenAIBackend(model, http_client=client, **options)


def request(**kw: object) -> Request:
    return Request(messages=[Message.of("system", "You plan."), Message.of("user", "Plan ", "it.")], **kw)


def test_streams_text_with_usage_and_cached_tokens() -> None:
    stream = answer(["Hel", "lo ", "world"], usage=usage_chunk(1200, 30, cached=1024))
    server = Server(sse(stream))
    tokens: list[str] = []
    done = backend(server).execute(request(max_tokens=300, temperature=0.1), on_token=tokens.append)
    assert done.text == "Hello world"
    assert tokens == ["Hel", "lo ", "world"]
    assert done.finish_reason == "stop"
    assert done.usage.input_tokens == 1200
    assert done.usage.cache_read_tokens == 1024
    assert done.usage.cache_write_tokens == 0
    assert done.usage.output_tokens == 30
    assert done.model == "openai:gpt-4.1-mini"
    body = server.bodies[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 300 and body["temperature"] == 0.1
    assert body["messages"] == [
        {"role": "system", "content": "You plan."},
        {"role": "user", "content": "Plan it."},
    ]
    assert "response_format" not in body
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert stream.closed


def test_length_finish_reason_is_reported() -> None:
    server = Server(sse(answer(["trunc"], finish="length", usage=usage_chunk(10, 5))))
    assert backend(server).execute(request()).finish_reason == "length"


def test_json_schema_structured_output() -> None:
    raw = json.dumps({"files": ["model.py", "train.py"]})
    server = Server(sse(answer([raw[:9], raw[9:]], usage=usage_chunk(500, 20))))
    done = backend(server).execute(request(schema=SCHEMA, schema_name="architecture"))
    assert done.parsed == {"files": ["model.py", "train.py"]}
    assert done.text == raw
    assert server.bodies[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "architecture", "schema": SCHEMA, "strict": False},
    }


def test_rejected_json_schema_falls_back_to_json_object_and_is_remembered() -> None:
    server = Server(
        error(400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
              param="response_format"),
        sse(answer(['```json\n{"files": ["a.py"]}\n```'], usage=usage_chunk(100, 9))),
        sse(answer(['{"files": ["b.py"]}'], usage=usage_chunk(100, 9))),
    )
    b = backend(server)
    first = b.execute(request(schema=SCHEMA))
    second = b.execute(request(schema=SCHEMA))
    assert first.parsed == {"files": ["a.py"]}
    assert second.parsed == {"files": ["b.py"]}
    assert b.schema_mode == "json_object"
    assert server.bodies[0]["response_format"]["type"] == "json_schema"
    assert server.bodies[1]["response_format"]["type"] == "json_object"
    assert server.bodies[2]["response_format"]["type"] == "json_object"  # no second refusal
    # The schema travels in the prompt, appended after everything cacheable.
    last = server.bodies[1]["messages"][-1]["content"]
    assert last.startswith("Plan it.") and '"files"' in last and "JSON" in last


def test_server_without_json_modes_gets_prompt_instruction_and_validation() -> None:
    # llama-cpp-python answers unknown response_format types with a FastAPI 422.
    detail = {"detail": [{"type": "literal_error", "loc": ["body", "response_format", "type"],
                          "msg": "Input should be 'text' or 'json_object'"}]}
    server = Server(
        lambda r: httpx.Response(422, json=detail),
        error(400, "response_format json_object is not supported"),
        sse(answer(['Sure! {"files": "not a list"}'], usage=usage_chunk(100, 9))),
        sse(answer(['Here it is: {"files": ["x.py"]} done'], usage=usage_chunk(100, 9))),
        host="127.0.0.1",
    )
    b = backend(server, model="qwen2.5-coder", base_url="http://127.0.0.1:8080/v1", api_key=None)
    bad = b.execute(request(schema=SCHEMA))
    good = b.execute(request(schema=SCHEMA))
    assert b.schema_mode == "prompt"
    assert "response_format" not in server.bodies[2]
    assert bad.parsed is None  # parsed but fails the schema: not passed on as valid
    assert bad.text == 'Sure! {"files": "not a list"}'
    assert good.parsed == {"files": ["x.py"]}


def test_llama_cpp_server_500_validation_error_downgrades_to_grammar_json_object() -> None:
    # What llama-cpp-python 0.3's server really sends for a json_schema response_format.
    message = ("1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
               "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}")
    server = Server(
        error(500, message, kind="internal_server_error"),
        sse(answer(['{"files": ["x.py"]}'])),
        host="127.0.0.1",
    )
    b = backend(server, model="smollm2", base_url="http://127.0.0.1:8080/v1", api_key=None)
    done = b.execute(request(schema=SCHEMA))
    assert done.parsed == {"files": ["x.py"]}
    assert b.schema_mode == "json_object"
    # The schema goes along (llama.cpp's server compiles it to a grammar), bounded for a
    # small window: lists to 6 items, every string to 240 characters.
    sent = server.bodies[1]["response_format"]
    assert sent["type"] == "json_object"
    assert sent["schema"]["properties"]["files"] == {
        "type": "array", "items": {"type": "string", "maxLength": 240}, "maxItems": 6
    }


def test_grammar_schema_bounds_strings_below_llama_cpp_repetition_limit() -> None:
    from papercoder_nb.llm.openai import grammar_schema
    from papercoder_nb.session.artifacts import Logic, schema_for

    schema = schema_for(Logic)
    big = grammar_schema(schema, small=False)
    lengths = re.findall(r'"maxLength": (\d+)', json.dumps(big))
    assert lengths and max(map(int, lengths)) == 1000  # 4000-char fields would break the grammar
    assert json.dumps(big).count('"maxItems"') == json.dumps(schema).count('"maxItems"')
    assert big["properties"]["files"]["maxItems"] == schema["properties"]["files"]["maxItems"]
    assert schema != big and "1000" not in json.dumps(schema)  # the original is untouched


def test_plain_500_is_still_a_retryable_server_error() -> None:
    server = Server(error(500, "CUDA out of memory while decoding", kind="internal_server_error"))
    b = backend(server)
    with pytest.raises(RetryableError, match="server error"):
        b.execute(request(schema=SCHEMA))
    assert b.schema_mode == "json_schema"


class Interrupting:
    """Like llama-cpp-python's server: a new request ends the stream in progress."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: list[threading.Event] = []  # one "cut" flag per open stream
        self.overlaps = 0
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        cut = threading.Event()
        with self.lock:
            self.requests += 1
            live = [e for e in self.active if not e.is_set()]
            self.overlaps += bool(live)
            for other in live:
                other.set()
            self.active.append(cut)
        server = self

        class Stream(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                yield f"data: {json.dumps(chunk({'role': 'assistant', 'content': ''}))}\n\n".encode()
                for piece in ("one ", "two ", "three"):
                    if cut.wait(0.15):
                        return  # closed without a finish reason: the answer was cut
                    yield f"data: {json.dumps(chunk({'content': piece}))}\n\n".encode()
                yield f"data: {json.dumps(chunk({}, 'stop'))}\n\ndata: [DONE]\n\n".encode()

            def close(self) -> None:
                with server.lock:
                    cut.set()

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Stream())


def test_server_that_interrupts_parallel_streams_gets_one_request_at_a_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from papercoder_nb.llm.call import call_model

    server = Interrupting()
    client = httpx.Client(transport=httpx.MockTransport(server))
    b = OpenAIBackend("smollm2", http_client=client, base_url="http://127.0.0.1:8000/v1")
    with ThreadPoolExecutor(4) as pool:
        first = list(pool.map(lambda _: call_model(b, request(), base_delay=0.01).text, range(4)))
    assert first == ["one two three"] * 4  # the cut calls were retried and finished
    assert b.serial
    overlaps = server.overlaps
    with ThreadPoolExecutor(4) as pool:
        again = list(pool.map(lambda _: b.execute(request()).text, range(4)))
    assert again == ["one two three"] * 4
    assert server.overlaps == overlaps  # no request overlapped another any more


def test_official_api_streams_are_never_serialised() -> None:
    server = Server(lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"},
                                             stream=answer(["cut"], finish=None)))
    b = backend(server)
    with pytest.raises(RetryableError, match="ended before the answer finished"):
        b.execute(request())
    assert not b.serial


def test_plain_requests_do_not_downgrade_on_unrelated_400() -> None:
    server = Server(error(400, "This model's maximum context length is 8192 tokens."))
    b = backend(server)
    with pytest.raises(BackendError, match="maximum context length") as info:
        b.execute(request())
    assert not isinstance(info.value, RetryableError)
    assert b.schema_mode == "json_schema" and b.stream_usage


def test_server_rejecting_stream_options_is_retried_without() -> None:
    server = Server(
        error(400, "Unrecognized request argument supplied: stream_options"),
        sse(answer(["ok"])),  # and it sends no usage: estimated instead
        host="127.0.0.1",
    )
    b = backend(server, model="local-model", base_url="http://127.0.0.1:8080/v1")
    done = b.execute(request())
    assert done.text == "ok"
    assert "stream_options" not in server.bodies[1]
    assert b.stream_usage is False
    assert done.usage.input_tokens > 0 and done.usage.output_tokens > 0


def test_reasoning_model_parameters() -> None:
    server = Server(sse(answer(["done"], usage=usage_chunk(50, 400))))
    backend(server, model="o3-mini", reasoning_effort="low").execute(request(max_tokens=1000))
    body = server.bodies[0]
    assert body["reasoning_effort"] == "low"
    assert body["max_completion_tokens"] == 1000 + 4096  # headroom for hidden reasoning
    assert "max_tokens" not in body and "temperature" not in body
    assert is_reasoning_model("gpt-5-mini") and is_reasoning_model("o4-mini")
    assert not is_reasoning_model("gpt-4o") and not is_reasoning_model("olmo-7b")


def test_rate_limit_is_retryable_with_retry_after() -> None:
    server = Server(error(429, "Rate limit reached for gpt-4.1-mini", kind="requests", headers={"retry-after": "3"}))
    with pytest.raises(RetryableError) as info:
        backend(server).execute(request())
    assert info.value.retry_after == 3.0
    assert len(server.requests) == 1  # the SDK must not retry on its own


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(status: int) -> None:
    server = Server(error(status, "The server had an error while processing your request.", kind="server_error"))
    with pytest.raises(RetryableError, match=str(status)):
        backend(server).execute(request())
    assert len(server.requests) == 1


def test_timeout_is_retryable() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=req)

    with pytest.raises(RetryableError, match="timed out"):
        backend(Server(handler)).execute(request())


def test_stream_cut_before_finish_is_retryable() -> None:
    stream = answer(["half an ans"], finish=None, done=False)
    tokens: list[str] = []
    with pytest.raises(RetryableError, match="ended before"):
        backend(Server(sse(stream))).execute(request(), on_token=tokens.append)
    assert tokens == ["half an ans"]


def test_connection_dropped_mid_stream_is_retryable() -> None:
    stream = answer(["a", "b", "c"], usage=usage_chunk(5, 3), fail_after=2)
    # Behaviour, not one SDK release's wording: retryable, naming the host and the cause
    # (older SDKs let the httpx error through, newer ones wrap it as a connection error).
    with pytest.raises(RetryableError) as info:
        backend(Server(sse(stream))).execute(request())
    assert "api.openai.com" in str(info.value) and re.search(r"\(\w+Error\)", str(info.value)), info.value


def test_error_object_inside_the_stream_is_retryable() -> None:
    stream = SSE([chunk({"content": "x"}), {"error": {"message": "upstream overloaded", "type": "server_error"}}])
    with pytest.raises(RetryableError, match="upstream overloaded"):
        backend(Server(sse(stream))).execute(request())


def test_unauthorized_names_the_variable_and_never_the_key() -> None:
    server = Server(error(401, f"Incorrect API key provided: {KEY}. You can find your API key at ...",
                          param=None))
    with pytest.raises(BackendError) as info:
        backend(server).execute(request())
    text = str(info.value)
    assert "OPENAI_API_KEY" in text and "401" in text
    assert KEY not in text and KEY[:12] not in text
    assert not isinstance(info.value, RetryableError)
    assert info.value.__cause__ is None


def test_key_not_in_completion_or_other_errors() -> None:
    server = Server(sse(answer(["fine"], usage=usage_chunk(5, 1))), error(404, f"The model `x` does not exist ({KEY})"))
    b = backend(server)
    assert KEY not in b.execute(request()).model_dump_json()
    with pytest.raises(BackendError, match="not found") as info:
        b.execute(request())
    assert KEY not in str(info.value)


def test_cancel_from_on_token_stops_reading_the_stream() -> None:
    stream = answer([f"t{i} " for i in range(500)], usage=usage_chunk(5, 500))
    cancel = CancelToken()
    seen: list[str] = []

    def on_token(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            cancel.cancel()

    with pytest.raises(CancelledError):
        backend(Server(sse(stream))).execute(request(), on_token=on_token, cancel=cancel)
    assert seen == ["t0 ", "t1 ", "t2 "]
    assert stream.closed
    assert stream.sent < 20 < len(stream.lines)


def test_base_url_without_key_uses_a_dummy_key() -> None:
    server = Server(sse(answer(["local"])), host="127.0.0.1")
    b = OpenAIBackend(
        "smollm2",
        base_url="http://127.0.0.1:8000/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    assert b.execute(request()).text == "local"
    assert server.requests[0].headers["authorization"] == f"Bearer {NO_KEY}"
    assert server.requests[0].url.path == "/v1/chat/completions"


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    server = Server(sse(answer(["ollama"])), host="127.0.0.1")
    b = OpenAIBackend("llama3.2", http_client=httpx.Client(transport=httpx.MockTransport(server)))
    assert b.execute(request()).text == "ollama"
    assert server.requests[0].url.port == 11434


def test_official_api_without_key_is_one_line_naming_the_variable() -> None:
    with pytest.raises(BackendError) as info:
        OpenAIBackend("gpt-4.1-mini")
    assert "OPENAI_API_KEY" in str(info.value) and "\n" not in str(info.value)


def test_key_from_dotenv(tmp_path) -> None:
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={KEY}\n")
    server = Server(sse(answer(["hi"])))
    b = OpenAIBackend("gpt-4o-mini", http_client=httpx.Client(transport=httpx.MockTransport(server)))
    b.execute(request())
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_context_window_from_table_and_override() -> None:
    assert backend(Server()).context_window == 1_047_576
    assert backend(Server(), model="gpt-4o-2024-08-06").context_window == 128_000
    assert backend(Server(), model="o3-mini").context_window == 200_000
    assert backend(Server(), model="gpt-4.1", context_window=32_000).context_window == 32_000


def test_context_window_from_llama_cpp_models_endpoint() -> None:
    models = {
        "object": "list",
        "data": [{"id": "smollm2", "object": "model", "owned_by": "llamacpp",
                  "meta": {"n_vocab": 49152, "n_ctx_train": 8192 * 2, "n_embd": 576}}],
    }
    no_props = lambda r: httpx.Response(404, json={"error": "not found"})  # noqa: E731  (an older server)
    server = Server(no_props, lambda r: httpx.Response(200, json=models), host="127.0.0.1")
    b = backend(server, model="smollm2", base_url="http://127.0.0.1:8080/v1")
    assert b.context_window == 16384
    assert b.context_window == 16384
    assert b.max_output == 16384  # a server's limit is its window
    assert [r.url.path for r in server.requests] == ["/props", "/v1/models"]  # asked once


def test_limits_from_llama_cpp_props() -> None:
    """llama.cpp's /props has the window the server runs with (n_ctx), not the training one."""
    props = {"default_generation_settings": {"n_ctx": 12288, "params": {"n_predict": 4096}}, "total_slots": 1}
    server = Server(lambda r: httpx.Response(200, json=props), host="127.0.0.1")
    b = backend(server, model="qwen2.5-coder-7b", base_url="http://127.0.0.1:8080/v1")
    assert (b.context_window, b.max_output) == (12288, 4096)
    assert [r.url.path for r in server.requests] == ["/props"]
    limits = limits_of(b)
    assert limits.small and limits.answer_cap("code") == 1100  # small window: tight caps
    # told explicitly, nothing is asked
    quiet = Server(host="127.0.0.1")
    told = backend(quiet, model="qwen", base_url="http://127.0.0.1:8080/v1", context_window=65536, max_output=8192)
    assert (told.context_window, told.max_output, quiet.requests) == (65536, 8192, [])
    assert not limits_of(told).small and limits_of(told).answer_cap("code") == 8192


def test_known_model_limits_and_reasoning_headroom() -> None:
    assert (backend(Server()).context_window, backend(Server()).max_output) == (1_047_576, 32_768)
    o3 = backend(Server(), model="o3", reasoning="high")
    assert (o3.max_output, o3.reasoning_reserve) == (100_000, 32_768)
    assert limits_of(o3).max_output == 100_000 - 32_768  # the answer's cap leaves the thinking room
    assert backend(Server(), model="gpt-4o", max_output=4000).max_output == 4000  # --max-output


def test_context_window_from_vllm_max_model_len() -> None:
    models = {"object": "list", "data": [{"id": "other", "max_model_len": 4096},
                                         {"id": "Qwen/Qwen2.5-7B", "max_model_len": 32768}]}
    server = Server(lambda r: httpx.Response(404), lambda r: httpx.Response(200, json=models), host="127.0.0.1")
    assert backend(server, model="Qwen/Qwen2.5-7B", base_url="http://127.0.0.1:8000/v1").context_window == 32768


def test_context_window_default_when_server_says_nothing() -> None:
    fail = lambda r: httpx.Response(500, json={"error": "nope"})  # noqa: E731
    server = Server(fail, fail, host="127.0.0.1")
    assert backend(server, model="mystery", base_url="http://127.0.0.1:1234/v1").context_window == 8192


def test_registry_builds_it_with_options() -> None:
    from papercoder_nb.llm.base import Backend
    from papercoder_nb.llm.registry import get_backend

    b = get_backend("openai:gpt-5-mini", api_key=KEY, reasoning_effort="minimal")
    assert isinstance(b, OpenAIBackend) and isinstance(b, Backend)
    assert b.spec == "openai:gpt-5-mini" and b.concurrent is True
    assert b.reasoning_effort == "minimal"


def held(stream: SSE, entered: threading.Event, release: threading.Event) -> Callable[[httpx.Request], httpx.Response]:
    """A server that takes its time before the first byte (reading a long prompt)."""

    def respond(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(30)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    return respond


def test_cancel_while_waiting_for_the_first_byte_returns_without_it() -> None:
    stream = answer([f"t{i} " for i in range(50)], usage=usage_chunk(5, 50))
    entered, release = threading.Event(), threading.Event()
    cancel, seen = CancelToken(), []
    b = backend(Server(held(stream, entered, release)))
    threading.Thread(target=lambda: entered.wait(30) and cancel.cancel(), daemon=True).start()
    with pytest.raises(CancelledError):
        b.execute(request(), on_token=seen.append, cancel=cancel)
    assert not release.is_set() and stream.sent == 0  # returned before the server answered
    release.set()  # the server answers late: the stream is closed at its first chunk
    for _ in range(600):
        if stream.closed:
            break
        threading.Event().wait(0.05)
    assert stream.closed and stream.sent <= 1 and seen == []
