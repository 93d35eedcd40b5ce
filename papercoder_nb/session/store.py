"""The session folder: the single source of truth, readable and diffable by a person.

    session.json        paper hash, model, each artifact's record, approvals, usage
    paper/paper.json    the parsed paper (and paper/source.* a copy of the source)
    planning/           plan.md, architecture.json, logic.json, config.yaml
    analysis/<file>.md  code/<file>
    history/            every version of every artifact, with who and when
    calls.jsonl         every model call (also the replay cassette)

Every write is atomic. A file changed on disk by hand is noticed by its hash and kept
in history as a user edit before anything can overwrite it.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_serializer

from ..llm.base import Usage
from ..paper import Paper
from ..util.errors import PapercoderError
from ..util.fsutil import (
    append_line,
    atomic_write_json,
    atomic_write_text,
    sha256_file,
    sha256_text,
)
from . import write_intent
from .artifacts import PLANNING_FILES

FORMAT_VERSION = 1
Who = Literal["model", "user", "import"]


class SessionError(PapercoderError):
    """The session folder is missing, corrupt, or asked for something it can't do."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ArtifactRecord(BaseModel):
    content_hash: str | None = None
    input_hash: str | None = None  # hash of the inputs it was generated from
    approved_hash: str | None = None  # content hash that was approved
    by: Who = "model"  # who wrote the current version
    model: str = ""
    updated_at: str = ""
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = 0.0
    calls: int = 0
    feedback: str | None = None
    warnings: list[str] = Field(default_factory=list)
    # Static-check findings on this file ("file:line: problem (expected: ...)"); empty = passes.
    check_findings: list[str] = Field(default_factory=list)
    error: str | None = None  # the last failed attempt, if any

    @model_serializer(mode="wrap")
    def _omit_passing_checks(self, handler: Any) -> dict[str, Any]:
        """A file that passes its checks adds nothing to session.json (older folders stay byte-equal)."""
        data = handler(self)
        if not data.get("check_findings"):
            data.pop("check_findings", None)
        return data


class Answer(BaseModel):
    question: str
    answer: str
    source: str  # the artifact that raised the question


class SessionState(BaseModel):
    format_version: int = FORMAT_VERSION
    created_at: str = Field(default_factory=now)
    paper_source: str = ""
    paper_hash: str = ""
    model: str = ""
    base_url: str = ""  # the server the model was reached at (never the key)
    dropped_sections: list[str] = Field(default_factory=list)
    artifacts: dict[str, ArtifactRecord] = Field(default_factory=dict)
    answers: list[Answer] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = 0.0
    smoke: dict[str, Any] | None = None
    notes: list[str] = Field(default_factory=list)


def artifact_path(artifact_id: str) -> str:
    """Relative path of an artifact inside the session folder."""
    if artifact_id in PLANNING_FILES:
        return PLANNING_FILES[artifact_id]
    kind, _, name = artifact_id.partition(":")
    if kind == "analysis" and name:
        return f"analysis/{name}.md"
    if kind == "code" and name:
        return f"code/{name}"
    raise SessionError(f"unknown artifact id {artifact_id!r} (use plan, architecture, logic, config, analysis:<file> or code:<file>)")


