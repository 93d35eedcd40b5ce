"""List prices in one table, and the cost of a call's usage.

USD per million tokens: (input, output, cache read, cache write); list prices as
published by Anthropic and OpenAI (standard tier, prompts under 200k tokens). Anthropic bills cache
writes (5-minute TTL) at 1.25x input and reads at 0.1x; OpenAI caches prefixes
automatically, bills cached input at its discounted rate and has no write charge. A
model found in no row has no price: ``cost`` returns None and the UI shows tokens and
"cost unknown" — it never guesses and never crashes.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .base import Usage
from .providers import info_of
from .spec import ModelSpec


class Price(NamedTuple):
    input: float
    output: float
    cache_read: float
    cache_write: float


FREE = Price(0.0, 0.0, 0.0, 0.0)
# The model name of answers people wrote (a recording's): not a provider, and never billed.
HAND_WRITTEN = "hand-written"


def _free(provider: str) -> bool:
    """Nothing billed: a provider declared free (in-process, recorded, canned) or people's answers."""
    return provider == HAND_WRITTEN or info_of(provider).free


def _anthropic(inp: float, out: float) -> Price:
    return Price(inp, out, round(inp * 0.1, 4), round(inp * 1.25, 4))


PRICES: dict[str, dict[str, Price]] = {
    "anthropic": {
        "claude-opus-4-6": _anthropic(5.0, 25.0),
        "claude-opus-4-5": _anthropic(5.0, 25.0),
        "claude-opus-4-1": _anthropic(15.0, 75.0),
        "claude-opus-4": _anthropic(15.0, 75.0),
        "claude-sonnet-4-6": _anthropic(3.0, 15.0),
        "claude-sonnet-4-5": _anthropic(3.0, 15.0),
        "claude-sonnet-4": _anthropic(3.0, 15.0),
        "claude-haiku-4-5": _anthropic(1.0, 5.0),
        "claude-3-7-sonnet": _anthropic(3.0, 15.0),
        "claude-3-5-sonnet": _anthropic(3.0, 15.0),
        "claude-3-5-haiku": _anthropic(0.8, 4.0),
        "claude-3-opus": _anthropic(15.0, 75.0),
        "claude-3-haiku": _anthropic(0.25, 1.25),
    },
    "openai": {
        "gpt-5": Price(1.25, 10.0, 0.125, 1.25),
        "gpt-5.1": Price(1.25, 10.0, 0.125, 1.25),
        "gpt-5-codex": Price(1.25, 10.0, 0.125, 1.25),
        "gpt-5-mini": Price(0.25, 2.0, 0.025, 0.25),
        "gpt-5-nano": Price(0.05, 0.40, 0.005, 0.05),
        "gpt-5-pro": Price(15.0, 120.0, 15.0, 15.0),
        "gpt-4.1": Price(2.0, 8.0, 0.50, 2.0),
        "gpt-4.1-mini": Price(0.40, 1.60, 0.10, 0.40),
        "gpt-4.1-nano": Price(0.10, 0.40, 0.025, 0.10),
        "gpt-4o": Price(2.50, 10.0, 1.25, 2.50),
        "gpt-4o-mini": Price(0.15, 0.60, 0.075, 0.15),
        "o1": Price(15.0, 60.0, 7.50, 15.0),
        "o1-mini": Price(1.10, 4.40, 0.55, 1.10),
        "o3": Price(2.0, 8.0, 0.50, 2.0),
        "o3-pro": Price(20.0, 80.0, 20.0, 20.0),
        "o3-mini": Price(1.10, 4.40, 0.55, 1.10),
        "o4-mini": Price(1.10, 4.40, 0.275, 1.10),
    },
}


# What may follow a table name and still be the same model: a snapshot date, "latest",
# a cloud version tag. Anything else ("claude-opus-4" + "-7") is another model, whose
# price we do not know — so it gets none rather than a wrong one.
_SAME_MODEL = re.compile(r"([-@](\d{4}-?\d{2}-?\d{2}|latest))?(-v\d+(:\d+)?)?")


def _match(table: dict[str, Price], model: str) -> Price | None:
    """Longest table name that is the model: 'gpt-4o' prices 'gpt-4o-2024-08-06'."""
    best = ""
    for name in table:
        if model.startswith(name) and len(name) > len(best) and _SAME_MODEL.fullmatch(model[len(name) :]):
            best = name
    return table[best] if best else None


def price_for(spec: str) -> Price | None:
    """The list price for ``provider:model`` (a bare model name searches every table)."""
    provider, model = ModelSpec.parse(spec)
    if ":" not in spec and not _free(spec):  # "local" alone is a spec too
        provider, model = "", spec
    if _free(provider):
        return FREE
    model = model.strip().lower().rsplit("/", 1)[-1]  # "openai/gpt-4o" style names
    if not model:
        return None
    if provider:
        tables = [PRICES[provider]] if provider in PRICES else []
    else:
        tables = list(PRICES.values())
    for table in tables:
        price = _match(table, model)
        if price is not None:
            return price
    return None


def parse_price(text: str) -> Price:
    """``--price IN,OUT``: USD per million input and output tokens (no cache discount assumed)."""
    try:
        inp, out = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"--price takes IN,OUT in USD per million tokens, e.g. 0.5,1.5; got {text!r}") from None
    if inp < 0 or out < 0:
        raise ValueError(f"--price: prices can't be negative ({text!r})")
    return Price(inp, out, inp, inp)


def cost(spec: str, usage: Usage, price: Price | None = None) -> float | None:
    """USD for one call's usage (at ``price`` when given); None when the price is unknown."""
    try:
        price = price or price_for(spec)
    except Exception:  # a cost display must never take a run down
        return None
    if price is None:
        return None
    cached = max(0, usage.cache_read_tokens) + max(0, usage.cache_write_tokens)
    fresh = max(0, usage.input_tokens - cached)
    total = (
        fresh * price.input
        + max(0, usage.cache_read_tokens) * price.cache_read
        + max(0, usage.cache_write_tokens) * price.cache_write
        + max(0, usage.output_tokens) * price.output
    )
    return total / 1_000_000


def format_cost(x: float | None) -> str:
    if x is None:
        return "cost unknown"
    if x == 0:
        return "$0.00"
    if abs(x) < 0.01:
        return f"${x:.4f}"
    return f"${x:,.2f}"
