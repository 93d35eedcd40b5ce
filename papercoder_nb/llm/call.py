"""Every model call goes through ``call_model``: retries, cancel, cost and the record.

Backends raise ``RetryableError`` for rate limits, overload, server errors and cut
connections; here they are retried with exponential backoff (or the server's
``retry-after``), sleeping in a way that Cancel interrupts. Each attempt, failed or
not, becomes one line of ``calls.jsonl`` (never a key: requests carry none).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .base import (
    Backend,
    BackendError,
    CancelledError,
    CancelToken,
    Completion,
    Request,
    RetryableError,
    TokenCallback,
    Usage,
    capabilities_of,
)
from .limits import limits_of
from .pricing import cost
from .usage_check import check_usage

Recorder = Callable[[dict[str, Any]], None]
CANCELLED = "cancelled"  # recorded as the call's finish, not as an error


class Throttle:
    """Shared by the calls of one run: a rate limit met by one call slows them all.

    Without it, every parallel call would hit the limit on its own and burn its
    attempts. With it, a 429 pauses the pool and halves how many calls it keeps in
    flight (the server said it has fewer turns than we took); each answer then allows
    one more, up to no limit again. The calls resume spread over the pause's length,
    not all at its last instant, so a class of kernels told "retry after 2 s" by the
    same server does not come back as one herd.
    """

    def __init__(self) -> None:
        self._until = 0.0
        self._spread = 0.0
        self._cond = threading.Condition()
        self.pauses = 0
        self.in_flight = 0
        self.limit: int | None = None  # calls allowed in flight; None until the server pushes back

    def backoff(self, seconds: float) -> None:
        """The server refused a call for load: pause everyone, and take fewer turns."""
        with self._cond:
            until = time.monotonic() + seconds
            if until > self._until:
                self._until = until
                self._spread = max(seconds, 0.05)
                self.pauses += 1
            self.limit = max(1, min(self.limit or self.in_flight, self.in_flight) // 2)

    def resume_at(self) -> float:
        with self._cond:
            return self._until

    def wait(self, cancel: CancelToken | None = None) -> None:
        """Until the pause is over, plus a random share of it when there was one."""
        paused = False
        while (delay := self.resume_at() - time.monotonic()) > 0:
            paused = True
            _sleep(delay, cancel)
        if paused and self._spread > 0:
            _sleep(random.uniform(0, self._spread), cancel)

    def acquire(self, cancel: CancelToken | None = None) -> None:
        """Wait for the pause and for a turn under the learned limit, then take it."""
        while True:
            self.wait(cancel)
            with self._cond:
                if (self.limit is None or self.in_flight < self.limit) and time.monotonic() >= self._until:
                    self.in_flight += 1
                    return
                self._cond.wait(0.2)
            if cancel is not None:
                cancel.raise_if_cancelled()

    def release(self, answered: bool) -> None:
        with self._cond:
            self.in_flight -= 1
            if answered and self.limit is not None:
                self.limit += 1  # additive increase: one more turn per answer
                if self.limit > 64:
                    self.limit = None
            self._cond.notify_all()


def _sleep(seconds: float, cancel: CancelToken | None) -> None:
    if cancel is not None:
        if cancel.wait(seconds):
            raise CancelledError("cancelled by the user")
    else:
        time.sleep(seconds)


def retry_delay(attempt: int, retry_after: float | None, base_delay: float, max_delay: float) -> float:
    """The pause before the next attempt: what the server asked, else exponential. Each
    waiting call then adds its own random share of it (``Throttle.wait``)."""
    floor = retry_after if retry_after is not None else base_delay * 2 ** (attempt - 1)
    return min(max_delay, max(0.0, floor))


def _notice_after(backend: Backend) -> float:
    """Seconds of silence before a progress line: 30, or sooner when the backend's own
    stall limit is short (so the line comes before the cut)."""
    limit = capabilities_of(backend).stall_seconds
    return min(30.0, limit / 2) if isinstance(limit, (int, float)) and limit > 0 else 30.0


class QuietNotice:
    """While a call runs, reports each ``every`` seconds without a token (a stalled or
    slow server is visible as it happens, not only when it fails)."""

    def __init__(self, on_wait: Callable[[float], None] | None, every: float, on_token: TokenCallback | None) -> None:
        self._on_wait, self._every, self._inner = on_wait, every, on_token
        self._last = self._start = time.monotonic()
        self._done = threading.Event()
        if on_wait is not None:
            threading.Thread(target=self._watch, daemon=True, name="quiet-notice").start()

    def on_token(self, piece: str) -> None:
        self._last = time.monotonic()
        if self._inner is not None:
            self._inner(piece)

    def stop(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        assert self._on_wait is not None
        while not self._done.wait(self._every):
            idle = time.monotonic() - self._last
            if idle >= self._every:
                self._on_wait(idle)


def oversize_note(backend: Backend, request: Request, usage: Usage) -> str | None:
    """A warning when the server reports far more output than was asked for: a runaway
    answer, or usage that is wrong; either way it is not to be taken silently."""
    asked = request.max_tokens + int(capabilities_of(backend).reasoning_reserve or 0)
    if usage.output_tokens <= 2 * asked + 256:
        return None
    return (f"the server reported {usage.output_tokens:,} output tokens for a request of at most "
            f"{asked:,}; check the answer (and the bill)")


def cost_of(spec: str, usage: Usage, price: Any = None) -> float | None:
    """List-price cost in USD (or at ``price``, a user's own); None when the price is unknown."""
    return cost(spec, usage, price)


def backend_cost(backend: Backend, usage: Usage) -> float | None:
    """The cost of a call on this backend, at the price the user gave it if any (--price)."""
    return cost_of(backend.spec, usage, capabilities_of(backend).price)


def call_model(
    backend: Backend,
    request: Request,
    *,
    record: Recorder | None = None,
    on_token: TokenCallback | None = None,
    cancel: CancelToken | None = None,
    max_attempts: int = 6,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    on_retry: Callable[[str, float], None] | None = None,
    throttle: Throttle | None = None,
    on_wait: Callable[[float], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Completion:
    """One answer, retried as needed; ``on_wait(seconds)`` hears of a call silent that long;
    ``on_progress(read, total)``: prompt tokens read, from backends that can tell
    (``reports_progress``); the others take the plain three-argument ``execute``."""
    throttle = throttle or Throttle()
    extra: dict[str, Any] = {"on_progress": on_progress} if on_progress and capabilities_of(backend).reports_progress else {}
    attempt = 0
    while True:
        attempt += 1
        if cancel is not None:
            cancel.raise_if_cancelled()
        throttle.acquire(cancel)
        start = time.perf_counter()
        quiet = QuietNotice(on_wait, _notice_after(backend), on_token)
        answered = False
        try:
            completion = backend.execute(request, on_token=quiet.on_token, cancel=cancel, **extra)
            answered = True
        except CancelledError:
            _record(record, backend, request, None, time.perf_counter() - start, attempt, CANCELLED)
            raise
        except RetryableError as e:
            _record(record, backend, request, None, time.perf_counter() - start, attempt, str(e))
            if attempt >= max_attempts:
                raise BackendError(f"{request.artifact or 'model call'}: gave up after {attempt} attempts: {e}") from e
            delay = retry_delay(attempt, e.retry_after, base_delay, max_delay)
            if on_retry:
                on_retry(str(e), delay)
            throttle.backoff(delay)  # the wait happens at the top of the loop, for every call
            continue
        except BackendError as e:
            _record(record, backend, request, None, time.perf_counter() - start, attempt, str(e))
            raise
        finally:
            quiet.stop()
            throttle.release(answered)
        if not completion.latency_s:
            completion.latency_s = round(time.perf_counter() - start, 4)
        reported = _check_usage(backend, request, completion)
        _record(record, backend, request, completion, completion.latency_s, attempt, None, reported)
        return completion


def _check_usage(backend: Backend, request: Request, completion: Completion) -> Usage | None:
    """Replaces usage that cannot be true by an estimate and notes why (and a runaway
    answer's size); returns the usage as reported when it was replaced."""
    reserve = int(capabilities_of(backend).reasoning_reserve or 0)
    usage, note = check_usage(request, completion, reserve)
    reported = None
    if note:
        reported, completion.usage = completion.usage, usage
        completion.notes.append(note)
    oversize = oversize_note(backend, request, completion.usage)
    if oversize:
        completion.notes.append(oversize)
    return reported


def _record(
    record: Recorder | None,
    backend: Backend,
    request: Request,
    completion: Completion | None,
    latency: float,
    attempt: int,
    error: str | None,
    reported: Usage | None = None,
) -> None:
    if record is None:
        return
    usage = completion.usage if completion else Usage()
    limits = limits_of(backend)
    entry: dict[str, Any] = {
        "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "artifact": request.artifact,
        "kind": request.kind,
        "model": backend.spec,
        "request_hash": request.request_hash(),
        "messages": [{"role": m.role, "content": m.text} for m in request.messages],
        "schema_name": request.schema_name if request.schema else None,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "context_window": backend.context_window,
        # The limits the prompt was sized to: replay needs them to rebuild the same prompts.
        "max_output": limits.max_output,
        "small_model": limits.small,
        "reasoning": capabilities_of(backend).reasoning,
        "attempt": attempt,
        "latency_s": round(latency, 4),
        "usage": usage.model_dump(),
        "cost_usd": backend_cost(backend, usage),
    }
    if completion is not None and completion.notes:
        entry["warning"] = "; ".join(completion.notes)
    if reported is not None:
        entry["usage_reported"] = reported.model_dump()  # what the server said, not counted
    if completion is not None:
        entry["response"] = completion.text
        entry["parsed"] = completion.parsed
        entry["finish_reason"] = completion.finish_reason
    elif error == CANCELLED:
        entry["finish_reason"] = CANCELLED  # the user's choice, not a failure; nothing was kept
    else:
        entry["error"] = error
    record(entry)
