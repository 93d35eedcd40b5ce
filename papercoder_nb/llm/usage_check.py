"""Usage a server reports is checked before it is summed, priced or budgeted.

A server (or a proxy in front of one) can report negative, absurd or missing token
counts; taken as they are, a session's total goes negative, its cost reads $0 and
``--budget`` stops nothing. What was sent and received bounds what can be true: a token
is at least one byte of text, so a prompt of N bytes cannot be more than N tokens (plus
the chat template's and tool definitions' few thousand), and an answer cannot be more than
its bytes plus the hidden reasoning the request allowed. A count outside those bounds is
replaced by an estimate from the text, and the call says so.
"""

from __future__ import annotations

import json

from ..paper.tokens import estimate_tokens
from .base import Completion, Request, Usage

TEMPLATE_SLACK = 4096  # chat template, tool definitions, system scaffolding


def _sent_text(request: Request) -> str:
    schema = json.dumps(request.schema) if request.schema is not None else ""
    return "".join(m.text for m in request.messages) + schema


def _allowed_output(request: Request, reasoning_reserve: int) -> int:
    """Output tokens the request let the model write (visible and hidden reasoning)."""
    return request.max_tokens + reasoning_reserve


def check_usage(request: Request, completion: Completion, reasoning_reserve: int = 0) -> tuple[Usage, str | None]:
    """The usage to count for this call, and a note when the reported one was not credible."""
    reported = completion.usage
    sent = _sent_text(request)
    max_in = len(sent.encode("utf-8")) + TEMPLATE_SLACK
    max_out = len(completion.text.encode("utf-8")) + _allowed_output(request, reasoning_reserve) + 256
    fixed: dict[str, int] = {}
    why: list[str] = []
    if not 0 <= reported.input_tokens <= max_in:
        fixed["input_tokens"] = estimate_tokens(sent)
        why.append(f"{reported.input_tokens:,} input tokens for a prompt of at most {max_in:,}")
    if not 0 <= reported.output_tokens <= max_out:
        fixed["output_tokens"] = estimate_tokens(completion.text)
        why.append(f"{reported.output_tokens:,} output tokens for a request of at most "
                   f"{_allowed_output(request, reasoning_reserve):,}")
    input_tokens = fixed.get("input_tokens", reported.input_tokens)
    for cache in ("cache_read_tokens", "cache_write_tokens"):
        value = getattr(reported, cache)
        if not 0 <= value <= max(input_tokens, max_in):
            fixed[cache] = 0
            why.append(f"{value:,} {cache.replace('_', ' ')}")
    if not why:
        return reported, None
    usage = reported.model_copy(update=fixed)
    note = (f"the server reported {'; '.join(why)}: not credible, counted as "
            f"{usage.input_tokens:,} in / {usage.output_tokens:,} out (estimated from the text); "
            "check the answer (and the bill)")
    return usage, note
