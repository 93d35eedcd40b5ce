"""What a model can read and write: its context window and its maximum output.

Every cap in a request derives from these two numbers: the answer's ``max_tokens``, the
room left for the prompt, and the bounds written into JSON schemas. A strong model is
never cut below what it writes; tight bounds are kept only for small models in short
windows (the embedded 135M model), which loop inside an unbounded string or list.

Where the numbers come from, first match wins: an explicit option (``--max-output``,
``context_window=``), what a server says about itself (llama.cpp's ``/props``, vLLM's
``max_model_len`` in ``/v1/models``), the table of known models below, a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import capabilities_of
from .schema import bound_schema

SMALL_WINDOW = 32_000  # below this a model is treated as small unless told otherwise
CHARS_PER_TOKEN = 4
# Small models: answer caps per artifact kind (a looping 135M model stops here).
SMALL_MAX_TOKENS = {"plan": 800, "architecture": 700, "logic": 900, "config": 400, "analysis": 600, "code": 1100,
                    "repair": 1100}  # a repair may answer with the whole file
SMALL_STRING_CAP, SMALL_LIST_CAP = 240, 6
# Large models: the least room the prompt must leave the answer, per kind. The answer's
# cap is then everything the window and the model's output limit allow.
ANSWER_RESERVE = {"plan": 8_000, "architecture": 8_000, "logic": 8_000, "config": 4_000,
                  "analysis": 8_000, "code": 16_000, "repair": 16_000}
REASONING_LEVELS = ("low", "medium", "high")

# (context window, maximum output tokens); longest matching prefix wins. Public figures
# of the providers; a model missing here gets the provider default and can be told its
# limits with --max-output / context_window.
KNOWN_MODELS: dict[str, tuple[int, int]] = {
    # Anthropic
    "claude-opus-4-7": (1_000_000, 128_000),
    "claude-opus-4-6": (200_000, 128_000),
    "claude-opus-4-5": (200_000, 64_000),
    "claude-opus-4": (200_000, 32_000),
    "claude-sonnet-4": (200_000, 64_000),
    "claude-haiku-4": (200_000, 64_000),
    "claude-3-7-sonnet": (200_000, 64_000),
    "claude-3-5-sonnet": (200_000, 8_192),
    "claude-3-5-haiku": (200_000, 8_192),
    "claude-3-opus": (200_000, 4_096),
    "claude-3-haiku": (200_000, 4_096),
    "claude-": (200_000, 32_000),
    # OpenAI
    "gpt-5": (400_000, 128_000),
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-4o": (128_000, 16_384),
    "gpt-4-turbo": (128_000, 4_096),
    "gpt-4": (8_192, 8_192),
    "gpt-3.5-turbo": (16_385, 4_096),
    "o1": (200_000, 100_000),
    "o1-mini": (128_000, 65_536),
    "o3": (200_000, 100_000),
    "o4-mini": (200_000, 100_000),
}


def known_limits(model: str) -> tuple[int, int] | None:
    """(window, max output) of a known model name, e.g. 'gpt-4o-2024-08-06'."""
    name = model.rsplit("/", 1)[-1].lower()
    matches = [p for p in KNOWN_MODELS if name.startswith(p)]
    return KNOWN_MODELS[max(matches, key=len)] if matches else None


def default_max_output(window: int) -> int:
    """For a model nobody described: a quarter of the window, at most 32k."""
    return max(256, min(32_000, window // 4))


@dataclass(frozen=True)
class ModelLimits:
    context_window: int
    max_output: int  # tokens the answer itself may use (thinking headroom already taken off)
    small: bool  # small-model mode: tight caps, grammar-friendly schemas, brevity prompts

    def answer_cap(self, kind: str) -> int:
        """The most output tokens an answer of this kind may take."""
        if self.small:
            return min(SMALL_MAX_TOKENS.get(kind, 800), max(256, self.context_window // 6), self.max_output)
        return max(256, min(self.max_output, self.context_window // 2))

    def answer_reserve(self, kind: str) -> int:
        """The room the prompt must leave for the answer when budgeting the input."""
        if self.small:
            return self.answer_cap(kind)
        return min(self.answer_cap(kind), ANSWER_RESERVE.get(kind, 8_000))

    def max_tokens(self, kind: str, input_tokens: int, margin: int = 160) -> int:
        """``max_tokens`` for a prompt of this size: all the room the window leaves, up to the cap."""
        room = self.context_window - input_tokens - margin
        return max(min(self.answer_reserve(kind), self.answer_cap(kind)), min(self.answer_cap(kind), room))

    def schema(self, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        """The request's schema with string and list bounds derived from these limits."""
        if schema is None:
            return None
        if self.small:
            return bound_schema(schema, SMALL_STRING_CAP, SMALL_LIST_CAP)
        # No string can be longer than the model can write; lists are left unbounded.
        return bound_schema(schema, self.max_output * CHARS_PER_TOKEN)


def limits_of(backend: Any) -> ModelLimits:
    """A backend's limits; backends that predate ``max_output`` get the defaults."""
    window = int(backend.context_window)
    caps = capabilities_of(backend)
    max_out = int(caps.max_output or default_max_output(window))
    reserve = int(caps.reasoning_reserve or 0)
    small = caps.small_model
    if small is None:
        small = window < SMALL_WINDOW
    answer = max(256, max_out - reserve) if max_out > reserve else max(256, max_out // 2)
    return ModelLimits(context_window=window, max_output=min(answer, window), small=bool(small))


def check_reasoning(level: str | None) -> str | None:
    if level in (None, "", "none"):
        return None
    if level not in REASONING_LEVELS:
        from .base import BackendError

        raise BackendError(f"reasoning must be one of {', '.join(REASONING_LEVELS)} (or none), not {level!r}")
    return level


def server_limits(props: Any, models: Any, model: str) -> tuple[int | None, int | None]:
    """(window, max output) from a server's ``/props`` and ``/v1/models`` answers.

    llama.cpp's ``/props`` has the window it was started with (``n_ctx``) and its output
    limit (``n_predict``, -1 for none); its ``/v1/models`` only knows the training window.
    vLLM puts ``max_model_len`` on each model; LM Studio and OpenRouter ``context_length``.
    """
    window = out = None
    if isinstance(props, dict):
        settings = props.get("default_generation_settings") or {}
        params = settings.get("params") or {} if isinstance(settings, dict) else {}
        for value in (settings.get("n_ctx") if isinstance(settings, dict) else None, props.get("n_ctx")):
            if isinstance(value, int) and value > 0:
                window = window or value
        n_predict = params.get("n_predict") if isinstance(params, dict) else None
        if isinstance(n_predict, int) and n_predict > 0:
            out = n_predict
    entries = models.get("data") if isinstance(models, dict) else None
    if window is None and isinstance(entries, list):
        entries = [m for m in entries if isinstance(m, dict)]
        chosen = [m for m in entries if m.get("id") == model] or entries[:1]
        for m in chosen:
            meta = m.get("meta") if isinstance(m.get("meta"), dict) else {}
            for value in (m.get("max_model_len"), m.get("context_length"), m.get("max_context_length"),
                          meta.get("n_ctx"), meta.get("n_ctx_train")):
                if isinstance(value, int) and value > 0:
                    window = value
                    break
            if window:
                break
    return window, out
