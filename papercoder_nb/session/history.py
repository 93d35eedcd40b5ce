"""Every version of an artifact: list (who, when, which model), diff any two, restore one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .store import Session, read_jsonl


@dataclass(frozen=True)
class Version:
    number: int
    by: str
    model: str
    at: str
    file: str


def versions(session: Session, artifact_id: str) -> list[Version]:
    """Versions in order, read from the session's history log."""
    log = session.root / "history" / "log.jsonl"
    if not log.is_file():
        return []
    out = []
    for e in read_jsonl(log):  # a record torn by a kill or a full disk is skipped
        if e.get("artifact") == artifact_id:
            out.append(Version(e["version"], e.get("by", ""), e.get("model", ""), e.get("at", ""), e["file"]))
    return out


def version_text(session: Session, artifact_id: str, number: int) -> str:
    for v in versions(session, artifact_id):
        if v.number == number:
            return (session.root / v.file).read_text(encoding="utf-8")
    raise ValueError(f"{artifact_id} has no version {number}; `papercoder history {session.root} {artifact_id}` lists them")


def diff(session: Session, artifact_id: str, a: int, b: int) -> str:
    """Unified diff from version a to version b."""
    old, new = version_text(session, artifact_id, a), version_text(session, artifact_id, b)
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"v{a}", f"v{b}"))


def restore(session: Session, artifact_id: str, number: int) -> int:
    """Make version `number` current again, as a user edit (so it is itself kept in history)."""
    session.write(artifact_id, version_text(session, artifact_id, number), by="user")
    return versions(session, artifact_id)[-1].number
