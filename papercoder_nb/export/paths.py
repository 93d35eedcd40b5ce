"""Validation of the relative paths an export writes.

Paths come from model output (the architecture's file list), so they are untrusted: a
path like ``../../.bashrc`` or ``/etc/x`` must never leave the export folder.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..util.errors import PapercoderError

RESERVED_PREFIX = ".papercoder-"  # our manifest and backups


class UnsafePathError(PapercoderError, ValueError):
    """A path that could write outside the export folder."""


def safe_relpath(path: str) -> str:
    """Return ``path`` normalised to ``a/b.py`` form, or raise UnsafePathError."""
    if not isinstance(path, str) or not path.strip():
        raise UnsafePathError(f"empty path: {path!r}")
    if "\x00" in path or "\\" in path:
        raise UnsafePathError(f"path contains a backslash or NUL: {path!r}")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise UnsafePathError(f"absolute path: {path!r}")
    parts = [p for p in PurePosixPath(path).parts if p != "."]
    if not parts:
        raise UnsafePathError(f"empty path: {path!r}")
    if any(p == ".." for p in parts):
        raise UnsafePathError(f"path leaves its folder: {path!r}")
    if any(p.startswith("~") for p in parts[:1]):
        raise UnsafePathError(f"path starts with '~': {path!r}")
    if parts[0].startswith(RESERVED_PREFIX) or parts[0] == ".git":
        raise UnsafePathError(f"reserved path: {path!r}")
    return "/".join(parts)


def resolve_inside(root: Path, rel: str) -> Path:
    """``root/rel``, refusing any existing component that is a symlink (an escape route)."""
    rel = safe_relpath(rel)
    current = root
    for part in PurePosixPath(rel).parts:
        current = current / part
        if current.is_symlink():
            raise UnsafePathError(f"{rel!r}: {current} is a symlink; refusing to write through it")
    resolved_root = root.resolve()
    if not current.resolve().is_relative_to(resolved_root):
        raise UnsafePathError(f"{rel!r} resolves outside {root}")
    return current
