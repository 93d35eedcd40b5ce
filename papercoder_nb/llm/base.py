"""The one protocol every model backend speaks.

A ``Request`` goes in, a ``Completion`` comes out. Messages are lists of ``Part``s so a
backend that supports prompt caching can put a breakpoint after a part marked
``cache=True`` (after the paper, after the planning block); backends without caching
just join the text. A backend is a small class with one ``execute`` method; streaming
is an optional ``on_token`` callback and stopping is a ``CancelToken`` checked per chunk.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ..paper.tokens import estimate_tokens
from ..util.errors import PapercoderError

Role = Literal["system", "user", "assistant"]
TokenCallback = Callable[[str], None]


class Part(BaseModel):
    text: str
    cache: bool = False  # a cache breakpoint goes after this part


class Message(BaseModel):
    role: Role
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)

    @classmethod
    def of(cls, role: Role, *texts: str) -> Message:
        return cls(role=role, parts=[Part(text=t) for t in texts])


class Request(BaseModel):
    messages: list[Message]
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    schema_name: str = "result"
    max_tokens: int = 2048
    temperature: float = 0.2
    # What the call is for, e.g. "plan" or "code:model.py": for errors, logs and cost.
    artifact: str = ""
    kind: str = ""  # prompt kind, e.g. "planning.plan"

    model_config = {"populate_by_name": True}

    @property
    def schema(self) -> dict[str, Any] | None:
        return self.schema_

    def request_hash(self) -> str:
        """Identifies the request's content (not the model): the replay key."""
        payload = {
            "messages": [[m.role, m.text] for m in self.messages],
            "schema": self.schema_,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def estimated_input_tokens(self) -> int:
        return sum(estimate_tokens(m.text) + 4 for m in self.messages)


class Usage(BaseModel):
    input_tokens: int = 0  # all prompt tokens, cached ones included
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )


class Completion(BaseModel):
    text: str
    parsed: Any = None  # the JSON object when the request had a schema and parsing worked
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str = "stop"  # stop | length | cancelled | tool_use
    latency_s: float = 0.0
    model: str = ""
    # What the caller must flag about this answer (usage not credible, far beyond the ask);
    # filled by ``call_model``, kept in the call's record and the artifact's warnings.
    notes: list[str] = Field(default_factory=list)


class BackendError(PapercoderError):
    """A model call failed for good; the message says why and what to do."""


class RetryableError(BackendError):
    """Rate limit, overload, server error or dropped connection: worth another try."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CancelledError(BackendError):
    """The user pressed Cancel; nothing of the partial answer is stored."""


@dataclass
class CancelToken:
    """Set from any thread; backends check it per streamed chunk."""

    _event: threading.Event = field(default_factory=threading.Event)
    # Called on cancel, from the cancelling thread: for waits no per-chunk check reaches.
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    def cancel(self) -> None:
        self._event.set()
        for listener in list(self._listeners):
            listener()

    def on_cancel(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` on cancel (at once if already cancelled); returns its remover."""
        self._listeners.append(listener)
        if self._event.is_set():
            listener()

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError("cancelled by the user")

    def wait(self, seconds: float) -> bool:
        """Sleep that wakes up on cancel; True if cancelled."""
        return self._event.wait(seconds)


@runtime_checkable
class Backend(Protocol):
    """A model. ``spec`` is the ``provider:model`` string that made it."""

    spec: str
    context_window: int
    # Whether calls may run at the same time (an in-process model may not).
    concurrent: bool

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion: ...


def timed(fn: Callable[[], Completion]) -> Completion:
    start = time.perf_counter()
    c = fn()
    c.latency_s = round(time.perf_counter() - start, 4)
    return c