class Session:
    """A session folder on disk; thread-safe for concurrent artifact writes."""

    def __init__(self, root: Path, state: SessionState) -> None:
        self.root = root
        self.state = state
        self.lock = threading.RLock()
        self._paper: Paper | None = None
        self._selected: tuple[tuple[str, ...], Paper, str] | None = None

    # -- opening ---------------------------------------------------------------
    @classmethod
    def create(
        cls, root: str | Path, paper: Paper, source: str | Path | None = None, *, model: str = "", base_url: str = ""
    ) -> Session:
        root = Path(root)
        if (root / "session.json").exists():
            raise SessionError(f"{root} already holds a session; use `papercoder resume {root}` or another --out")
        if root.exists() and any(p.name != "paper" and not p.name.startswith(".") for p in root.iterdir()):
            # A folder holding only paper/ (and temp files) is a create killed half-way: start again.
            raise SessionError(f"{root} exists and is not empty; pass a new folder for the session")
        root.mkdir(parents=True, exist_ok=True)
        # The model and its server are in the first session.json: a kill right after it resumes there.
        state = SessionState(paper_source=str(source or paper.meta.source), paper_hash=paper.content_hash(),
                             model=model, base_url=base_url)
        s = cls(root, state)
        atomic_write_json(root / "paper" / "paper.json", paper.model_dump(mode="json"))
        if source and Path(source).is_file():
            shutil.copyfile(source, root / "paper" / f"source{''.join(Path(source).suffixes[-2:]) or '.txt'}")
        s._paper = paper
        s.save()
        return s

    @classmethod
    def open(cls, root: str | Path) -> Session:
        root = Path(root)
        f = root / "session.json"
        if not f.is_file():
            raise SessionError(f"{root} is not a session folder (no session.json); create one with `papercoder run SOURCE --out {root}`")
        try:
            state = SessionState.model_validate_json(f.read_text(encoding="utf-8"))
        except ValueError as e:
            raise SessionError(f"{f} is corrupt ({str(e).splitlines()[0]}); restore it from history or git") from e
        if state.format_version > FORMAT_VERSION:
            raise SessionError(f"{f} has format {state.format_version}, newer than this papercoder-nb understands; upgrade the package")
        return cls(root, state)

    # -- paper -----------------------------------------------------------------
    @property
    def paper(self) -> Paper:
        if self._paper is None:
            self._paper = Paper.model_validate_json((self.root / "paper" / "paper.json").read_text(encoding="utf-8"))
        return self._paper

    def selected_paper(self) -> Paper:
        """The paper without the sections the user dropped (memoised per selection)."""
        key = tuple(self.state.dropped_sections)
        if self._selected is None or self._selected[0] != key:
            paper = self.paper.select(key) if key else self.paper
            self._selected = (key, paper, paper.content_hash())
        return self._selected[1]

    def selected_paper_hash(self) -> str:
        self.selected_paper()
        assert self._selected is not None
        return self._selected[2]

    def set_dropped_sections(self, ids: list[str]) -> None:
        self.paper.select(ids)  # raises on unknown ids
        with self.lock:
            self.state.dropped_sections = sorted(set(ids))
            self.save()

    # -- artifacts -------------------------------------------------------------
    def path(self, artifact_id: str) -> Path:
        return self.root / artifact_path(artifact_id)

    def read(self, artifact_id: str) -> str | None:
        try:
            return self.path(artifact_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def record(self, artifact_id: str) -> ArtifactRecord | None:
        return self.state.artifacts.get(artifact_id)

    def write(
        self,
        artifact_id: str,
        text: str,
        *,
        by: Who,
        input_hash: str | None = None,
        model: str = "",
        usage: Usage | None = None,
        cost_usd: float | None = 0.0,
        calls: int = 0,
        feedback: str | None = None,
        warnings: list[str] | None = None,
    ) -> ArtifactRecord:
        """Store a new version. Any unseen hand edit on disk is kept in history first."""
        with self.lock:
            self.sync_edits()
            rec = (self.state.artifacts.get(artifact_id) or ArtifactRecord()).model_copy(deep=True)
            rec.content_hash = sha256_text(text)
            rec.by = by
            rec.updated_at = now()
            rec.error = None
            if by != "user":
                rec.input_hash = input_hash
                rec.model = model
                rec.usage = usage or Usage()
                rec.cost_usd = cost_usd
                rec.calls = calls
                rec.feedback = feedback
                rec.warnings = list(warnings or [])
            rec.approved_hash = None
            # Declared first: a kill after the rename must not turn this write into a hand edit.
            write_intent.declare(self.root, artifact_id, rec.model_dump(mode="json"))
            atomic_write_text(self.path(artifact_id), text)
            self._snapshot(artifact_id, text, by, model)
            self.state.artifacts[artifact_id] = rec
            self.save()
            write_intent.clear(self.root, artifact_id)
            return rec

    def record_error(self, artifact_id: str, message: str) -> None:
        with self.lock:
            rec = self.state.artifacts.setdefault(artifact_id, ArtifactRecord())
            rec.error = message
            self.save()

    def approve(self, artifact_id: str) -> None:
        with self.lock:
            self.sync_edits()
            rec = self.state.artifacts.get(artifact_id)
            content = self.read(artifact_id)
            if rec is None or content is None:
                raise SessionError(f"{artifact_id} has not been generated yet; nothing to approve")
            rec.approved_hash = sha256_text(content)
            self.save()

    def unapprove(self, artifact_id: str) -> None:
        with self.lock:
            rec = self.state.artifacts.get(artifact_id)
            if rec:
                rec.approved_hash = None
                self.save()

    def sync_edits(self) -> list[str]:
        """Notice files changed by hand since we last wrote them; keep each as a user edit."""
        changed = []
        with self.lock:
            for aid, rec in list(self.state.artifacts.items()):
                p = self.path(aid)
                digest = sha256_file(p)
                if digest is None or digest == rec.content_hash:
                    continue
                if self._adopt_declared(aid, digest):
                    changed.append(aid)
                    continue
                text = p.read_text(encoding="utf-8", errors="replace")
                self._snapshot(aid, text, "user", "")
                rec.content_hash = digest
                rec.by = "user"
                rec.updated_at = now()
                rec.approved_hash = None
                changed.append(aid)
            changed += self._adopt_unrecorded()
            if changed:
                self.save()
        return changed

    def _adopt_unrecorded(self) -> list[str]:
        """Artifact files with no record (a kill between writing the file and saving the
        session, or a file dropped in by hand) become versions in their own right, so they
        can be reviewed, approved or regenerated, never a dead end."""
        adopted = []
        for aid in self.artifact_ids_on_disk():
            if aid in self.state.artifacts:
                continue
            if self._adopt_declared(aid, sha256_file(self.path(aid))):
                adopted.append(aid)
                continue
            text = self.path(aid).read_text(encoding="utf-8", errors="replace")
            self._snapshot(aid, text, "user", "")
            self.state.artifacts[aid] = ArtifactRecord(content_hash=sha256_text(text), by="user", updated_at=now())
            adopted.append(aid)
        return adopted

    def _adopt_declared(self, artifact_id: str, digest: str | None) -> bool:
        """A file the engine declared before a kill cut its write short: recorded as written."""
        record = write_intent.declared(self.root, artifact_id, digest)
        if record is None:
            return False
        rec = ArtifactRecord.model_validate(record)
        history = self.history(artifact_id)
        text = self.path(artifact_id).read_text(encoding="utf-8", errors="replace")
        if not history or history[-1].read_text(encoding="utf-8", errors="replace") != text:
            self._snapshot(artifact_id, text, rec.by, rec.model)  # the kill came before its snapshot
        self.state.artifacts[artifact_id] = rec
        write_intent.clear(self.root, artifact_id)
        return True

    def artifact_ids_on_disk(self) -> list[str]:
        ids = [a for a in PLANNING_FILES if self.path(a).exists()]
        for kind, folder, strip in (("analysis", "analysis", ".md"), ("code", "code", "")):
            base = self.root / folder
            if base.is_dir():
                for f in sorted(base.rglob("*")):
                    if f.is_file() and not f.name.startswith("."):
                        rel = f.relative_to(base).as_posix()
                        ids.append(f"{kind}:{rel[: -len(strip)] if strip else rel}")
        return ids

    # -- history ---------------------------------------------------------------
    def _snapshot(self, artifact_id: str, text: str, by: str, model: str) -> Path:
        folder = self.root / "history" / re.sub(r"[^\w.\-]+", "_", artifact_id)
        folder.mkdir(parents=True, exist_ok=True)
        n = len([p for p in folder.iterdir() if not p.name.startswith(".")]) + 1
        ext = Path(artifact_path(artifact_id)).suffix or ".txt"
        stamp = now().replace(":", "").replace("-", "")
        p = folder / f"{n:04d}-{stamp}-{by}{ext}"
        atomic_write_text(p, text)
        append_line(self.root / "history" / "log.jsonl",
                    json.dumps({"artifact": artifact_id, "version": n, "file": p.relative_to(self.root).as_posix(),
                                "by": by, "model": model, "at": now(), "sha256": sha256_text(text)}))
        return p

    def history(self, artifact_id: str) -> list[Path]:
        folder = self.root / "history" / re.sub(r"[^\w.\-]+", "_", artifact_id)
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []

    def previous_version(self, artifact_id: str) -> str | None:
        """The version before the current one (for diffs)."""
        versions = self.history(artifact_id)
        return versions[-2].read_text(encoding="utf-8") if len(versions) >= 2 else None

    # -- calls and answers -----------------------------------------------------
    def log_call(self, entry: dict[str, Any]) -> None:
        with self.lock:
            append_line(self.root / "calls.jsonl", json.dumps(entry, ensure_ascii=False))
            u = Usage.model_validate(entry.get("usage") or {})
            self.state.usage = self.state.usage + u
            c = entry.get("cost_usd")
            self.state.cost_usd = None if c is None or self.state.cost_usd is None else self.state.cost_usd + c
            self.save()

    def calls(self) -> list[dict[str, Any]]:
        f = self.root / "calls.jsonl"
        if not f.exists():
            return []
        return read_jsonl(f)

    def set_answer(self, question: str, answer: str, source: str) -> None:
        with self.lock:
            self.state.answers = [a for a in self.state.answers if a.question != question]
            if answer.strip():
                self.state.answers.append(Answer(question=question, answer=answer.strip(), source=source))
            self.save()

    def save(self) -> None:
        with self.lock:
            atomic_write_json(self.root / "session.json", self.state.model_dump(mode="json"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines log; a torn record (cut by a kill or a full disk) is skipped."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
