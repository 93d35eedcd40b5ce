"""The ``papercoder`` command: every engine action from a shell.

Any failure ends with a non-zero exit and one line saying what went wrong and what to
do; tracebacks are for ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from .budget import Budget
from .export.repo import ExportError
from .graph import statuses
from .llm.base import BackendError, CancelToken
from .llm.registry import get_backend
from .model_options import (
    add_budget_options,
    add_model_options,
    backend_options,
    configure_backend,
    runner_options,
)
from .paper import PaperError, load_paper
from .runner import STAGES, Event, Runner, RunResult, StageError
from .store import Session, SessionError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


class CliError(Exception):
    pass


# -- progress --------------------------------------------------------------------
class Progress:
    """Draws runner events: one line per artifact, a live status with tokens/s."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tokens: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.status = None if quiet else err.status("")
        if self.status:
            self.status.start()

    def __call__(self, e: Event) -> None:
        if self.quiet:
            return
        stage = _stage(e.artifact)
        if e.kind == "start":
            self.started[e.artifact] = time.monotonic()
            self.tokens[e.artifact] = 0
            note = f" ({e.text})" if e.text else ""
            err.print(f"[cyan]{stage:>8}[/] {escape(e.artifact)} …{escape(note)}")
        elif e.kind == "token":
            self.tokens[e.artifact] = self.tokens.get(e.artifact, 0) + 1
            active = [a for a in self.started if a in self.tokens]
            parts = []
            for a in active[-3:]:
                dt = max(1e-3, time.monotonic() - self.started[a])
                parts.append(f"{a}: {self.tokens[a]} chunks, {self.tokens[a] / dt:.0f}/s")
            if self.status:
                self.status.update(escape(" | ".join(parts)))
        elif e.kind == "done":
            dt = time.monotonic() - self.started.pop(e.artifact, time.monotonic())
            self.tokens.pop(e.artifact, None)
            u = e.usage
            tok = f"{u.input_tokens} in / {u.output_tokens} out" if u else ""
            rate = f", {u.output_tokens / dt:.0f} tok/s" if u and dt > 0 else ""
            warn = f" [yellow]({escape(e.text)})[/]" if e.text else ""
            err.print(f"[green]{stage:>8}[/] {escape(e.artifact)} done in {dt:.1f}s, {tok}{rate}{warn}")
        elif e.kind in ("error", "retry", "info", "waiting"):
            color = {"error": "red", "retry": "yellow", "info": "blue", "waiting": "magenta"}[e.kind]
            err.print(f"[{color}]{e.kind:>8}[/] {escape(e.artifact)} {escape(e.text)}")

    def close(self) -> None:
        if self.status:
            self.status.stop()


def _stage(aid: str) -> str:
    from .runner import stage_of

    return stage_of(aid) if aid else ""


# -- commands --------------------------------------------------------------------
def cmd_paper(a: argparse.Namespace) -> int:
    paper = load_paper(a.source, progress=_paper_progress(a))
    if a.json:
        out.print_json(paper.model_dump_json())
        return 0
    if a.prompt:  # plain stdout: rich markup would eat LaTeX's [brackets]
        sys.stdout.write(paper.to_prompt_text())
        return 0
    out.print(f"[bold]{escape(paper.title)}[/]")
    if paper.authors:
        out.print(escape(", ".join(paper.authors)))
    m = paper.meta
    out.print(f"source: {m.source_type} {escape(str(m.source))}  pages: {m.pages or '-'}  tokens ≈ {m.token_estimate}")
    for s in paper.sections:
        out.print(f"  {'  ' * (s.level - 1)}{s.number or ''} {escape(s.title)}  [dim]{{#{escape(s.id)}}} {s.kind} ≈{s.tokens} tok[/]")
    out.print(f"equations {len(paper.equations)}, figures {len(paper.figures)}, tables {len(paper.tables)}, references {len(paper.references)}")
    for w in m.warnings:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    return 0


