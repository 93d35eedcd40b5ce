"""The panel: ``Workbench()`` — load a paper, run each stage, review, edit, approve, export.

It drives the same engine and session folder as the CLI, so a session started in one
opens in the other. Model calls run in a worker thread that only queues events; the
hidden Play ticker (or ``wait_idle`` in scripts and tests) drains them into widgets on
the main thread. Layout: a stepper of Buttons and one content Box whose children are
swapped — no Tab or Accordion, which misbehave under Colab's widget manager.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as W

from papercoder_nb.llm.base import Backend, CancelToken
from papercoder_nb.llm.pricing import format_cost
from papercoder_nb.run import review
from papercoder_nb.run.runner import Event, Runner, RunResult
from papercoder_nb.session.artifacts import PLANNING
from papercoder_nb.session.graph import statuses, task_files
from papercoder_nb.session.store import Session
from papercoder_nb.session.writer_lock import busy_by

from . import compat
from .artifact_view import ArtifactView
from .errors import describe, hint_of
from .header import Header
from .model_box import ModelBox
from .next_step import Navigator, planned_calls
from .paper_box import save_upload
from .questions import QuestionsBox
from .runbar import RunBar
from .steps import FilesStep, FileTree, Step, Steps
from .steps.evaluate import EvaluateStep
from .steps.export import ExportStep
from .steps.paper import PaperStep, create_session
from .steps.smoke import SmokeStep
from .ui import STYLE, box, html, set_class, show
from .unsaved import AskBar, drafts_note
from .views import esc, stream_html
from .worker import Emit, Finished, Worker


class Workbench:
    """The workbench panel. Display it as the last expression of a cell, or ``display(wb.widget)``.

    ``source``: a paper (path, arXiv id) or a session folder to open. ``backend``: an
    already built backend (tests, demos, a configured server), which fixes the model.
    """

    def __init__(
        self,
        source: str | Path | Session | None = None,
        *,
        workdir: str | Path | None = None,
        model: str | None = None,
        backend: Backend | None = None,
        auto_approve: bool = False,
        tick_ms: int = 120,
    ) -> None:
        self.workdir = Path(workdir) if workdir else Path.cwd() / "papercoder-sessions"
        self.session: Session | None = None
        self.backend = backend
        self.worker = Worker()
        self._job_active = False
        self._on_finish: Callable[[Finished], None] | None = None
        self.last_result: Any = None
        self.statuses: dict[str, str] = {}
        self.files: list[str] = []
        self.running: set[str] = set()
        self.failed: set[str] = set()
        self.failing: dict[str, list[str]] = {}  # artifact → why it fails its checks (engine's review rules)
        self.stream_text = ""
        self.started = self.done = 0
        self.step = "Paper"
        self.new_session = False  # set by the "New session" choice: the next load starts afresh

        self.ticker = compat.make_ticker(self.pump, tick_ms)
        self.model_box = ModelBox(model, backend.spec if backend is not None else None)
        self.model_box.provider.observe(lambda _c: self._estimate(), names="value")
        self.model_box.model.observe(lambda _c: self._estimate(), names="value")
        self.view = ArtifactView(self)
        self.ask = AskBar(self.view.do_save, self.view.do_revert)
        self.questions = QuestionsBox(self.after_change)
        self.file_tree = FileTree(self)  # shared by the Analysis and Code steps
        self.steps = Steps(self)  # each step builds its own box here
        self._name_step_widgets()

        self.header = Header(self.steps.names, self.select_step)
        self.step_buttons = self.header.step_buttons

        self.runbar = self._make_runbar(auto_approve)

        self.content = box([], "pc-content")
        self.need_paper = html("pc-need-paper", "<p><i>Load a paper first (Paper step).</i></p>")
        self.widget = box([
            html("pc-style", STYLE),
            html("pc-title", "<h2 style='margin:4px 0'>papercoder · paper → plan → code</h2>"),
            self.header.widget, self.ask.widget, self.runbar, self.content, self.ticker,
        ], "pc-panel")

        if isinstance(source, Session):
            self.open_session(source)
        elif source is not None:
            self.load(str(source), background=False)
        self.select_step(self.step)

    def _make_runbar(self, auto_approve: bool) -> W.Box:
        """The run bar's widgets under the panel's public names (tests and scripts use them)."""
        self.nav = Navigator(self)
        bar = self.bar = RunBar(self.nav.primary, self.cancel, auto_approve)
        self.run_button, self.cancel_button, self.auto_approve = bar.run_button, bar.cancel_button, bar.auto_approve
        self.progress, self.meter, self.run_status = bar.progress, bar.meter, bar.run_status
        self.progress_line, self.stream, self.error = bar.progress_line, bar.stream, bar.error
        return bar.widget

    def _name_step_widgets(self) -> None:
        """The steps' widgets under the panel's public names (tests and scripts use them)."""
        paper = self.steps.of(PaperStep)
        self.paper_box, self.new_session_button = paper.paper_box, paper.new_session_button
        self.smoke_box = self.steps.of(SmokeStep).box
        self.eval_box = self.steps.of(EvaluateStep).box
        self.export_box = self.steps.of(ExportStep).box
        tree = self.file_tree
        self.file_box, self.file_select, self.code_findings = tree.widget, tree.file_select, tree.code_findings
        self.approve_all, self.approve_all_next, self.files_style = tree.approve_all, tree.approve_all_next, tree.files_style

    # -- display ---------------------------------------------------------------------
    def _ipython_display_(self, **_kw: Any) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def busy(self) -> bool:
        return self._job_active

    @property
    def current_step(self) -> Step:
        return self.steps[self.step]

    # -- loading -----------------------------------------------------------------------
    def load(self, source: str, background: bool = True) -> None:
        """A paper path / arXiv id (parsed in the worker), or a session folder (reopened)."""
        if self._asked(f"open {source}", lambda: self.load(source, background)):
            return
        if not source:
            self.show_error("Type a path to a paper, an arXiv id (arxiv:1706.03762) or a session folder first.")
            return
        folder = Path(source).expanduser()
        if (folder / "session.json").is_file():
            try:
                self.open_session(Session.open(folder))
            except Exception as e:
                self.show_error(describe(e), hint=hint_of(e))
            return

        def job(_token: CancelToken, emit: Emit) -> Session:
            return self._create_session(source, emit)

        if background:
            self._start("load", job, self._loaded, planned=1)
            self.run_status.value = f"Reading {esc(source)} …"
            return
        try:
            self.open_session(job(CancelToken(), lambda _e: None))
        except Exception as e:
            self.show_error(describe(e), hint=hint_of(e))

    def load_uploaded(self, files: list[tuple[str, bytes]]) -> None:
        if not files:
            return
        name, data = files[0]
        path = save_upload(self.workdir / "uploads", name, data)
        self.paper_box.path.value = str(path)
        self.load(str(path))

    def start_new_session(self) -> None:
        """A fresh session for the open session's paper (loading it again reopens the latest)."""
        if self.session is None:
            return
        source = self.session.state.paper_source
        if self._asked("start a new session", self.start_new_session):
            return
        from papercoder_nb.session.recording import recording_origin, session_from_recording

        origin = recording_origin(self.session)
        if origin is None:
            self.new_session = True
            self.load(source)
            return
        try:  # a replay starts again from its recording's parsed paper, never a parse of the PDF
            self.open_session(session_from_recording(origin, self.workdir, new=True))
        except Exception as e:
            self.show_error(describe(e), hint=hint_of(e))

    def _create_session(self, source: str, emit: Emit) -> Session:
        session = create_session(self.workdir, source, emit, new=self.new_session)
        self.new_session = False  # a "New session" choice is used up once a paper loaded
        return session

    def _loaded(self, item: Finished) -> None:
        if item.error is not None:
            self.show_error(describe(item.error), hint=hint_of(item.error))
            return
        self.open_session(item.result)

    def open_session(self, session: Session) -> None:
        self.session = session
        self.questions.session = session
        for step in self.steps:
            step.opened(session)
        if session.state.model and not self.backend and not session.state.model.startswith("scripted"):
            self.model_box.set_spec(session.state.model)
        self.paper_box.path.value = str(session.root)
        self.paper_box.show_session(session)
        self.clear_error()
        self.refresh()
        self.run_status.value = f"Session <code>{esc(session.root)}</code> open: {esc(self._summary())}" + drafts_note(session)

    def set_dropped_sections(self, ids: list[str]) -> None:
        if self.session is None:
            return
        self.session.set_dropped_sections(ids)
        self.paper_box.refresh_help(self.session)
        self.after_change(f"{len(ids)} section(s) dropped; generated artifacts become stale")

    # -- running -----------------------------------------------------------------------
    def _get_backend(self) -> Backend:
        if self.backend is not None:
            return self.backend
        return self.model_box.backend_for(self.session)

    get_backend = _get_backend  # public names for the step boxes (smoke_box, eval_box)

    def run(self, until: str | None | type[...] = ..., only: list[str] | None = None) -> bool:
        """Generate what is missing or stale in scope (the current step's stage by default)."""
        if self.session is None:
            self.show_error("Load a paper first (Paper step).")
            return False
        scope = self.current_step.run_until if until is ... else until
        session, auto = self.session, self.auto_approve.value

        def job(token: CancelToken, emit: Emit) -> RunResult:
            backend = self._get_backend()
            return Runner(session, backend, auto_approve=auto, on_event=emit, cancel=token).run(until=scope, only=only)

        return self._start("run", job, self._run_finished, planned=planned_calls(self.statuses, self.files, scope, auto))

    def regenerate(self, aid: str, feedback: str = "") -> bool:
        if self.session is None:
            return False
        session = self.session

        def job(token: CancelToken, emit: Emit) -> Any:
            backend = self._get_backend()
            return Runner(session, backend, on_event=emit, cancel=token).generate(aid, feedback=feedback.strip() or None)

        return self._start("regenerate", job, self._regenerated, planned=1)

    def cancel(self) -> None:
        if self.busy:
            self.worker.cancel()
            self.run_status.value = "Cancelling… (the model stops within a second; nothing partial is kept)"

    def _start(self, label: str, fn: Callable[[CancelToken, Emit], Any], on_finish: Callable[[Finished], None], planned: int) -> bool:
        if self.busy:
            self.show_error(f"Already running ({self.worker.label}): wait for it, or press Cancel.")
            return False
        holder = busy_by(self.session.root) if self.session is not None else None
        if holder:  # another process (a CLI resume) writes this session: read-only here meanwhile
            self.show_error(f"This session is busy: {holder} is writing it. The panel is read-only until it "
                            "finishes; then press again.")
            return False
        self.bar.start(planned)
        self.stream_text = ""
        self.started = self.done = 0
        self.failed.clear()
        self._on_finish = on_finish
        self._job_active = True
        self.worker.start(label, fn)
        compat.set_playing(self.ticker, True)
        self._set_busy(True)
        self.run_status.value = f"{esc(label)}: started"
        return True

    def start_job(self, label: str, fn: Callable[[CancelToken, Emit], Any], on_finish: Callable[[Finished], None],
                  planned: int = 1) -> bool:
        def finished(item: Finished) -> None:
            self.run_status.value = f"{esc(label)}: {'finished' if item.error is None else 'stopped'}"
            on_finish(item)

        return self._start(label, fn, finished, planned)

    def _set_busy(self, busy: bool) -> None:
        self.run_button.disabled = busy
        for step in self.steps:
            step.set_busy(busy)
        self.cancel_button.disabled = not busy
        set_class(self.widget, "pc-busy", "yes" if busy else "no")

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until the current job finished and its events are drained (scripts, tests)."""
        deadline = time.monotonic() + timeout
        while self._job_active and time.monotonic() < deadline:
            self.worker.join(0.05)
            self.pump()
        return not self._job_active

    # -- draining (main thread) ----------------------------------------------------------
    def pump(self) -> None:
        """Move queued worker events into widgets; called by the ticker on the main thread."""
        items = self.worker.drain()
        self.progress_line.tick()  # elapsed and ETA move on between events too
        if not items:
            return
        need_refresh = False
        for item in items:
            if isinstance(item, Finished):
                self._job_active = False
                self.running.clear()
                compat.set_playing(self.ticker, False)
                self._set_busy(False)
                self.progress_line.clear()
                self.progress.bar_style = "success" if item.error is None else "danger"
                callback, self._on_finish = self._on_finish, None
                if callback is not None:
                    callback(item)
                need_refresh = True
            else:
                need_refresh |= self._event(item)
        self.stream.value = stream_html(self.stream_text, collapsed=not self._job_active) if self.stream_text else ""
        self.progress.max = max(self.progress.max, self.started)
        self.progress.value = min(self.done, self.progress.max)
        if need_refresh:
            self.refresh()
        else:
            self._update_meter()

    def _event(self, e: Event) -> bool:
        self.progress_line.event(e)
        if e.kind == "token":
            self.stream_text = (self.stream_text + e.text)[-20000:]
            return False
        if e.kind == "start":
            self.started += 1
            self.running.add(e.artifact)
            self.stream_text = f"── {e.artifact} ──\n"
            self.run_status.value = f"Generating <code>{esc(e.artifact)}</code> …"
            self._render_statuses()
            return False
        if e.kind == "done":
            self.done += 1
            self.running.discard(e.artifact)
            cost = format_cost(e.cost_usd) if e.usage else ""
            self.run_status.value = f"Done <code>{esc(e.artifact)}</code> {esc(cost)}"
            return True
        if e.kind == "error":
            self.running.discard(e.artifact)
            if e.text != "cancelled":
                self.failed.add(e.artifact)
            return True
        if e.kind in ("waiting", "retry", "info"):
            self.run_status.value = f"{esc(e.artifact + ': ' if e.artifact else '')}{esc(e.text)}"
        return e.kind == "info" and e.artifact == "repair"  # the Smoke step shows each proposal as it comes

    def _run_finished(self, item: Finished) -> None:
        if item.error is not None:
            self.show_error(describe(item.error), hint=hint_of(item.error))
            return
        r: RunResult = item.result
        self.last_result = r
        self.bar.report(r)
        target = (r.waiting_for_approval or [None])[0] or (r.generated[-1] if r.generated else None)
        if target and not r.cancelled:
            self.select_artifact(target)

    def _regenerated(self, item: Finished) -> None:
        from papercoder_nb.llm.base import CancelledError

        if isinstance(item.error, CancelledError):
            self.run_status.value = "Cancelled — the previous version is unchanged."
        elif item.error is not None:
            self.show_error(describe(item.error), hint=hint_of(item.error))
        else:
            self.last_result = item.result
            self.run_status.value = f"Regenerated <code>{esc(self.view.aid)}</code>; the old version is in history (Diff)."
            self.view.feedback.value = ""

    # -- state → widgets -------------------------------------------------------------------
    def status_of(self, aid: str) -> str:
        if aid in self.running:
            return "running"
        if aid in self.failed and self.statuses.get(aid) in ("missing", "stale", None):
            return "failed"
        st = self.statuses.get(aid, "missing")
        return "failing" if aid in self.failing and st in ("generated", "edited", "approved") else st

    def after_change(self, message: str = "") -> None:
        """Called after any edit, approval, answer or section change."""
        self.refresh()
        if message:
            stale = [a for a in self.statuses if self.status_of(a) == "stale"]
            extra = f" — stale now: {', '.join(stale)}" if stale else ""
            self.run_status.value = esc(message + extra)

    def refresh(self) -> None:
        if self.session is not None:
            self.statuses = dict(statuses(self.session))
            self.files = task_files(self.session)
            self.failing = review.check_failures(self.session)
        self._render_statuses()
        self._update_meter()
        self._estimate()
        self.model_box.update_class_note()  # the day's budget after what the run spent
        self.select_step(self.step)

    def _summary(self) -> str:
        counts: dict[str, int] = {}
        for a in self.statuses:
            counts[self.status_of(a)] = counts.get(self.status_of(a), 0) + 1
        return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing generated yet"

    def _render_statuses(self) -> None:
        ids = list(self.statuses) if self.statuses else (list(PLANNING) if self.session else [])
        self.header.render(self.status_of, ids, self.files, lambda name: self.steps[name].state(), self.step)

    render_statuses = _render_statuses  # public name for the steps (Export re-colours itself)
    def _update_meter(self) -> None:
        if self.session is None:
            self.meter.value = ""
            return
        u = self.session.state.usage
        self.meter.value = (
            f"<span class='pc-meter-text' style='margin-left:12px' title='recorded after each model call; the live call is on the progress line'>Session: {u.input_tokens:,} in · "
            f"{u.output_tokens:,} out · {esc(format_cost(self.session.state.cost_usd))}</span>"
        )

    def _estimate(self) -> None:
        self.model_box.update_keys()
        self.model_box.update_estimate(self.session, len(self.files))

    def go_next(self, aid: str) -> None:  # the artifact view's "Approve and continue"
        self.nav.go_next(aid)

    # -- steps -------------------------------------------------------------------------------
    def _asked(self, what: str, proceed: Callable[[], None], stay: Callable[[], None] | None = None) -> bool:
        """True when unsaved editor text made the panel ask before doing ``what``."""
        if not self.view.dirty or self.session is None:
            return False
        self.ask.ask(self.view.aid, what, proceed, stay)
        return True

    asked = _asked  # public name for the steps (the file tree asks before opening a file)

    def select_step(self, name: str) -> None:
        """Show step ``name``; an unknown name raises ``UnknownStep`` (a KeyError) naming the steps."""
        step = self.steps[name]
        if name != self.step and self._asked(f"go to {name}", lambda: self.select_step(name)):
            return
        self.step = name
        self.nav.update_primary()
        show(self.runbar, self.session is not None)
        children = step.view() if self.session is not None or not step.needs_session else [self.need_paper]
        if tuple(children) != tuple(self.content.children):
            self.content.children = tuple(children)
        set_class(self.content, "pc-showing", step.css)
        self._render_statuses()

    def select_artifact(self, aid: str) -> None:
        step = self.steps.for_artifact(aid)
        if step is None:  # an artifact no step lists (the paper itself): nothing to show
            return
        self.select_step(step.name)
        step.focus(aid)

    def approve_files(self) -> None:
        """The file tree's "Approve all": this step's files that pass their checks."""
        step = self.current_step
        if self.session is None or not isinstance(step, FilesStep):
            return
        self.file_tree.approve(step.kind)

    # -- errors --------------------------------------------------------------------------------
    def show_error(self, message: str, *, raw: bool = False, hint: str | None = None) -> None:
        self.bar.show_error(message, raw=raw, hint=hint)

    def clear_error(self) -> None:
        self.bar.clear_error()
