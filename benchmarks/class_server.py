"""A class of students on one shared server with few turns: before and after, side by side.

    python benchmarks/class_server.py [--students 30] [--calls 3] [--capacity 4]

Each student is a thread with its own backend and throttle (a kernel of its own), making
``--calls`` calls to ``tests/faultserver.py`` (127.0.0.1 only), which answers at most
``--capacity`` at once and refuses the rest with 429 and ``Retry-After: 1``.
"before": the retry of the last release (wait what the server asked plus up to 10 %,
every caller of a run resuming at the pause's end, no limit on turns); "after": this
release's (each caller resumes at its own random point in the pause, and a 429 halves the
turns a kernel takes, each answer giving one back). Columns: calls answered, calls that
gave up, 429s, the most calls arriving at the server within one 100 ms after the first
second (the class's first burst is the same for both; this is how herd-like the return is), wall time.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from faultserver import FaultServer  # noqa: E402

from papercoder_nb.llm import call as llm_call  # noqa: E402
from papercoder_nb.llm.base import Message, Request  # noqa: E402
from papercoder_nb.llm.openai import OpenAIBackend  # noqa: E402


class BeforeThrottle(llm_call.Throttle):
    """The last release's throttle: one pause for the run, everyone resumes at its end."""

    def backoff(self, seconds: float) -> None:
        with self._cond:
            self._until = max(self._until, time.monotonic() + seconds)
            self.pauses += 1

    def wait(self, cancel: object = None) -> None:
        while (delay := self.resume_at() - time.monotonic()) > 0:
            time.sleep(delay)

    def acquire(self, cancel: object = None) -> None:
        self.wait()

    def release(self, answered: bool) -> None:
        pass


def before_delay(attempt: int, retry_after: float | None, base_delay: float, max_delay: float) -> float:
    floor = retry_after if retry_after is not None else base_delay * 2 ** (attempt - 1)
    return min(max_delay, floor) * (1 + random.uniform(0, 0.1))


@contextmanager
def strategy(name: str) -> Iterator[type[llm_call.Throttle]]:
    if name == "before":
        with mock.patch.object(llm_call, "retry_delay", before_delay):
            yield BeforeThrottle
    else:
        yield llm_call.Throttle


def run(name: str, students: int, calls: int, capacity: int) -> dict[str, float]:
    answered = gave_up = 0
    lock = threading.Lock()
    with FaultServer() as server, strategy(name) as throttle_class:
        server.capacity, server.retry_after, server.delay = capacity, "1", 0.3
        server.on_request = lambda _a: None

        def student() -> None:
            nonlocal answered, gave_up
            backend = OpenAIBackend("fake", base_url=server.base_url, api_key="sk-local-not-real")
            throttle = throttle_class()
            req = Request(messages=[Message.of("user", "x" * 200)], kind="plan", artifact="plan", max_tokens=200)
            for _ in range(calls):
                try:
                    llm_call.call_model(backend, req, throttle=throttle, max_attempts=12, base_delay=0.5)
                    with lock:
                        answered += 1
                except Exception:  # noqa: BLE001 - counted
                    with lock:
                        gave_up += 1

        start = time.monotonic()
        threads = [threading.Thread(target=student) for _ in range(students)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - start
        refused = server.refused
        later = [t for t in server.arrivals if t > start + 1.0]
    return {"answered": answered, "gave_up": gave_up, "refused": refused, "herd": _busiest(later), "wall": wall}


def _busiest(times: list[float], window: float = 0.1) -> int:
    """The most arrivals within one ``window`` seconds."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] > window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--capacity", type=int, default=4)
    a = ap.parse_args()
    print(f"{a.students} students x {a.calls} calls, server with {a.capacity} turns (429, Retry-After: 1)")
    print(f"{'':8}{'answered':>10}{'gave up':>9}{'429s':>7}{'herd':>6}{'wall s':>8}")
    for name in ("before", "after"):
        r = run(name, a.students, a.calls, a.capacity)
        print(f"{name:8}{r['answered']:>10}{r['gave_up']:>9}{r['refused']:>7}{r['herd']:>6}{r['wall']:>8.1f}")


if __name__ == "__main__":
    main()
