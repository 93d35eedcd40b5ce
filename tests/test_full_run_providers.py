"""A full ``papercoder run`` through the real Anthropic and OpenAI backends and SDKs.

Each provider is registered with an ``httpx.MockTransport`` server that speaks the real
streaming wire format and answers from the prompt alone (the request kind is not on
the wire: it is read from the "# Your task" section, which holds the text of
``prompts/<kind>.md``). The mock servers keep a provider-faithful prompt cache, so the
usage they report shows which prefixes the engine's prompts actually share; then
``papercoder status --json`` must show tokens, cache hits and cost per artifact.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FILES, TRANSFORMER_JSON, responder

from papercoder_nb.cli import main
from papercoder_nb.llm import registry
from papercoder_nb.llm.anthropic import AnthropicBackend
from papercoder_nb.llm.base import Request
from papercoder_nb.llm.openai import OpenAIBackend
from papercoder_nb.util.templates import load_prompt

ANTHROPIC_KEY = "sk-ant-test-FULLRUN-SECRET"
OPENAI_KEY = "sk-proj-test-FULLRUN-SECRET"
KINDS = ("plan", "architecture", "logic", "config", "analysis", "code")
TASK = "# Your task\n\n"
PLANNING = ("plan", "architecture", "logic", "config")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _opening(kind: str) -> re.Pattern[str]:
    """The first line of a prompt template, its ``{{placeholders}}`` as groups."""
    first = load_prompt(kind).strip().splitlines()[0]
    pieces = re.split(r"\{\{\s*\w+\s*\}\}", first)
    return re.compile("(.+?)".join(re.escape(p) for p in pieces))


OPENINGS = {kind: _opening(kind) for kind in KINDS}


def classify(prompt: str) -> Request:
    """The request's kind and artifact, read back from its task section."""
    task = prompt[prompt.rindex(TASK) + len(TASK):]
    for kind, pattern in OPENINGS.items():
        m = pattern.match(task)
        if m:
            artifact = f"{kind}:{m.group(1)}" if kind in ("analysis", "code") else kind
            return Request(messages=[], kind=kind, artifact=artifact)
    raise AssertionError(f"the mock cannot tell what this task asks: {task[:120]!r}")


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


class MockProvider:
    """Shared by both servers: answers, the repair hook, and a record of requests."""

    def __init__(self, broken_first: str | None = None) -> None:
        self.answer = responder(FILES)
        self.broken_first = broken_first  # answer this artifact wrongly once, to force a repair
        self.bodies: list[dict[str, Any]] = []
        self.kinds: list[str] = []
        self.lock = threading.Lock()

    def respond(self, prompt: str, last_user: str) -> str:
        req = classify(prompt)
        with self.lock:
            self.kinds.append(req.artifact)
            broken = req.artifact == self.broken_first
            if broken:
                self.broken_first = None
        if broken:  # valid JSON that misses a required field
            data = json.loads(self.answer(req))
            del data["file_list"]
            return json.dumps(data)
        if "could not be used" in last_user:  # the runner's repair request
            assert "file_list" in last_user, "the repair request quotes the validation error"
        return self.answer(req)


# -- Anthropic ------------------------------------------------------------------------


def anthropic_sse(text: str, *, fresh: int, read: int, write: int, output: int) -> bytes:
    pieces = [text[i : i + 40] for i in range(0, len(text), 40)] or [""]
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_full", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": fresh, "cache_creation_input_tokens": write,
                      "cache_read_input_tokens": read, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
    ]
    events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                        "delta": {"type": "text_delta", "text": p}}) for p in pieces]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": output}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return b"".join(f"event: {n}\ndata: {json.dumps(d)}\n\n".encode() for n, d in events)


