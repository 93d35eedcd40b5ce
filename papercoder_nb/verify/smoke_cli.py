"""``papercoder smoke`` and ``papercoder repair``: run the generated code contained, fix it.

Registered on the main parser by ``add_commands(subparsers)``. Both commands print the
safety scan first, before anything runs, and say whether the network is isolated.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..checks.safety import SafetyFlag, scan_code
from ..session.store import Session
from ..util.errors import CliError
from .repair import RepairEvent, repair_loop, settle_environment, smoke_session
from .repair_request import environment_of
from .sandbox import SmokeResult, bwrap_status

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# -- shared printing --------------------------------------------------------------------


def print_safety(files: dict[str, str]) -> list[SafetyFlag]:
    flags = scan_code(files)
    if not flags:
        out.print("safety scan: no network, process, deletion, secret or home-directory access found")
        return flags
    high = sum(f.severity == "high" for f in flags)
    out.print(f"[yellow]safety scan: {len(flags)} flag(s), {high} high[/] — read them before trusting a run:")
    for f in flags:
        color = "red" if f.severity == "high" else "yellow"
        out.print(f"  [{color}]{f.category:>12}[/] {escape(f.file)}:{f.line}  {escape(f.message)}")
    return flags


def print_isolation(network: bool) -> None:
    works, reason = bwrap_status(sys.executable)
    if network:
        out.print("[yellow]sandbox: network ALLOWED (--network)[/]" + ("" if works else f"; {escape(reason)}"))
    elif works:
        out.print("sandbox: bubblewrap; network isolated, file system read-only outside a temp folder")
    else:
        out.print(f"[yellow]sandbox: network NOT isolated ({escape(reason)}); install bubblewrap to isolate it[/]")


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]-[/]"}[value]


def print_result(result: SmokeResult) -> None:
    from rich.table import Table

    table = Table(title="smoke run", title_justify="left")
    for col in ("file", "compiled", "imported", "note / error"):
        table.add_column(col)
    for f in result.files:
        table.add_row(escape(f.path), _mark(f.compiled), _mark(f.imported), escape(f.error or f.note or ""))
    out.print(table)
    if result.entry_point:
        cmd = " ".join([result.entry_point, *result.args])
        if result.timed_out:
            state = "[red]timed out[/]"
        else:
            state = {True: "[green]ran[/]", False: "[red]failed[/]", None: "[dim]not run[/]"}[result.ran]
        code = "" if result.returncode is None else f" (exit {result.returncode})"
        out.print(f"run: python {escape(cmd)}: {state}{code}; the smoke run took {result.duration_s:.1f}s")
        if result.ok and result.stdout_tail.strip():
            for line in result.stdout_tail.strip().splitlines()[-4:]:
                out.print(f"  [dim]{escape(line)}[/]")
    else:
        out.print("run: [dim]no entry point in the logic design; nothing was run[/]")
    if not result.ok:
        for f in result.files:
            if f.error and f.traceback:
                err.print(f"[red]{escape(f.path)}[/]: {escape(f.error)}")
                err.print(f.traceback.rstrip(), markup=False)
        if result.error:
            where = f" at {result.failing_file}:{result.failing_line}" if result.failing_file else ""
            err.print(f"[red]error{escape(where)}:[/] {escape(result.error)}", soft_wrap=True)
            if result.stderr_tail.strip():
                err.print(result.stderr_tail.rstrip(), markup=False)
    for note in result.notes:
        out.print(f"[dim]note: {escape(note)}[/]")
    color = "green" if result.ok else "red"
    out.print(f"[{color}]{escape(result.summary())}[/]", soft_wrap=True)


def _smoke_options(a: argparse.Namespace) -> dict[str, Any]:
    """The engine refuses high-risk code without isolation unless --allow-unsandboxed."""
    return {"timeout_s": a.timeout, "memory_mb": a.memory_mb, "network": a.network,
            "allow_unsandboxed": a.allow_unsandboxed}


def _installer(a: argparse.Namespace, session: Session) -> Any:
    """With --install, pip installs into <session>/.venv; without, None (report only)."""
    if not getattr(a, "install", False):
        return None
    from .session_env import install

    def run(requirements: list[str]) -> Any:
        err.print(f"[dim]installing {escape(', '.join(requirements))} into {escape(str(session.root))}/.venv…[/]")
        return install(session.root, requirements)

    return run


def print_environment(session: Session, result: SmokeResult) -> None:
    for p in environment_of(session, result):
        err.print(f"[yellow]environment:[/] {escape(p.describe(result.python))}", soft_wrap=True)


def _code_files(session: Session) -> dict[str, str]:
    from ..session.graph import code_files  # the one definition the panel uses too

    return code_files(session)


# -- smoke ----------------------------------------------------------------------------


def _needed_code(session: Session, folder: str) -> dict[str, str]:
    """The code to run, or one line saying why there is none (a broken logic design first)."""
    from ..session.graph import logic_problem

    problem = logic_problem(session)
    if problem:
        raise CliError(problem)
    files = _code_files(session)
    if not files:
        raise CliError(f"{folder} has no code yet; run the coding stage first (`papercoder resume {folder}`)")
    return files


def cmd_smoke(a: argparse.Namespace) -> int:
    session = Session.open(a.dir)
    files = _needed_code(session, a.dir)
    if not a.json:
        print_safety(files)
        print_isolation(a.network)
        err.print(f"[dim]smoke-running {len(files)} file(s)…[/]")
    result = smoke_session(session, **_smoke_options(a))
    result, _ = settle_environment(session, result, _installer(a, session), _smoke_options(a),
                                   lambda e: None if a.json else _on_event(e))
    if a.json:
        env = [p.to_dict() for p in environment_of(session, result)]
        out.print_json(json.dumps({**result.to_dict(), "environment": env}))
    else:
        print_result(result)
        print_environment(session, result)
        out.print(f"[dim]stored in {escape(str(session.root))}/session.json (`papercoder status` shows it)[/]")
    return 0 if result.ok else 1


# -- repair ---------------------------------------------------------------------------


def _print_diff(diff: str) -> None:
    for line in diff.splitlines():
        style = (
            "bold" if line.startswith(("+++", "---"))
            else "green" if line.startswith("+")
            else "red" if line.startswith("-")
            else "cyan" if line.startswith("@@")
            else None
        )
        out.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def _on_event(e: RepairEvent) -> None:
    tag = f"[{e.attempt}]" if e.attempt else ""
    if e.kind == "smoke":
        color = "green" if e.result and e.result.ok else "red"
        out.print(f"[{color}]smoke:[/] {escape(e.text)}", soft_wrap=True)
    elif e.kind == "target":
        out.print(f"[cyan]repair {escape(tag)}[/] asking the model to fix {escape(e.text)}", soft_wrap=True)
    elif e.kind == "proposal" and e.fix:
        changes = e.fix.all_changes()
        names = ", ".join(c.file for c in changes)
        out.print(f"[cyan]repair {escape(tag)}[/] proposed {e.fix.mode} for {escape(names)}: {escape(e.text or '(no explanation)')}", soft_wrap=True)
        for c in changes:
            _print_diff(c.diff)
    elif e.kind == "applied":
        color = "green" if e.result and e.result.ok else "yellow"
        out.print(f"[{color}]applied {escape(tag)}[/] re-run: {escape(e.text)}", soft_wrap=True)
    elif e.kind in ("install", "environment"):
        err.print(f"[yellow]{e.kind}:[/] {escape(e.text)}", soft_wrap=True)
    elif e.kind == "invalid":
        err.print(f"[yellow]unusable answer {escape(tag)}[/] {escape(e.text)}", soft_wrap=True)
    else:
        err.print(f"[red]{e.kind} {escape(tag)}[/] {escape(e.text)}", soft_wrap=True)


def ask_tty(prompt: str = "apply the change to {file}? [y/N] ") -> Callable[[str], bool]:
    """Asks once per changed file (a fix across a seam changes several)."""

    def approve(diff: str) -> bool:
        file = next((ln[6:] for ln in diff.splitlines() if ln.startswith("+++ b/")), "this file")
        try:
            return input(prompt.format(file=file)).strip().lower() in ("y", "yes")
        except EOFError:
            return False

    return approve


def _backend_spec(a: argparse.Namespace, session: Session) -> str | None:
    """--model, else the session's model when it names a backend (not e.g. 'hand-written')."""
    from ..llm.registry import providers
    from ..llm.spec import provider_of

    if a.model:
        return a.model
    spec = session.state.model
    return spec if spec and provider_of(spec) in providers() else None


