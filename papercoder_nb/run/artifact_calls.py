"""The model calls one artifact's generation makes (the answer, a continuation, a repair).

Each call reports progress events, its usage and cost are summed for the artifact's
record, a usage far beyond what was asked for is flagged, and an answer already paid for
(calls.jsonl holds it after a kill) is reused instead of asked again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..llm.base import Backend, CancelToken, Completion, Request, Usage, capabilities_of
from ..llm.call import Throttle, backend_cost, call_model
from .progress import ArtifactProgress


class Caller(Protocol):
    """What the calls need of the runner (``Runner`` is one): described here, so this
    module does not import the runner that imports it."""

    backend: Backend
    session: Any  # a session.store.Session: its log_call records every call
    cancel: CancelToken
    max_attempts: int
    throttle: Throttle

    def paid_answer(self, artifact_id: str, request: Request) -> Completion | None: ...


class ArtifactCalls:
    def __init__(self, runner: Caller, artifact_id: str, emit: Callable[..., None]) -> None:
        self.runner = runner
        self.artifact_id = artifact_id
        self.emit = emit  # emit(kind, text="", **fields): a runner Event for this artifact
        self.usage = Usage()
        self.cost: float | None = 0.0
        self.calls = 0
        self.finish = "stop"
        self.flagged: list[str] = []  # usage far beyond what was asked for
        self.track = ArtifactProgress()
        self.where = capabilities_of(runner.backend).where or runner.backend.spec

    def _report(self) -> None:
        if self.track.due():
            self.emit("progress", progress=self.track.snapshot())

    def _on_token(self, text: str) -> None:
        self.track.token(text)
        self.emit("token", text)
        self._report()

    def _on_prompt(self, done: int, total: int) -> None:
        self.track.prompt_read(done, total)
        self._report()

    def ask(self, request: Request, repairing: bool = False) -> tuple[str, Any]:
        """One answer (text, parsed object) for ``request``."""
        runner = self.runner
        paid = runner.paid_answer(self.artifact_id, request)
        if paid is not None:  # an answer already paid for (a kill after the call): reuse it
            self.finish = paid.finish_reason or "stop"
            return paid.text, paid.parsed
        self.track.begin_call(request.max_tokens, repairing)
        self._report()
        c = call_model(
            runner.backend,
            request,
            record=runner.session.log_call,
            on_token=self._on_token,
            on_progress=self._on_prompt,
            cancel=runner.cancel,
            max_attempts=runner.max_attempts,
            on_retry=lambda msg, d: self.emit("retry", f"{msg}; retrying in {d:.1f}s"),
            throttle=runner.throttle,
            on_wait=lambda idle: self.emit("info", f"no output for {idle:.0f}s from {self.where}; still waiting"),
        )
        self._count(request, c)
        return c.text, c.parsed

    def _count(self, request: Request, c: Any) -> None:
        self.calls += 1
        for note in c.notes:  # usage not credible, or far beyond the ask (call_model's checks)
            self.flagged.append(note)
            self.emit("info", note)
        self.usage = self.usage + c.usage
        k = backend_cost(self.runner.backend, c.usage)
        self.cost = None if (k is None or self.cost is None) else self.cost + k
        self.finish = c.finish_reason
        if c.finish_reason == "length":
            self.emit("info", "the answer hit the output token limit")
        self.track.validating()
        self._report()
