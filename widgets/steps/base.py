"""The ``Step`` base: one object per step of the panel's stepper."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import ipywidgets as W

    from papercoder_nb.llm.base import Backend
    from papercoder_nb.session.store import Session

    from ..artifact_view import ArtifactView
    from ..model_box import ModelBox
    from ..questions import QuestionsBox
    from ..unsaved import AskBar


class NextAction(Protocol):
    """The panel's "next useful action" (``next_step.Navigator``), named here by what a
    step calls so the steps do not import the navigator that imports them."""

    def perform_next(self) -> None: ...


class StepHost(Protocol):
    """What a step reads from the panel it belongs to (the ``Workbench``)."""

    session: Session | None
    statuses: dict[str, str]
    files: list[str]
    view: ArtifactView
    questions: QuestionsBox
    model_box: ModelBox
    ask: AskBar
    nav: NextAction

    @property
    def busy(self) -> bool: ...

    def status_of(self, aid: str) -> str: ...

    def asked(self, what: str, proceed: Any, stay: Any = None) -> bool: ...

    def approve_files(self) -> None: ...

    def load(self, source: str, background: bool = True) -> None: ...

    def load_uploaded(self, files: list[tuple[str, bytes]]) -> None: ...

    def set_dropped_sections(self, ids: list[str]) -> None: ...

    def start_new_session(self) -> None: ...

    def render_statuses(self) -> None: ...

    # the smoke and evaluation boxes' host (smoke_box.Host, eval_box.Host)
    def start_job(self, label: str, fn: Any, on_finish: Any, planned: int = 1) -> bool: ...

    def get_backend(self) -> Backend: ...

    def after_change(self, message: str = "") -> None: ...

    def show_error(self, message: str, *, raw: bool = False, hint: str | None = None) -> None: ...

    def pump(self) -> None: ...

    def select_artifact(self, aid: str) -> None: ...


class Step:
    """One step of the panel: its stepper button, what it shows, what Run does there,
    which buttons it owns and the colour the stepper gives it.

    Why a class: the steps used to be strings matched in if/elif chains spread over the
    panel (what to show, the stepper's colours, Run's scope, the file tree), and a name
    none of the chains knew silently showed Export. Now everything about a step is in
    one place: a new step is one subclass plus one entry in ``registry.STEP_TYPES``.
    """

    name: ClassVar[str]  # the stepper button's label and the step's key ("Plan")
    run_until: ClassVar[str | None] = None  # Run's ``until`` at this step; None runs everything
    needs_session: ClassVar[bool] = True  # without a session the panel asks for a paper instead

    def __init__(self, host: StepHost) -> None:
        self.host = host

    @property
    def css(self) -> str:
        """The suffix of ``pc-step-*`` and ``pc-showing-*`` (the browser tests wait on them)."""
        return self.name.lower()

    @property
    def run_label(self) -> str:
        """The Run button's label while this step's scope has work."""
        return f"Run {self.run_until}" if self.run_until else "Run everything"

    @classmethod
    def shows(cls, aid: str) -> bool:
        """Whether this is the step that shows artifact ``aid`` (for ``select_artifact``)."""
        return False

    def view(self) -> list[W.Widget]:
        """Refresh this step's widgets and return the panel content's children."""
        raise NotImplementedError

    def state(self) -> str:
        """The step's state for the stepper's colour and icon (the engine's state names)."""
        raise NotImplementedError

    def actions(self) -> list[W.Button]:
        """The buttons of this step that start work; a running job turns them off."""
        return []

    def set_busy(self, busy: bool) -> None:
        # Off while a job runs; the step's box turns them back on when it next refreshes.
        if busy:
            for b in self.actions():
                b.disabled = True

    def focus(self, aid: str) -> None:
        """After the panel switched here for ``aid``: point at it (a file in a list)."""

    def opened(self, session: Session) -> None:
        """A session was opened in the panel."""
