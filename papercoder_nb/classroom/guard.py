"""The backend a student's session talks through: the daily cap before a call, the ledger after.

It wraps whatever backend the session uses (any provider, built-in or not), so every paid
call — a stage, a repair, a continuation, a judge — passes the same check; a replayed
answer costs nothing and is never wrapped. The check is made before the call with what
the call is expected to add, so a student at the cap is stopped before spending, with one
line that says how much was used, the limit, who set it and when it resets.
A cap kept by each student's own kernel is a courtesy, not a wall: the hard limit for a
class is the server's (docs/teaching.md says how).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..llm.base import (
    Backend,
    BackendError,
    CancelToken,
    Completion,
    Request,
    Usage,
    capabilities_of,
)
from ..llm.call import backend_cost
from ..llm.usage_check import check_usage
from .ledger import Ledger, Spent
from .settings import ClassSettings

ExpectOutput = Callable[[Request], int]
_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


class DailyBudgetReached(BackendError):
    """The student's daily cap would be passed by this call."""


def _slots(key: str, n: int) -> threading.BoundedSemaphore:
    """One semaphore per server and size in this kernel: every session shares the class server's turns."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((key, n), threading.BoundedSemaphore(n))


class ClassroomBackend:
    """Forwards to ``inner``; adds the class's cap, usage file and concurrency limit."""

    def __init__(self, inner: Backend, settings: ClassSettings, ledger: Ledger | None,
                 expect_output: ExpectOutput) -> None:
        self.inner = inner
        self.settings = settings
        self.ledger = ledger
        self.expect_output = expect_output
        limit = settings.max_concurrent
        server = str(capabilities_of(inner).base_url or inner.spec)
        self._slots = _slots(server, limit) if limit else None

    def __getattr__(self, name: str) -> Any:  # spec, context_window, price, limits…: the inner backend's
        return getattr(self.inner, name)

    def execute(self, request: Request, on_token: Callable[[str], None] | None = None,
                cancel: CancelToken | None = None, **extra: Any) -> Completion:
        self.check(request)
        if self._slots is None:
            completion = self.inner.execute(request, on_token, cancel, **extra)
        else:
            self._take_slot(cancel)
            try:
                completion = self.inner.execute(request, on_token, cancel, **extra)
            finally:
                self._slots.release()
        self._record(request, completion)
        return completion

    def _take_slot(self, cancel: CancelToken | None) -> None:
        assert self._slots is not None
        while not self._slots.acquire(timeout=0.2):
            if cancel is not None:
                cancel.raise_if_cancelled()

    def check(self, request: Request) -> None:
        """Raises ``DailyBudgetReached`` when this call would pass the day's cap."""
        budget = self.settings.budget
        if self.ledger is None or (budget.tokens_per_day is None and budget.usd_per_day is None):
            return
        spent = self.ledger.spent()
        adds = request.estimated_input_tokens() + self.expect_output(request)
        if budget.tokens_per_day is not None and spent.tokens + adds > budget.tokens_per_day:
            self._refuse(spent, f"{spent.tokens:,} of {budget.tokens_per_day:,} tokens", f"about {adds:,} tokens")
        if budget.usd_per_day is not None:
            self._check_usd(request, spent, budget.usd_per_day)

    def _check_usd(self, request: Request, spent: Spent, cap: float) -> None:
        expected = backend_cost(self.inner, Usage(input_tokens=request.estimated_input_tokens(),
                                                  output_tokens=self.expect_output(request)))
        if expected is None:
            raise DailyBudgetReached(
                f"the class's daily budget is in dollars but the price of {self.inner.spec} is unknown, so it "
                f"could not be kept; ask your instructor to set budget.tokens_per_day in {self.settings.where()}")
        if spent.usd + expected > cap:
            self._refuse(spent, f"${spent.usd:.2f} of ${cap:.2f}", f"about ${expected:.2f}")

    def _refuse(self, spent: Spent, used: str, adds: str) -> None:
        user = self.ledger.user if self.ledger else "you"
        raise DailyBudgetReached(
            f"Daily budget reached: {user} has used {used} today and this call needs {adds} more "
            f"(the class's limit, {self.settings.where()}: {self.settings.reason}). "
            "It resets at 00:00 UTC; ask your instructor to raise it, or replay a recorded session meanwhile.")

    def _record(self, request: Request, completion: Completion) -> None:
        if self.ledger is None:
            return
        # The same credibility check the session's own count gets (a server claiming
        # negative or absurd usage must not empty or fill a student's day).
        reserve = int(capabilities_of(self.inner).reasoning_reserve or 0)
        usage, _ = check_usage(request, completion, reserve)
        self.ledger.record({
            "model": self.inner.spec, "artifact": request.artifact, "kind": request.kind,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cost_usd": backend_cost(self.inner, usage),
        })
