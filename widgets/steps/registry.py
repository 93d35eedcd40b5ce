"""The panel's steps, in stepper order: the one place a step is registered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from papercoder_nb.util.errors import PapercoderError

from .base import Step, StepHost
from .evaluate import EvaluateStep
from .export import ExportStep
from .files import AnalysisStep, CodeStep
from .paper import PaperStep
from .planning import ArchitectureStep, ConfigStep, LogicStep, PlanStep
from .smoke import SmokeStep

# The stepper shows these left to right. A new step: its class, then one entry here.
STEP_TYPES: tuple[type[Step], ...] = (
    PaperStep, PlanStep, ArchitectureStep, LogicStep, ConfigStep, AnalysisStep, CodeStep,
    SmokeStep, ExportStep, EvaluateStep,
)
STEP_NAMES: tuple[str, ...] = tuple(t.name for t in STEP_TYPES)

S = TypeVar("S", bound=Step)


class UnknownStep(PapercoderError, KeyError):
    """A step name that is not registered: says which names are (a KeyError quotes its text)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    @property
    def message(self) -> str:  # not the KeyError's quoted name
        return f"unknown step {self.name!r}: the steps are {', '.join(STEP_NAMES)}"


def step_for_artifact(aid: str) -> str | None:
    """The name of the step that shows artifact ``aid``, if any step does."""
    return next((t.name for t in STEP_TYPES if t.shows(aid)), None)


class Steps:
    """One panel's step objects, built from ``STEP_TYPES`` in order."""

    def __init__(self, host: StepHost) -> None:
        self._steps = {t.name: t(host) for t in STEP_TYPES}

    def __getitem__(self, name: str) -> Step:
        try:
            return self._steps[name]
        except KeyError:
            raise UnknownStep(name) from None

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps.values())

    @property
    def names(self) -> list[str]:
        return list(self._steps)

    def of(self, kind: type[S]) -> S:
        """The one step of class ``kind`` (the panel's public names for the step boxes)."""
        found = next(s for s in self if type(s) is kind)
        assert isinstance(found, kind)
        return found

    def for_artifact(self, aid: str) -> Step | None:
        return next((s for s in self if s.shows(aid)), None)
