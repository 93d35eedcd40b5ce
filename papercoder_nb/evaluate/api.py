"""Evaluate a session and keep the result in it: ``<session>/eval/<timestamp>-<kind>.json``.

``evaluate_session`` runs the static checks and then one of three modes: the
reference-free judge, the reference-based judge (``gold``), or a rubric (``rubric``).
``evaluation_summary`` is what a panel renders: the latest result, its critiques linked to
the session's files, and the rubric tree with pass/fail per leaf.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..llm.base import Backend, CancelToken
from ..llm.call import cost_of
from ..session.store import Session, now
from ..util.fsutil import atomic_write_text
from .judge import judge_session
from .models import EvalError, EvalResult
from .rubric import RubricNode, grade_rubric, load_rubric
from .static import session_code, session_static_facts

EVAL_DIR = "eval"


def evaluate_session(
    session: Session | str | Path,
    backend: Backend,
    *,
    gold: str | Path | None = None,
    rubric: str | Path | RubricNode | None = None,
    samples: int = 1,
    max_tokens: int | None = None,
    temperature: float | None = None,
    prompt_dir: str | None = None,
    check_imports: bool = True,
    allow_unsandboxed: bool = False,
    cancel: CancelToken | None = None,
    save: bool = True,
) -> EvalResult:
    if not isinstance(session, Session):
        session = Session.open(session)
    started = time.monotonic()
    # Check the inputs before spending any model call.
    tree = None
    if rubric is not None:
        tree = rubric if isinstance(rubric, RubricNode) else load_rubric(rubric)
        if gold is not None:
            raise EvalError("--rubric and --gold are separate modes; pass one of them")
    facts = session_static_facts(session, check_imports=check_imports, allow_unsandboxed=allow_unsandboxed)
    if tree is not None:
        code = session_code(session)
        if not code:
            raise EvalError(f"{session.root} has no code files to evaluate; run the coding stage first")
        report = grade_rubric(session, backend, tree, code, max_tokens=max_tokens, prompt_dir=prompt_dir,
                              cancel=cancel)
        result = EvalResult(
            kind="rubric", created_at=now(), session=str(session.root), paper_title=session.paper.title,
            model=backend.spec, score=report.score, score_scale="0-1", rubric=report,
            rubric_path=str(rubric) if not isinstance(rubric, RubricNode) else None,
            usage=report.usage, cost_usd=cost_of(backend.spec, report.usage), paper_note=report.paper_note,
        )
        if report.ungraded:
            result.notes.append(f"{report.ungraded} of {report.leaves} rubric leaves could not be graded (counted as 0)")
        if "truncated" in report.code_note:
            result.notes.append(report.code_note)
    else:
        result = judge_session(session, backend, gold=gold, samples=samples, max_tokens=max_tokens,
                               temperature=temperature, prompt_dir=prompt_dir, cancel=cancel)
    result.static = facts
    if session.paper.meta.source_type == "papercoder-import":
        result.notes.append("the session holds no paper (imported without --paper): the judge saw only its title")
    if facts.import_check != "sandbox":
        result.notes.append(f"imports not checked: {facts.import_check}")
    result.seconds = round(time.monotonic() - started, 3)
    if save:
        save_result(session.root, result)
    return result


def save_result(session_dir: str | Path, result: EvalResult) -> Path:
    folder = Path(session_dir) / EVAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = result.created_at.replace(":", "").replace("-", "").replace(".", "")
    path = folder / f"{stamp}-{result.kind}.json"
    n = 1
    while path.exists():  # two evaluations in the same millisecond keep both
        n += 1
        path = folder / f"{stamp}-{result.kind}-{n}.json"
    atomic_write_text(path, result.model_dump_json(indent=2) + "\n")
    return path


def list_results(session_dir: str | Path) -> list[Path]:
    folder = Path(session_dir) / EVAL_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_result(path: str | Path) -> EvalResult:
    return EvalResult.model_validate_json(Path(path).read_text(encoding="utf-8"))


def latest_result(session_dir: str | Path, kind: str | None = None) -> EvalResult | None:
    for p in reversed(list_results(session_dir)):
        try:
            r = load_result(p)
        except ValueError:
            continue  # a hand-damaged file does not hide the older ones
        if kind is None or r.kind == kind:
            return r
    return None


def _tree(node: Any) -> dict[str, Any]:
    return {
        "id": node.id,
        "requirements": node.requirements,
        "weight": node.weight,
        "category": node.task_category,
        "score": node.score,
        "leaf": not node.children,
        "status": ("ungraded" if not node.graded else "pass" if node.passed else "fail") if not node.children else None,
        "explanation": node.explanation,
        "error": node.error,
        "children": [_tree(c) for c in node.children],
    }


def evaluation_summary(session_dir: str | Path) -> dict[str, Any]:
    """Plain data for a UI: the latest result, critiques by file, the rubric tree, history.

    Keys: ``has_result``, ``latest`` (the whole result as a dict), ``score``, ``scale``,
    ``kind``, ``headline`` (one line), ``critiques_by_file`` ({file: [critique, ...]} where
    each file knows its ``artifact`` id and whether it exists in the session), ``rubric``
    (nested nodes with ``status`` pass/fail/ungraded per leaf), ``categories``, ``static``,
    ``notes`` and ``history`` (every stored evaluation, oldest first).
    """
    root = Path(session_dir)
    history = []
    for p in list_results(root):
        try:
            r = load_result(p)
        except ValueError:
            continue
        history.append({"file": p.relative_to(root).as_posix(), "kind": r.kind, "created_at": r.created_at,
                        "score": r.score, "scale": r.score_scale, "model": r.model})
    latest = latest_result(root)
    if latest is None:
        return {"has_result": False, "history": history, "headline": "not evaluated yet"}
    code_dir = root / "code"
    by_file: dict[str, dict[str, Any]] = {}
    for c in latest.critiques:
        key = c.file or "(repository)"
        entry = by_file.setdefault(key, {
            "file": c.file, "artifact": f"code:{c.file}" if c.file else None,
            "exists": bool(c.file) and (code_dir / c.file).is_file(), "critiques": [],
        })
        entry["critiques"].append(c.model_dump())
    if latest.kind == "rubric" and latest.rubric is not None:
        rb = latest.rubric
        headline = (f"rubric {rb.score:.0%}: {rb.passed}/{rb.leaves} leaves passed"
                    + (f", {rb.ungraded} ungraded" if rb.ungraded else ""))
    else:
        headline = (f"{latest.kind.replace('_', '-')} score {latest.score:.2f}/5 from "
                    f"{latest.valid_samples}/{latest.samples_requested} valid samples")
    return {
        "has_result": True,
        "kind": latest.kind,
        "score": latest.score,
        "scale": latest.score_scale,
        "headline": headline,
        "model": latest.model,
        "created_at": latest.created_at,
        "latest": latest.model_dump(mode="json"),
        "critiques_by_file": by_file,
        "rubric": _tree(latest.rubric.root) if latest.rubric else None,
        "categories": [c.model_dump() for c in latest.rubric.categories] if latest.rubric else [],
        "static": latest.static.model_dump(mode="json") if latest.static else None,
        "notes": latest.notes,
        "history": history,
    }
