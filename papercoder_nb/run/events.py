"""What a run reports and returns, and the order its stages and calls go in.

``Event``s go to the runner's callback as they happen (the CLI draws progress, the panel
queues them); a ``RunResult`` says what a run generated, what failed and what waits for
approval. ``critical_path_rank`` orders ready calls so the longest chain starts first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from ..llm.base import Usage
from ..session.artifacts import PLANNING
from .progress import Progress

STAGES = ("planning", "analysis", "coding")
EventKind = Literal["start", "token", "progress", "done", "error", "waiting", "retry", "info"]


@dataclass
class Event:
    kind: EventKind
    artifact: str = ""
    text: str = ""
    usage: Usage | None = None
    cost_usd: float | None = None
    at: float = field(default_factory=time.monotonic)
    progress: Progress | None = None  # with "progress" events: phase, elapsed, tokens, rate, ETA


@dataclass
class RunResult:
    generated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    waiting_for_approval: list[str] = field(default_factory=list)
    cancelled: bool = False
    stopped_at: str | None = None  # the ``until`` stage, when given

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled


# Relative cost of a call by kind (output size dominates latency): code answers run
# about twice as long as analyses in the measured PaperCoder run.
CALL_WEIGHT = {"analysis": 1.0, "code": 2.0}


def critical_path_rank(graph: dict) -> dict[str, float]:
    """Per artifact: its weight plus the longest weighted chain of artifacts that read it."""
    children: dict[str, list[str]] = {a: [] for a in graph}
    for aid, node in graph.items():
        for i in node.inputs:
            if i in children:
                children[i].append(aid)
    rank: dict[str, float] = {}
    for aid in reversed(list(graph)):  # graph is in topological order
        w = CALL_WEIGHT.get(aid.split(":")[0], 1.0)
        rank[aid] = w + max((rank[c] for c in children[aid]), default=0.0)
    return rank


def stage_of(artifact_id: str) -> str:
    kind = artifact_id.split(":")[0]
    return "planning" if kind in PLANNING else ("analysis" if kind == "analysis" else "coding")
