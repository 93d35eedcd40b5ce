"""What the engine is about to write, declared before it writes it.

A kill between an artifact's file landing (rename) and ``session.json`` recording it left
a file with no record, which the next run could only take for a hand edit: the model's
complete answer then showed as "edited by you", unapproved. Before the rename the engine
declares the record it is about to store (content hash, writer, model, usage) in
``<session>/.writing/``; a file on disk that matches a declared hash is the engine's
own write and is recorded as such. A declaration is removed once ``session.json`` has it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..util.fsutil import atomic_write_json

FOLDER = ".writing"


def _path(root: Path, artifact_id: str) -> Path:
    name = re.sub(r"[^\w.\-]+", "_", artifact_id)
    return root / FOLDER / f"{name}.json"


def declare(root: Path, artifact_id: str, record: dict[str, Any]) -> None:
    atomic_write_json(_path(root, artifact_id), {"artifact": artifact_id, "record": record})


def declared(root: Path, artifact_id: str, digest: str | None) -> dict[str, Any] | None:
    """The record declared for this artifact if the file on disk is what was declared."""
    p = _path(root, artifact_id)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    record = data.get("record") if isinstance(data, dict) else None
    if not isinstance(record, dict) or digest is None or record.get("content_hash") != digest:
        return None
    return record


def clear(root: Path, artifact_id: str) -> None:
    _path(root, artifact_id).unlink(missing_ok=True)
    try:
        (root / FOLDER).rmdir()  # only when empty: the folder is there only mid-write
    except OSError:
        pass
