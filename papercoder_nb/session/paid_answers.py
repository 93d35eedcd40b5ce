"""Answers already paid for that never reached their artifact.

A run killed after a model call returned leaves the answer in ``calls.jsonl`` but not in
the artifact. The next run takes it from there instead of asking (and paying) again.
"""

from __future__ import annotations

import threading
from typing import Any

from ..llm.base import Completion, Request


class PaidAnswers:
    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self._answers = [e for e in calls if "response" in e and not e.get("error")]
        self._lock = threading.Lock()

    def take(self, request: Request, since: str) -> Completion | None:
        """The first recorded answer to ``request`` logged after ``since`` (the artifact's
        last write); each answer serves once, so repeated requests get their own answers."""
        h = request.request_hash()
        with self._lock:
            for i, e in enumerate(self._answers):
                at = str(e.get("at", "")).replace("+00:00", "Z")
                if e.get("request_hash") == h and at > since:
                    del self._answers[i]
                    return Completion(text=e["response"], parsed=e.get("parsed"),
                                      finish_reason=e.get("finish_reason") or "stop")
        return None
