"""How long Cancel takes on the embedded local model, while reading a prompt and while writing.

Each attempt runs one call in a thread, presses Cancel (reading: 1 s after the call
started, with a prompt far too long to be read by then; writing: at the 10th streamed
token) and times Cancel to the call's return. A different opening per attempt keeps the
model from reusing the last prompt's cache. Prints a table, then ``cancel_latency_s=X``,
the worst of all attempts.

    python benchmarks/cancel.py [--runs 5]
"""

from __future__ import annotations

import argparse
import threading
import time

from papercoder_nb.llm.base import CancelledError, CancelToken, Message, Request
from papercoder_nb.llm.local import LocalBackend

FILLER = " ".join(f"Section {i}: the encoder stacks attention and feed-forward layers." for i in range(200))


def attempt(backend: LocalBackend, request: Request, phase: str) -> tuple[float, str]:
    """(seconds from Cancel to return, what the call was doing when cancelled)."""
    token, tenth, seen = CancelToken(), threading.Event(), []
    outcome: list[str] = []
    state = {"read": 0}

    def on_token(text: str) -> None:
        seen.append(text)
        if len(seen) >= 10:
            tenth.set()

    def on_progress(done: int, total: int) -> None:
        state["read"] = done

    def call() -> None:
        try:
            backend.execute(request, on_token=on_token, cancel=token, on_progress=on_progress)
            outcome.append("finished before Cancel")
        except CancelledError:
            outcome.append("cancelled")

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    if phase == "reading":
        time.sleep(1.0)
    else:
        tenth.wait(600)
    doing = "writing" if seen else "reading the prompt"
    pressed = time.perf_counter()
    token.cancel()
    worker.join()
    took = time.perf_counter() - pressed
    return took, f"{doing} ({len(seen)} tokens out, {state['read']} prompt tokens read): {outcome[0]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    backend = LocalBackend()
    backend.llama  # load once, outside the timings  # noqa: B018
    rows: list[tuple[str, int, float, str]] = []
    for phase in ("reading", "writing"):
        for i in range(a.runs):
            text = f"Attempt {i} of {phase}. Summarise this paper.\n{FILLER}" if phase == "reading" else (
                f"Attempt {i}: write a long essay about attention in neural networks.")
            req = Request(messages=[Message.of("user", text)], max_tokens=600, temperature=0.7)
            took, what = attempt(backend, req, phase)
            rows.append((phase, i + 1, took, what))
    print(f"{'phase':<8} {'run':>3} {'cancel→return s':>16}  state when cancelled")
    for phase, i, took, what in rows:
        print(f"{phase:<8} {i:>3} {took:>16.3f}  {what}")
    for phase in ("reading", "writing"):
        worst = max(t for p, _, t, _ in rows if p == phase)
        print(f"worst while {phase}: {worst:.3f} s")
    print(f"cancel_latency_s={max(t for _, _, t, _ in rows):.3f}")


if __name__ == "__main__":
    main()
