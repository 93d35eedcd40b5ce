"""A loopback OpenAI-compatible server with scripted faults, for tests and benchmarks.

It speaks the real Chat Completions wire format (JSON, or SSE with a usage chunk and
``data: [DONE]``), answers every call kind of a run with valid content (read from the
prompt's "# Your task" section, as ``tests/test_full_run_providers.py`` does), and before
answering consumes one scripted fault, if any is queued:

    "429"        rate limited with ``Retry-After: 0``
    "500"/"503"  server errors
    "cut"        a stream that stops mid-answer (no finish, no [DONE])
    "slow"       waits ``slow_seconds`` before sending anything
    "keepalive"  headers, then only SSE comments until ``slow_seconds`` pass
    "malformed"  an answer that is not JSON where JSON was asked
    "schema"     valid JSON that misses required fields
    "endless"    a stream that keeps sending content until the client hangs up
    "bigusage"   a normal answer whose usage claims 500,002 output tokens
    "negusage"   a normal answer whose usage claims -1,000,000,000 input tokens
    "length"     a normal answer labelled cut by the output limit (``finish_reason: length``)
    "trickle"    one short word every ``trickle_seconds``, never silent for long, for up to
                 ``slow_seconds * 60`` (a stream no silence timeout ever ends)

A fault written ``"ARTIFACT=fault"`` (``"logic=malformed"``) waits for that artifact's call.
``hostile`` replaces the architecture/logic file lists with the given names.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FILES, responder  # noqa: E402
from eval_helpers import judgement  # noqa: E402

from papercoder_nb.llm.base import Request  # noqa: E402
from papercoder_nb.util.templates import load_prompt  # noqa: E402

KINDS = ("plan", "architecture", "logic", "config", "analysis", "code")
TASK = "# Your task\n\n"
JUDGE = load_prompt("judge_free").strip().splitlines()[0]  # a judge call (eval, batch)


def _opening(kind: str, template: str | None = None) -> re.Pattern[str]:
    first = load_prompt(template or kind).strip().splitlines()[0]
    pieces = re.split(r"\{\{\s*\w+\s*\}\}", first)
    return re.compile("(.+?)".join(re.escape(p) for p in pieces))


# A model of unknown limits gets the small-model config prompt: both openings are config.
OPENINGS = [(kind, _opening(kind)) for kind in KINDS] + [("config", _opening("config", "config_small"))]


def classify(prompt: str) -> Request:
    """The request's kind and artifact, read back from its task section."""
    task = prompt[prompt.rindex(TASK) + len(TASK):] if TASK in prompt else prompt
    for kind, pattern in OPENINGS:
        m = pattern.match(task)
        if m:
            artifact = f"{kind}:{m.group(1)}" if kind in ("analysis", "code") else kind
            return Request(messages=[], kind=kind, artifact=artifact)
    return Request(messages=[], kind="plan", artifact="plan")


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    c = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": 1730000000, "model": "fake",
         "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    return f"data: {json.dumps(c)}\n\n".encode()


def _usage_chunk(prompt: int, output: int) -> bytes:
    c = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": 1730000000, "model": "fake",
         "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": output,
                                  "total_tokens": prompt + output}}
    return f"data: {json.dumps(c)}\n\n".encode()


