"""Where one artifact's generation stands: phase, elapsed time, tokens, rate, ETA.

The runner keeps one ``ArtifactProgress`` per artifact in flight and sends its
``snapshot`` with ``progress`` events; the CLI and the panel only format it
(``describe``). Figures are only shown when they are known: an ETA while reading the
prompt needs a backend that reports prompt-reading progress (the local model does);
while writing, the request's ``max_tokens`` bounds what is left, so the ETA is an
upper bound ("at most") from the measured writing rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

READING, WRITING, VALIDATING, REPAIRING = "reading the prompt", "writing", "validating", "repairing"
EMIT_EVERY_S = 0.5  # progress events per artifact are throttled to this interval


@dataclass(frozen=True)
class Progress:
    phase: str
    elapsed_s: float
    tokens: int  # output tokens (streamed chunks, or ~4 characters each when chunks are larger)
    tokens_per_s: float | None = None
    eta_s: float | None = None
    eta_is_bound: bool = False  # True: the ETA is an upper bound (max_tokens left)
    prompt_done: int = 0
    prompt_total: int = 0


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def describe(p: Progress, extra_s: float = 0.0) -> str:
    """One plain-text line (escape it for rich or HTML); ``extra_s``: time since the snapshot."""
    parts = [p.phase]
    if p.phase == READING and p.prompt_total:
        parts[0] += f" {p.prompt_done:,}/{p.prompt_total:,} tokens"
    parts.append(_duration(p.elapsed_s + extra_s))
    if p.tokens:
        parts.append(f"{p.tokens:,} tokens written")
    if p.tokens_per_s:
        parts.append(f"{p.tokens_per_s:.1f} tokens/s")
    left = None if p.eta_s is None else p.eta_s - extra_s
    if left is not None and (left >= 1 or not p.eta_is_bound):  # never "ETA ≤ 0s"
        parts.append(f"ETA {'≤ ' if p.eta_is_bound else ''}{_duration(max(0.0, left))}")
    return " · ".join(parts)


class ArtifactProgress:
    """Counts one artifact's calls; thread-safe enough for one writer (its call's thread)."""

    def __init__(self, clock=time.monotonic) -> None:  # noqa: ANN001 - a clock function
        self.clock = clock
        self.started = clock()
        self.phase = READING
        self.tokens = 0  # over all calls of the artifact
        self._call_tokens = 0
        self._call_chars = 0
        self._call_max = 0
        self._write_started: float | None = None
        self._written_before = 0.0  # writing seconds of earlier calls
        self._prompt = (0, 0)
        self._prompt_started: float | None = None
        self._last_emit = -1e9
        self._emitted_phase = ""

    def begin_call(self, max_tokens: int, repairing: bool = False) -> None:
        self._end_writing()
        self.phase = REPAIRING if repairing else READING
        self._call_tokens = self._call_chars = 0
        self._call_max = max_tokens
        self._prompt, self._prompt_started = (0, 0), self.clock()

    def prompt_read(self, done: int, total: int) -> None:
        self._prompt = (done, total)

    def token(self, text: str) -> None:
        if self._write_started is None:
            self._write_started = self.clock()
            if self.phase == READING:
                self.phase = WRITING
        self._call_chars += len(text)
        before = self._call_tokens
        self._call_tokens = max(self._call_tokens + 1, (self._call_chars + 3) // 4)
        self.tokens += self._call_tokens - before

    def validating(self) -> None:
        self._end_writing()
        self.phase = VALIDATING

    def _end_writing(self) -> None:
        if self._write_started is not None:
            self._written_before += self.clock() - self._write_started
            self._write_started = None

    def due(self) -> bool:
        """Whether to send a progress event now: on a new phase, else every ``EMIT_EVERY_S``."""
        now = self.clock()
        if self.phase == self._emitted_phase and now - self._last_emit < EMIT_EVERY_S:
            return False
        self._last_emit, self._emitted_phase = now, self.phase
        return True

    def snapshot(self) -> Progress:
        now = self.clock()
        writing = self._written_before + (now - self._write_started if self._write_started is not None else 0.0)
        rate = self.tokens / writing if writing > 0.2 and self.tokens else None
        eta, bound = None, False
        done, total = self._prompt
        if self.phase == READING and total and done and self._prompt_started is not None:
            spent = now - self._prompt_started
            eta = spent / done * (total - done)
        elif self.phase in (WRITING, REPAIRING) and rate and self._call_max > self._call_tokens:
            # an upper bound while the answer may still run to max_tokens; past the
            # estimate of max_tokens (token counts are estimated) nothing honest is left
            eta, bound = (self._call_max - self._call_tokens) / rate, True
        return Progress(self.phase, round(now - self.started, 2), self.tokens,
                        round(rate, 2) if rate else None, round(eta, 1) if eta is not None else None,
                        bound, done, total)
