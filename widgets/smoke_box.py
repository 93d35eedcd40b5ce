"""The Smoke step: safety flags first, a sandboxed smoke run, and reviewed repairs.

The safety scan reads the code (nothing runs) and shows as soon as the step opens. The
smoke run (``repair.smoke_session``) runs in the panel's worker. Repair runs the engine's
own loop (``repair.repair_loop``, the one ``papercoder repair`` runs) in the worker: each
proposal is shown as a diff and the loop waits for Apply or Reject (or the panel's
Cancel, recorded as a cancel); the engine writes, re-runs and records every attempt in
``smoke/repairs.jsonl``. The code is ``session.graph.code_files`` — the files the smoke run runs.
High-risk code without isolation does not run until the user confirms, for one run.
"""

from __future__ import annotations

import hashlib
import queue
import time
from typing import TYPE_CHECKING, Any, Protocol

from papercoder_nb.llm.base import CancelledError
from papercoder_nb.run.runner import Event
from papercoder_nb.session.graph import code_files
from papercoder_nb.verify import repair
from papercoder_nb.verify.session_env import install
from papercoder_nb.verify.smoke import SmokeRefused

from .environment_box import EnvironmentBox
from .errors import describe, hint_of
from .findings_view import problems, show_problems
from .report_views import patch_html, safety_html, smoke_html
from .ui import box, button, checkbox, html, set_class, show
from .unsandboxed import UnsandboxedConfirm
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.llm.base import Backend, CancelToken
    from papercoder_nb.session.store import Session
    from papercoder_nb.verify.sandbox import SmokeResult

    from .worker import Emit, Finished

MAX_REPAIRS = 3  # model attempts per press of Repair, like `papercoder repair`'s default


class Host(Protocol):
    session: Session | None

    @property
    def busy(self) -> bool: ...

    def start_job(self, label: str, fn: Any, on_finish: Any, planned: int = 1) -> bool: ...

    def get_backend(self) -> Backend: ...

    def after_change(self, message: str = "") -> None: ...

    def show_error(self, message: str, *, raw: bool = False, hint: str | None = None) -> None: ...

    def pump(self) -> None: ...


