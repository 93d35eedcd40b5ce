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
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from ..checks.hooks import findings_block, refresh_check_findings
from ..checks.tracebacks import deepest_repo_frame, frame_paths
from ..llm.base import Backend, CancelledError, CancelToken, Request, Usage
from ..llm.call import call_model, cost_of
from ..llm.limits import ModelLimits, limits_of
from ..paper.tokens import estimate_tokens
from ..session.graph import load_logic, statuses, task_files
from ..session.store import Session, SessionError, now
from ..stages.context import FULL, PLANNING_TITLES, Prompt, RepoFiles, answers_for, fit_request
from ..util.errors import PapercoderError
from ..util.extract import fenced_blocks
from ..util.pyparse import parse_python
from ..util.templates import load_prompt, render
from .environment import EnvProblem, environment_problems
from .sandbox import SmokeResult
from .session_env import InstallResult, existing_env_python
from .smoke import SmokeRefused, smoke_bundle

REPAIRS_LOG = "smoke/repairs.jsonl"
TRACEBACK_CHARS = 6000  # the tail of a traceback is where the error is
Outcome = Literal["applied", "refused", "invalid", "error", "cancelled"]

_EDIT_BLOCK = re.compile(
    r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$",
    re.M | re.S,
)
# "FILE: util.py" before edit blocks: they edit that file (a fix across a seam).
_FILE_LINE = re.compile(r"^[ \t]*(?:\*\*)?FILE:?(?:\*\*)?[ \t]*`?([\w./-]+\.py)`?[ \t]*$", re.M | re.I)


class FixError(PapercoderError, ValueError):
    """The model's answer cannot be applied; nothing was changed."""


class EnvironmentFault(FixError):
    """The run failed for want of a package or a data file: not something to fix in code."""


@dataclass
class Target:
    file: str  # repository path, e.g. "model.py"
    error: str  # one line
    traceback: str  # what the model sees under "Traceback"
    line: int | None = None


@dataclass
class FileChange:
    """One file's part of a fix: shown and approved on its own."""

    file: str
    old_text: str
    new_text: str
    diff: str


@dataclass
class Fix:
    file: str  # the first changed file (the failing one when it changed)
    new_text: str
    diff: str  # unified diff of every changed file, a/<file> → b/<file>
    explanation: str
    old_text: str = ""
    mode: Literal["edits", "whole"] = "edits"
    error: str = ""  # the error this fix answers
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    model: str = ""
    changes: list[FileChange] = field(default_factory=list)  # every changed file, ``file`` first

    def all_changes(self) -> list[FileChange]:
        """Per file, for approval one file at a time (``new_text``/``old_text`` are ``file``'s)."""
        return self.changes or [FileChange(self.file, self.old_text, self.new_text, self.diff)]


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


def environment_of(session: Session, result: SmokeResult) -> list[EnvProblem]:
    """Missing packages and data behind ``result``: never sent to the model as code faults."""
    logic = load_logic(session)
    return environment_problems(result, task_files(session), list(logic.required_packages) if logic else [])


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


# -- which file to fix ----------------------------------------------------------------


def _tail(text: str, limit: int = TRACEBACK_CHARS) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def find_target(result: SmokeResult, files: list[str]) -> Target | None:
    """The file a repair should edit, with its error; None when nothing failed."""
    if result.ok:
        return None
    run_output = _tail(result.stderr_tail or result.stdout_tail)
    if result.failing_file in files and result.error:
        return Target(result.failing_file, result.error, run_output, result.failing_line)
    records = [r for r in result.files if r.path in files]
    for record in records:
        if not record.compiled:
            return Target(record.path, record.error or "does not compile", _tail(record.traceback or ""))
    for record in records:
        if record.imported is False:
            where, line = deepest_repo_frame(record.traceback or "", files=files)
            return Target(
                where or record.path,
                record.error or "import failed",
                _tail(record.traceback or ""),
                line,
            )
    if result.entry_point in files and (result.ran is False or result.timed_out):
        where, line = deepest_repo_frame(run_output, files=files)
        error = result.error or f"exit code {result.returncode}"
        return Target(where or result.entry_point, error, run_output or error, line)
    return None


def related_files(session: Session, file: str, files: list[str]) -> list[str]:
    """Repository files ``file`` imports (by its import statements and the logic design)."""
    wanted: set[str] = set()
    logic = load_logic(session)
    if logic:
        wanted.update(logic.dependencies().get(file, []))
    try:
        tree = parse_python(session.read(f"code:{file}") or "")
    except (SyntaxError, ValueError):
        tree = None
    package = list(PurePosixPath(file).parent.parts)
    names: list[str] = []
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            mod = [*base, *(node.module.split(".") if node.module else [])]
            names.append(".".join(mod))
            names += [".".join([*mod, a.name]) for a in node.names]
    for name in names:
        parts = [p for p in name.split(".") if p]
        for cand in ("/".join(parts) + ".py", "/".join([*parts, "__init__.py"])):
            if cand in files:
                wanted.add(cand)
    wanted.discard(file)
    return [f for f in files if f in wanted]