def _paper_progress(a: argparse.Namespace) -> Any:
    def progress(what: str, done: int, total: int) -> None:
        if total > 20 and (done % 10 == 0 or done == total):
            err.print(f"[dim]{escape(what)} {done}/{total}[/]")

    return progress


def _backend(a: argparse.Namespace, session: Session | None = None) -> Any:
    """The backend for the flags, defaulting to the server the session recorded.

    A session that talked to a local server keeps talking to it: without ``--base-url`` the
    recorded address is used, so the OpenAI client can never fall back to its public endpoint.
    """
    spec = getattr(a, "model", None) or (session.state.model if session else None) or None
    opts: dict[str, Any] = backend_options(a)
    recorded = session.state.base_url if session else ""
    same_provider = bool(session and spec and spec.partition(":")[0] == session.state.model.partition(":")[0])
    url = getattr(a, "base_url", None) or (recorded if same_provider else "")
    if url:
        opts["base_url"] = url
    if recorded and getattr(a, "base_url", None) and a.base_url != recorded:
        err.print(escape(f"note: this session talked to {recorded}; now using {a.base_url} (recorded for later runs)"))
    if getattr(a, "timeout", None):
        opts["timeout"] = a.timeout
    return configure_backend(get_backend(spec, **opts), a)


def _run(session: Session, a: argparse.Namespace, only: list[str] | None = None) -> int:
    backend = _backend(a, session)
    if not a.quiet:
        _print_estimate(session, backend.spec)
    progress = Progress(quiet=a.quiet)
    cancel = CancelToken()
    runner = Runner(
        session, backend, auto_approve=a.auto_approve, on_event=progress, cancel=cancel,
        concurrency=a.concurrency, prompt_dir=a.prompts, budget_usd=a.budget, **runner_options(a),
    )
    started = time.monotonic()
    try:
        result = runner.run(until=a.until, only=only)
    except KeyboardInterrupt:
        cancel.cancel()
        progress.close()
        raise CliError(
            f"interrupted; the session in {session.root} is consistent: `papercoder resume {session.root}` continues"
        ) from None
    finally:
        progress.close()
    return _report(session, result, time.monotonic() - started)


def _report(session: Session, result: RunResult, seconds: float) -> int:
    st = session.state
    cost = "cost unknown" if st.cost_usd is None else f"${st.cost_usd:.4f}"
    err.print(
        f"generated {len(result.generated)} artifacts in {seconds:.1f}s; session total "
        f"{st.usage.input_tokens} input / {st.usage.output_tokens} output tokens, {cost}"
    )
    out.print(escape(f"session: {session.root}"))
    if result.failed:
        for msg in result.failed.values():
            err.print(f"[red]failed[/] {escape(msg)}")
        raise CliError(f"{len(result.failed)} artifact(s) failed; fix them by hand or `papercoder regen {session.root} ARTIFACT --feedback ...`")
    if result.cancelled:
        raise CliError(f"cancelled; `papercoder resume {session.root}` continues")
    if result.waiting_for_approval:
        out.print(escape(
            f"waiting for review: {', '.join(result.waiting_for_approval)} — read them in {session.root}, "
            f"then `papercoder approve {session.root} ARTIFACT` and `papercoder resume {session.root}`"
        ))
    return 0


def cmd_estimate(a: argparse.Namespace) -> int:
    from .estimate import estimate_run, format_estimate
    from .graph import task_files

    files = a.files
    if (Path(a.source) / "session.json").is_file():
        session = Session.open(a.source)
        paper = session.selected_paper()
        files = files or len(task_files(session)) or None
        spec = a.model or session.state.model or None
    else:
        paper = load_paper(a.source, progress=_paper_progress(a))
        spec = a.model
    from .llm.registry import default_spec

    spec = spec or default_spec()
    out.print(escape(f"pre-flight estimate for {paper.title!r} with {spec}:"))
    for line in format_estimate(estimate_run(paper, spec, files)):
        out.print(escape(line), soft_wrap=True)
    return 0


