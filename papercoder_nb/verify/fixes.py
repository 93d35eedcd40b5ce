"""A repair's fix: the model's answer turned into checked, in-memory file changes, and an
approved fix written to the session.

The answer holds SEARCH/REPLACE blocks (after a ``FILE: path`` line they edit that file, a
fix across a seam) or one ```python block with the whole file. An answer that cannot be
applied (a SEARCH that matches zero or several times, no edits, code that does not
compile) raises ``FixError`` and changes nothing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from ..checks.hooks import refresh_check_findings
from ..llm.base import Usage
from ..session.store import Session
from ..util.errors import PapercoderError
from ..util.extract import fenced_blocks
from ..util.pyparse import parse_python

_EDIT_BLOCK = re.compile(
    r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$",
    re.M | re.S,
)
# "FILE: util.py" before edit blocks: they edit that file (a fix across a seam).
_FILE_LINE = re.compile(r"^[ \t]*(?:\*\*)?FILE:?(?:\*\*)?[ \t]*`?([\w./-]+\.py)`?[ \t]*$", re.M | re.I)


class FixError(PapercoderError, ValueError):
    """The model's answer cannot be applied; nothing was changed."""


class EnvironmentFault(FixError):
    """The run failed for want of a package or a data file: not something to fix in code."""




@dataclass
class FileChange:
    """One file's part of a fix: shown and approved on its own."""

    file: str
    old_text: str
    new_text: str
    diff: str


@dataclass
class Fix:
    file: str  # the first changed file (the failing one when it changed)
    new_text: str
    diff: str  # unified diff of every changed file, a/<file> → b/<file>
    explanation: str
    old_text: str = ""
    mode: Literal["edits", "whole"] = "edits"
    error: str = ""  # the error this fix answers
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    model: str = ""
    changes: list[FileChange] = field(default_factory=list)  # every changed file, ``file`` first

    def all_changes(self) -> list[FileChange]:
        """Per file, for approval one file at a time (``new_text``/``old_text`` are ``file``'s)."""
        return self.changes or [FileChange(self.file, self.old_text, self.new_text, self.diff)]



# -- the answer -------------------------------------------------------------------------


def parse_edits(answer: str) -> list[tuple[str, str]]:
    """(search, replace) pairs from SEARCH/REPLACE blocks, in order."""
    return [(m.group(1), m.group(2)) for m in _EDIT_BLOCK.finditer(answer)]


def apply_edits(text: str, edits: list[tuple[str, str]], file: str = "the file") -> str:
    """Apply each edit in order; every SEARCH must match the current text exactly once."""
    for n, (search, replace) in enumerate(edits, 1):
        if not search.strip():
            raise FixError(f"SEARCH block {n} is empty; copy the lines to change from {file}")
        hits = text.count(search)
        if hits != 1:
            first = search.strip().splitlines()[0][:80]
            why = "matches nothing in" if hits == 0 else f"matches {hits} places in"
            raise FixError(
                f"SEARCH block {n} of {len(edits)} {why} {file} (it starts {first!r}); "
                "copy the lines exactly, with enough context to be unique"
            )
        text = text.replace(search, replace, 1)
    return text


def parse_file_edits(answer: str, default: str) -> dict[str, list[tuple[str, str]]]:
    """Edit blocks by file: a ``FILE: path`` line before blocks names their file (else ``default``)."""
    out: dict[str, list[tuple[str, str]]] = {}
    heads = [(m.start(), m.group(1)) for m in _FILE_LINE.finditer(answer)]
    for m in _EDIT_BLOCK.finditer(answer):
        named = [name for at, name in heads if at < m.start()]
        out.setdefault(named[-1] if named else default, []).append((m.group(1), m.group(2)))
    return out


def _explanation(answer: str) -> str:
    text = _EDIT_BLOCK.sub("", answer)
    text = re.sub(r"```.*?(```|\Z)", "", text, flags=re.S)
    return " ".join(text.split())[:600]


def unified_diff(old: str, new: str, file: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{file}",
            tofile=f"b/{file}",
        )
    )


def _checked_change(file: str, old: str, new: str) -> FileChange:
    try:
        parse_python(new)
    except SyntaxError as e:
        raise FixError(f"the fixed {file} would not compile: {e.msg} (line {e.lineno})") from e
    return FileChange(file, old, new, unified_diff(old, new, file))


def fix_from_answer(answer: str, file: str, old: str, others: dict[str, str] | None = None) -> Fix:
    """Turn the model's answer into a checked, in-memory fix (or raise ``FixError``).

    ``others`` are the files shown beside the failing one ({path: text}); edit blocks
    after a ``FILE: path`` line may change them too (a fault at a seam).
    """
    texts = {**(others or {}), file: old}
    by_file = parse_file_edits(answer, file)
    unknown = [f for f in by_file if f not in texts]
    if unknown:
        raise FixError(f"the answer edits {', '.join(unknown)}, which is not among the files shown "
                       f"({', '.join(texts)}); edit only those")
    if by_file:
        mode = "edits"
        changes = [_checked_change(f, texts[f], apply_edits(texts[f], edits, f))
                   for f, edits in sorted(by_file.items(), key=lambda kv: kv[0] != file)]
        changes = [c for c in changes if c.new_text != c.old_text]
    else:
        blocks = [b for lang, b in fenced_blocks(answer) if lang in ("python", "py", "python3")]
        if not blocks:
            raise FixError(
                "the answer holds neither SEARCH/REPLACE blocks nor a ```python block with the "
                "whole file"
            )
        new, mode = max(blocks, key=len).strip("\n") + "\n", "whole"
        changes = [_checked_change(file, old, new)] if new != old else []
    if not changes:
        raise FixError(f"the proposed fix leaves {file} unchanged")
    first = changes[0]
    # ``diff`` shows every file, so a caller that applies the whole fix shows all of it.
    return Fix(first.file, first.new_text, "".join(c.diff for c in changes), _explanation(answer),  # type: ignore[arg-type]
               first.old_text, mode, changes=changes)


def apply_fix(session: Session, fix: Fix, files: list[str] | None = None) -> None:
    """Write an approved fix (only ``files`` of it, when given); old versions stay in history.

    Every file is checked before any is written, so a stale fix changes nothing.
    """
    changes = [c for c in fix.all_changes() if files is None or c.file in files]
    for c in changes:
        if (session.read(f"code:{c.file}") or "") != c.old_text:
            raise FixError(f"{c.file} changed since the fix was proposed; ask for a new fix")
    for i, c in enumerate(changes):
        _write_change(session, fix, c, paid=i == 0)  # the call's cost is on one file only
    refresh_check_findings(session)  # a fix is a coding call: its callers may change state


def _write_change(session: Session, fix: Fix, change: FileChange, *, paid: bool) -> None:
    aid = f"code:{change.file}"
    rec = session.record(aid)
    session.write(
        aid,
        change.new_text,
        by="model",
        # Same inputs as before: the fix is a correction of that generation, not a new one.
        input_hash=rec.input_hash if rec else None,
        model=fix.model,
        usage=fix.usage if paid else Usage(),
        cost_usd=fix.cost_usd if paid else 0.0,
        calls=1 if paid else 0,
        feedback=f"repair after a failed smoke run: {fix.error}"[:600],
        warnings=[f"repaired ({fix.mode}) after: {fix.error}"[:300]],
    )


