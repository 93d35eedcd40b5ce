"""Answers from a recorded session's ``calls.jsonl``: offline, free, identical.

A request is looked up by its content hash, so a replayed run reproduces the recorded
artifacts byte for byte; a request that was never recorded is an error naming the
artifact, never a silent guess. Repeated identical requests are answered in order.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from .base import BackendBase, BackendError, CancelToken, Completion, Request, TokenCallback, Usage


class ReplayMiss(BackendError):
    """The recording has no answer for a request: the session differs from the recorded run
    (an edit, an answer, dropped sections, or prompts that changed since it was recorded)."""


class ReplayBackend(BackendBase):
    def __init__(self, model: str, **_: Any) -> None:
        path = Path(model).expanduser()
        if path.is_dir():
            path = path / "calls.jsonl"
        if not path.is_file():
            raise BackendError(f"replay: {path} not found; pass a session folder or its calls.jsonl")
        self.spec = f"replay:{path}"
        self.path = path
        self.recorded_models: list[str] = []  # who wrote the answers ("hand-written": people did)
        self.context_window = 200_000
        self.max_output: int | None = None  # as recorded; older cassettes: the default
        self.small_model: bool | None = None
        self.calls = 0
        self._answers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._lock = threading.Lock()
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                if _torn(lines, n):
                    continue  # a record cut by a kill or a full disk: it was never answered
                raise BackendError(f"replay: {path} line {n} is not JSON ({e})") from e
            if rec.get("error") or "response" not in rec:
                continue
            # Prompts are budgeted to the window, so replay must claim the recorded one.
            self.context_window = int(rec.get("context_window") or self.context_window)
            self.max_output = rec.get("max_output") or self.max_output
            self.small_model = rec.get("small_model", self.small_model)
            self._answers[rec["request_hash"]].append(rec)
            if rec.get("model") and rec["model"] not in self.recorded_models:
                self.recorded_models.append(rec["model"])
        self._served: dict[str, int] = defaultdict(int)

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        key = request.request_hash()
        with self._lock:
            recs = self._answers.get(key)
            if not recs:
                raise ReplayMiss(
                    f"replay: no recorded answer for {request.artifact or request.kind or 'a request'} "
                    f"(request {key[:12]}) in {self.path}: its prompt differs from the recorded run "
                    "(an edited artifact, an answer, dropped sections or changed prompts); "
                    "use a live model to regenerate what changed"
                )
            i = min(self._served[key], len(recs) - 1)
            self._served[key] += 1
            self.calls += 1
        rec = recs[i]
        text = rec["response"]
        if on_token:
            on_token(text)
        return Completion(
            text=text,
            parsed=rec.get("parsed"),
            usage=Usage(),  # replay costs nothing
            finish_reason=rec.get("finish_reason", "stop"),
            model=self.spec,
        )


def recorded_models(cassette: str | Path) -> list[str]:
    """The models whose answers a recording (a session folder or its calls.jsonl) holds."""
    path = Path(cassette).expanduser()
    path = path / "calls.jsonl" if path.is_dir() else path
    try:
        stat = path.stat()
    except OSError:
        return []  # moved or deleted since: the credit says only that it was replayed
    return list(_models_in(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _models_in(path: str, _mtime: int, _size: int) -> tuple[str, ...]:
    found: list[str] = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # blank or torn: never an answer
        m = rec.get("model") if isinstance(rec, dict) and "response" in rec else None
        if m and m not in found:
            found.append(m)
    return tuple(found)


def _torn(lines: list[str], n: int) -> bool:
    """Line ``n`` was cut mid-write: it is the last line, or the next starts a fresh record."""
    return n == len(lines) or lines[n].lstrip().startswith("{")
