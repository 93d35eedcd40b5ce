"""Many papers at once: run → export → smoke → eval, each paper in its own folder.

A manifest lists the papers (YAML, JSON or CSV): ``source`` (a path, relative to the
manifest, or ``arxiv:<id>``), optionally ``id``, ``gold`` (the official repository, for
the reference-based judge) and ``rubric`` (a PaperBench rubric.json). Output::

    OUT/<id>/session/    the session (resumed if it exists)
    OUT/<id>/repo/       the exported repository
    OUT/<id>/status.json what happened, stage by stage
    OUT/summary.csv, OUT/summary.md, OUT/scores.png (or scores.svg without matplotlib)

Papers run with bounded concurrency; a paper whose status says ``done`` is skipped on the
next run (so an interrupted batch resumes), and one paper's failure is recorded in its
status and never stops the others.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..llm.base import Backend, CancelToken
from ..session.store import Session, now
from ..util.errors import PapercoderError
from ..util.fsutil import atomic_write_json, atomic_write_text

BackendFactory = Callable[[str | None], Backend]
EventFn = Callable[[str, str], None]  # (paper id, message)
STAGES = ("run", "export", "smoke", "eval")
SUMMARY_COLUMNS = (
    "id", "status", "failed_stage", "error", "files", "expected_files", "compiled", "imported",
    "smoke", "kind", "score", "valid_samples", "samples", "rubric_passed", "input_tokens",
    "output_tokens", "cost_usd", "seconds", "source",
)


class ManifestError(PapercoderError, ValueError):
    pass


class StageFailure(PapercoderError):
    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


@dataclass
class BatchEntry:
    id: str
    source: str
    gold: str | None = None
    rubric: str | None = None


@dataclass
class BatchResult:
    out: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    summary_csv: Path | None = None
    summary_md: Path | None = None
    plot: Path | None = None


# -- the manifest -----------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "paper"


def _resolve(value: str | None, base: Path) -> str | None:
    if not value:
        return None
    value = str(value).strip()
    if re.match(r"^(arxiv:|https?://)", value, re.I) or Path(value).is_absolute():
        return value
    return str((base / value).resolve())


def load_manifest(path: str | Path) -> list[BatchEntry]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path} not found") from None
    suffix = path.suffix.lower()
    raw: Any
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        rows = [r for r in rows if any(c.strip() for c in r)]
        if rows and "source" in [c.strip().lower() for c in rows[0]]:
            head = [c.strip().lower() for c in rows[0]]
            raw = [dict(zip(head, (c.strip() for c in r), strict=False)) for r in rows[1:]]
        else:
            raw = [r[0].strip() for r in rows]
    else:
        try:
            raw = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as e:
            raise ManifestError(f"{path}: cannot parse ({str(e).splitlines()[0]})") from None
    if isinstance(raw, dict):
        raw = raw.get("papers", raw.get("sources"))
    if not isinstance(raw, list) or not raw:
        raise ManifestError(f"{path}: expected a list of sources (or a mapping with 'papers:'), found none")
    base = path.parent
    entries: list[BatchEntry] = []
    ids: set[str] = set()
    for i, item in enumerate(raw, 1):
        if isinstance(item, str):
            item = {"source": item}
        if not isinstance(item, dict):
            raise ManifestError(f"{path}: entry {i} is neither a source string nor a mapping")
        source = item.get("source") or item.get("paper") or item.get("path")
        if not source:
            raise ManifestError(f"{path}: entry {i} has no 'source'")
        explicit = item.get("id")
        remote = re.match(r"^(arxiv:|https?://)", str(source), re.I)
        pid = _slug(str(explicit) if explicit else (str(source).split("://")[-1] if remote else Path(str(source)).stem))
        if pid in ids:
            if explicit:
                raise ManifestError(f"{path}: entry {i}: id {pid!r} is used twice")
            n = 2
            while f"{pid}-{n}" in ids:
                n += 1
            pid = f"{pid}-{n}"
        ids.add(pid)
        entries.append(BatchEntry(
            id=pid, source=_resolve(str(source), base) or "",
            gold=_resolve(item.get("gold") or item.get("gold_repo"), base),
            rubric=_resolve(item.get("rubric"), base),
        ))
    return entries


# -- one paper --------------------------------------------------------------------------
def _status_path(out: Path, pid: str) -> Path:
    return out / pid / "status.json"


def read_status(out: Path, pid: str) -> dict[str, Any] | None:
    p = _status_path(out, pid)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _stage_run(entry: BatchEntry, folder: Path, backend: Backend, cancel: CancelToken,
               concurrency: int) -> Session:
    from ..paper import load_paper
    from ..run.runner import Runner

    sdir = folder / "session"
    if (sdir / "session.json").exists():
        session = Session.open(sdir)  # an interrupted paper resumes where it stopped
    else:
        try:
            paper = load_paper(entry.source)
        except Exception as e:
            raise StageFailure("run", f"cannot read the paper: {e}") from e
        session = Session.create(sdir, paper, entry.source if "://" not in entry.source else None)
    result = Runner(session, backend, auto_approve=True, cancel=cancel, concurrency=concurrency).run()
    if result.failed:
        first = next(iter(result.failed.values()))
        raise StageFailure("run", f"{len(result.failed)} artifact(s) failed: {first}")
    if result.cancelled:
        raise StageFailure("run", "cancelled")
    return session


def _stage_export(session: Session, folder: Path) -> dict[str, Any]:
    from ..export import write_repo
    from ..export.session_export import bundle_from_session

    repo = folder / "repo"
    report = write_repo(bundle_from_session(session), repo, make_zip=False)
    return {"repo": str(repo), "messages": list(getattr(report, "messages", []) or [])}


def _stage_smoke(session: Session, timeout_s: float, allow_unsandboxed: bool) -> dict[str, Any]:
    """The engine's one smoke path: safety scan, and no high-risk code without isolation
    unless allowed (a refusal is recorded as a skipped smoke run, not a failed paper)."""
    from ..verify.repair import smoke_session
    from ..verify.smoke import SmokeRefused

    try:
        res = smoke_session(session, timeout_s=timeout_s, allow_unsandboxed=allow_unsandboxed)
    except SmokeRefused as e:
        return {"ok": None, "skipped": str(e)}
    return {"ok": res.ok, "ran": res.ran, "error": res.error}


def run_paper(
    entry: BatchEntry,
    out: Path,
    backend: Backend,
    judge: Backend,
    *,
    samples: int = 1,
    smoke_timeout_s: float = 120,
    cancel: CancelToken | None = None,
    concurrency: int = 2,
    on_event: EventFn | None = None,
    allow_unsandboxed: bool = False,
) -> dict[str, Any]:
    """Run one paper through every stage; never raises for the paper's own failures."""
    from .api import evaluate_session

    say = on_event or (lambda pid, msg: None)
    cancel = cancel or CancelToken()
    folder = out / entry.id
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    status: dict[str, Any] = {"id": entry.id, "source": entry.source, "gold": entry.gold, "rubric": entry.rubric,
                              "status": "running", "started_at": now(), "stages": {}}
    atomic_write_json(_status_path(out, entry.id), status)
    run = _PaperRun(entry, folder, status, say)
    try:
        run.stages(backend, judge, evaluate_session, cancel=cancel, concurrency=concurrency, samples=samples,
                   smoke_timeout_s=smoke_timeout_s, allow_unsandboxed=allow_unsandboxed)
        status["status"] = "done"
    except Exception as e:  # one paper's failure is data for the summary, not a crash
        run.failed(e)
    if run.session is not None:
        st = run.session.state
        status["usage"] = st.usage.model_dump()
        status["cost_usd"] = st.cost_usd
    status["finished_at"] = now()
    status["seconds"] = round(time.monotonic() - started, 3)
    atomic_write_json(_status_path(out, entry.id), status)
    if status["status"] == "done":
        say(entry.id, f"done: score {status['stages']['eval']['score']}")
    return status


