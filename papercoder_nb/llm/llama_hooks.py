"""Cancel and prompt-reading progress inside llama-cpp-python's evaluation.

``create_chat_completion`` reads the whole prompt in one ``Llama.eval`` before the
first streamed chunk, so a check per chunk lets Cancel wait minutes on a long prompt.
Two hooks close that gap, both on one ``Llama`` instance and both version-tolerant
(missing internals just mean no hook):

* llama.cpp's abort callback, asked between graph nodes while a batch is decoded:
  Cancel stops even one large batch within milliseconds. It is only installed around
  multi-token batches (prompt reading): a Python callback per node would slow down the
  one-token decodes of writing, which the per-chunk check already covers.
* a wrapper around the context's ``decode`` that refuses the next batch once cancelled
  and reports how many prompt tokens are read out of how many (the total comes from a
  wrapper around ``eval``, which gets the prompt tail left after the reused prefix).

An aborted batch leaves ``n_tokens`` at the last completed batch; the next ``eval``
drops everything past it from the KV cache, so the model stays usable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .base import CancelledError, CancelToken

PromptProgress = Callable[[int, int], None]  # (prompt tokens read, prompt tokens to read)


class LlamaHooks:
    """Installed once per ``Llama``; ``watch`` points it at the current call."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.cancel: CancelToken | None = None
        self.on_progress: PromptProgress | None = None
        self.aborted = False  # the last decode was stopped by the abort callback
        self._total = 0
        self._start = 0
        self._lock = threading.Lock()
        self._abort_cb = self._make_abort_callback()
        self._wrap()

    def _make_abort_callback(self) -> Any:
        try:
            from llama_cpp import llama_cpp as C

            callback_type, setter = C.ggml_abort_callback, C.llama_set_abort_callback
        except (ImportError, AttributeError):
            return None

        def should_abort(_data: Any) -> bool:
            cancel = self.cancel
            return bool(cancel is not None and cancel.cancelled)

        cb = callback_type(should_abort)  # kept on self: ctypes must not collect it
        self._set_abort = lambda on: setter(self.llama._ctx.ctx, cb if on else callback_type(), None)
        return cb

    def _wrap(self) -> None:
        llama, ctx = self.llama, getattr(self.llama, "_ctx", None)
        if ctx is None or not hasattr(ctx, "decode"):
            return
        plain_eval, plain_decode = llama.eval, ctx.decode

        def eval_(tokens: Any) -> Any:
            self._total, self._start = len(tokens), llama.n_tokens
            return plain_eval(tokens)

        def decode(batch: Any) -> Any:
            cancel = self.cancel
            if cancel is not None and cancel.cancelled:
                raise CancelledError("cancelled by the user")
            size = _batch_size(batch)
            big = size > 1 and self._abort_cb is not None
            if big:
                self._set_abort(True)
            try:
                plain_decode(batch)
            except RuntimeError:
                if cancel is not None and cancel.cancelled:
                    self.aborted = True
                    raise CancelledError("cancelled by the user") from None
                raise
            finally:
                if big:
                    self._set_abort(False)
            if size > 1 and self.on_progress is not None and self._total > 1:
                done = llama.n_tokens + size - self._start  # n_tokens moves on after decode returns
                self.on_progress(min(done, self._total), self._total)

        llama.eval = eval_
        ctx.decode = decode

    @contextmanager
    def watch(self, cancel: CancelToken | None, on_progress: PromptProgress | None) -> Iterator[None]:
        with self._lock:
            self.cancel, self.on_progress, self.aborted = cancel, on_progress, False
            try:
                yield
            finally:
                self.cancel, self.on_progress = None, None


_HOOKS: dict[int, LlamaHooks] = {}
_HOOKS_LOCK = threading.Lock()


def hooks_for(llama: Any) -> LlamaHooks:
    with _HOOKS_LOCK:
        h = _HOOKS.get(id(llama))
        if h is None or h.llama is not llama:
            h = _HOOKS[id(llama)] = LlamaHooks(llama)
        return h


def _batch_size(batch: Any) -> int:
    n = getattr(batch, "n_tokens", 1)
    return int(n() if callable(n) else n)