class AnthropicServer(MockProvider):
    """Messages API with Anthropic's cache rules: prefixes end at ``cache_control``
    blocks, in the order tools → system → messages; a later request reads the longest
    prefix an earlier one wrote and writes up to its own last breakpoint."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.written: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.anthropic.com" and request.url.path == "/v1/messages"
        assert request.headers.get("x-api-key", request.headers.get("authorization", "")).endswith(ANTHROPIC_KEY)
        body = json.loads(request.content)
        assert body["stream"] is True
        blocks = [json.dumps(t, sort_keys=True) for t in body.get("tools", [])]
        marks = [False] * len(blocks)
        for b in body.get("system", []) + [b for m in body["messages"] for b in m["content"]]:
            blocks.append(b["text"])
            marks.append("cache_control" in b)
        user_turns = [m for m in body["messages"] if m["role"] == "user"]
        last_user = "".join(b["text"] for b in user_turns[-1]["content"])
        prompt = "".join(b["text"] for b in user_turns[0]["content"])
        text = self.respond(prompt, last_user)
        hashes, acc = [], hashlib.sha256()
        for block in blocks:
            acc.update(block.encode())
            hashes.append(acc.hexdigest())
        with self.lock:
            self.bodies.append(body)
            hit = max((i for i, h in enumerate(hashes) if h in self.written), default=-1)
            last = max((i for i, m in enumerate(marks) if m), default=-1)
            read = sum(tokens(b) for b in blocks[: hit + 1])
            write = sum(tokens(b) for b in blocks[hit + 1 : last + 1])
            self.written.update(h for h, m in zip(hashes, marks, strict=True) if m)
        fresh = sum(tokens(b) for b in blocks) - read - write
        payload = anthropic_sse(text, fresh=fresh, read=read, write=write, output=tokens(text))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=payload)


# -- OpenAI ---------------------------------------------------------------------------


def openai_sse(text: str, *, prompt: int, cached: int, output: int) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-full", "object": "chat.completion.chunk", "created": 1730000000,
                "model": "gpt-4.1-mini", "system_fingerprint": "fp_1",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": text[i : i + 40]}) for i in range(0, len(text), 40)]
    chunks.append(chunk({}, "stop"))
    chunks.append({"id": "chatcmpl-full", "object": "chat.completion.chunk", "created": 1730000000,
                   "model": "gpt-4.1-mini", "choices": [],
                   "usage": {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output,
                             "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                             "completion_tokens_details": {"reasoning_tokens": 0}}})
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


class OpenAIServer(MockProvider):
    """Chat Completions with automatic prefix caching: the longest prefix shared with an
    earlier request, from 1024 tokens in 128-token steps; a structured-output schema is
    a prefix of the system message, as OpenAI documents."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.openai.com" and request.url.path == "/v1/chat/completions"
        assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
        body = json.loads(request.content)
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        text = self.respond(users[0], users[-1])
        fmt = body.get("response_format")
        full = (json.dumps(fmt, sort_keys=True) if fmt else "") + "".join(m["content"] for m in body["messages"])
        with self.lock:
            self.bodies.append(body)
            shared = max((len(os.path.commonprefix([full, s])) for s in self.seen), default=0)
            self.seen.append(full)
        cached = tokens(full[:shared]) // 128 * 128 if shared // 4 >= 1024 else 0
        payload = openai_sse(text, prompt=tokens(full), cached=cached, output=tokens(text))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=payload)


# -- the runs ---------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def full_run(tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str) -> dict[str, Any]:
    s = tmp_path / "session"
    code, _, err = run_cli(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", model,
                           "--auto-approve", "--quiet")
    assert code == 0, err
    code, out, err = run_cli(capsys, "status", str(s), "--json")
    assert code == 0, err
    status = json.loads(out)
    status["root"] = s
    return status


def by_artifact(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["artifact"]: a for a in status["artifacts"]}


