"""Smoke-run a session's code and repair what fails, one reviewed fix at a time.

``smoke_session`` exports the session's code (exactly as ``write_repo`` writes it), runs it
in the sandbox and stores the result in ``session.state.smoke``. ``repair_loop`` then, for
as long as the run fails and attempts remain: picks the file to fix (the deepest
repository frame of the entry point's traceback, else the first file that does not
compile or import), asks the model for search/replace edits or a whole file
(``prompts/repair_code.md``), applies the answer in memory, shows it as a unified diff,
writes it to the session only when approved (so the old version stays in ``history/``),
and smoke-runs again.

Every attempt is recorded, one JSON object a line, in ``smoke/repairs.jsonl`` inside the
session folder: when, which file, the error it answered, the outcome (``applied``,
``refused``, ``invalid``, ``error``, ``cancelled`` when the user pressed Cancel during the
model call or the review), the diff, and the smoke result that followed. The
model calls themselves go to ``calls.jsonl`` like every other call (kind ``repair``).
An answer that cannot be applied (a SEARCH that matches zero or several times, no edits,
code that does not compile) changes nothing on disk and counts as a failed attempt.

What is asked (the target file and the request) is ``repair_request``; how an answer
becomes a fix, and how an approved fix is written, is ``fixes``. This module is the
smoke run, the loop and its record: the entry point of the panel and ``papercoder repair``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..llm.base import Backend, CancelledError, CancelToken
from ..session.graph import statuses, task_files
from ..session.store import Session, SessionError, now
from .environment import EnvProblem
from .fixes import FileChange, Fix, FixError, apply_fix
from .repair_request import Target, environment_of, find_target, propose_fix
from .sandbox import SmokeResult
from .session_env import InstallResult, existing_env_python
from .smoke import SmokeRefused, smoke_bundle

REPAIRS_LOG = "smoke/repairs.jsonl"
Outcome = Literal["applied", "refused", "invalid", "error", "cancelled"]


@dataclass
class Attempt:
    attempt: int
    file: str | None
    outcome: Outcome
    detail: str  # what happened, one line
    error: str = ""  # the smoke error the attempt answered
    diff: str = ""
    smoke_ok: bool | None = None  # the re-run after an applied fix
    smoke_summary: str = ""
    files: list[str] = field(default_factory=list)  # every file the fix changed (or proposed)


@dataclass
class RepairReport:
    initial: SmokeResult
    final: SmokeResult
    attempts: list[Attempt] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # artifacts made stale by the fixes
    environment: list[EnvProblem] = field(default_factory=list)  # what stopped it, if that

    @property
    def ok(self) -> bool:
        return self.final.ok

    @property
    def applied(self) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome == "applied"]

    def summary(self) -> str:
        if self.initial.ok:
            return "the smoke run passed; nothing to repair"
        if self.environment and not self.ok:
            return (f"not repaired: {len(self.environment)} environment problem(s) (missing package "
                    "or data), which are not code faults; fix them and run again")
        state = "passes" if self.ok else "still fails"
        return (
            f"{len(self.attempts)} attempt(s), {len(self.applied)} fix(es) applied; "
            f"the smoke run now {state}: {self.final.summary()}"
        )


@dataclass
class RepairEvent:
    kind: Literal["smoke", "target", "proposal", "applied", "refused", "invalid", "error", "cancelled",
                  "install", "environment"]
    text: str = ""
    attempt: int = 0
    fix: Fix | None = None
    result: SmokeResult | None = None


# -- smoke ------------------------------------------------------------------------------


def smoke_session(session: Session, **options: Any) -> SmokeResult:
    """Smoke-run the session's code; the result lands in ``session.state.smoke``.

    ``options`` go to ``smoke_bundle`` (allow_unsandboxed) and ``smoke_run`` (timeout_s,
    memory_mb, network, use_bwrap, python...). Raises ``SmokeRefused`` for high-risk code
    without isolation unless allowed. The session's own environment (``<session>/.venv``,
    made by ``--install``) is the default interpreter once it exists.
    """
    from ..export.session_export import bundle_from_session

    bundle = bundle_from_session(session)
    if not bundle.files:
        raise SessionError(
            f"{session.root} has no code yet; run the coding stage first "
            f"(`papercoder resume {session.root}`)"
        )
    own = existing_env_python(session.root)
    if own and "python" not in options:
        options = {**options, "python": own}
    result = smoke_bundle(bundle, **options)
    with session.lock:
        session.state.smoke = result.to_dict()
        session.save()
    return result


def last_smoke(session: Session) -> SmokeResult | None:
    return SmokeResult.from_dict(session.state.smoke) if session.state.smoke else None


Installer = Callable[[list[str]], InstallResult]


def settle_environment(
    session: Session,
    result: SmokeResult,
    install: Installer | None,
    smoke_options: dict[str, Any],
    emit: Callable[[RepairEvent], None],
) -> tuple[SmokeResult, list[EnvProblem]]:
    """Install missing packages the logic design lists (when allowed) and re-run until none
    is left or it stops helping.

    Returns the latest result and the environment problems still standing.
    """
    tried: set[str] = set()
    while True:
        problems = environment_of(session, result)
        wanted = [p.requirement for p in problems
                  if p.kind == "package" and p.declared and p.requirement not in tried]
        if install is None or not wanted:
            return result, problems
        tried.update(wanted)
        done = install(wanted)
        emit(RepairEvent("install", f"{'installed' if done.ok else 'could not install'} "
                         f"{', '.join(wanted)}: {done.command}" + ("" if done.ok else f"\n{done.output}")))
        if not done.ok:
            return result, problems
        result = smoke_session(session, **smoke_options)
        emit(RepairEvent("smoke", result.summary(), result=result))


def record_attempt(session: Session, attempt: Attempt) -> None:
    """Append one attempt to the session's repair log (the panel records its own too)."""
    path = session.root / REPAIRS_LOG
    with session.lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"at": now(), **asdict(attempt)}, ensure_ascii=False) + "\n")