class SmokeBox:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.result: SmokeResult | None = None
        self.fix: repair.Fix | None = None  # a proposal waiting for Apply or Reject
        self.flags: list[dict[str, Any]] = []
        self._scanned: tuple[str, str] = ("", "")  # (session root, code digest)
        self._root = ""
        # Written by the worker thread, taken on the main thread (widgets only change there)
        self._incoming: repair.Fix | None = None
        self._rerun: SmokeResult | None = None
        self._not_rerun = ""  # the engine's refusal to re-run fixed high-risk code
        self._decisions: queue.SimpleQueue[bool | dict[str, bool]] = queue.SimpleQueue()
        self.installer = install  # the seam tests replace (pip into <session>/.venv)
        self._ticks: list[tuple[str, Any]] = []  # (file, its checkbox) of a multi-file proposal

        self.safety = html("pc-safety")
        self.checks = html("pc-smoke-checks")  # the checker's findings and the last run's failures, red
        self.run_smoke = button("Smoke run", "pc-smoke-run", style="primary", icon="play", width="auto")
        self.repair = button("Repair", "pc-repair", style="warning", icon="wrench", width="auto",
                             tooltip="Ask the model for fixes to the failing file (each shown as a diff first)")
        self.status = html("pc-smoke-status")
        self.report = html("pc-smoke-result")
        self.fix_title = html("pc-fix-title")
        self.fix_diff = html("pc-fix-diff")
        self.apply = button("Apply fix and re-run", "pc-fix-apply", style="success", icon="check", width="auto")
        self.reject = button("Reject", "pc-fix-reject", style="danger", icon="times")
        self.fix_files = box([], "pc-fix-files")  # one checkbox per file when a fix spans a seam
        self.fix_box = box([self.fix_title, self.fix_diff, self.fix_files,
                            box([self.apply, self.reject], vertical=False)], "pc-fix")
        self.environment = EnvironmentBox(self.install_packages)
        self.unsandboxed = UnsandboxedConfirm(lambda: self.smoke(allow_unsandboxed=True))
        self.run_smoke.on_click(lambda _b: self.smoke())
        self.repair.on_click(lambda _b: self.propose())
        self.apply.on_click(lambda _b: self.do_apply())
        self.reject.on_click(lambda _b: self.do_reject())
        self.widget = box([
            html("pc-smoke-help", "<p>Compile every file, import every module, then run the entry point with the "
                 "plan's smoke configuration — in a sandbox: a temporary folder, time and memory limits, no API "
                 "keys, and no network where bubblewrap works. Nothing is installed.</p>"),
            self.safety, self.checks, box([self.run_smoke, self.repair], vertical=False), self.unsandboxed.widget,
            self.environment.widget,
            self.status, self.fix_box, self.report,
        ], "pc-smoke")
        show(self.fix_box, False)

    # -- showing ------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.host.session
        if session is None:
            return
        if str(session.root) != self._root:  # another session: forget this one's state
            self._root = str(session.root)
            self.result, self.fix = None, None
            self.unsandboxed.clear()
            self.status.value = ""
        self._take_incoming()
        files = code_files(session)
        digest = hashlib.sha256("\0".join(f"{p}\0{t}" for p, t in sorted(files.items())).encode()).hexdigest()
        if self._scanned != (self._root, digest):
            from papercoder_nb.checks.safety import scan_code

            self.flags = [f.to_dict() for f in scan_code(files)]
            self._scanned = (self._root, digest)
        self.safety.value = safety_html(self.flags, len(files))
        set_class(self.safety, "pc-flags", str(len(self.flags)))
        if self.result is None:
            self.result = repair.last_smoke(session)
        self.report.value = smoke_html(self.result.to_dict()) if self.result else (
            "<p class='pc-smoke-none'><i>Not run yet: press Smoke run.</i></p>")
        state = "none" if self.result is None else "ok" if self.result.ok else "failed"
        set_class(self.report, "pc-smoke-state", state)
        if files:
            show_problems(self.checks, problems(session), "the session's code")
        busy = self.host.busy
        self.run_smoke.disabled = busy or not files
        self.repair.disabled = busy or self.fix is not None or state != "failed"
        self.apply.disabled = self.reject.disabled = self.fix is None  # the loop waits on them while busy
        self.unsandboxed.confirm.disabled = busy
        self.environment.update(session, self.result, busy)
        show(self.fix_box, self.fix is not None)
        show(self.repair, state == "failed")

    def _take_incoming(self) -> None:
        """Show what the repair loop (worker thread) handed over: a proposal, a re-run."""
        fix, self._incoming = self._incoming, None
        if fix is not None:
            self.fix = fix
            self.fix_title.value = (
                f"<h4 style='margin:4px 0'>Proposed fix to <code>{esc(fix.file)}</code> ({esc(fix.mode)})</h4>"
                f"<p style='margin:2px 0'>For: <code>{esc(fix.error)}</code></p>"
                + (f"<p style='margin:2px 0'><i>{esc(fix.explanation)}</i></p>" if fix.explanation else "")
            )
            self.fix_diff.value = patch_html(fix.diff)
            changes = fix.all_changes()
            self._ticks = [(c.file, checkbox(f"apply the change to {c.file}", "pc-fix-file", True))
                           for c in changes] if len(changes) > 1 else []
            self.fix_files.children = [tick for _f, tick in self._ticks]
            self._say("Review the diff: <b>Apply</b> writes it (the old version stays in history) and re-runs "
                      "the smoke test; <b>Reject</b> leaves the file as it is; <b>Cancel</b> stops the repair.")
        rerun, self._rerun = self._rerun, None
        if rerun is not None:
            self.result = rerun

    def _say(self, text: str, ok: bool = True) -> None:
        self.status.value = f"<p style='color:{'var(--pc-ok, #116329)' if ok else 'var(--pc-bad, #a40e26)'}'>{text}</p>"
        set_class(self.status, "pc-result", "ok" if ok else "error")

    # -- smoke --------------------------------------------------------------------------
    def smoke(self, allow_unsandboxed: bool = False) -> bool:
        """One smoke run; ``allow_unsandboxed`` only from the confirm button, for this run."""
        session = self.host.session
        if session is None:
            return False
        self.unsandboxed.clear()

        def job(_token: CancelToken, emit: Emit) -> SmokeResult:
            emit(Event("info", "smoke", "compiling, importing and running the code in the sandbox …"))
            return repair.smoke_session(session, allow_unsandboxed=allow_unsandboxed)

        started = self.host.start_job("smoke run", job, self._smoked)
        if started:
            self._say("Smoke run started" + (" <b>without isolation</b>, as you confirmed" if allow_unsandboxed else "")
                      + " …")
        return started

    def _smoked(self, item: Finished) -> None:
        if isinstance(item.error, SmokeRefused):
            self.unsandboxed.ask(str(item.error))
            self._say("Nothing ran: high-risk code and no isolation — see the options below.", ok=False)
            return
        if item.error is not None:
            self.host.show_error(describe(item.error), hint=hint_of(item.error))
            self._say(f"The smoke run could not start: {esc(describe(item.error))}", ok=False)
            return
        self.result = item.result
        verdict = "passed" if self.result.ok else "failed"
        hint = "" if self.result.ok else " Press <b>Repair</b> to ask the model for a fix, or edit the file in the Code step."
        self._say(f"Smoke run {verdict}.{hint}", ok=self.result.ok)

    # -- environment: install what the logic design lists, with the user's yes -------------
    def install_packages(self, requirements: list[str]) -> bool:
        """Install into ``<session>/.venv`` and re-run (the panel's ``--install``)."""
        session, result = self.host.session, self.result
        if session is None or result is None or not requirements:
            return False
        installer = self.installer

        def job(_token: CancelToken, emit: Emit) -> tuple[SmokeResult, list[Any]]:
            emit(Event("info", "smoke", f"installing {', '.join(requirements)} into the session's environment …"))
            return repair.settle_environment(session, result, lambda reqs: installer(session.root, reqs), {},
                                             lambda e: emit(Event("info", "smoke", e.text[:300])))

        started = self.host.start_job("install", job, self._installed)
        if started:
            self._say(f"Installing {esc(', '.join(requirements))} into <code>{esc(str(session.root))}/.venv</code> …")
        return started

    def _installed(self, item: Finished) -> None:
        if item.error is not None:
            self.host.show_error(describe(item.error), hint=hint_of(item.error))
            self._say(f"The install could not run: {esc(describe(item.error))}", ok=False)
            return
        self.result, left = item.result
        if self.result.ok:
            self._say("Installed; the smoke run passes.")
        elif left:
            self._say("Still an environment problem after the install: see below.", ok=False)
        else:
            self._say("Installed; the smoke run now fails in the code: press <b>Repair</b>.", ok=False)

    # -- repair: the engine's loop, its approvals answered by Apply / Reject ---------------
    def propose(self) -> bool:
        session, result = self.host.session, self.result
        if session is None or result is None or result.ok:
            self._say("Nothing to repair: run the smoke test first; repair is for a failing run.", ok=False)
            return False
        host, decisions = self.host, queue.SimpleQueue()
        self._decisions, self._not_rerun = decisions, ""

        def job(token: CancelToken, emit: Emit) -> repair.RepairReport:
            backend = host.get_backend()

            decided: list[bool | dict[str, bool]] = []  # Apply/Reject of the proposal under review
            files_by_diff: dict[str, str] = {}

            def approve(diff: str) -> bool:
                """Each file's diff is approved on its own: Apply answers for the ticked files."""
                if not decided:
                    decided.append(_await(decisions, token))
                answer = decided[0]
                return answer if isinstance(answer, bool) else answer.get(files_by_diff.get(diff, ""), False)

            def on_event(e: repair.RepairEvent) -> None:
                if e.kind == "proposal":
                    decided.clear()
                    files_by_diff.clear()
                    files_by_diff.update({c.diff: c.file for c in e.fix.all_changes()} if e.fix else {})
                    self._incoming = e.fix
                elif e.kind == "applied":
                    self._rerun = e.result
                elif e.kind == "error" and e.fix is not None:  # the fixed code was refused a re-run
                    self._not_rerun = e.text
                emit(Event("info", "repair", f"attempt {e.attempt}: {e.kind} {e.text}".strip()[:300]))

            return repair.repair_loop(
                session, backend, max_attempts=MAX_REPAIRS, initial=result, cancel=token, on_event=on_event,
                approve=approve,
            )

        started = self.host.start_job("repair", job, self._repaired)
        if started:
            self._say(f"Asking the model for a fix (up to {MAX_REPAIRS} attempts) …")
        return started

    def wait_for_proposal(self, timeout: float = 30.0) -> bool:
        """Pump until a fix waits for review (True) or the repair ended (False); scripts, tests."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.host.pump()
            self._take_incoming()
            if self.fix is not None:
                self.refresh()
                return True
            if not self.host.busy:
                return False
            time.sleep(0.05)
        return False

    def do_apply(self) -> bool:
        return self._decide(True)

    def do_reject(self) -> bool:
        return self._decide(False)

    def _decide(self, approved: bool) -> bool:
        fix, self.fix = self.fix, None
        if fix is None or not self.host.busy:
            return False
        ticked = {f: bool(tick.value) for f, tick in self._ticks}
        self._decisions.put(ticked if approved and ticked else approved)
        self._say(f"Applying the fix to <code>{esc(fix.file)}</code> and re-running the smoke test …" if approved
                  else f"Rejected: <code>{esc(fix.file)}</code> is unchanged.")
        self.refresh()
        return True

    def _repaired(self, item: Finished) -> None:
        self.fix = None
        if isinstance(item.error, repair.FixError):  # e.g. the file was edited while the diff waited
            self._say(f"Not applied: {esc(item.error)}.", ok=False)
            return
        if item.error is not None:
            self.host.show_error(describe(item.error), hint=hint_of(item.error))
            self._say("The repair stopped with an error; see above.", ok=False)
            return
        report: repair.RepairReport = item.result
        self.result = report.final
        if report.applied:
            self.host.after_change(f"repair applied {len(report.applied)} fix(es)")
        self._say(*_verdict(report))
        if self._not_rerun:
            self.unsandboxed.ask(self._not_rerun)


def _await(decisions: queue.SimpleQueue[bool], token: CancelToken) -> bool:
    """The repair loop's ``approve``: block the worker until Apply/Reject, or Cancel."""
    while True:
        try:
            return decisions.get(timeout=0.1)
        except queue.Empty:
            if token.cancelled:
                raise CancelledError("cancelled by the user") from None


def _verdict(report: repair.RepairReport) -> tuple[str, bool]:
    """The status line after a repair loop, from its last attempt."""
    last = report.attempts[-1] if report.attempts else None
    applied = report.applied[-1].file if report.applied else None
    after = f" after the fix to <code>{esc(applied)}</code>" if applied else ""
    if last is None:
        return "Nothing to repair: the smoke run passes.", True
    if report.ok:
        return f"Smoke run passed{after}.", True
    if last.outcome == "cancelled":
        return f"Cancelled{': ' + esc(last.detail) if not applied else after + '; the last proposal was not applied'}.", False
    if last.outcome == "refused":
        return f"Rejected: <code>{esc(last.file)}</code> is unchanged.", False
    if last.outcome == "error":
        return f"The repair request failed: {esc(last.detail)}. Nothing more was changed.", False
    if last.outcome == "invalid":
        return (f"The model's answer could not be used: {esc(last.detail)}. Nothing was changed after "
                f"{len(report.attempts)} attempt(s); fix the file in the Code step or press Repair again."), False
    return (f"Smoke run still fails{after} ({len(report.attempts)} attempt(s)): fix the file by hand in the "
            "Code step, or press Repair again."), False
