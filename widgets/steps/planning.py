"""The planning steps: one artifact each, shown in the artifact view."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import Step

if TYPE_CHECKING:
    import ipywidgets as W


class PlanningStep(Step):
    """A step that shows one planning artifact and, below it, the open questions."""

    artifact: ClassVar[str]
    # Without auto-approve the runner stops at every approval gate, so each planning
    # step's Run simply continues planning from wherever the session is.
    run_until = "planning"
    with_questions: ClassVar[bool] = True

    @classmethod
    def shows(cls, aid: str) -> bool:
        return aid == cls.artifact

    def view(self) -> list[W.Widget]:
        self.host.view.show(self.artifact)
        assert self.host.session is not None  # needs_session
        self.host.questions.refresh(self.host.session)
        return [self.host.view.widget, *([self.host.questions.widget] if self.with_questions else [])]

    def state(self) -> str:
        return self.host.status_of(self.artifact)


class PlanStep(PlanningStep):
    name = "Plan"
    artifact = "plan"


class ArchitectureStep(PlanningStep):
    name = "Architecture"
    artifact = "architecture"


class LogicStep(PlanningStep):
    name = "Logic"
    artifact = "logic"


class ConfigStep(PlanningStep):
    name = "Config"
    artifact = "config"
    with_questions = False  # shown alone: the open questions sit under the other three
