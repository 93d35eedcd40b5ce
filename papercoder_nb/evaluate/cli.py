"""``papercoder eval``, ``papercoder batch`` and ``papercoder import-papercoder``.

``add_commands(subparsers)`` registers them on the one parser of ``papercoder_nb.cli``,
whose one error handler turns any failure into a non-zero exit and one line saying why.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from ..verify.smoke_cli import add_allow_unsandboxed

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _judge_backend(a: argparse.Namespace, session: Any = None) -> Any:
    """The judge: ``--model`` (default: the configured model) at ``--base-url``, else at
    the server the session recorded when the judge is of the session's provider."""
    from ..session.backend import build_backend

    return build_backend(a.model or None, {"base_url": getattr(a, "base_url", None)}, session=session).backend


def cmd_eval(a: argparse.Namespace) -> int:
    from ..session.store import Session
    from .api import evaluate_session, list_results

    session = Session.open(a.dir)
    backend = _judge_backend(a, session)
    err.print(f"[dim]judging {session.root} with {backend.spec}…[/]")
    result = evaluate_session(
        session, backend, gold=a.gold, rubric=a.rubric, samples=a.samples, max_tokens=a.max_tokens,
        prompt_dir=a.prompts, check_imports=not a.no_imports, allow_unsandboxed=a.allow_unsandboxed,
    )
    saved = list_results(session.root)[-1]
    if a.json:
        out.print_json(result.model_dump_json())
        return 0
    show_result(result)
    out.print(f"saved: {saved}")
    return 0


def show_result(result: Any) -> None:
    from rich.table import Table

    if result.kind == "rubric" and result.rubric is not None:
        rb = result.rubric
        out.print(f"[bold]rubric score {rb.score:.1%}[/]: {rb.passed}/{rb.leaves} leaves passed"
                  + (f", {rb.ungraded} ungraded" if rb.ungraded else "") + f" ({result.model})")
        t = Table(title="by category")
        for col in ("category", "leaves", "passed", "ungraded", "score"):
            t.add_column(col)
        for c in rb.categories:
            t.add_row(c.category, str(c.leaves), str(c.passed), str(c.ungraded), f"{c.score:.1%}")
        out.print(t)
    else:
        out.print(f"[bold]{result.kind.replace('_', '-')} score {result.score:.2f}/5[/] — "
                  f"samples {result.sample_scores} ({result.valid_samples}/{result.samples_requested} valid, "
                  f"{result.model})")
        for s in result.samples:
            if not s.valid:
                err.print(f"[yellow]sample {s.index + 1} dropped:[/] {s.error}")
        if result.critiques:
            t = Table(title="critiques")
            for col in ("severity", "file", "function", "critique"):
                t.add_column(col)
            colors = {"high": "red", "medium": "yellow", "low": "cyan"}
            for c in result.critiques:
                t.add_row(f"[{colors[c.severity]}]{c.severity}[/]", c.file, c.function, c.text)
            out.print(t)
    st = result.static
    if st is not None:
        imp = f"{st.n_import}/{st.n_files} import" if st.n_import is not None else f"imports: {st.import_check}"
        out.print(f"static: {st.n_files} files, {st.n_functions} functions, {st.n_compile}/{st.n_files} compile, {imp}"
                  + (f"; missing: {', '.join(st.missing_files)}" if st.missing_files else ""))
        cf = st.config
        if cf.error:
            out.print(f"config: {cf.error}")
        else:
            out.print(f"config: {len(cf.defined)} keys defined, code reads {len(cf.used)}; "
                      f"read but not defined: {', '.join(cf.used_not_defined) or 'none'}; "
                      f"defined but unused: {len(cf.defined_not_used)}")
        if st.smoke:
            out.print(f"smoke run: {'ok' if st.smoke.get('ok') else 'failed'} {st.smoke.get('error') or ''}")
    for n in result.notes:
        err.print(f"[yellow]note:[/] {n}")


def _batch_backends(a: argparse.Namespace) -> Any:
    """Backends under the class's rules (``build_backend``), at ``--base-url`` (for the
    generation model's provider) with ``--timeout``."""
    from ..llm.spec import provider_of as provider
    from ..session.backend import build_backend

    def make(spec: str | None) -> Any:
        opts: dict[str, Any] = {"timeout": a.timeout} if a.timeout else {}
        if a.base_url and spec and provider(spec) == provider(a.model):
            opts["base_url"] = a.base_url
        return build_backend(spec, opts).backend

    return make