class FaultServer:
    """``with FaultServer() as s: s.base_url`` — faults queued with ``s.faults.extend([...])``."""

    def __init__(self, files: dict[str, list[str]] | None = None, slow_seconds: float = 3.0) -> None:
        self.files = files or FILES
        self.answer = responder(self.files)
        self.faults: deque[str] = deque()
        self.slow_seconds = slow_seconds
        self.hostile: list[str] | None = None
        self.delay = 0.0  # seconds before every answer (lets a test kill a run mid-way)
        self.requests: list[str] = []  # artifact of every request, faults included
        self.piece_delay = 0.0  # seconds between streamed pieces (lets a test kill mid-stream)
        self.trickle_seconds = 1.5  # between the words of a "trickle" answer
        # The prompt tokens each answer reports: 100 streamed (10 not), or (True) the prompt's
        # size as a real server counts it (about 4 characters a token), so spending tracks it.
        self.count_prompt = False
        self.streaming = 0  # streams that have sent content and not finished yet
        self.answered = 0  # streams that finished with [DONE]
        self.on_request: Callable[[str], None] | None = None  # called with each call's artifact
        # What GET /v1/models lists (a test adds vLLM's max_model_len), and every GET path asked.
        self.models: list[dict[str, Any]] = [{"id": "fake", "object": "model", "created": 0, "owned_by": "x"}]
        self.gets: list[str] = []
        self.gets_open = threading.Event()  # cleared, GETs wait for it (a test holds an answer back)
        self.gets_open.set()
        self.lock = threading.Lock()
        # A server with few turns (a class's shared llama.cpp/vLLM): past ``capacity`` answers
        # in progress, a call is refused with 429 and ``Retry-After: retry_after``.
        self.capacity: int | None = None
        self.retry_after = "0"
        self.active = self.max_active = self.refused = 0
        self.arrivals: list[float] = []  # monotonic time of every POST (how herd-like retries come back)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- answers -----------------------------------------------------------------
    def content(self, body: dict[str, Any]) -> tuple[str, str]:
        if any(JUDGE in str(m.get("content")) for m in body["messages"]):
            return "eval.judge", judgement(4)
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        text = users[0] if isinstance(users[0], str) else json.dumps(users[0])
        req = classify(text)
        answer = self.answer(req)
        if self.hostile and req.kind in ("architecture", "logic"):
            answer = self._hostile(req.kind, answer)
        return req.artifact, answer

    def prompt_tokens(self, body: dict[str, Any]) -> int | None:
        if not self.count_prompt:
            return None
        return max(1, len(json.dumps([m.get("content") for m in body.get("messages", [])])) // 4)

    def _hostile(self, kind: str, answer: str) -> str:
        data = json.loads(answer.strip().removeprefix("```json").removesuffix("```"))
        names = list(self.hostile or [])
        if kind == "architecture":
            data["file_list"] = names
        else:
            data["files"] = [{"file": n, "purpose": "x", "depends_on": [], "paper_refs": []} for n in names]
            data["task_list"] = names
            data["entry_point"] = names[0]
        return json.dumps(data)

    def next_fault(self, artifact: str = "") -> str | None:
        """The first queued fault for this call: untargeted, or ``"ARTIFACT=fault"`` for it."""
        with self.lock:
            for i, f in enumerate(self.faults):
                target, _, fault = f.rpartition("=")
                if not target or target == artifact:
                    del self.faults[i]
                    return fault
            return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 — models.list (llama.cpp's /props gets it too: no n_ctx)
                with server.lock:
                    server.gets.append(self.path)
                server.gets_open.wait(30)
                self._json(200, {"object": "list", "data": server.models})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with server.lock:
                    server.arrivals.append(time.monotonic())
                    full = server.capacity is not None and server.active >= server.capacity
                    server.refused += full
                    server.active += not full
                    server.max_active = max(server.max_active, server.active)
                if full:
                    self._json(429, {"error": {"message": "server busy", "type": "rate_limit"}},
                               {"Retry-After": server.retry_after})
                    return
                try:
                    self._post(body)
                finally:
                    with server.lock:
                        server.active -= 1

            def _post(self, body: dict[str, Any]) -> None:
                self.prompt_tokens = server.prompt_tokens(body)
                artifact, text = server.content(body)
                fault = server.next_fault(artifact)
                with server.lock:
                    server.requests.append(artifact)
                if server.on_request is not None:
                    server.on_request(artifact)
                try:
                    self._answer(body, text, fault)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _answer(self, body: dict[str, Any], text: str, fault: str | None) -> None:
                if fault in ("429", "500", "503"):
                    self._json(int(fault), {"error": {"message": f"scripted {fault} [/bold]", "type": "server_error"}},
                               {"Retry-After": "0"})
                    return
                time.sleep(server.delay)
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                if fault == "malformed":
                    text = '{"file_list": ["a.py", '
                elif fault == "schema":
                    text = json.dumps({"unexpected": True})
                if not body.get("stream"):
                    self._json(200, {"id": "chatcmpl-fault", "object": "chat.completion", "created": 0, "model": "fake",
                                     "choices": [{"index": 0, "finish_reason": "length" if fault == "length" else "stop",
                                                  "message": {"role": "assistant", "content": text}}],
                                     "usage": {"prompt_tokens": self.prompt_tokens or 10, "completion_tokens": len(text) // 4,
                                               "total_tokens": (self.prompt_tokens or 10) + len(text) // 4}})
                    return
                self._stream(text, fault)

            def _stream(self, text: str, fault: str | None) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(_chunk({"role": "assistant", "content": ""}))
                if fault == "keepalive":
                    end = time.monotonic() + server.slow_seconds
                    while time.monotonic() < end:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                if fault == "trickle":
                    end = time.monotonic() + server.slow_seconds * 60  # bounded, for the test suite
                    while time.monotonic() < end:
                        self.wfile.write(_chunk({"content": "w "}))
                        self.wfile.flush()
                        time.sleep(server.trickle_seconds)
                    return
                if fault == "endless":
                    end = time.monotonic() + server.slow_seconds * 4  # bounded, for the test suite
                    while time.monotonic() < end:
                        self.wfile.write(_chunk({"content": "again and again "}))
                    return
                pieces = [text[i:i + 64] for i in range(0, len(text), 64)]
                if fault == "cut":
                    pieces = pieces[: max(1, len(pieces) // 2)]
                with server.lock:
                    server.streaming += 1
                try:
                    for p in pieces:
                        self.wfile.write(_chunk({"content": p}))
                        self.wfile.flush()
                        time.sleep(server.piece_delay)
                finally:
                    with server.lock:
                        server.streaming -= 1
                if fault == "cut":
                    self.wfile.flush()
                    return
                self.wfile.write(_chunk({}, "length" if fault == "length" else "stop"))
                self.wfile.write(_usage_chunk(-10**9 if fault == "negusage" else self.prompt_tokens or 100,
                                              500_002 if fault == "bigusage" else max(1, len(text) // 4)))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                with server.lock:
                    server.answered += 1

            def _json(self, code: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

        return Handler