def _print_estimate(session: Session, spec: str) -> None:
    from .estimate import estimate_run
    from .graph import task_files
    from .llm.pricing import format_cost

    t = estimate_run(session.selected_paper(), spec, len(task_files(session)) or None).total()
    cost = format_cost(t.cost_usd) + (f", {format_cost(t.cost_cached_usd)} with caching" if t.cached_input_tokens else "")
    err.print(f"[dim]estimate for a full run: {t.calls} calls, ≈{t.input_tokens:,} input / "
              f"≈{t.output_tokens:,} output tokens, {cost} (`papercoder estimate` for stages)[/]", soft_wrap=True)


def cmd_run(a: argparse.Namespace) -> int:
    out_dir = Path(a.out)
    if (out_dir / "session.json").exists():
        raise CliError(f"{out_dir} already holds a session; use `papercoder resume {out_dir}`")
    backend = _backend(a)  # fail on a missing key before parsing anything
    Budget(backend, usd=a.budget)  # and on a dollar budget it can't price, before writing anything
    paper = load_paper(a.source, progress=_paper_progress(a))
    if a.drop:
        known = {s.id for s in paper.sections}
        unknown = [d for d in a.drop if d not in known]
        if unknown:
            raise CliError(f"unknown section(s) {', '.join(unknown)} for --drop; `papercoder paper {a.source}` lists the ids")
    session = _create_session(out_dir, paper, a, backend)
    for w in paper.meta.warnings:
        err.print(f"[yellow]paper:[/] {escape(w)}")
    code = _run(session, a)
    if a.repo and code == 0:
        _export(session, Path(a.repo), make_zip=False, notebook=None)
    return code


def _create_session(out_dir: Path, paper: Any, a: argparse.Namespace, backend: Any) -> Session:
    """Create the session folder, or leave nothing behind if that fails half-way."""
    fresh = not out_dir.exists()
    try:
        session = Session.create(out_dir, paper, a.source, model=backend.spec,
                                 base_url=str(getattr(backend, "base_url", None) or ""))
        if a.drop:
            session.set_dropped_sections(a.drop)
        return session
    except BaseException:
        if fresh:
            import shutil

            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def cmd_resume(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    if not a.model:
        a.model = session.state.model or None
    return _run(session, a)


def cmd_regen(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    backend = _backend(a, session)
    progress = Progress(quiet=a.quiet)
    try:
        for aid in a.artifacts:
            Runner(session, backend, on_event=progress, prompt_dir=a.prompts).generate(aid, feedback=a.feedback)
    finally:
        progress.close()
    out.print(escape(f"regenerated {', '.join(a.artifacts)}; everything downstream is now stale"))
    return 0


def cmd_status(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    st = statuses(session)
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
            "warnings": rec.warnings if rec else [],
            "error": rec.error if rec else None,
        })
    from .safety import scan_code

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
        notes = r["error"] or "; ".join(r["warnings"])
        t.add_row(escape(r["artifact"]), f"[{colors[r['status']]}]{r['status']}[/]", str(r["input_tokens"]),
                  str(r["output_tokens"]), str(r["cache_read_tokens"]), cost, escape(notes[:80]))
    out.print(t)
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
    from .review import ApprovalError, approvable, approve

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


def _export(session: Session, repo: Path | None, make_zip: bool, notebook: Path | None, force: bool = False) -> None:
    from .export import write_notebook, write_repo
    from .export_status import export_status
    from .session_export import bundle_from_session

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
    _export(session, Path(a.repo) if a.repo else None, a.zip, Path(a.notebook) if a.notebook else None, a.force)
    return 0


# -- parser ----------------------------------------------------------------------
def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="provider:model, e.g. local, anthropic:claude-sonnet-4-6, openai:gpt-4.1-mini, replay:SESSION")
    p.add_argument("--base-url", help="OpenAI-compatible server URL (vLLM, Ollama, llama.cpp, LM Studio)")
    p.add_argument("--timeout", type=float, help="seconds to wait for one model answer (default 600)")
    p.add_argument("--prompts", help="a folder of prompt templates that override the shipped ones")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_model_options(p)


