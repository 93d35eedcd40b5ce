"""Commands on a session's state: status, approve, answer, export."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..export.session_export import artifact_credits
from ..session.credits import credit
from ..session.graph import statuses
from ..session.store import Session
from ..util.errors import CliError

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _status_rows(session: Session, st: dict[str, str]) -> list[dict[str, Any]]:
    from ..checks.hooks import findings_by_artifact

    checks = findings_by_artifact(session)  # live: a hand edit shows at once
    rows = []
    for aid, status in st.items():
        rec = session.record(aid)
        rows.append({
            "artifact": aid,
            "status": status,
            "path": str(session.path(aid).relative_to(session.root)),
            "input_tokens": rec.usage.input_tokens if rec else 0,
            "output_tokens": rec.usage.output_tokens if rec else 0,
            "cache_read_tokens": rec.usage.cache_read_tokens if rec else 0,
            "cache_write_tokens": rec.usage.cache_write_tokens if rec else 0,
            "cost_usd": rec.cost_usd if rec else 0.0,
            "calls": rec.calls if rec else 0,
            "by": rec.by if rec else None,
            "credit": credit(rec, session.state.model) if rec and session.read(aid) is not None else None,
            "warnings": rec.warnings if rec else [],
            "error": rec.error if rec else None,
            "check_findings": [str(f) for f in checks.get(aid, [])],
        })
    return rows


def cmd_status(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    st = statuses(session)
    rows = _status_rows(session, st)
    from ..checks.safety import scan_code

    code = {aid.split(":", 1)[1]: session.read(aid) or "" for aid in st if aid.startswith("code:") and st[aid] != "missing"}
    flags = scan_code(code)
    total = session.state
    summary = {
        "session": str(session.root),
        "paper": session.paper.title,
        "model": total.model,
        "artifacts": rows,
        "usage": total.usage.model_dump(),
        "cost_usd": total.cost_usd,
        "smoke": total.smoke,
        "safety_flags": [f.to_dict() for f in flags],
    }
    if a.json:
        out.print_json(json.dumps(summary))
        return 0
    from rich.table import Table

    colors = {"approved": "green", "generated": "cyan", "edited": "yellow", "stale": "red", "missing": "dim"}
    t = Table(title=escape(f"{session.paper.title} — {total.model or 'no model yet'}"))
    for col in ("artifact", "status", "in", "out", "cached", "cost", "notes"):
        t.add_column(col)
    for r in rows:
        cost = "unknown" if r["cost_usd"] is None else f"${r['cost_usd']:.4f}"
        notes = r["error"] or "; ".join(r["check_findings"] + r["warnings"])
        failing = f" [red]fails {len(r['check_findings'])} check(s)[/]" if r["check_findings"] else ""
        t.add_row(escape(r["artifact"]), f"[{colors[r['status']]}]{r['status']}[/]{failing}", str(r["input_tokens"]),
                  str(r["output_tokens"]), str(r["cache_read_tokens"]), cost, escape(notes[:80]))
    out.print(t)
    for who, ids in artifact_credits(session).items():  # the export README's wording
        out.print(escape(f"{who}: {len(ids)} artifact(s)"))
    cost = "cost unknown" if total.cost_usd is None else f"${total.cost_usd:.4f}"
    out.print(f"total: {total.usage.input_tokens} input, {total.usage.output_tokens} output, "
              f"{total.usage.cache_read_tokens} cached tokens; {cost}")
    if flags:
        high = [f for f in flags if f.severity == "high"]
        out.print(f"[yellow]safety scan:[/] {len(high)} high, {len(flags) - len(high)} low flag(s) in the generated code")
        for f in high:
            out.print(escape(f"  {f}"), soft_wrap=True)
    if total.smoke:
        out.print(escape(f"smoke run: {total.smoke.get('summary', '')}"), soft_wrap=True)
    return 0


def cmd_approve(a: argparse.Namespace) -> int:
    from ..run.review import ApprovalError, approvable, approve

    session = Session.open(a.dir)
    if a.all:
        targets = approvable(session)
    else:
        targets = a.artifacts
        if not targets:
            raise CliError("name the artifacts to approve, or pass --all")
    try:
        approve(session, targets)
    except ApprovalError as e:
        raise CliError(str(e)) from e
    out.print(escape(f"approved: {', '.join(targets) or 'nothing to approve'}"))
    return 0


def cmd_answer(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    session.set_answer(a.question, a.answer, a.source)
    out.print("answer stored; artifacts downstream of it are now stale")
    return 0


def export_session(session: Session, repo: Path | None, make_zip: bool, notebook: Path | None, force: bool = False) -> None:
    from ..export import write_notebook, write_repo
    from ..export.session_export import bundle_from_session
    from ..run.export_status import export_status
    from ..session.graph import logic_problem

    problem = logic_problem(session)
    if problem:  # without a file list the export would hold no code and look complete
        raise CliError(f"cannot export: {problem}")
    bundle = bundle_from_session(session)
    state = export_status(session)
    (err if state.problems else out).print(escape(f"export holds: {state.sentence()}"))
    if repo is not None:
        report = write_repo(bundle, repo, make_zip=make_zip, force=force)
        out.print(escape(f"repository: {repo} ({len(report.written)} written, {len(report.unchanged)} unchanged)"))
        for line in report.messages:
            err.print(f"[yellow]export:[/] {escape(line)}")
        if report.zip_path:
            out.print(escape(f"zip: {report.zip_path}"))
    if notebook is not None:
        write_notebook(bundle, notebook)
        out.print(escape(f"notebook: {notebook}"))


def cmd_export(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    if not a.repo and not a.notebook:
        raise CliError("pass --repo PATH and/or --notebook PATH")
    export_session(session, Path(a.repo) if a.repo else None, a.zip, Path(a.notebook) if a.notebook else None, a.force)
    return 0


def add_commands(sub: Any) -> None:
    """Register ``status``, ``approve``, ``answer`` and ``export``."""
    p = sub.add_parser("status", help="every artifact with status, tokens and cost")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_status)

    p = sub.add_parser("approve", help="approve artifacts so the next stage may read them")
    p.add_argument("dir")
    p.add_argument("artifacts", nargs="*")
    p.add_argument("--all", action="store_true", help="approve every generated or edited artifact")
    p.set_defaults(fn=cmd_approve)

    p = sub.add_parser("answer", help="answer an open question; the answer goes into later prompts")
    p.add_argument("dir")
    p.add_argument("question")
    p.add_argument("answer")
    p.add_argument("--source", default="plan", help="the artifact that raised the question (plan, architecture, logic)")
    p.set_defaults(fn=cmd_answer)

    p = sub.add_parser("export", help="write the repository (and optionally a notebook)")
    p.add_argument("dir")
    p.add_argument("--repo", help="the repository folder to write")
    p.add_argument("--zip", action="store_true", help="also write a zip beside it")
    p.add_argument("--notebook", help="write the explanatory notebook here")
    p.add_argument("--force", action="store_true", help="overwrite exported files you edited (copies go to .papercoder-backup/)")
    p.set_defaults(fn=cmd_export)