def traceback_files(traceback: str, files: list[str]) -> list[str]:
    """Repository files on the traceback's frames (the callers of a failing callee)."""
    out: list[str] = []
    for path in frame_paths(traceback or ""):
        for f in files:
            if (path == f or path.endswith("/repo/" + f)) and f not in out:
                out.append(f)
    return out


# -- the prompt -------------------------------------------------------------------------


def build_repair_request(
    session: Session,
    target: Target,
    *,
    limits: ModelLimits,
    feedback: str | None = None,
    prompt_dir: str | None = None,
    count: Callable[[str], int] = estimate_tokens,
) -> Request:
    """system → paper → planning → related files → the failing file → the task, built and
    condensed by the stages' prompt builder (``stages.context.fit_request``): the same
    stable-first order and cache breakpoints as the coding calls, so prefix caches hit;
    when the window is short, related files become outlines, the planning is compacted,
    then the paper is condensed (it is never refused). The failing file stays whole.
    """
    files = task_files(session)
    code = session.read(f"code:{target.file}") or ""
    involved = related_files(session, target.file, files) + traceback_files(target.traceback, files)
    related = [f for f in files if f in involved and f != target.file]
    current = f"## The failing file {target.file} (current version)\n```python\n{code.rstrip()}\n```\n"
    checks = findings_block(session, [target.file, *related],
                            "The static checker found these problems (file:line) in these files")
    repo = RepoFiles(
        code={f: session.read(f"code:{f}") or "" for f in related},
        deps=set(related),
        form=dict.fromkeys(related, FULL),
        pinned=[current + (f"\n{checks}" if checks else "")],
    )
    values = {
        "file": target.file,
        "error": target.error,
        "traceback": target.traceback or target.error,
        "feedback": (
            f"\n## Your previous answer could not be used\n{feedback.strip()}\n" if feedback else ""
        ),
    }
    planning = {a: session.read(a) or "" for a in PLANNING_TITLES}
    prompt = Prompt(
        artifact=f"repair:{target.file}",
        kind="repair",
        system=load_prompt("system", prompt_dir).strip(),
        planning=planning,
        answers=answers_for(session, planning),
        repo=repo,
        task=render(load_prompt("repair_code", prompt_dir), **values).strip(),
        repo_heading="The repository files involved",
    )
    return fit_request(session, prompt, limits=limits, count=count).request


# -- the answer -------------------------------------------------------------------------


def parse_edits(answer: str) -> list[tuple[str, str]]:
    """(search, replace) pairs from SEARCH/REPLACE blocks, in order."""
    return [(m.group(1), m.group(2)) for m in _EDIT_BLOCK.finditer(answer)]


def apply_edits(text: str, edits: list[tuple[str, str]], file: str = "the file") -> str:
    """Apply each edit in order; every SEARCH must match the current text exactly once."""
    for n, (search, replace) in enumerate(edits, 1):
        if not search.strip():
            raise FixError(f"SEARCH block {n} is empty; copy the lines to change from {file}")
        hits = text.count(search)
        if hits != 1:
            first = search.strip().splitlines()[0][:80]
            why = "matches nothing in" if hits == 0 else f"matches {hits} places in"
            raise FixError(
                f"SEARCH block {n} of {len(edits)} {why} {file} (it starts {first!r}); "
                "copy the lines exactly, with enough context to be unique"
            )
        text = text.replace(search, replace, 1)
    return text


def parse_file_edits(answer: str, default: str) -> dict[str, list[tuple[str, str]]]:
    """Edit blocks by file: a ``FILE: path`` line before blocks names their file (else ``default``)."""
    out: dict[str, list[tuple[str, str]]] = {}
    heads = [(m.start(), m.group(1)) for m in _FILE_LINE.finditer(answer)]
    for m in _EDIT_BLOCK.finditer(answer):
        named = [name for at, name in heads if at < m.start()]
        out.setdefault(named[-1] if named else default, []).append((m.group(1), m.group(2)))
    return out


def _explanation(answer: str) -> str:
    text = _EDIT_BLOCK.sub("", answer)
    text = re.sub(r"```.*?(```|\Z)", "", text, flags=re.S)
    return " ".join(text.split())[:600]


def unified_diff(old: str, new: str, file: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{file}",
            tofile=f"b/{file}",
        )
    )


def _checked_change(file: str, old: str, new: str) -> FileChange:
    try:
        parse_python(new)
    except SyntaxError as e:
        raise FixError(f"the fixed {file} would not compile: {e.msg} (line {e.lineno})") from e
    return FileChange(file, old, new, unified_diff(old, new, file))