def _run_args(p: argparse.ArgumentParser) -> None:
    _model_args(p)
    p.add_argument("--auto-approve", action="store_true", help="approve each artifact as it is generated (batch work)")
    p.add_argument("--until", choices=[*STAGES, "plan", "architecture", "logic", "config"], help="stop after this stage")
    p.add_argument("--concurrency", type=int, default=4, help="parallel calls for per-file stages (default 4)")
    p.add_argument("--budget", type=float, help="stop before the run's list-price cost would exceed this many USD")
    add_budget_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="papercoder", description="Turn a machine-learning paper into a runnable repository, one reviewed stage at a time.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("paper", help="parse a paper and summarise it")
    p.add_argument("source", help="PDF, LaTeX file/folder/archive, s2orc JSON, Markdown, or arxiv:<id>")
    p.add_argument("--json", action="store_true", help="print the parsed paper as JSON")
    p.add_argument("--prompt", action="store_true", help="print exactly the paper text the model reads")
    p.set_defaults(fn=cmd_paper)

    p = sub.add_parser("estimate", help="pre-flight estimate of calls, tokens and cost per stage")
    p.add_argument("source", help="a paper (any supported source) or a session folder")
    p.add_argument("--model", help="provider:model to price (default: the session's or the configured model)")
    p.add_argument("--files", type=int, help="number of repository files (default: the logic design's, else 7)")
    p.set_defaults(fn=cmd_estimate)

    p = sub.add_parser("run", help="start a session: planning → analysis → coding")
    p.add_argument("source", help="PDF, LaTeX file/folder/archive, s2orc JSON, Markdown, or arxiv:<id>")
    p.add_argument("--out", required=True, help="the new session folder")
    p.add_argument("--drop", action="append", metavar="SECTION_ID", help="leave a section out of every prompt (repeatable)")
    p.add_argument("--repo", help="export the repository here when the run completes")
    _run_args(p)
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("resume", help="continue a session: generate what is missing or stale")
    p.add_argument("dir")
    _run_args(p)
    p.set_defaults(fn=cmd_resume)

    p = sub.add_parser("regen", help="regenerate artifacts, optionally with feedback for the model")
    p.add_argument("dir")
    p.add_argument("artifacts", nargs="+")
    p.add_argument("--feedback", help="what to change, added to the prompt")
    _model_args(p)
    p.set_defaults(fn=cmd_regen)

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

    from .evaluate.cli import add_commands as add_eval_commands
    from .smoke_cli import add_commands as add_smoke_commands
    from .verify.cli import add_commands as add_check_commands

    add_smoke_commands(sub)
    add_check_commands(sub)
    from .review_cli import add_commands as add_review_commands

    add_review_commands(sub)
    add_eval_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return int(a.fn(a) or 0)
    except KeyboardInterrupt:
        if a.debug:
            raise
        err.print("[red]error:[/] interrupted", soft_wrap=True)
        return 130
    except Exception as e:  # the one error handler: every command, every failure
        if a.debug:
            raise
        return _report_error(e)


def _report_error(e: Exception) -> int:
    """One line naming the problem (and, where known, the fix); no traceback."""
    known = (CliError, PaperError, SessionError, BackendError, StageError, ExportError, ValueError, OSError)
    # One line, whatever the exception carried (a listing of paths becomes a list).
    msg = " ".join(str(e).split()) or type(e).__name__
    if not isinstance(e, known):
        msg = f"{type(e).__name__}: {msg} (unexpected; rerun with --debug for the traceback and report it)"
    err.print(f"[red]error:[/] {escape(msg)}", soft_wrap=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
