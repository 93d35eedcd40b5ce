"""The panel: ``Workbench()`` — load a paper, run each stage, review, edit, approve, export.

It drives the same engine and session folder as the CLI, so a session started in one
opens in the other. Model calls run in a worker thread that only queues events; the
hidden Play ticker (or ``wait_idle`` in scripts and tests) drains them into widgets on
the main thread. Layout: a stepper of Buttons and one content Box whose children are
swapped — no Tab or Accordion, which misbehave under Colab's widget manager.
"""

from __future__ import annotations

import re
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
from papercoder_nb.session.reopen import latest_session
from papercoder_nb.session.store import Session
from papercoder_nb.session.writer_lock import busy_by

from . import compat
from .artifact_view import ArtifactView
from .errors import advice, describe, group_failures
from .eval_box import EvalBox
from .export_box import ExportBox
from .export_box import step_state as export_step_state
from .findings_view import CodeFindings
from .header import Header, group_state
from .model_box import ModelBox
from .next_step import RUN_UNTIL, Navigator
from .palette import BAD, BAD_BG, WARN, WARN_BG
from .paper_box import PaperBox, save_upload
from .progress_line import ProgressLine
from .questions import QuestionsBox
from .smoke_box import SmokeBox
from .ui import STYLE, box, button, html, set_class, show
from .unsaved import AskBar, drafts_note
from .views import esc, stream_html
from .worker import Emit, Finished, Worker

STEPS = ["Paper", "Plan", "Architecture", "Logic", "Config", "Analysis", "Code", "Smoke", "Export", "Evaluate"]
STEP_ARTIFACT = {"Plan": "plan", "Architecture": "architecture", "Logic": "logic", "Config": "config"}
STATE_STYLE = {"approved": "success", "stale": "warning", "running": "info", "failed": "danger", "failing": "danger"}
STATE_ICON = {"approved": "check", "stale": "exclamation-triangle", "running": "spinner", "edited": "pencil",
              "generated": "circle", "failed": "times", "failing": "times-circle"}