def repairs(session: Session) -> list[dict[str, Any]]:
    """Every recorded repair attempt, oldest first."""
    path = session.root / REPAIRS_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# -- the loop ---------------------------------------------------------------------------


def _rerun_after_fix(
    session: Session, fix: Fix, files: tuple[list[FileChange], list[FileChange]], n: int,
    opts: dict[str, Any], install: Installer | None, report: RepairReport, emit: Callable[[RepairEvent], None],
) -> tuple[SmokeResult, list[EnvProblem]] | None:
    """Smoke-run the fixed code (settling its environment) and record the attempt; None
    when the fixed code may not run (high-risk without isolation): the fix stays applied,
    the loop ends. ``files`` is (the fix's changes, the approved ones)."""
    changes, approved = files
    names = [c.file for c in approved]
    refused = [c.file for c in changes if c not in approved]
    detail = f"{fix.mode} applied to {', '.join(names)}" + (f"; not approved: {', '.join(refused)}" if refused else "")
    diff = "".join(c.diff for c in approved)
    try:
        result = smoke_session(session, **opts)
    except SmokeRefused as e:
        attempt = Attempt(n, fix.file, "applied", f"{detail}; not re-run: {e}", fix.error, diff, files=names)
        report.attempts.append(attempt)
        record_attempt(session, attempt)
        emit(RepairEvent("error", str(e), n, fix=fix))
        return None
    result, env = settle_environment(session, result, install, opts, emit)
    attempt = Attempt(n, fix.file, "applied", detail, fix.error, diff, result.ok, result.summary(), files=names)
    report.attempts.append(attempt)
    record_attempt(session, attempt)
    emit(RepairEvent("applied", result.summary(), n, fix=fix, result=result))
    return result, env


CANCELLED = "cancelled by the user; nothing changed"


def _record(session: Session, report: RepairReport, attempt: Attempt, emit: Callable[[RepairEvent], None],
            fix: Fix | None = None) -> None:
    """An attempt ends up in the report, in ``smoke/repairs.jsonl`` and as an event."""
    report.attempts.append(attempt)
    record_attempt(session, attempt)
    emit(RepairEvent(attempt.outcome, attempt.detail, attempt.attempt, fix=fix))  # type: ignore[arg-type]


@dataclass
class _Repairing:
    """What every attempt of one repair loop shares."""

    session: Session
    backend: Backend
    report: RepairReport
    emit: Callable[[RepairEvent], None]
    opts: dict[str, Any]
    approve: Callable[[str], bool] | None
    auto_approve: bool
    prompt_dir: str | None
    cancel: CancelToken | None
    install: Installer | None
    feedback: str | None = None  # why the last proposal was invalid, for the next prompt