class _PaperRun:
    """One paper's stages in order, each noted in ``status``; ``stage`` is the one under way
    (where a failure happened), ``session`` the paper's session once the run made it."""

    def __init__(self, entry: BatchEntry, folder: Path, status: dict[str, Any], say: EventFn) -> None:
        self.entry, self.folder, self.status, self.say = entry, folder, status, say
        self.stage = "run"
        self.session: Session | None = None

    def stages(self, backend: Backend, judge: Backend, evaluate_session: Callable[..., Any], *, cancel: CancelToken, concurrency: int, samples: int,
               smoke_timeout_s: float, allow_unsandboxed: bool) -> None:
        entry, folder, stages, say = self.entry, self.folder, self.status["stages"], self.say
        say(entry.id, "run")
        session = self.session = _stage_run(entry, folder, backend, cancel, concurrency)
        stages["run"] = {"ok": True}
        self.stage = "export"
        say(entry.id, "export")
        try:
            stages["export"] = {"ok": True, **_stage_export(session, folder)}
        except ImportError:
            stages["export"] = {"ok": None, "skipped": "papercoder_nb.export is not available"}
        self.stage = "smoke"
        if (folder / "repo").is_dir():
            say(entry.id, "smoke")
            stages["smoke"] = _stage_smoke(session, smoke_timeout_s, allow_unsandboxed)
        self.stage = "eval"
        say(entry.id, "eval")
        result = evaluate_session(session, judge, gold=entry.gold, rubric=entry.rubric, samples=samples,
                                  cancel=cancel, allow_unsandboxed=allow_unsandboxed)
        stages["eval"] = {"ok": True, "kind": result.kind, "score": result.score,
                          "valid_samples": result.valid_samples, "samples": result.samples_requested}
        self.status["eval"] = result.model_dump(mode="json", include={"kind", "score", "score_scale", "valid_samples",
                                                                       "samples_requested", "static", "rubric"})

    def failed(self, e: Exception) -> None:
        """Called while ``e`` is handled: the stage it stopped, its first line, the traceback."""
        status = self.status
        stage = e.stage if isinstance(e, StageFailure) else self.stage
        status["status"] = "failed"
        status["failed_stage"] = stage
        status["error"] = (str(e).strip().splitlines() or [type(e).__name__])[0][:500]
        status["traceback"] = traceback.format_exc()[-4000:]
        status["stages"][stage] = {"ok": False, "error": status["error"]}
        self.say(self.entry.id, f"failed at {stage}: {status['error']}")


