"""One obvious next step: what the primary button should do when the current step is done.

Pure functions over the engine's statuses, so the rule is testable without a front end:
the first planning artifact not yet approved, then the analyses, then the code, then
the smoke run and the export. "Run …" generates; "Review …" only shows the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from papercoder_nb.session.artifacts import PLANNING

from .steps import AnalysisStep, CodeStep, step_for_artifact

if TYPE_CHECKING:
    import ipywidgets as W

    from papercoder_nb.session.store import Session

    from .steps import Step
    from .unsaved import AskBar

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
        step = step_for_artifact(aid) or ""  # every planning artifact has its step
        if st in TODO:
            return Action(f"Run the {aid}", step, "planning", True)
        if st != "approved":
            return Action(f"Review the {aid}", step)
    for kind, step, scope in ((s.kind, s.name, s.run_until) for s in (AnalysisStep, CodeStep)):
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


def planned_calls(statuses: dict[str, str], files: list[str], scope: str | None, auto: bool) -> int:
    """How many model calls a run of ``scope`` plans: the progress bar's length."""
    todo = [a for a, s in statuses.items() if s in TODO]
    if not auto and scope in (*PLANNING, "planning"):
        return 1  # the runner stops at the first approval gate
    if scope in PLANNING:
        return max(1, PLANNING.index(scope) + 1 - sum(1 for a in PLANNING if statuses.get(a) not in TODO))
    if scope == "planning":
        return max(1, sum(1 for a in todo if a in PLANNING))
    if scope == "analysis":
        return max(1, sum(1 for a in todo if not a.startswith("code:")))
    return max(1, len(todo) + (2 * 8 if not files else 0))  # no task list yet: a guess at its size


class Host(Protocol):
    session: Session | None
    statuses: dict[str, str]
    files: list[str]
    step: str
    run_button: W.Button
    ask: AskBar

    @property
    def busy(self) -> bool: ...

    @property
    def current_step(self) -> Step: ...

    def select_step(self, name: str) -> None: ...

    def select_artifact(self, aid: str) -> None: ...

    def run(self, until: str | None | type[...] = ..., only: list[str] | None = None) -> bool: ...


class Navigator:
    """The primary button and "Approve and continue" for one panel."""

    def __init__(self, wb: Host) -> None:
        self.wb = wb

    def smoke_ok(self) -> bool | None:
        smoke = self.wb.session.state.smoke if self.wb.session else None
        return None if not smoke else bool(smoke.get("ok"))

    def update_primary(self) -> None:
        """Run's label names what it will do; with nothing to run here, the session's next step."""
        self.wb.run_button.disabled = self.wb.busy or self.wb.session is None
        here = self.wb.current_step
        if self.wb.session is None or scope_has_work(self.wb.statuses, here.run_until):
            self.wb.run_button.description = here.run_label
            return
        action = next_action(self.wb.statuses, self.wb.files, self.smoke_ok())
        stay = action.step == self.wb.step and not action.run
        waiting = "Waiting for your review here" if action.label.startswith("Review") else "Up to date: nothing to run"
        self.wb.run_button.description = waiting if stay else action.label
        self.wb.run_button.disabled |= stay

    def primary(self) -> None:
        if self.wb.session is None or scope_has_work(self.wb.statuses, self.wb.current_step.run_until):
            self.wb.run()
        else:
            self.perform_next()

    def perform_next(self) -> None:
        action = next_action(self.wb.statuses, self.wb.files, self.smoke_ok())
        self.wb.select_step(action.step)
        if action.run and not self.wb.ask.asking:
            self.wb.run(until=action.scope)

    def go_next(self, aid: str) -> None:
        """After "Approve and continue": the next file waiting for review, else the next step."""
        kind = aid.split(":", 1)[0]
        following = next_waiting_file(self.wb.statuses, self.wb.files, kind, aid) if kind in ("analysis", "code") else None
        if following:
            self.wb.select_artifact(following)
        else:
            self.perform_next()
