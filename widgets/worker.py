"""Long work off the kernel's main thread, reported through a queue.

While a click handler runs on the main thread no other click arrives, so Cancel only
works if the model runs elsewhere. The worker thread never prints, displays or touches
a widget: ``print``/``display`` from a thread land in the wrong cell, and in Colab trait
changes from a thread don't refresh. It only puts items on a queue; the panel drains the
queue on the main thread (from the hidden Play ticker, or ``Workbench.wait_idle`` in
scripts and tests), coalescing streamed tokens so a burst costs one widget update.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from papercoder_nb.llm.base import CancelToken
from papercoder_nb.run.runner import Event

Emit = Callable[[Event], None]
JobFn = Callable[[CancelToken, Emit], Any]


@dataclass
class Finished:
    """The job's last word: its result, or the exception that ended it."""

    label: str
    result: Any = None
    error: BaseException | None = None


Item = Event | Finished


class Worker:
    """Runs one job at a time in a daemon thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.cancel_token: CancelToken | None = None
        self.label = ""

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, label: str, fn: JobFn) -> CancelToken:
        if self.busy:
            raise RuntimeError(f"already running {self.label!r}; wait for it or press Cancel")
        token = CancelToken()
        self.cancel_token = token
        self.label = label

        def target() -> None:
            try:
                result = fn(token, self._queue.put)
            except BaseException as e:  # noqa: BLE001 - reported to the panel, never printed
                self._queue.put(Finished(label, error=e))
            else:
                self._queue.put(Finished(label, result=result))

        self._thread = threading.Thread(target=target, name=f"papercoder-{label}", daemon=True)
        self._thread.start()
        return token

    def cancel(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job's thread; True when no job is running any more."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.busy

    def drain(self, limit: int = 5000) -> list[Item]:
        """Everything queued so far, consecutive tokens of one artifact joined into one."""
        out: list[Item] = []
        for _ in range(limit):
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            prev = out[-1] if out else None
            if (
                isinstance(item, Event) and item.kind == "token"
                and isinstance(prev, Event) and prev.kind == "token" and prev.artifact == item.artifact
            ):
                out[-1] = Event("token", item.artifact, prev.text + item.text, at=item.at)
            else:
                out.append(item)
        return out