def cmd_repair(a: argparse.Namespace) -> int:
    if not a.auto_approve and not sys.stdin.isatty():
        raise CliError(
            "repair asks before applying each fix, but there is no terminal to ask on; "
            "run it in a terminal, or pass --auto-approve to apply fixes unreviewed"
        )
    if a.attempts < 1:
        raise CliError("--attempts must be at least 1")
    from ..session.backend import build_backend

    session = Session.open(a.dir)
    files = _needed_code(session, a.dir)
    spec = _backend_spec(a, session)
    backend = build_backend(spec, {"base_url": a.base_url}, session=session).backend  # fails early on a missing key
    print_safety(files)
    print_isolation(a.network)
    report = repair_loop(
        session,
        backend,
        max_attempts=a.attempts,
        approve=None if a.auto_approve else ask_tty(),
        auto_approve=a.auto_approve,
        on_event=_on_event,
        smoke_options=_smoke_options(a),
        prompt_dir=a.prompts,
        install=_installer(a, session),
    )
    if not report.final.ok:
        print_result(report.final)
    out.print(escape(report.summary()), soft_wrap=True)
    if report.applied:
        out.print(f"[dim]fixes are in {escape(str(session.root))}/history; attempts in smoke/repairs.jsonl there[/]")
    if report.stale:
        out.print(f"[yellow]now stale (they read a fixed file):[/] {', '.join(report.stale)}", soft_wrap=True)
    return 0 if report.ok else 1