def repair_loop(
    session: Session,
    backend: Backend,
    *,
    max_attempts: int = 3,
    approve: Callable[[str], bool] | None = None,
    auto_approve: bool = False,
    on_event: Callable[[RepairEvent], None] | None = None,
    smoke_options: dict[str, Any] | None = None,
    prompt_dir: str | None = None,
    cancel: CancelToken | None = None,
    initial: SmokeResult | None = None,
    install: Installer | None = None,
) -> RepairReport:
    """Smoke-run, then up to ``max_attempts`` model fixes, each approved and re-run.

    ``approve(diff) -> bool`` sees each fix's unified diff (``on_event`` gets the whole
    ``Fix`` first, with the model's explanation); a refusal ends the loop with the file
    untouched; ``approve`` may raise ``CancelledError`` (the user's Cancel while the diff
    waits), recorded like a Cancel during the model call: outcome ``cancelled``, loop ended.
    ``initial`` skips the first smoke run when the caller just made one.
    A missing package or data file stops the loop as an environment problem, unless
    ``install(requirements)`` is given and installing the packages makes it go away.
    """
    if approve is None and not auto_approve:
        raise ValueError("repair_loop needs approve=callback or auto_approve=True")
    emit = on_event or (lambda e: None)
    opts = dict(smoke_options or {})
    result = initial or smoke_session(session, **opts)
    report = RepairReport(initial=result, final=result)
    loop = _Repairing(session, backend, report, emit, opts, approve, auto_approve, prompt_dir, cancel, install)
    emit(RepairEvent("smoke", result.summary(), result=result))
    result, env = settle_environment(session, result, install, opts, emit)
    before = {f: session.read(f"code:{f}") for f in task_files(session)}
    for n in range(1, max(0, max_attempts) + 1):
        if result.ok:
            break
        went_on = _attempt(loop, n, result, env)
        if went_on is None:
            break
        result, env = went_on
    report.final = result
    changed = {f for f, text in before.items() if session.read(f"code:{f}") != text}
    if changed:
        report.stale = [a for a, s in statuses(session).items() if s == "stale"]
    return report


def _attempt(loop: _Repairing, n: int, result: SmokeResult,
             env: list[EnvProblem]) -> tuple[SmokeResult, list[EnvProblem]] | None:
    """One attempt: None ends the loop; else the smoke result (and environment problems) to go on from."""
    if env:  # never a request to change code
        loop.report.environment = env
        for p in env:
            loop.emit(RepairEvent("environment", p.describe(result.python), n))
        return None
    target = find_target(result, task_files(loop.session))
    if target is None:
        loop.emit(RepairEvent("error", "no repository file to repair in this failure", n))
        return None
    loop.emit(RepairEvent("target", f"{target.file}: {target.error}", n))
    fix, go_on = _propose(loop, n, result, target)
    if fix is None:
        return (result, env) if go_on else None
    loop.emit(RepairEvent("proposal", fix.explanation, n, fix=fix))
    changes = fix.all_changes()
    approved = _review(loop, n, fix, changes)
    if approved is None:
        return None
    apply_fix(loop.session, fix, [c.file for c in approved])
    loop.feedback = None
    return _rerun_after_fix(loop.session, fix, (changes, approved), n, loop.opts, loop.install, loop.report, loop.emit)


def _propose(loop: _Repairing, n: int, result: SmokeResult, target: Target) -> tuple[Fix | None, bool]:
    """(the model's fix, or None with whether to try again): an invalid proposal is tried
    again with what was wrong; a Cancel or a backend failure ends the loop, recorded."""
    try:
        fix = propose_fix(loop.session, loop.backend, result, feedback=loop.feedback, prompt_dir=loop.prompt_dir,
                          cancel=loop.cancel)
        return fix, True
    except FixError as e:
        loop.feedback = str(e)
        _record(loop.session, loop.report, Attempt(n, target.file, "invalid", str(e), target.error), loop.emit)
        return None, True
    except CancelledError:  # the user's choice, not a failure: recorded as such
        _record(loop.session, loop.report, Attempt(n, target.file, "cancelled", CANCELLED, target.error), loop.emit)
    except Exception as e:  # a backend failure ends the loop, recorded
        _record(loop.session, loop.report,
                Attempt(n, target.file, "error", f"{type(e).__name__}: {e}", target.error), loop.emit)
    return None, False


def _review(loop: _Repairing, n: int, fix: Fix, changes: list[FileChange]) -> list[FileChange] | None:
    """The changes the reviewer approved (each file's diff on its own: a seam fix may touch a
    caller and a callee); None when none was, or on Cancel while a diff waited (recorded)."""
    try:
        approved = changes if loop.auto_approve else [c for c in changes if loop.approve(c.diff)]  # type: ignore[misc]
    except CancelledError:
        _record(loop.session, loop.report, Attempt(n, fix.file, "cancelled", CANCELLED, fix.error, fix.diff), loop.emit)
        return None
    if not approved:
        _record(loop.session, loop.report,
                Attempt(n, fix.file, "refused", "fix not approved; nothing changed", fix.error,
                        "".join(c.diff for c in changes), files=[c.file for c in changes]),
                loop.emit, fix)
        return None
    return approved


__all__ = [
    "CANCELLED",
    "REPAIRS_LOG",
    "Attempt",
    "RepairEvent",
    "RepairReport",
    "last_smoke",
    "record_attempt",
    "repair_loop",
    "repairs",
    "settle_environment",
    "smoke_session",
]
