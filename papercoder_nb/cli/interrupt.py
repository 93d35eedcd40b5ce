"""Ctrl-C that does not wait for the model.

Python runs a signal handler only on the main thread and only between bytecodes: while
the embedded model reads a long prompt inside one llama.cpp call, Ctrl-C would wait for
that call (a minute on a slow machine). So the work runs in a helper thread and the main
thread only waits: Ctrl-C reaches it at once, trips the cancel token (which the local
backend turns into llama.cpp's abort flag, and HTTP backends into a closed stream), and
the work stops at its next batch or chunk, leaving a consistent session. A second
Ctrl-C leaves without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ..llm.base import CancelToken

T = TypeVar("T")
GRACE_S = 30.0  # how long the first Ctrl-C waits for the work to stop cleanly


def until_interrupted(work: Callable[[], T], cancel: CancelToken) -> T:
    """``work()`` in a helper thread; on Ctrl-C ``cancel`` is set, the work is given
    ``GRACE_S`` to stop, and ``KeyboardInterrupt`` is raised again."""
    box: dict[str, Any] = {}
    done = threading.Event()  # not Thread.join: a join cut by Ctrl-C can report a live thread as ended

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as e:  # handed to the main thread as is
            box["error"] = e
        finally:
            done.set()

    thread = threading.Thread(target=target, name="papercoder-work", daemon=True)
    try:  # a Ctrl-C while the thread starts is handled the same way
        thread.start()
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        cancel.cancel()
        done.wait(GRACE_S)  # a second Ctrl-C interrupts this wait and leaves at once
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]