# -- registration -----------------------------------------------------------------------


def add_allow_unsandboxed(p: argparse.ArgumentParser) -> None:
    """``--allow-unsandboxed``, for every command that runs generated code."""
    p.add_argument("--allow-unsandboxed", action="store_true",
                   help="run code with high-risk safety flags even without isolation (this run only)")


def _sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="the session folder")
    p.add_argument("--timeout", type=float, default=120, metavar="S", help="seconds per import and for the run (default 120)")
    p.add_argument("--memory-mb", type=int, default=2048, metavar="N", help="address-space limit per process in MB (default 2048)")
    p.add_argument("--network", action="store_true", help="allow network access (default: isolated where bubblewrap works)")
    add_allow_unsandboxed(p)
    p.add_argument("--install", action="store_true",
                   help="pip-install missing packages into the session's own environment (<dir>/.venv, "
                   "which then runs the code); without it they are reported with the command")


def add_commands(subparsers: Any) -> None:
    """Register ``smoke`` and ``repair`` on ``parser.add_subparsers()``'s result."""
    p = subparsers.add_parser(
        "smoke",
        help="byte-compile, import and run the session's code in a sandbox; exit 1 if it fails",
        description="Safety scan first, then each file compiled and imported and the entry point "
        "run with the plan's smoke arguments, in a subprocess with time and memory limits, no "
        "secrets in its environment and (with bubblewrap) no network. The result is stored in "
        "the session.",
    )
    _sandbox_args(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(fn=cmd_smoke)

    p = subparsers.add_parser(
        "repair",
        help="smoke-run, ask the model to fix the failing file, show the diff, apply on approval, re-run",
        description="Each fix is shown as a diff and applied only when you answer y (or with "
        "--auto-approve); applied fixes are kept in the session history, every attempt in "
        "smoke/repairs.jsonl.",
    )
    _sandbox_args(p)
    p.add_argument("--model", help="provider:model (default: the session's model, else the configured default)")
    p.add_argument("--base-url", help="OpenAI-compatible server URL")
    p.add_argument("--prompts", help="a folder of prompt templates that override the shipped ones")
    p.add_argument("--attempts", type=int, default=3, metavar="N", help="at most N fixes asked for (default 3)")
    p.add_argument("--auto-approve", action="store_true", help="apply every fix without asking (batch work)")
    p.set_defaults(fn=cmd_repair)