def cmd_batch(a: argparse.Namespace) -> int:
    from .batch import run_batch

    def on_event(pid: str, msg: str) -> None:
        if not a.quiet:
            err.print(f"[cyan]{pid}[/] {msg}")

    res = run_batch(a.manifest, a.out, model=a.model, judge_model=a.judge_model, concurrency=a.concurrency,
                    samples=a.samples, redo=a.redo, on_event=on_event, allow_unsandboxed=a.allow_unsandboxed,
                    backend_factory=_batch_backends(a))
    from rich.table import Table

    t = Table(title=f"batch: {len(res.done)} done, {len(res.failed)} failed, {len(res.skipped)} skipped")
    for col in ("id", "status", "score", "files", "smoke", "error"):
        t.add_column(col)
    for r in res.rows:
        score = r["score"]
        t.add_row(r["id"], r["status"], f"{score:.2f}" if isinstance(score, float) else str(score),
                  str(r["files"]), str(r["smoke"]), str(r["error"])[:60])
    out.print(t)
    out.print(f"summary: {res.summary_csv}, {res.summary_md}, plot: {res.plot}")
    if res.failed:
        err.print(f"[red]error:[/] {len(res.failed)} paper(s) failed ({', '.join(res.failed)}); "
                  f"see {a.out}/<id>/status.json, then run the same command again to retry them")
        return 1
    return 0


def cmd_import(a: argparse.Namespace) -> int:
    from .papercoder_import import import_papercoder

    rep = import_papercoder(a.output_dir, a.out, paper=a.paper, repo=a.repo, approve=a.approve)
    out.print(f"session: {rep.session}")
    out.print(f"imported: {', '.join(rep.written)}")
    if rep.missing:
        out.print(f"missing (generate them with `papercoder resume {rep.session}`): {', '.join(rep.missing)}")
    for n in rep.notes:
        err.print(f"[yellow]note:[/] {n}")
    return 0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("eval", help="judge a session's generated code (reference-free, with --gold, or a --rubric)",
                       description="Score a session's repository with a model judge: 1–5 with critiques "
                                   "(reference-free, or reference-based with --gold), or grade a PaperBench "
                                   "rubric with --rubric. The result is saved in SESSION/eval/.")
    p.add_argument("dir", help="the session folder")
    p.add_argument("--gold", help="the authors' official repository (folder): reference-based judging")
    p.add_argument("--rubric", help="a PaperBench-format rubric.json: grade each leaf instead of a 1–5 score")
    p.add_argument("--model", help="the judge model, provider:model (default: the configured model)")
    p.add_argument("--base-url", help="the judge's OpenAI-compatible server (default: the session's, for its provider)")
    p.add_argument("--samples", type=int, default=1, help="judge answers to average (default 1; PaperCoder used 8)")
    p.add_argument("--max-tokens", type=int, help="output tokens per judge answer")
    p.add_argument("--prompts", help="a folder of prompt templates that override the shipped ones")
    p.add_argument("--no-imports", action="store_true", help="skip the sandboxed import check")
    add_allow_unsandboxed(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(fn=cmd_eval)

    p = sub.add_parser("batch", help="run many papers: run → export → smoke → eval, with a summary",
                       description="Each paper of MANIFEST (YAML, JSON or CSV: source, optional id, gold, rubric) "
                                   "goes through run → export → smoke → eval into OUT/<id>/. Finished papers are "
                                   "skipped on a re-run; failures are recorded and never stop the others. Writes "
                                   "OUT/summary.csv, OUT/summary.md and a score plot.")
    p.add_argument("manifest")
    p.add_argument("--out", required=True, help="the batch folder")
    p.add_argument("--model", help="provider:model for generation (and judging, unless --judge-model)")
    p.add_argument("--judge-model", help="provider:model for the judge")
    p.add_argument("--concurrency", type=int, default=2, help="papers at the same time (default 2)")
    p.add_argument("--samples", type=int, default=1, help="judge samples per paper")
    p.add_argument("--redo", action="store_true", help="run papers again even if done")
    add_allow_unsandboxed(p)
    p.add_argument("--base-url", help="an OpenAI-compatible server for --model (and a judge of its provider)")
    p.add_argument("--timeout", type=float, help="seconds a model call may take (default 600)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(fn=cmd_batch)

    p = sub.add_parser("import-papercoder", help="turn a PaperCoder output folder into a session",
                       description="Import PaperCoder's planning_artifacts/, analyzing_artifacts/ and generated "
                                   "repository (whichever are present) as a session; absent artifacts stay "
                                   "missing, to be generated or evaluated here.")
    p.add_argument("output_dir", help="PaperCoder's output folder (holding planning_artifacts/)")
    p.add_argument("--out", required=True, help="the new session folder")
    p.add_argument("--paper", help="the paper (default: a *_cleaned.json beside the output folder)")
    p.add_argument("--repo", help="the generated repository (default: OUTPUT_DIR_repo or coding_artifacts/)")
    p.add_argument("--approve", action="store_true", help="approve the imported artifacts")
    p.set_defaults(fn=cmd_import)
