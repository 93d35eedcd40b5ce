"""Pre-flight: will the paper and the planning fit the model's context window?

The prompt builder (``stages/context.py``) never refuses a long paper: it condenses,
in a stated order. This says beforehand, in one line each, what it will condense for
this paper on this model, so a user can choose (drop sections, pick a longer window)
before paying for a run. The window comes from the option given, the model table, or
the embedded model's default; a served model the table does not know has its window
asked of its server beforehand (``served_window``), and without it gets no warning.
"""

from __future__ import annotations

from types import SimpleNamespace

from ..llm.limits import ModelLimits, known_limits, limits_of
from ..llm.providers import info_of
from ..llm.spec import ModelSpec
from ..llm.typical import PLANNING_OUT, SYSTEM
from ..stages.context import PAPER_SHARE_SMALL, SAFETY_MARGIN, SMALL_WINDOW

TASK = 400  # an analysis call's own instructions


def window_of(spec: str) -> int | None:
    provider, model = ModelSpec.parse(spec)
    declared = info_of(provider).default_window
    if declared:
        return declared
    known = known_limits(model) if model else None
    return known[0] if known else None


def limits_for(window: int) -> ModelLimits:
    return limits_of(SimpleNamespace(context_window=window))


def fit_warnings(paper_tokens: int, spec: str, window: int | None = None) -> list[str]:
    """What will be condensed to fit ``spec``'s window; empty when everything fits whole."""
    window = window or window_of(spec)
    if not window or paper_tokens <= 0:
        return []
    limits = limits_for(window)
    # Typical planning output (see typical.py), capped by what this model may write.
    planning = sum(min(out, limits.answer_cap(kind)) for kind, out in PLANNING_OUT.items())
    # The analysis call is the largest before coding: paper, all planning, its task, its answer.
    available = window - limits.answer_reserve("analysis") - SAFETY_MARGIN - SYSTEM - TASK
    paper_room = int(window * PAPER_SHARE_SMALL) if window < SMALL_WINDOW else available - planning
    warnings = []
    if paper_tokens > paper_room:
        warnings.append(
            f"the paper (≈{paper_tokens:,} tokens) and planning (≈{planning:,}) do not fit whole in the "
            f"{window:,}-token window of {spec}: the paper is condensed to ≈{max(200, paper_room):,} tokens "
            "(references first, then appendices, then every section cut evenly); drop sections you "
            "don't need, or choose a model with a longer window"
        )
    # Small windows give the paper a fixed share first; large ones compact planning first.
    paper_in = min(paper_tokens, paper_room) if window < SMALL_WINDOW else paper_tokens
    if paper_in + planning > available:
        warnings.append(
            "the planning designs will be passed compactly (and the plan cut) in the analysis and "
            "coding prompts, and earlier code files as outlines"
        )
    return warnings