def fix_from_answer(answer: str, file: str, old: str, others: dict[str, str] | None = None) -> Fix:
    """Turn the model's answer into a checked, in-memory fix (or raise ``FixError``).

    ``others`` are the files shown beside the failing one ({path: text}); edit blocks
    after a ``FILE: path`` line may change them too (a fault at a seam).
    """
    texts = {**(others or {}), file: old}
    by_file = parse_file_edits(answer, file)
    unknown = [f for f in by_file if f not in texts]
    if unknown:
        raise FixError(f"the answer edits {', '.join(unknown)}, which is not among the files shown "
                       f"({', '.join(texts)}); edit only those")
    if by_file:
        mode = "edits"
        changes = [_checked_change(f, texts[f], apply_edits(texts[f], edits, f))
                   for f, edits in sorted(by_file.items(), key=lambda kv: kv[0] != file)]
        changes = [c for c in changes if c.new_text != c.old_text]
    else:
        blocks = [b for lang, b in fenced_blocks(answer) if lang in ("python", "py", "python3")]
        if not blocks:
            raise FixError(
                "the answer holds neither SEARCH/REPLACE blocks nor a ```python block with the "
                "whole file"
            )
        new, mode = max(blocks, key=len).strip("\n") + "\n", "whole"
        changes = [_checked_change(file, old, new)] if new != old else []
    if not changes:
        raise FixError(f"the proposed fix leaves {file} unchanged")
    first = changes[0]
    # ``diff`` shows every file, so a caller that applies the whole fix shows all of it.
    return Fix(first.file, first.new_text, "".join(c.diff for c in changes), _explanation(answer),  # type: ignore[arg-type]
               first.old_text, mode, changes=changes)


def propose_fix(
    session: Session,
    backend: Backend,
    result: SmokeResult,
    *,
    feedback: str | None = None,
    prompt_dir: str | None = None,
    cancel: CancelToken | None = None,
) -> Fix:
    """Ask the model to fix the failing file of ``result``; nothing is written."""
    problems = environment_of(session, result)
    if problems:
        raise EnvironmentFault("; ".join(p.describe(result.python) for p in problems))
    files = task_files(session)
    target = find_target(result, files)
    if target is None:
        raise FixError("the smoke run has no failure in a repository file to repair")
    request = build_repair_request(
        session, target, limits=limits_of(backend), feedback=feedback,
        prompt_dir=prompt_dir, count=getattr(backend, "count_tokens", None) or estimate_tokens,
    )
    completion = call_model(backend, request, record=session.log_call, cancel=cancel)
    involved = related_files(session, target.file, files) + traceback_files(target.traceback, files)
    others = {f: session.read(f"code:{f}") or "" for f in involved if f != target.file}
    fix = fix_from_answer(completion.text, target.file, session.read(f"code:{target.file}") or "", others)
    fix.error = target.error
    fix.usage = completion.usage
    fix.cost_usd = cost_of(backend.spec, completion.usage)
    fix.model = backend.spec
    return fix


def apply_fix(session: Session, fix: Fix, files: list[str] | None = None) -> None:
    """Write an approved fix (only ``files`` of it, when given); old versions stay in history.

    Every file is checked before any is written, so a stale fix changes nothing.
    """
    changes = [c for c in fix.all_changes() if files is None or c.file in files]
    for c in changes:
        if (session.read(f"code:{c.file}") or "") != c.old_text:
            raise FixError(f"{c.file} changed since the fix was proposed; ask for a new fix")
    for i, c in enumerate(changes):
        _write_change(session, fix, c, paid=i == 0)  # the call's cost is on one file only
    refresh_check_findings(session)  # a fix is a coding call: its callers may change state


def _write_change(session: Session, fix: Fix, change: FileChange, *, paid: bool) -> None:
    aid = f"code:{change.file}"
    rec = session.record(aid)
    session.write(
        aid,
        change.new_text,
        by="model",
        # Same inputs as before: the fix is a correction of that generation, not a new one.
        input_hash=rec.input_hash if rec else None,
        model=fix.model,
        usage=fix.usage if paid else Usage(),
        cost_usd=fix.cost_usd if paid else 0.0,
        calls=1 if paid else 0,
        feedback=f"repair after a failed smoke run: {fix.error}"[:600],
        warnings=[f"repaired ({fix.mode}) after: {fix.error}"[:300]],
    )


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
    "EnvironmentFault",
    "FileChange",
    "Fix",
    "FixError",
    "RepairEvent",
    "RepairReport",
    "Target",
    "apply_edits",
    "apply_fix",
    "build_repair_request",
    "environment_of",
    "find_target",
    "fix_from_answer",
    "last_smoke",
    "parse_edits",
    "parse_file_edits",
    "propose_fix",
    "related_files",
    "repair_loop",
    "repairs",
    "settle_environment",
    "smoke_session",
    "traceback_files",
    "unified_diff",
]