# -- the batch --------------------------------------------------------------------------
def run_batch(
    manifest: str | Path | list[BatchEntry],
    out: str | Path,
    *,
    model: str | None = None,
    judge_model: str | None = None,
    backend_factory: BackendFactory | None = None,
    concurrency: int = 2,
    samples: int = 1,
    smoke_timeout_s: float = 120,
    redo: bool = False,
    cancel: CancelToken | None = None,
    on_event: EventFn | None = None,
    allow_unsandboxed: bool = False,
) -> BatchResult:
    entries = manifest if isinstance(manifest, list) else load_manifest(manifest)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if backend_factory is None:
        from ..llm.registry import get_backend

        backend_factory = get_backend
    # One backend for all papers: an in-process model must be shared, not loaded twice.
    backend = backend_factory(model)
    judge = backend if (judge_model is None or judge_model == model) else backend_factory(judge_model)
    say = on_event or (lambda pid, msg: None)
    result = BatchResult(out=out)
    todo = []
    for e in entries:
        prev = read_status(out, e.id)
        if prev and prev.get("status") == "done" and not redo:
            result.skipped.append(e.id)
            say(e.id, "already done: skipped")
        else:
            todo.append(e)
    lock = threading.Lock()

    def one(e: BatchEntry) -> None:
        st = run_paper(e, out, backend, judge, samples=samples, smoke_timeout_s=smoke_timeout_s,
                       cancel=cancel, on_event=on_event, allow_unsandboxed=allow_unsandboxed)
        with lock:
            (result.done if st["status"] == "done" else result.failed).append(e.id)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="papercoder-batch") as pool:
        list(pool.map(one, todo))
    result.rows = [summary_row(e, read_status(out, e.id)) for e in entries]
    result.summary_csv, result.summary_md, result.plot = write_summary(out, result.rows)
    return result


def summary_row(entry: BatchEntry, status: dict[str, Any] | None) -> dict[str, Any]:
    status = status or {}
    ev = status.get("eval") or {}
    static = ev.get("static") or {}
    rubric = ev.get("rubric") or {}
    smoke = (status.get("stages") or {}).get("smoke") or {}
    usage = status.get("usage") or {}
    return {
        "id": entry.id,
        "status": status.get("status", "not run"),
        "failed_stage": status.get("failed_stage", ""),
        "error": status.get("error", ""),
        "files": static.get("n_files", ""),
        "expected_files": len(static.get("expected_files") or []) if static else "",
        "compiled": static.get("n_compile", ""),
        "imported": "" if static.get("n_import") is None else static.get("n_import"),
        "smoke": {True: "ok", False: "failed"}.get(smoke.get("ok"), smoke.get("skipped", "") and "skipped"),
        "kind": ev.get("kind", ""),
        "score": ev.get("score", ""),
        "valid_samples": ev.get("valid_samples", ""),
        "samples": ev.get("samples_requested", ""),
        "rubric_passed": f"{rubric.get('passed')}/{rubric.get('leaves')}" if rubric else "",
        "input_tokens": usage.get("input_tokens", ""),
        "output_tokens": usage.get("output_tokens", ""),
        "cost_usd": status.get("cost_usd", ""),
        "seconds": status.get("seconds", ""),
        "source": entry.source,
    }


