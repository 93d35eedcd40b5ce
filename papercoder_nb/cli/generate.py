"""Commands that read a paper and generate: paper, estimate, run, resume, regen."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..llm.base import CancelledError, CancelToken, capabilities_of
from ..llm.endpoint import session_base_url
from ..paper import load_paper
from ..run.budget import Budget
from ..run.runner import STAGES, Runner, RunResult
from ..session.backend import build_backend
from ..session.store import Session
from ..util.errors import CliError
from ..util.failures import all_replay_misses, group_failures
from .interrupt import until_interrupted
from .model_options import (
    add_budget_options,
    add_model_options,
    backend_options,
    configure_backend,
    runner_options,
)
from .progress import Progress, paper_progress
from .session import export_session

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def cmd_paper(a: argparse.Namespace) -> int:
    paper = load_paper(a.source, progress=paper_progress(a))
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


def _backend(a: argparse.Namespace, session: Session | None = None) -> Any:
    """The backend for the flags, defaulting to the server the session recorded.

    A session that talked to a local server keeps talking to it: without ``--base-url`` the
    recorded address is used, so the OpenAI client can never fall back to its public endpoint.
    """
    spec = getattr(a, "model", None) or (session.state.model if session else None) or None
    opts: dict[str, Any] = backend_options(a)
    recorded = session.state.base_url if session else ""
    opts["base_url"] = getattr(a, "base_url", None)
    if recorded and getattr(a, "base_url", None) and a.base_url != recorded:
        err.print(escape(f"note: this session talked to {recorded}; now using {a.base_url} (recorded for later runs)"))
    if getattr(a, "timeout", None):
        opts["timeout"] = a.timeout
    built = build_backend(spec, opts, session=session)
    for note in built.notes:
        err.print(escape(f"note: {note}"))
    return configure_backend(built.backend, a)


def _run(session: Session, a: argparse.Namespace, only: list[str] | None = None) -> int:
    backend = _backend(a, session)
    if not a.quiet:
        _print_estimate(session, backend.spec, capabilities_of(backend).base_url)
    progress = Progress(quiet=a.quiet)
    cancel = CancelToken()
    runner = Runner(
        session, backend, auto_approve=a.auto_approve, on_event=progress, cancel=cancel,
        concurrency=a.concurrency, prompt_dir=a.prompts, budget_usd=a.budget, **runner_options(a),
    )
    started = time.monotonic()
    try:
        result = until_interrupted(lambda: runner.run(until=a.until, only=only), cancel)
    except KeyboardInterrupt:  # the cancel token is set: the run stopped at a consistent point
        progress.close()
        raise CliError(
            f"interrupted; the session in {session.root} is consistent: `papercoder resume {session.root}` continues"
        ) from None
    finally:
        progress.close()
    code = _report(session, result, time.monotonic() - started, progress)
    return _left_for_review(session, result) if code == 0 and a.auto_approve else code


# Exit status of a batch (--auto-approve) run that ended but left artifacts unapproved:
# a script must not take it for a finished repository; 1 stays "the run failed".
LEFT_FOR_REVIEW = 3


def _left_for_review(session: Session, result: RunResult) -> int:
    """Under --auto-approve, what this run wrote (or stopped at) and could not approve."""
    from ..run.review import check_failures
    from ..session.graph import statuses

    st = statuses(session)
    left = [aid for aid in dict.fromkeys([*result.generated, *result.waiting_for_approval])
            if st.get(aid) != "approved"]
    if not left:
        return 0
    failing = check_failures(session)
    named = ", ".join(f"{aid} ({len(failing[aid])} finding(s))" if aid in failing else aid for aid in left)
    err.print(escape(f"left for review, not approved: {named}; `papercoder status {session.root}` shows why, "
                     f"`papercoder regen {session.root} ARTIFACT --feedback ...` or a hand fix and "
                     f"`papercoder approve` finish them (exit {LEFT_FOR_REVIEW})"))
    return LEFT_FOR_REVIEW


def _report(session: Session, result: RunResult, seconds: float, progress: Progress | None = None) -> int:
    st = session.state
    cost = "cost unknown" if st.cost_usd is None else f"${st.cost_usd:.4f}"
    err.print(
        f"generated {len(result.generated)} artifacts in {seconds:.1f}s; session total "
        f"{st.usage.input_tokens} input / {st.usage.output_tokens} output tokens, {cost}"
    )
    out.print(escape(f"session: {session.root}"))
    if result.failed:
        _print_failures(result.failed, progress)
        if all_replay_misses(result.failed):
            raise CliError(f"{len(result.failed)} artifact(s) changed since the recording; regenerate them with a live "
                           f"model: `papercoder resume {session.root} --model PROVIDER:MODEL`")
        raise CliError(f"{len(result.failed)} artifact(s) failed; fix them by hand or `papercoder regen {session.root} ARTIFACT --feedback ...`")
    if result.cancelled:
        raise CliError(f"cancelled; `papercoder resume {session.root}` continues")
    if result.waiting_for_approval:
        out.print(escape(
            f"waiting for review: {', '.join(result.waiting_for_approval)} — read them in {session.root}, "
            f"then `papercoder approve {session.root} ARTIFACT` and `papercoder resume {session.root}`"
        ))
    return 0


def _print_failures(failed: dict[str, str], progress: Progress | None) -> None:
    """One line per distinct problem; one already printed in full during the run is only named."""
    shown = {aid: m for aid, m in failed.items() if progress is not None and progress.shown(aid, m)}
    if shown:
        err.print(f"[red]failed[/] {escape(', '.join(shown))} (the problem is shown above)")
    for line in group_failures({aid: m for aid, m in failed.items() if aid not in shown}):
        err.print(f"[red]failed[/] {escape(line)}")


def cmd_estimate(a: argparse.Namespace) -> int:
    from ..run.estimate import estimate_run, format_estimate
    from ..session.graph import task_files

    files, url = a.files, a.base_url
    if (Path(a.source) / "session.json").is_file():
        session = Session.open(a.source)
        paper = session.selected_paper()
        files = files or len(task_files(session)) or None
        spec = a.model or session.state.model or None
        url = session_base_url(session.state.base_url, session.state.model, spec, a.base_url)
    else:
        paper = load_paper(a.source, progress=paper_progress(a))
        spec = a.model
    from ..llm.registry import default_spec

    spec = spec or default_spec()
    out.print(escape(f"pre-flight estimate for {paper.title!r} with {spec}:"))
    for line in format_estimate(estimate_run(paper, spec, files, window=_served_window(spec, url))):
        out.print(escape(line), soft_wrap=True)
    return 0


def _served_window(spec: str, base_url: str | None) -> int | None:
    """A served model's window from its server (a few seconds at most), for the fit warning."""
    from ..run.served_window import server_to_ask, server_window, silent_note

    url = server_to_ask(spec, base_url)
    if url is None:
        return None
    window = server_window(spec, url)
    if window is None:
        err.print(f"[dim]note: {escape(silent_note(url))}[/]", soft_wrap=True)
    return window


