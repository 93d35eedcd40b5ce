"""A served model's context window, asked of its server without blocking the panel.

The estimate shows at once; when it needs a window only the server knows (an
``openai:`` model missing from the table, on a custom base URL), the engine's lookup
(``papercoder_nb.run.served_window``, at most a few seconds) runs in its own daemon thread —
not the panel's Worker, which runs one job at a time and must stay free for Run. As
everywhere in the panel, the thread only queues; a hidden Play ticker (``compat``, which
also ticks from the kernel on ipywidgets 7) hands the answer over on the main thread,
where the estimate is drawn again for whatever model is chosen *then*: an answer for a
model the user has since changed only fills the cache and never shows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from urllib.parse import urlparse

import ipywidgets as W

from papercoder_nb.run import served_window as sw

from . import compat

Key = tuple[str, str]  # (spec, base URL)


class WindowLookup:
    def __init__(self, on_answer: Callable[[], None], tick_ms: int = 200) -> None:
        self.on_answer = on_answer
        self._answered: queue.SimpleQueue[Key] = queue.SimpleQueue()
        self._threads: dict[Key, threading.Thread] = {}
        self.ticker: W.Play = compat.make_ticker(self.poll, tick_ms)

    def window(self, spec: str, base_url: str | None) -> tuple[int | None, str]:
        """(window, note): the server's window when known; else a note, and a lookup started."""
        url = sw.server_to_ask(spec, base_url)
        if url is None:
            return None, ""
        asked, window = sw.cached_window(spec, url)
        if asked:
            # Said, not silence: without it a user would read "no warning" as "it fits".
            return window, "" if window else sw.silent_note(url)
        self._start((spec, url))
        return None, f"asking the server at {urlparse(url).netloc or url} for its context window…"

    def _start(self, key: Key) -> None:
        thread = self._threads.get(key)
        if thread is not None and thread.is_alive():
            return

        def look() -> None:
            try:
                sw.server_window(*key)
            finally:  # even on an error: the note must not say "asking" for ever
                self._answered.put(key)

        thread = threading.Thread(target=look, name="papercoder-window", daemon=True)
        self._threads[key] = thread
        thread.start()
        compat.set_playing(self.ticker, True)

    def poll(self) -> None:
        """On the main thread (the ticker): redraw once answers arrived; stop ticking when none is due."""
        arrived = False
        while True:
            try:
                self._threads.pop(self._answered.get_nowait(), None)
            except queue.Empty:
                break
            arrived = True
        if not self._threads:
            compat.set_playing(self.ticker, False)
        if arrived:
            self.on_answer()

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every lookup answered and was drawn (scripts and tests; no ticker there)."""
        for thread in list(self._threads.values()):
            thread.join(timeout)
        self.poll()
        return not self._threads
