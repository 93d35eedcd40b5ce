"""From a session folder to an ``ExportBundle`` (the exporters take only the bundle)."""

from __future__ import annotations

from ..session.artifacts import unclear_points
from ..session.credits import credit, true_models
from ..session.graph import load_logic, statuses, task_files
from ..session.store import Session
from .bundle import ExportBundle, FileEntry


def artifact_credits(session: Session) -> dict[str, list[str]]:
    """Each writer (each model, imports, hand edits) with the artifacts whose current version it wrote."""
    groups: dict[str, list[str]] = {}
    for aid in statuses(session):
        rec = session.record(aid)
        if rec is not None and session.read(aid) is not None:
            groups.setdefault(credit(rec, session.state.model), []).append(aid)
    return groups


def writing_models(session: Session) -> list[str]:
    """The models whose output is in the session now (not the one merely selected): a
    replay's recorded models, never its cassette path; none for hand-written answers."""
    found = {m for aid in statuses(session) if (rec := session.record(aid)) and rec.by == "model" and rec.model
             for m in true_models(rec.model)}
    return sorted(found)


def bundle_from_session(session: Session) -> ExportBundle:
    logic = load_logic(session)
    files = task_files(session)
    missing = [f for f in files if session.read(f"code:{f}") is None]
    entries = []
    for f in files:
        code = session.read(f"code:{f}")
        if code is None:
            continue
        fl = logic.file_logic(f) if logic else None
        entries.append(
            FileEntry(
                path=f,
                code=code,
                analysis=session.read(f"analysis:{f}") or "",
                purpose=fl.purpose if fl else "",
                paper_refs=list(fl.paper_refs) if fl else [],
                depends_on=logic.dependencies().get(f, []) if logic else [],
            )
        )
    plan = session.read("plan") or ""
    from ..session.artifacts import Architecture

    arch = None
    try:
        arch = Architecture.model_validate_json(session.read("architecture") or "")
    except ValueError:
        pass
    answered = {a.question: a.answer for a in session.state.answers}
    questions = [(q, answered.get(q)) for q in unclear_points(arch, logic, plan)]
    groups = artifact_credits(session)
    credits = [f"{who}: {', '.join(ids)}" for who, ids in groups.items()]
    provenance = "; ".join(f"{who} ({len(ids)})" for who, ids in groups.items()) or "nothing generated yet"
    bundle = ExportBundle(
        title=session.paper.title,
        paper_source=session.state.paper_source,
        abstract=session.paper.abstract,
        plan=plan,
        config_yaml=session.read("config") or "",
        files=entries,
        packages=list(logic.required_packages) if logic else [],
        open_questions=questions,
        entry_point=(logic.entry_point if logic and logic.entry_point in files else None),
        smoke_args=list(logic.smoke_args) if logic else [],
        model=", ".join(writing_models(session)),
        provenance=provenance,
        credits=credits,
        session_dir=str(session.root),
        check_findings=_check_findings(session),
    )
    if missing:
        bundle.provenance += f"; code missing for {', '.join(missing)}"
    return bundle


def _check_findings(session: Session) -> dict[str, list[str]]:
    """The static checker's findings per code file, as the export README lists them."""
    from ..checks.hooks import findings_by_artifact

    return {aid.split(":", 1)[1]: [str(f) for f in fs] for aid, fs in findings_by_artifact(session).items()}