def _print_estimate(session: Session, spec: str, base_url: str | None = None) -> None:
    from ..llm.pricing import format_cost
    from ..run.estimate import estimate_run
    from ..session.graph import task_files

    est = estimate_run(session.selected_paper(), spec, len(task_files(session)) or None,
                       window=_served_window(spec, base_url))
    t = est.total()
    for warning in est.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    cost = format_cost(t.cost_usd) + (f", {format_cost(t.cost_cached_usd)} with caching" if t.cached_input_tokens else "")
    err.print(f"[dim]estimate for a full run: {t.calls} calls, ≈{t.input_tokens:,} input / "
              f"≈{t.output_tokens:,} output tokens, {cost} (`papercoder estimate` for stages)[/]", soft_wrap=True)


def cmd_run(a: argparse.Namespace) -> int:
    out_dir = Path(a.out)
    if (out_dir / "session.json").exists():
        raise CliError(f"{out_dir} already holds a session; use `papercoder resume {out_dir}`")
    backend = _backend(a)  # fail on a missing key before parsing anything
    Budget(backend, usd=a.budget)  # and on a dollar budget it can't price, before writing anything
    paper = load_paper(a.source, progress=paper_progress(a))
    if a.drop:
        known = {s.id for s in paper.sections}
        unknown = [d for d in a.drop if d not in known]
        if unknown:
            raise CliError(f"unknown section(s) {', '.join(unknown)} for --drop; `papercoder paper {a.source}` lists the ids")
    session = _create_session(out_dir, paper, a, backend)
    for w in paper.meta.warnings:
        err.print(f"[yellow]paper:[/] {escape(w)}")
    code = _run(session, a)
    if a.repo and code in (0, LEFT_FOR_REVIEW):  # the export states what it holds and what fails
        export_session(session, Path(a.repo), make_zip=False, notebook=None)
    return code


def _create_session(out_dir: Path, paper: Any, a: argparse.Namespace, backend: Any) -> Session:
    """Create the session folder, or leave nothing behind if that fails half-way."""
    fresh = not out_dir.exists()
    try:
        session = Session.create(out_dir, paper, a.source, model=backend.spec,
                                 base_url=str(capabilities_of(backend).base_url or ""))
        if a.drop:
            session.set_dropped_sections(a.drop)
        return session
    except BaseException as e:
        if fresh:
            import shutil

            shutil.rmtree(out_dir, ignore_errors=True)
        if isinstance(e, OSError) and not (out_dir / "session.json").is_file():
            # No session exists yet, so `resume` (the usual advice for a full disk) cannot work.
            again = " ".join(sys.argv[1:]) if sys.argv[1:2] == ["run"] else f"run {a.source} --out {out_dir}"
            raise CliError(f"could not create the session in {out_dir} ({' '.join(str(e).split())}); nothing was "
                           f"kept; free some space (or fix the folder), then `papercoder {again}` starts it again") from e
        raise


