"""The Evaluate step: score the generated repository (reference-based or a rubric)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..eval_box import EvalBox
from .base import Step, StepHost

if TYPE_CHECKING:
    import ipywidgets as W


class EvaluateStep(Step):
    name = "Evaluate"

    def __init__(self, host: StepHost) -> None:
        super().__init__(host)
        self.box = EvalBox(host)

    def view(self) -> list[W.Widget]:
        self.box.refresh()
        return [self.box.widget]

    def state(self) -> str:
        session = self.host.session
        return "generated" if session and (session.root / "eval").is_dir() else "missing"

    def actions(self) -> list[W.Button]:
        return [self.box.go]
