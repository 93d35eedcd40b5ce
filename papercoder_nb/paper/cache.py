"""Parse cache: a parsed paper stored by the source's sha256 and the parser version.

Re-opening a session or re-running a notebook should not re-parse a 70-page PDF. The
key holds the parser version, so a parser change invalidates old entries by itself.
Location: ``$PAPERCODER_CACHE_DIR`` or the platform user cache dir; set
``PAPERCODER_CACHE_DIR=off`` to disable. A broken cache entry is ignored, never fatal.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .model import Paper


def cache_dir() -> Path | None:
    env = os.environ.get("PAPERCODER_CACHE_DIR")
    if env is not None:
        if env.strip().lower() in ("", "off", "0", "none"):
            return None
        return Path(env).expanduser() / "papers"
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # platformdirs is a dependency, but never fail a parse over a cache
        return None
    return Path(user_cache_dir("papercoder-nb")) / "papers"


def _entry(sha256: str, key: str) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    safe = re.sub(r"[^\w.-]", "_", key)
    return root / f"{sha256}-{safe}.json"


def get(sha256: str, key: str) -> Paper | None:
    path = _entry(sha256, key)
    if path is None or not path.is_file():
        return None
    try:
        return Paper.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def put(sha256: str, key: str, paper: Paper) -> None:
    path = _entry(sha256, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(paper.model_dump_json())
        os.replace(tmp, path)  # atomic: readers never see half a file
    except OSError:
        pass  # read-only home, full disk: parsing still works, just uncached
