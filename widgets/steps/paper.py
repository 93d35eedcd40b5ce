"""The Paper step: load a paper or a session, pick the model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from papercoder_nb.run.runner import Event
from papercoder_nb.session.store import Session

from ..paper_box import PaperBox
from ..ui import button, show
from .base import Step, StepHost

if TYPE_CHECKING:
    import ipywidgets as W

    from ..worker import Emit


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "paper"


def create_session(workdir: Path, source: str, emit: Emit, *, new: bool) -> Session:
    """Parse ``source`` (in the worker) and reopen its latest session in ``workdir``, or
    start one in a new folder named after the paper when there is none or ``new``."""
    from papercoder_nb.paper import load_paper
    from papercoder_nb.session.reopen import latest_session

    def progress(what: str, done: int, total: int) -> None:
        emit(Event("info", "paper", f"{what} {done}/{total}"))

    paper = load_paper(source, progress=progress)
    if not new:  # same paper, same work folder: reopen the work, don't restart it
        found = latest_session(workdir, paper)
        if found is not None:
            return Session.open(found)
    base = workdir / _slug(paper.title or Path(source).stem)
    root, n = base, 1
    while root.exists():
        n += 1
        root = base.with_name(f"{base.name}-{n}")
    return Session.create(root, paper, source)


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
