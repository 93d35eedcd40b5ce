"""The Smoke step: run the generated code once, repair what fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..smoke_box import SmokeBox
from .base import Step, StepHost

if TYPE_CHECKING:
    import ipywidgets as W


class SmokeStep(Step):
    name = "Smoke"

    def __init__(self, host: StepHost) -> None:
        super().__init__(host)
        self.box = SmokeBox(host)

    def view(self) -> list[W.Widget]:
        self.box.refresh()
        return [self.box.widget]

    def state(self) -> str:
        smoke = self.host.session.state.smoke if self.host.session else None
        return "missing" if not smoke else "approved" if smoke.get("ok") else "failed"

    def actions(self) -> list[W.Button]:
        return [self.box.run_smoke, self.box.repair]
