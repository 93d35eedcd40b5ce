"""Command-line options about the model's limits, reasoning and what a run may spend.

Kept apart from the command definitions so every command that builds a backend or a
runner takes them the same way: ``add_model_options`` / ``add_budget_options`` add the
flags, ``backend_options`` and ``configure_backend`` turn them into backend settings,
``runner_options`` into the runner's.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..llm.limits import REASONING_LEVELS
from ..llm.pricing import parse_price


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-output", type=int, metavar="TOKENS",
                   help="the model's output limit, when it is not known or to lower it (default: from the model)")
    p.add_argument("--reasoning", choices=REASONING_LEVELS,
                   help="reasoning effort (OpenAI o-series, GPT-5) or extended-thinking budget (Claude)")
    p.add_argument("--small-model", action=argparse.BooleanOptionalAction, default=None,
                   help="brief prompts, tight output caps and bounded schemas (default: for windows under 32k)")


def add_budget_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget-tokens", type=int, metavar="N",
                   help="stop before the session's input+output tokens would exceed N")
    p.add_argument("--price", metavar="IN,OUT",
                   help="USD per million input and output tokens, for a model not in the price table")


def backend_options(a: argparse.Namespace) -> dict[str, Any]:
    """Constructor options for ``get_backend`` (every built-in backend accepts them)."""
    opts: dict[str, Any] = {}
    if getattr(a, "max_output", None):
        if a.max_output < 256:
            raise ValueError(f"--max-output {a.max_output} is too small: an answer needs at least 256 tokens")
        opts["max_output"] = a.max_output
    if getattr(a, "reasoning", None):
        opts["reasoning"] = a.reasoning
    return opts


def configure_backend(backend: Any, a: argparse.Namespace) -> Any:
    """Settings that belong to this run rather than to the model: mode and price."""
    if getattr(a, "small_model", None) is not None:
        backend.small_model = a.small_model
    if getattr(a, "price", None):
        backend.price = parse_price(a.price)
    return backend


def runner_options(a: argparse.Namespace) -> dict[str, Any]:
    tokens = getattr(a, "budget_tokens", None)
    if tokens is not None and tokens <= 0:
        raise ValueError(f"--budget-tokens must be a positive number of tokens, not {tokens}")
    return {"budget_tokens": tokens} if tokens else {}
