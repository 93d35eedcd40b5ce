"""Continuing an answer that the output limit cut off.

A long file can outgrow even a generous output limit. Asking again from scratch at the
same limit is cut at the same place, so the cut answer is sent back as the assistant's
turn with a request to go on from the last character; the pieces are joined where they
overlap (models often restart the cut line). The result is then parsed and checked like
any answer (code must compile), so a bad seam is caught, not hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .base import Message, Request
from .limits import ModelLimits

MAX_CONTINUATIONS = 4
MIN_OVERLAP = 16  # shorter repeats are coincidences ("):" ), not a restarted line
MIN_ROOM = 256  # a continuation with less room than this would only be cut again
_OPEN_FENCE = re.compile(r"^\s*```[\w.+-]*[^\n]*\n")


def continuation_request(
    request: Request, partial: str, prompt: str, limits: ModelLimits, count: Callable[[str], int],
) -> Request | None:
    """The request for the rest of ``partial``, or None when the window has no room left."""
    messages = [*request.messages, Message.of("assistant", partial.rstrip()), Message.of("user", prompt)]
    input_tokens = sum(count(m.text) + 4 for m in messages)
    room = limits.context_window - input_tokens - 160
    if room < MIN_ROOM:
        return None
    return request.model_copy(update={"messages": messages, "max_tokens": min(request.max_tokens, room)})


def stitch(partial: str, more: str) -> str:
    """``partial`` followed by its continuation, the seam without repeats or a new fence."""
    if partial.count("```") % 2 == 1:  # inside an open code block: a second opening is noise
        more = _OPEN_FENCE.sub("", more, count=1)
    partial = partial.rstrip(" \t") if partial.endswith((" ", "\t")) and more[:1] in (" ", "\t") else partial
    limit = min(len(partial), len(more), 4000)
    for k in range(limit, MIN_OVERLAP - 1, -1):
        if partial.endswith(more[:k]):
            return partial + more[k:]
    # A restarted cut line: the continuation begins with the whole line that was cut.
    head, _, cut = partial.rpartition("\n")
    if cut.strip() and more.startswith(cut) and len(cut) >= MIN_OVERLAP // 2:
        return f"{head}\n{more}" if head else more
    return partial + more