def write_summary(out: Path, rows: list[dict[str, Any]]) -> tuple[Path, Path, Path]:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(SUMMARY_COLUMNS))
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if r.get(k) is None else r.get(k) for k in SUMMARY_COLUMNS})
    csv_path = out / "summary.csv"
    atomic_write_text(csv_path, buf.getvalue())
    md_cols = ("id", "status", "score", "kind", "valid_samples", "files", "compiled", "imported", "smoke",
               "failed_stage", "error")
    esc = lambda v: str("" if v is None else v).replace("|", "\\|").replace("\n", " ")[:120]  # noqa: E731
    lines = [f"# Batch summary ({now()})", "",
             "| " + " | ".join(md_cols) + " |", "|" + "---|" * len(md_cols)]
    lines += ["| " + " | ".join(esc(r.get(c)) for c in md_cols) + " |" for r in rows]
    done = [r for r in rows if r["status"] == "done"]
    lines += ["", f"{len(done)} of {len(rows)} papers done; {sum(r['status'] == 'failed' for r in rows)} failed."]
    md_path = out / "summary.md"
    atomic_write_text(md_path, "\n".join(lines) + "\n")
    return csv_path, md_path, plot_scores(out, rows)


def _scores(rows: list[dict[str, Any]]) -> list[tuple[str, float | None, str]]:
    """(label, score on a 0–5 scale or None, text) per paper; rubric scores are scaled ×5."""
    out = []
    for r in rows:
        s = r.get("score")
        if isinstance(s, int | float):
            scaled = float(s) * 5 if r.get("kind") == "rubric" else float(s)
            label = f"{s:.0%}" if r.get("kind") == "rubric" else f"{s:.2f}"
            out.append((str(r["id"]), scaled, label))
        else:
            out.append((str(r["id"]), None, str(r.get("status") or "")))
    return out


def plot_scores(out: Path, rows: list[dict[str, Any]]) -> Path:
    """scores.png with matplotlib when installed, else a hand-written scores.svg."""
    import importlib.util

    data = _scores(rows)
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 0.45 * len(data) + 1.2))
        ys = range(len(data))
        ax.barh(list(ys), [s or 0 for _, s, _ in data], color=["#4c72b0" if s is not None else "#cccccc" for _, s, _ in data])
        ax.set_yticks(list(ys), [d[0] for d in data])
        ax.invert_yaxis()
        ax.set_xlim(0, 5)
        ax.set_xlabel("score (judge 1–5; rubric fraction × 5)")
        for y, (_, s, label) in zip(ys, data, strict=True):
            ax.text((s or 0) + 0.05, y, label, va="center", fontsize=8)
        fig.tight_layout()
        path = out / "scores.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path
    return _svg(out / "scores.svg", data)


def _svg(path: Path, data: list[tuple[str, float | None, str]]) -> Path:
    from html import escape

    left, width, bar, gap = 180, 400, 18, 8
    height = 50 + len(data) * (bar + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<text x="{left}" y="16">score (judge 1–5; rubric fraction × 5)</text>']
    for tick in range(6):
        x = left + width * tick / 5
        parts.append(f'<line x1="{x}" y1="24" x2="{x}" y2="{height - 20}" stroke="#ddd"/>'
                     f'<text x="{x}" y="{height - 6}" text-anchor="middle">{tick}</text>')
    for i, (label, score, text) in enumerate(data):
        y = 30 + i * (bar + gap)
        w = width * (score or 0) / 5
        color = "#4c72b0" if score is not None else "#cccccc"
        parts.append(f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end">{escape(label[:28])}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 5}">{escape(text)}</text>')
    parts.append("</svg>")
    atomic_write_text(path, "\n".join(parts) + "\n")
    return path
