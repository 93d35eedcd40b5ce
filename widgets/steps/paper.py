"""The Paper step: load a paper or a session, pick the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..paper_box import PaperBox
from ..ui import button, show
from .base import Step, StepHost

if TYPE_CHECKING:
    import ipywidgets as W


class PaperStep(Step):
    name = "Paper"
    run_until = "planning"
    needs_session = False  # this is where a session comes from

    def __init__(self, host: StepHost) -> None:
        super().__init__(host)
        self.paper_box = PaperBox(host.load, host.load_uploaded, host.set_dropped_sections)
        self.new_session_button = button("New session for this paper", "pc-new-session", icon="plus",
                                         tooltip="start again in a new folder; the current session stays as it is")
        self.new_session_button.on_click(lambda _b: host.start_new_session())

    def view(self) -> list[W.Widget]:
        show(self.new_session_button, self.host.session is not None)
        return [self.paper_box.widget, self.new_session_button, self.host.model_box.widget]

    def state(self) -> str:
        return "approved" if self.host.session else "missing"

    def actions(self) -> list[W.Button]:
        return [self.paper_box.load]

    def set_busy(self, busy: bool) -> None:
        # The paper box never refreshes its Load button itself: it comes back on here.
        self.paper_box.load.disabled = busy
