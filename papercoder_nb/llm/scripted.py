"""A backend that answers from a queue: for tests and demos.

Each answer is a string, a callable of the request, or an exception to raise. Every
request is kept in ``requests`` so tests can assert on prompts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from ..paper.tokens import estimate_tokens
from .base import BackendBase, BackendError, CancelToken, Completion, Request, TokenCallback, Usage

Answer = str | Callable[[Request], str] | BaseException


class ScriptedBackend(BackendBase):
    def __init__(
        self,
        model: str = "",
        answers: list[Answer] | None = None,
        context_window: int = 200_000,
        responder: Callable[[Request], str] | None = None,
        max_output: int | None = None,
        small_model: bool | None = None,
        finish_reasons: list[str] | None = None,
        **_: Any,
    ) -> None:
        self.spec = f"scripted:{model or 'queue'}"
        self.context_window = context_window
        self.max_output = max_output
        self.small_model = small_model
        # finish reason per answer, in order ("length" plays an answer cut by max_tokens)
        self.finish_reasons: list[str] = list(finish_reasons or [])
        self.answers: list[Answer] = list(answers or [])
        self.responder = responder
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def enqueue(self, *answers: Answer) -> ScriptedBackend:
        self.answers.extend(answers)
        return self

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        with self._lock:
            self.requests.append(request)
            if self.answers:
                answer: Answer = self.answers.pop(0)
            elif self.responder is not None:
                answer = self.responder
            else:
                raise BackendError(f"scripted backend has no answer left for {request.artifact or 'this request'}")
            finish = self.finish_reasons.pop(0) if self.finish_reasons else "stop"
        if isinstance(answer, BaseException):
            raise answer
        text = answer(request) if callable(answer) else answer
        for i in range(0, len(text), 64):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if on_token:
                on_token(text[i : i + 64])
        parsed = None
        if request.schema is not None:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return Completion(
            text=text,
            parsed=parsed,
            usage=Usage(input_tokens=request.estimated_input_tokens(), output_tokens=estimate_tokens(text)),
            finish_reason=finish,
            model=self.spec,
        )