def check_complete(status: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    rows = by_artifact(status)
    expected = {*PLANNING, *(f"analysis:{f}" for f in FILES), *(f"code:{f}" for f in FILES)}
    assert set(rows) == expected
    for aid, row in rows.items():
        assert row["status"] == "approved", (aid, row)
        assert row["input_tokens"] > 0 and row["output_tokens"] > 0, aid
        assert row["cost_usd"] is not None and row["cost_usd"] > 0, aid
    assert status["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in rows.values()))
    root: Path = status["root"]
    json.loads((root / "planning" / "architecture.json").read_text())
    assert "d_model: 512" in (root / "planning" / "config.yaml").read_text()
    assert (root / "code" / "main.py").read_text().startswith('"""main.py: generated')
    record = (root / "calls.jsonl").read_text() + (root / "session.json").read_text()
    assert key not in record  # keys never reach the session
    return rows


def test_full_run_through_the_anthropic_sdk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = AnthropicServer(broken_first="architecture")

    def factory(model: str, **options: Any) -> AnthropicBackend:
        client = httpx.Client(transport=httpx.MockTransport(server))
        return AnthropicBackend(model, http_client=client, api_key=ANTHROPIC_KEY, **options)

    registry.register("mockanthropic", factory)
    status = full_run(tmp_path, capsys, "mockanthropic:claude-sonnet-4-6")
    rows = check_complete(status, ANTHROPIC_KEY)
    assert status["model"] == "anthropic:claude-sonnet-4-6"

    # Structured output in prompt mode: no tools anywhere, so every call shares one prefix.
    assert all("tools" not in b for b in server.bodies)
    # The invalid architecture answer (no file_list) earned exactly one repair request.
    assert server.kinds.count("architecture") == 2 and rows["architecture"]["calls"] == 2
    # Cache: the plan call writes the paper; every later call reads at least that (the
    # schema calls too, which a forced tool would have kept apart).
    assert rows["plan"]["cache_read_tokens"] == 0
    paper_prefix = rows["logic"]["cache_read_tokens"]
    assert paper_prefix > 1000
    assert rows["architecture"]["cache_read_tokens"] >= 2 * paper_prefix - 100  # the call and its repair
    for aid in ("config", *(f"analysis:{f}" for f in FILES), *(f"code:{f}" for f in FILES)):
        assert rows[aid]["cache_read_tokens"] >= paper_prefix, aid
    # A code call reads the paper and all four planning artifacts from the cache.
    assert rows["code:main.py"]["cache_read_tokens"] > rows["config"]["cache_read_tokens"]
    usage = status["usage"]
    assert usage["cache_read_tokens"] > usage["cache_write_tokens"] > 0
    # Cost follows the usage: cached input is cheaper than fresh input.
    plan = rows["plan"]
    assert plan["cost_usd"] == pytest.approx(
        ((plan["input_tokens"] - plan["cache_read_tokens"]) * 3.0 + plan["output_tokens"] * 15.0) / 1e6, rel=0.35
    )


def test_full_run_through_the_openai_sdk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = OpenAIServer()
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)

    def factory(model: str, **options: Any) -> OpenAIBackend:
        client = httpx.Client(transport=httpx.MockTransport(server))
        return OpenAIBackend(model, http_client=client, **options)  # the key from the environment

    registry.register("mockopenai", factory)
    status = full_run(tmp_path, capsys, "mockopenai:gpt-4.1-mini")
    rows = check_complete(status, OPENAI_KEY)
    assert status["model"] == "openai:gpt-4.1-mini"
    schema_calls = [b for b in server.bodies if "response_format" in b]
    # architecture, logic; a strong model writes config.yaml itself (nested YAML), no schema
    assert len(schema_calls) == 2
    assert all(b["response_format"]["type"] == "json_schema" for b in schema_calls)
    assert all(rows[aid]["calls"] == 1 for aid in rows)
    # Analyses and code share the paper-and-planning prefix: cached after the first.
    for f in ("train.py", "main.py"):
        assert rows[f"code:{f}"]["cache_read_tokens"] >= 1024
    assert sum(rows[f"analysis:{f}"]["cache_read_tokens"] > 0 for f in FILES) >= len(FILES) - 1
    assert status["usage"]["cache_read_tokens"] > 0
    cheaper = rows["code:main.py"]
    list_price = (cheaper["input_tokens"] * 0.40 + cheaper["output_tokens"] * 1.60) / 1e6
    assert cheaper["cost_usd"] < list_price  # cached input billed at the discounted rate
