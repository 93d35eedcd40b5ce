"""The Export step: write the repository, a zip or the notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..export_box import ExportBox, step_state
from .base import Step, StepHost

if TYPE_CHECKING:
    import ipywidgets as W

    from papercoder_nb.session.store import Session


class ExportStep(Step):
    name = "Export"

    def __init__(self, host: StepHost) -> None:
        super().__init__(host)
        self.box = ExportBox(on_export=host.render_statuses)  # re-colours this step after an export

    def view(self) -> list[W.Widget]:
        self.box.refresh()
        return [self.box.widget]

    def state(self) -> str:
        return step_state(self.host.session)

    # No actions(): an export runs on the main thread, not as a job, so a job does not
    # turn its buttons off.

    def opened(self, session: Session) -> None:
        self.box.session = session  # drops the links of the previous session's exports