def file_tree_style(owner: int, states: list[str]) -> str:
    """CSS that colours the file tree's entries by state (an <option> takes no markup):
    red for failing files, the warning colour for stale ones. Scoped to one panel."""
    colour = {"failing": (BAD, BAD_BG), "failed": (BAD, BAD_BG), "stale": (WARN, WARN_BG)}
    rules = [f".pc-files-of-{owner} option:nth-child({n}) {{ color: {colour[s][0]}; font-weight: bold; }} "
             # the selected entry gets a tint of its state: the browser's grey highlight is too dark for it
             f".pc-files-of-{owner} option:nth-child({n}):checked {{ background-color: {colour[s][1]}; }}"
             for n, s in enumerate(states, 1) if s in colour]
    return f"<style>{' '.join(rules)}</style>" if rules else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "paper"


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
        self._backends: dict[str, Backend] = {}
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
        self.paper_box = PaperBox(self.load, self.load_uploaded, self.set_dropped_sections)
        self.model_box = ModelBox(model, backend.spec if backend is not None else None)
        self.model_box.provider.observe(lambda _c: self._estimate(), names="value")
        self.model_box.model.observe(lambda _c: self._estimate(), names="value")
        self.view = ArtifactView(self)
        self.new_session_button = button("New session for this paper", "pc-new-session", icon="plus",
                                         tooltip="start again in a new folder; the current session stays as it is")
        self.new_session_button.on_click(lambda _b: self.start_new_session())
        self.ask = AskBar(self.view.do_save, self.view.do_revert)
        self.questions = QuestionsBox(self.after_change)
        self.export_box = ExportBox(on_export=self._render_statuses)
        self.smoke_box = SmokeBox(self)
        self.eval_box = EvalBox(self)

        self.header = Header(STEPS, self.select_step)
        self.step_buttons = self.header.step_buttons

        self.runbar = self._make_runbar(auto_approve)
        self.file_box = self._make_file_tree()

        self.content = box([], "pc-content")
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
        """Run (named for the next step), Cancel, auto-approve, progress, the live line and stream."""
        self.run_button = button("Run planning", "pc-run", style="primary", icon="play", width="auto")
        self.nav = Navigator(self)
        self.run_button.on_click(lambda _b: self.nav.primary())
        self.auto_approve = W.Checkbox(value=auto_approve, description="auto-approve (batch: no stops for review)", indent=False)
        self.auto_approve.layout.width = "auto"
        self.auto_approve.add_class("pc-auto-approve")
        self.cancel_button = button("Cancel", "pc-cancel", style="danger", icon="stop", )
        self.cancel_button.disabled = True
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.progress = W.IntProgress(value=0, min=0, max=1)
        self.progress.add_class("pc-progress")
        self.meter = html("pc-meter")
        self.run_status = html("pc-run-status")
        self.progress_line = ProgressLine()  # phase · elapsed · tokens · tokens/s · ETA
        self.stream = html("pc-stream")
        self.error = html("pc-error")
        return box([
            box([self.run_button, self.cancel_button, self.auto_approve, self.progress, self.meter], vertical=False),
            self.run_status, self.progress_line.widget, self.stream, self.error,
        ], "pc-runbar")

    def _make_file_tree(self) -> W.Box:
        """The analysis / code file list (task order) with its batch approvals."""
        self.file_select = W.Select(options=[], rows=8)
        self.file_select.layout.width = "100%"
        self.file_select.add_class("pc-files")
        self.file_select.observe(self._file_chosen, names="value")
        self.code_findings = CodeFindings(self)  # red above the editor: the file's failing checks
        self._filling_files = False
        self.approve_all = button("Approve all generated files", "pc-approve-all", style="success", icon="check", width="auto")
        self.approve_all.on_click(lambda _b: self.approve_files())
        self.approve_all_next = button("Approve all and continue", "pc-approve-all-next", style="success", icon="forward")
        self.approve_all_next.on_click(lambda _b: self.approve_files() or self.nav.perform_next())
        self.files_style = html("pc-files-style")  # colours the failing / stale entries of the file tree
        return box([html("pc-files-help", "<b>Files</b> (task order)"), self.files_style, self.file_select,
                             box([self.approve_all, self.approve_all_next], vertical=False)], "pc-file-tree")

    # -- display ---------------------------------------------------------------------
    def _ipython_display_(self, **_kw: Any) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def busy(self) -> bool:
        return self._job_active

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
                self.show_error(describe(e))
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
            self.show_error(describe(e))

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
            self.show_error(describe(e))

    def _create_session(self, source: str, emit: Emit) -> Session:
        from papercoder_nb.paper import load_paper

        def progress(what: str, done: int, total: int) -> None:
            emit(Event("info", "paper", f"{what} {done}/{total}"))

        paper = load_paper(source, progress=progress)
        if not self.new_session:  # same paper, same work folder: reopen the work, don't restart it
            found = latest_session(self.workdir, paper)
            if found is not None:
                return Session.open(found)
        self.new_session = False
        base = self.workdir / _slug(paper.title or Path(source).stem)
        root, n = base, 1
        while root.exists():
            n += 1
            root = base.with_name(f"{base.name}-{n}")
        return Session.create(root, paper, source)

    def _loaded(self, item: Finished) -> None:
        if item.error is not None:
            self.show_error(describe(item.error))
            return
        self.open_session(item.result)

    def open_session(self, session: Session) -> None:
        self.session = session
        self.questions.session = session
        self.export_box.session = session
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
        spec, options = self.model_box.spec, dict(self.model_box.backend_options())
        if self.session is not None:  # the server the session talked to, for the same provider
            from papercoder_nb.llm.endpoint import session_base_url

            url = session_base_url(self.session.state.base_url, self.session.state.model, spec)
            options.update({"base_url": url} if url else {})
        key = f"{spec}|{options.get('reasoning', '')}|{options.get('base_url', '')}"
        if key not in self._backends:
            from papercoder_nb.llm.registry import get_backend

            self._backends[key] = get_backend(spec, **options)
        return self._backends[key]

    get_backend = _get_backend  # public names for the step boxes (smoke_box, eval_box)

    def run(self, until: str | None | type[...] = ..., only: list[str] | None = None) -> bool:
        """Generate what is missing or stale in scope (the current step's stage by default)."""
        if self.session is None:
            self.show_error("Load a paper first (Paper step).")
            return False
        scope = RUN_UNTIL[self.step] if until is ... else until
        session, auto = self.session, self.auto_approve.value

        def job(token: CancelToken, emit: Emit) -> RunResult:
            backend = self._get_backend()
            return Runner(session, backend, auto_approve=auto, on_event=emit, cancel=token).run(until=scope, only=only)

        return self._start("run", job, self._run_finished, planned=self._planned(scope, auto))

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

    def _planned(self, scope: str | None, auto: bool) -> int:
        todo = [a for a, s in self.statuses.items() if s in ("missing", "stale")]
        if not auto and scope in (*PLANNING, "planning"):
            return 1
        if scope in PLANNING:
            return max(1, PLANNING.index(scope) + 1 - sum(1 for a in PLANNING if self.statuses.get(a) not in ("missing", "stale")))
        if scope == "planning":
            return max(1, sum(1 for a in todo if a in PLANNING))
        if scope == "analysis":
            return max(1, sum(1 for a in todo if not a.startswith("code:")))
        return max(1, len(todo) + (2 * 8 if not self.files else 0))

    def _start(self, label: str, fn: Callable[[CancelToken, Emit], Any], on_finish: Callable[[Finished], None], planned: int) -> bool:
        if self.busy:
            self.show_error(f"Already running ({self.worker.label}): wait for it, or press Cancel.")
            return False
        holder = busy_by(self.session.root) if self.session is not None else None
        if holder:  # another process (a CLI resume) writes this session: read-only here meanwhile
            self.show_error(f"This session is busy: {holder} is writing it. The panel is read-only until it "
                            "finishes; then press again.")
            return False
        self.clear_error()
        self.stream_text = ""
        self.started = self.done = 0
        self.failed.clear()
        self.progress.max = max(1, planned)
        self.progress.value = 0
        self.progress.bar_style = "info"
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
        if busy:  # the boxes re-enable their own buttons when they refresh
            for b in (self.smoke_box.run_smoke, self.smoke_box.repair, self.eval_box.go):
                b.disabled = True
        self.cancel_button.disabled = not busy
        self.paper_box.load.disabled = busy
        self.approve_all.disabled = busy
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
            self.show_error(describe(item.error))
            return
        r: RunResult = item.result
        self.last_result = r
        parts = []
        if r.generated:
            parts.append(f"generated {', '.join(r.generated)}")
        if r.cancelled:
            parts.append("cancelled — nothing partial was stored; Run continues from here")
        if r.waiting_for_approval:
            parts.append(f"waiting for your approval of {', '.join(r.waiting_for_approval)}")
        if r.failed:
            self.show_error("<br>".join(esc(m) for m in group_failures(r.failed)), raw=True,
                            hint=advice(" ".join(r.failed.values())))
        if not parts and not r.failed:
            parts.append("nothing to do: everything in scope is up to date and approved")
        self.run_status.value = esc("; ".join(parts))
        target = (r.waiting_for_approval or [None])[0] or (r.generated[-1] if r.generated else None)
        if target and not r.cancelled:
            self.select_artifact(target)

    def _regenerated(self, item: Finished) -> None:
        from papercoder_nb.llm.base import CancelledError

        if isinstance(item.error, CancelledError):
            self.run_status.value = "Cancelled — the previous version is unchanged."
        elif item.error is not None:
            self.show_error(describe(item.error))
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
        self.select_step(self.step)

    def _summary(self) -> str:
        counts: dict[str, int] = {}
        for a in self.statuses:
            counts[self.status_of(a)] = counts.get(self.status_of(a), 0) + 1
        return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing generated yet"

    def _render_statuses(self) -> None:
        ids = list(self.statuses) if self.statuses else (list(PLANNING) if self.session else [])
        self.header.render(self.status_of, ids, self.files, self._step_state, self.step)

    def _step_state(self, name: str) -> str:
        if name == "Paper":
            return "approved" if self.session else "missing"
        if name in STEP_ARTIFACT:
            return self.status_of(STEP_ARTIFACT[name])
        if name == "Export":
            return export_step_state(self.session)
        if name == "Smoke":
            smoke = self.session.state.smoke if self.session else None
            return "missing" if not smoke else "approved" if smoke.get("ok") else "failed"
        if name == "Evaluate":
            return "generated" if self.session and (self.session.root / "eval").is_dir() else "missing"
        kind = "analysis" if name == "Analysis" else "code"
        return group_state([self.status_of(f"{kind}:{f}") for f in self.files])

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

    def select_step(self, name: str) -> None:
        if name != self.step and self._asked(f"go to {name}", lambda: self.select_step(name)):
            return
        self.step = name
        self.nav.update_primary()
        show(self.runbar, self.session is not None)
        if name == "Paper":
            show(self.new_session_button, self.session is not None)
            children: list[W.Widget] = [self.paper_box.widget, self.new_session_button, self.model_box.widget]
        elif self.session is None:
            children = [html("pc-need-paper", "<p><i>Load a paper first (Paper step).</i></p>")]
        elif name in STEP_ARTIFACT:
            self.view.show(STEP_ARTIFACT[name])
            self.questions.refresh(self.session)
            children = [self.view.widget, self.questions.widget]
            if name == "Config":
                children = [self.view.widget]
        elif name in ("Analysis", "Code"):
            children = [self.file_box, *([self.code_findings.update()] if name == "Code" else []), self.view.widget]
            self._fill_files("analysis" if name == "Analysis" else "code")
        elif name == "Smoke":
            self.smoke_box.refresh()
            children = [self.smoke_box.widget]
        elif name == "Evaluate":
            self.eval_box.refresh()
            children = [self.eval_box.widget]
        else:
            self.export_box.refresh()
            children = [self.export_box.widget]
        if tuple(children) != tuple(self.content.children):
            self.content.children = tuple(children)
        set_class(self.content, "pc-showing", name.lower())
        self._render_statuses()

    def select_artifact(self, aid: str) -> None:
        kind, _, name = aid.partition(":")
        if aid in PLANNING:
            self.select_step({v: k for k, v in STEP_ARTIFACT.items()}[aid])
        elif kind in ("analysis", "code"):
            self.select_step("Analysis" if kind == "analysis" else "Code")
            if self.ask.asking:  # unsaved text: the user answers first
                return
            if name and any(v == aid for _, v in self.file_select.options):
                self.file_select.value = aid

    def _fill_files(self, kind: str) -> None:
        options = [(f"{f}  ·  {self.status_of(f'{kind}:{f}')}", f"{kind}:{f}") for f in self.files]
        current = self.file_select.value if self.file_select.value in [v for _, v in options] else None
        self._filling_files = True
        try:
            if list(self.file_select.options) != options:
                self.file_select.options = options
            self.file_select.value = current or (options[0][1] if options else None)
        finally:
            self._filling_files = False
        self.files_style.value = file_tree_style(id(self), [self.status_of(v) for _, v in options])
        set_class(self.file_select, "pc-files-of", str(id(self)))
        show(self.view.widget, bool(options))
        if not options:
            self.file_box.children[0].value = "<p><i>The file list comes from the logic design: run and approve planning first.</i></p>"
        else:
            self.file_box.children[0].value = f"<b>Files</b> in task order ({len(options)})"
        if self.file_select.value:
            self.view.show(self.file_select.value)
        self.approve_all.disabled = self.approve_all_next.disabled = self.busy or not any(
            self.statuses.get(v) in ("generated", "edited") for _, v in options
        )

    def _file_chosen(self, change: dict) -> None:
        new = change["new"]
        if self._filling_files or not new:
            return
        if new != self.view.aid and self._asked(f"open {new}", lambda: self.view.show(new), lambda: self._reselect(self.view.aid)):
            return
        self.view.show(new)

    def _reselect(self, aid: str) -> None:
        self._filling_files = True
        try:
            self.file_select.value = aid
        finally:
            self._filling_files = False

    def approve_files(self) -> None:
        if self.session is None or self.step not in ("Analysis", "Code"):
            return
        kind = "analysis" if self.step == "Analysis" else "code"
        ready = set(review.approvable(self.session))  # failing or stale files stay unapproved
        ids = [f"{kind}:{f}" for f in self.files if f"{kind}:{f}" in ready]
        review.approve(self.session, ids)
        left = [f for f in self.files if self.status_of(f"{kind}:{f}") == "failing"]
        note = f"; left for your review (failing their checks): {', '.join(left)}" if left else ""
        self.after_change(f"approved {len(ids)} {kind} file(s){note}")

    # -- errors --------------------------------------------------------------------------------
    def show_error(self, message: str, *, raw: bool = False, hint: str | None = None) -> None:
        body = message if raw else esc(message)
        self.error.value = (
            f"<div class='pc-error-box' style='border:1px solid var(--pc-error-border, #f5c2c7);background:var(--pc-error-bg, #fff5f5);padding:6px 10px;"
            f"border-radius:4px;color:var(--pc-bad, #a40e26)'><b>Problem:</b> {body}<br><b>What to do next:</b> "
            f"<span style='color:var(--jp-ui-font-color1, #24292f)'>{hint or advice(message)}</span></div>"
        )
        set_class(self.error, "pc-has-error", "yes")
        show(self.runbar, True)

    def clear_error(self) -> None:
        self.error.value = ""
        set_class(self.error, "pc-has-error", "no")