def cmd_resume(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    if not a.model:
        a.model = session.state.model or None
    return _run(session, a)


def cmd_replay(a: argparse.Namespace) -> int:
    """A session started (or reopened) from a recording's parsed paper, replaying its answers."""
    from ..session.recording import RecordingError, session_from_recording

    try:
        session = session_from_recording(a.recording, a.work, new=a.new)
    except RecordingError as e:
        raise CliError(str(e)) from None
    a.model = a.model or session.state.model
    return _run(session, a)


def cmd_regen(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    backend = _backend(a, session)
    progress = Progress(quiet=a.quiet)
    cancel = CancelToken()
    runner = Runner(session, backend, on_event=progress, prompt_dir=a.prompts, cancel=cancel)
    try:
        for aid in a.artifacts:
            until_interrupted(lambda aid=aid: runner.generate(aid, feedback=a.feedback), cancel)
    except (KeyboardInterrupt, CancelledError):
        raise CliError(f"interrupted; {session.root} keeps the versions it had (`papercoder status {session.root}`)") from None
    finally:
        progress.close()
    out.print(escape(f"regenerated {', '.join(a.artifacts)}; everything downstream is now stale"))
    return 0



def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="provider:model, e.g. local, anthropic:claude-sonnet-4-6, openai:gpt-4.1-mini, replay:SESSION")
    p.add_argument("--base-url", help="OpenAI-compatible server URL (vLLM, Ollama, llama.cpp, LM Studio)")
    p.add_argument("--timeout", type=float,
                   help="seconds a stream may send no new content before it is cut and retried (default 600); "
                   "an answer trickling below 1 token/s for this long, or running past TIMEOUT + max_tokens "
                   "seconds in all, is cut and retried too")
    p.add_argument("--prompts", help="a folder of prompt templates that override the shipped ones")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_model_options(p)


def _run_args(p: argparse.ArgumentParser) -> None:
    _model_args(p)
    p.add_argument("--auto-approve", action="store_true",
                   help="approve each artifact as it is generated (batch work); artifacts that fail their "
                   f"checks are left for review and the exit status is {LEFT_FOR_REVIEW}")
    p.add_argument("--until", choices=[*STAGES, "plan", "architecture", "logic", "config"], help="stop after this stage")
    p.add_argument("--concurrency", type=int, default=4, help="parallel calls for per-file stages (default 4)")
    p.add_argument("--budget", type=float, help="stop before the run's list-price cost would exceed this many USD")
    add_budget_options(p)


def add_commands(sub: Any) -> None:
    """Register ``paper``, ``estimate``, ``run``, ``resume``, ``replay`` and ``regen``."""
    p = sub.add_parser("paper", help="parse a paper and summarise it")
    p.add_argument("source", help="PDF, LaTeX file/folder/archive, s2orc JSON, Markdown, or arxiv:<id>")
    p.add_argument("--json", action="store_true", help="print the parsed paper as JSON")
    p.add_argument("--prompt", action="store_true", help="print exactly the paper text the model reads")
    p.set_defaults(fn=cmd_paper)

    p = sub.add_parser("estimate", help="pre-flight estimate of calls, tokens and cost per stage")
    p.add_argument("source", help="a paper (any supported source) or a session folder")
    p.add_argument("--model", help="provider:model to price (default: the session's or the configured model)")
    p.add_argument("--files", type=int, help="number of repository files (default: the logic design's, else 7)")
    p.add_argument("--base-url", help="the OpenAI-compatible server of a served model: asked for its context window "
                   "(default: the session's server, else OPENAI_BASE_URL)")
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

    p = sub.add_parser("replay", help="start (or reopen) a session from a recorded one and replay its answers "
                       "(offline; the recording's parsed paper, never the PDF parsed again)")
    p.add_argument("recording", help="a recorded session folder (with calls.jsonl)")
    p.add_argument("--work", default="papercoder-sessions", help="the folder the new session goes in")
    p.add_argument("--new", action="store_true", help="a new session even if one from this recording exists")
    _run_args(p)
    p.set_defaults(fn=cmd_replay)

    p = sub.add_parser("regen", help="regenerate artifacts, optionally with feedback for the model")
    p.add_argument("dir")
    p.add_argument("artifacts", nargs="+")
    p.add_argument("--feedback", help="what to change, added to the prompt")
    _model_args(p)
    p.set_defaults(fn=cmd_regen)

