"""Cancel and prompt-reading progress inside llama-cpp-python's evaluation.

``create_chat_completion`` reads the whole prompt in one ``Llama.eval`` before the
first streamed chunk, so a check per chunk lets Cancel wait minutes on a long prompt
(and on a busy machine one token's decode can take seconds). Two hooks close that gap,
both on one ``Llama`` instance and both version-tolerant (missing internals: no hook):

* llama.cpp's abort callback, asked between graph nodes while a batch is computed:
  Cancel stops any decode within milliseconds. The callback must not need Python's
  GIL (it runs hundreds of times per token, on llama.cpp's thread, and waiting for the
  GIL there would stall the model), so it is C's ``strlen`` over a two-byte flag:
  ``strlen`` of ``"\\0"`` is 0 (go on), of ``"\\1"`` is 1 (abort). Cancel sets the
  flag through a ``CancelToken`` listener. Where ``strlen`` can't be found, a Python
  callback is used for multi-token batches only (prompt reading).
* a wrapper around the context's ``decode`` that refuses the next batch once cancelled
  and reports how many prompt tokens are read out of how many (the total comes from a
  wrapper around ``eval``, which gets the prompt tail left after the reused prefix).

An aborted batch leaves ``n_tokens`` at the last completed batch; the next ``eval``
drops everything past it from the KV cache, so the model stays usable.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .base import CancelledError, CancelToken

PromptProgress = Callable[[int, int], None]  # (prompt tokens read, prompt tokens to read)


def _c_flag_reader(callback_type: Any) -> Any:
    """libc's ``strlen`` as an abort callback, or None where it can't be loaded."""
    try:
        return ctypes.cast(ctypes.CDLL(None).strlen, callback_type)
    except (OSError, AttributeError, TypeError):
        return None


class LlamaHooks:
    """Installed once per ``Llama``; ``watch`` points it at the current call."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.cancel: CancelToken | None = None
        self.on_progress: PromptProgress | None = None
        self.aborted = False  # the last decode was stopped inside llama.cpp
        self.decoding = threading.Event()  # set while a multi-token batch is computed
        self._flag = ctypes.create_string_buffer(2)  # b"\0\0": go on; b"\1\0": abort
        self._total = 0
        self._start = 0
        self._lock = threading.Lock()
        self._per_batch = self._install_abort()
        self._wrap()

    def _install_abort(self) -> Callable[[bool], None] | None:
        """Install the flag reader for good; returns a per-batch switch for the fallback."""
        try:
            from llama_cpp import llama_cpp as C

            callback_type, setter, ctx = C.ggml_abort_callback, C.llama_set_abort_callback, self.llama._ctx.ctx
        except (ImportError, AttributeError):
            return None
        reader = _c_flag_reader(callback_type)
        data = ctypes.cast(self._flag, ctypes.c_void_p)
        if reader is not None:
            self._keep = reader  # ctypes must not collect what llama.cpp calls
            setter(ctx, reader, data)
            return None
        fallback = callback_type(lambda _data: self._flag.raw[0] == 1)
        self._keep = fallback
        return lambda on: setter(ctx, fallback if on else callback_type(), data)

    def _trip(self) -> None:
        self._flag[0] = b"\x01"

    def _wrap(self) -> None:
        llama, ctx = self.llama, getattr(self.llama, "_ctx", None)
        if ctx is None or not hasattr(ctx, "decode"):
            return
        plain_eval, plain_decode = llama.eval, ctx.decode

        def eval_(tokens: Any) -> Any:
            self._total, self._start = len(tokens), llama.n_tokens
            return plain_eval(tokens)

        def decode(batch: Any) -> Any:
            if self.cancel is not None and self.cancel.cancelled:
                raise CancelledError("cancelled by the user")
            size = _batch_size(batch)
            self._decode(plain_decode, batch, size)
            if size > 1 and self.on_progress is not None and self._total > 1:
                done = llama.n_tokens + size - self._start  # n_tokens moves on after decode returns
                self.on_progress(min(done, self._total), self._total)

        llama.eval = eval_
        ctx.decode = decode

    def _decode(self, plain_decode: Callable[[Any], Any], batch: Any, size: int) -> None:
        switch = self._per_batch if size > 1 else None
        if switch:
            switch(True)
        if size > 1:
            self.decoding.set()
        try:
            plain_decode(batch)
        except RuntimeError:
            if self._flag.raw[0] == 1:
                self.aborted = True
                raise CancelledError("cancelled by the user") from None
            raise
        finally:
            self.decoding.clear()
            if switch:
                switch(False)

    @contextmanager
    def watch(self, cancel: CancelToken | None, on_progress: PromptProgress | None) -> Iterator[None]:
        with self._lock:
            self._flag[0] = b"\x00"
            self.cancel, self.on_progress, self.aborted = cancel, on_progress, False
            remove = cancel.on_cancel(self._trip) if cancel is not None else None
            try:
                yield
            finally:
                if remove is not None:
                    remove()
                self.cancel, self.on_progress = None, None
                self._flag[0] = b"\x00"


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
