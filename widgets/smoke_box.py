"""The Smoke step: safety flags first, a sandboxed smoke run, and reviewed repairs.

The safety scan reads the code (nothing runs) and shows as soon as the step opens. The
smoke run (``repair.smoke_session``) and the model's fix (``repair.propose_fix``) run in
the panel's worker; a fix is only a proposal shown as a diff until the user presses
Apply, which writes it through the session (the old version stays in history) and
smoke-runs again. Every attempt goes to ``smoke/repairs.jsonl`` like the CLI's.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Protocol

from papercoder_nb.runner import Event
from papercoder_nb.verify import repair

from .errors import describe
from .report_views import patch_html, safety_html, smoke_html
from .ui import box, button, html, set_class, show
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.llm.base import Backend, CancelToken
    from papercoder_nb.store import Session
    from papercoder_nb.verify.sandbox import SmokeResult

    from .worker import Emit, Finished

MAX_REPAIRS = 3  # proposals per failing streak; then the file is the user's to fix


class Host(Protocol):
    session: Session | None

    @property
    def busy(self) -> bool: ...

    def start_job(self, label: str, fn: Any, on_finish: Any, planned: int = 1) -> bool: ...

    def get_backend(self) -> Backend: ...

    def after_change(self, message: str = "") -> None: ...

    def show_error(self, message: str, *, raw: bool = False, hint: str | None = None) -> None: ...


def code_files(session: Session) -> dict[str, str]:
    out = {}
    for aid in session.artifact_ids_on_disk():
        if aid.startswith("code:"):
            text = session.read(aid)
            if text is not None:
                out[aid.split(":", 1)[1]] = text
    return out


class SmokeBox:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.result: SmokeResult | None = None
        self.fix: repair.Fix | None = None
        self.applied: repair.Fix | None = None  # waiting for its re-run
        self.attempts = 0
        self.feedback: str | None = None  # why the last proposal could not be used
        self.flags: list[dict[str, Any]] = []
        self._scanned: tuple[str, str] = ("", "")  # (session root, code digest)
        self._root = ""

        self.safety = html("pc-safety")
        self.run_smoke = button("Smoke run", "pc-smoke-run", style="primary", icon="play", width="auto")
        self.repair = button("Repair", "pc-repair", style="warning", icon="wrench", width="auto",
                             tooltip="Ask the model for a fix to the failing file (shown as a diff first)")
        self.status = html("pc-smoke-status")
        self.report = html("pc-smoke-result")
        self.fix_title = html("pc-fix-title")
        self.fix_diff = html("pc-fix-diff")
        self.apply = button("Apply fix and re-run", "pc-fix-apply", style="success", icon="check", width="auto")
        self.reject = button("Reject", "pc-fix-reject", style="danger", icon="times")
        self.fix_box = box([self.fix_title, self.fix_diff, box([self.apply, self.reject], vertical=False)], "pc-fix")
        self.run_smoke.on_click(lambda _b: self.smoke())
        self.repair.on_click(lambda _b: self.propose())
        self.apply.on_click(lambda _b: self.do_apply())
        self.reject.on_click(lambda _b: self.do_reject())
        self.widget = box([
            html("pc-smoke-help", "<p>Compile every file, import every module, then run the entry point with the "
                 "plan's smoke configuration — in a sandbox: a temporary folder, time and memory limits, no API "
                 "keys, and no network where bubblewrap works. Nothing is installed.</p>"),
            self.safety, box([self.run_smoke, self.repair], vertical=False), self.status, self.fix_box, self.report,
        ], "pc-smoke")
        show(self.fix_box, False)

    # -- showing ------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.host.session
        if session is None:
            return
        if str(session.root) != self._root:  # another session: forget this one's state
            self._root = str(session.root)
            self.result, self.fix, self.applied, self.attempts, self.feedback = None, None, None, 0, None
            self.status.value = ""
        files = code_files(session)
        digest = hashlib.sha256("\0".join(f"{p}\0{t}" for p, t in sorted(files.items())).encode()).hexdigest()
        if self._scanned != (self._root, digest):
            from papercoder_nb.verify.safety import scan_code

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
        busy = self.host.busy
        self.run_smoke.disabled = busy or not files
        self.repair.disabled = busy or self.fix is not None or state != "failed" or self.attempts >= MAX_REPAIRS
        self.apply.disabled = self.reject.disabled = busy
        show(self.fix_box, self.fix is not None)
        show(self.repair, state == "failed")

    def _say(self, text: str, ok: bool = True) -> None:
        self.status.value = f"<p style='color:{'#116329' if ok else '#a40e26'}'>{text}</p>"
        set_class(self.status, "pc-result", "ok" if ok else "error")

    # -- smoke --------------------------------------------------------------------------
    def smoke(self) -> bool:
        session = self.host.session
        if session is None:
            return False

        def job(_token: CancelToken, emit: Emit) -> SmokeResult:
            emit(Event("info", "smoke", "compiling, importing and running the code in the sandbox …"))
            return repair.smoke_session(session)

        started = self.host.start_job("smoke run", job, self._smoked)
        if started:
            self._say("Smoke run started …")
        return started

    def _smoked(self, item: Finished) -> None:
        applied, self.applied = self.applied, None
        if item.error is not None:
            self.host.show_error(describe(item.error))
            self._say(f"The smoke run could not start: {esc(describe(item.error))}", ok=False)
            return
        self.result = item.result
        if self.result.ok:
            self.attempts, self.feedback = 0, None
        if applied is not None and self.host.session is not None:
            self._log(repair.Attempt(self.attempts, applied.file, "applied", f"{applied.mode} applied to {applied.file}",
                                     applied.error, applied.diff, self.result.ok, self.result.summary()))
        verdict = "passed" if self.result.ok else "failed"
        after = f" after the fix to <code>{esc(applied.file)}</code>" if applied else ""
        hint = "" if self.result.ok else " Press <b>Repair</b> to ask the model for a fix, or edit the file in the Code step."
        self._say(f"Smoke run {verdict}{after}.{hint}", ok=self.result.ok)

    # -- repair -------------------------------------------------------------------------
    def propose(self) -> bool:
        session, result = self.host.session, self.result
        if session is None or result is None or result.ok:
            self._say("Nothing to repair: run the smoke test first; repair is for a failing run.", ok=False)
            return False
        if self.attempts >= MAX_REPAIRS:
            self._say(f"{MAX_REPAIRS} repair attempts without a passing run: fix the file by hand in the Code step.", ok=False)
            return False
        feedback, host = self.feedback, self.host

        def job(token: CancelToken, emit: Emit) -> repair.Fix:
            backend = host.get_backend()
            emit(Event("info", "repair", f"asking {backend.spec} for a fix …"))
            return repair.propose_fix(session, backend, result, feedback=feedback, cancel=token)

        started = self.host.start_job("repair", job, self._proposed)
        if started:
            self.attempts += 1
            self._say(f"Asking the model for a fix (attempt {self.attempts} of {MAX_REPAIRS}) …")
        return started

    def _proposed(self, item: Finished) -> None:
        from papercoder_nb.llm.base import CancelledError

        target = self._target()
        if isinstance(item.error, CancelledError):
            self.attempts -= 1
            self._say("Cancelled: nothing was changed.", ok=False)
        elif isinstance(item.error, repair.FixError):
            self.feedback = str(item.error)
            self._log(repair.Attempt(self.attempts, target, "invalid", str(item.error), self._error()))
            self._say(f"The model's answer could not be used: {esc(item.error)}. Nothing was changed; "
                      "Repair again tells the model why.", ok=False)
        elif item.error is not None:
            self._log(repair.Attempt(self.attempts, target, "error", describe(item.error), self._error()))
            self.host.show_error(describe(item.error))
            self._say("The repair request failed; nothing was changed.", ok=False)
        else:
            self.fix = item.result
            self.feedback = None
            self.fix_title.value = (
                f"<h4 style='margin:4px 0'>Proposed fix to <code>{esc(self.fix.file)}</code> "
                f"({esc(self.fix.mode)}, attempt {self.attempts} of {MAX_REPAIRS})</h4>"
                f"<p style='margin:2px 0'>For: <code>{esc(self.fix.error)}</code></p>"
                + (f"<p style='margin:2px 0'><i>{esc(self.fix.explanation)}</i></p>" if self.fix.explanation else "")
            )
            self.fix_diff.value = patch_html(self.fix.diff)
            self._say("Review the diff: <b>Apply</b> writes it (the old version stays in history) and re-runs "
                      "the smoke test; <b>Reject</b> leaves the file as it is.")

    def do_apply(self) -> bool:
        session, fix = self.host.session, self.fix
        if session is None or fix is None:
            return False
        try:
            repair.apply_fix(session, fix)
        except repair.FixError as e:
            self.fix = None
            self._say(f"Not applied: {esc(e)}.", ok=False)
            self.host.after_change()
            return False
        self.fix, self.applied = None, fix
        self.host.after_change(f"applied the fix to {fix.file}")
        return self.smoke()

    def do_reject(self) -> None:
        fix, self.fix = self.fix, None
        if fix is not None:
            self._log(repair.Attempt(self.attempts, fix.file, "refused", "fix not approved; nothing changed",
                                     fix.error, fix.diff))
            self._say(f"Rejected: <code>{esc(fix.file)}</code> is unchanged.")
        self.refresh()

    # -- helpers ------------------------------------------------------------------------
    def _target(self) -> str | None:
        session = self.host.session
        if self.result is None or session is None:
            return None
        from papercoder_nb.graph import task_files

        target = repair.find_target(self.result, task_files(session))
        return target.file if target else None

    def _error(self) -> str:
        return (self.result.error or self.result.summary()) if self.result else ""

    def _log(self, attempt: repair.Attempt) -> None:
        """Record like ``repair_loop`` does, so ``papercoder status`` lists panel repairs too."""
        if self.host.session is not None:
            repair.record_attempt(self.host.session, attempt)
