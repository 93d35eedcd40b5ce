"""One obvious next step: what the primary button should do when the current step is done.

Pure functions over the engine's statuses, so the rule is testable without a front end:
the first planning artifact not yet approved, then the analyses, then the code, then
the smoke run and the export. "Run …" generates; "Review …" only shows the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from papercoder_nb.artifacts import PLANNING

PLANNING_STEP = {"plan": "Plan", "architecture": "Architecture", "logic": "Logic", "config": "Config"}
TODO = ("missing", "stale")  # the engine's states that a run regenerates
WAITING = ("generated", "edited")  # the engine's states that wait for a reviewer


@dataclass(frozen=True)
class Action:
    label: str
    step: str  # the step to show
    scope: str | None = None  # the run's `until` when ``run``
    run: bool = False


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


def next_action(statuses: dict[str, str], files: list[str], smoke_ok: bool | None) -> Action:
    """The next useful action for the whole session, from the engine's statuses."""
    for aid in PLANNING:
        st = statuses.get(aid, "missing")
        if st in TODO:
            return Action(f"Run the {aid}", PLANNING_STEP[aid], "planning", True)
        if st != "approved":
            return Action(f"Review the {aid}", PLANNING_STEP[aid])
    for kind, step, scope in (("analysis", "Analysis", "analysis"), ("code", "Code", "coding")):
        states = [statuses.get(f"{kind}:{f}", "missing") for f in files]
        todo = sum(s in TODO for s in states)
        if todo:
            return Action(f"Run {kind} ({_files(todo)})", step, scope, True)
        waiting = sum(s in WAITING for s in states)
        if waiting:
            return Action(f"Review {kind} ({_files(waiting)})", step)
    if smoke_ok is None:
        return Action("Go to the smoke run", "Smoke")
    return Action("Export the repository", "Export")


def scope_has_work(statuses: dict[str, str], scope: str | None) -> bool:
    """Whether running ``scope`` (a Run button's `until`) would generate anything."""
    def kind_of(aid: str) -> str:
        return aid.split(":", 1)[0] if ":" in aid else "planning"

    kinds = {"planning": {"planning"}, "analysis": {"planning", "analysis"}}.get(scope or "", {"planning", "analysis", "code"})
    return any(st in TODO and kind_of(aid) in kinds for aid, st in statuses.items()) or (
        "planning" in kinds and any(a not in statuses for a in PLANNING))


def next_waiting_file(statuses: dict[str, str], files: list[str], kind: str, after: str) -> str | None:
    """The next file of ``kind`` waiting for review, after ``after`` in task order (wrapping)."""
    ids = [f"{kind}:{f}" for f in files]
    start = ids.index(after) + 1 if after in ids else 0
    for aid in ids[start:] + ids[:start]:
        if statuses.get(aid) in WAITING and aid != after:
            return aid
    return None


def perform(action: Action, select: Callable[[str], None], run: Callable[[str | None], bool]) -> None:
    select(action.step)
    if action.run:
        run(action.scope)
