"""Reading a Python traceback: its last error line and the deepest frame in the repository.

The one parser for the sandbox (which knows the folder it ran in) and repair (which knows
the repository's files but not where a past run was rooted).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
Frame = tuple[str | None, int | None]


def frame_paths(text: str) -> list[str]:
    """The file of every frame, outermost first."""
    return [m.group(1) for m in _FRAME.finditer(text)]


def last_error_line(text: str) -> str | None:
    """The exception line (``NameError: ...``): the last line that is not indented."""
    for line in reversed((text or "").strip().splitlines()):
        if line and not line.startswith(" "):
            return line.strip()
    return None


def _repo_path(path: str, root: str | None, files: set[str] | None) -> str | None:
    """``path`` relative to the repository, or None when the frame is outside it."""
    prefix = root.rstrip("/") + "/" if root else None
    if prefix and path.startswith(prefix):
        rel: str | None = path[len(prefix):]
    elif not os.path.isabs(path) and not path.startswith("<"):
        rel = path
    else:  # an absolute path of a run rooted elsewhere: the export is always a folder `repo/`
        rel = next((f for f in files or () if path.endswith("/repo/" + f)), None)
    if rel is not None and files is not None and rel not in files:
        return None
    return rel


def deepest_repo_frame(text: str, *, root: str | None = None, files: Iterable[str] | None = None) -> Frame:
    """The last frame inside the repository (the place a repair should edit) as (path, line).

    ``root`` is the folder the code ran in (frames under it are made relative); ``files``,
    when given, limits the answer to the repository's own files.
    """
    known = set(files) if files is not None else None
    found: Frame = (None, None)
    for match in _FRAME.finditer(text or ""):
        rel = _repo_path(match.group(1), root, known)
        if rel is not None:
            found = (rel, int(match.group(2)))
    return found
