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
    """A model. ``spec`` is the ``provider:model`` string that made it.

    This is all a backend must have; what else the engine reads of it is ``Capabilities``,
    read through ``capabilities_of`` so an object without them gets their defaults.
    """

    spec: str
    context_window: int

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion: ...


class Capabilities:
    """Everything the engine reads of a backend besides the protocol, each with its default.

    The built-in backends inherit these (through ``BackendBase``) and set what they know;
    any other object (a plugin's, a test's, the classroom's wrapper) is read through
    ``capabilities_of``. Values are read when asked, never copied: a backend may learn its
    limits late (an OpenAI-compatible server is asked on first use, a replay reads its file).
    """

    # Calls may run at the same time (an in-process model may not).
    concurrent: bool = True
    # ``execute`` takes ``on_progress(read, total)``: prompt tokens read so far.
    reports_progress: bool = False
    # The model's own token count of a text; None: the estimate (``paper.tokens``).
    count_tokens: Callable[[str], int] | None = None
    # Output tokens it may write (answer and hidden reasoning); None: a share of the window.
    max_output: int | None = None
    # Output tokens kept for hidden reasoning: the answer's cap is the rest.
    reasoning_reserve: int = 0
    # A small model gets short asks and bounded schemas; None: decided by the window.
    small_model: bool | None = None
    # The reasoning effort or thinking level asked for; recorded with every call.
    reasoning: str | None = None
    # A stream silent this long is cut (and the progress line comes sooner); None: no limit.
    stall_seconds: float | None = None
    # The user's own price (``--price``: a ``pricing.Price``); None: the list price.
    price: tuple[float, float, float, float] | None = None
    # The server it talks to, recorded with the session; None: the provider's own.
    base_url: str | None = None
    # How errors name the model and its server; None: its spec.
    where: str | None = None


CAPABILITIES: tuple[str, ...] = tuple(Capabilities.__annotations__)


class BackendBase(Capabilities):
    """What a built-in backend inherits: every capability's default. It sets the protocol's
    ``spec`` and ``context_window`` and defines ``execute`` itself."""

    spec: str
    context_window: int


class _Seen(Capabilities):
    """Any object's capabilities: its own value where it has one (not None), else the default."""

    def __init__(self, backend: object) -> None:
        self._backend = backend


def _forward(name: str) -> property:
    default = getattr(Capabilities, name)

    def read(self: _Seen) -> Any:
        value = getattr(self._backend, name, None)
        return default if value is None else value

    return property(read)


for _name in CAPABILITIES:
    setattr(_Seen, _name, _forward(_name))


def capabilities_of(backend: object) -> Capabilities:
    """Every capability of ``backend`` with the defaults filled in: the one place the engine
    reads them. A built-in backend is its own; any other object is read through a view."""
    return backend if isinstance(backend, Capabilities) else _Seen(backend)


def timed(fn: Callable[[], Completion]) -> Completion:
    start = time.perf_counter()
    c = fn()
    c.latency_s = round(time.perf_counter() - start, 4)
    return c
