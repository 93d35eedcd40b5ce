"""What a repair asks the model: the file to fix (from the smoke run's failure), the files
involved, the request (``prompts/repair_code.md``) and the call that proposes a fix.

A failure for want of a package or a data file is an environment problem
(``environment_of``), never sent to the model as a code fault.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..checks.hooks import findings_block
from ..checks.tracebacks import deepest_repo_frame, frame_paths
from ..llm.base import Backend, CancelToken, Request, capabilities_of
from ..llm.call import call_model, cost_of
from ..llm.limits import ModelLimits, limits_of
from ..paper.tokens import estimate_tokens
from ..session.graph import load_logic, task_files
from ..session.store import Session
from ..stages.context import FULL, PLANNING_TITLES, Prompt, RepoFiles, answers_for, fit_request
from ..util.pyparse import parse_python
from ..util.templates import load_prompt, render
from .environment import EnvProblem, environment_problems
from .fixes import EnvironmentFault, Fix, FixError, fix_from_answer
from .sandbox import SmokeResult

TRACEBACK_CHARS = 6000  # the tail of a traceback is where the error is


@dataclass
class Target:
    file: str  # repository path, e.g. "model.py"
    error: str  # one line
    traceback: str  # what the model sees under "Traceback"
    line: int | None = None



def environment_of(session: Session, result: SmokeResult) -> list[EnvProblem]:
    """Missing packages and data behind ``result``: never sent to the model as code faults."""
    logic = load_logic(session)
    return environment_problems(result, task_files(session), list(logic.required_packages) if logic else [])



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
        prompt_dir=prompt_dir, count=capabilities_of(backend).count_tokens or estimate_tokens,
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


