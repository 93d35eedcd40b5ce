"""The code a judge reads: collected from a session or a folder, ranked, and budgeted.

A judge's window is finite and a repository is not. Files are ranked by how much the
plan talks about them (task-list membership, mentions of the file, overlap between the
names it defines and the plan's words), then packed in that order: whole while they fit,
as an outline (imports and signatures) after that, cut at the head as a last resort,
else left out. What happened to each file is stated in the result, never silent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from ..paper.tokens import estimate_tokens
from ..stages.context import outline

Counter = Callable[[str], int]
CODE_SUFFIXES = (".py",)
TEXT_SUFFIXES = (".py", ".yaml", ".yml", ".sh", ".md", ".txt", ".cfg", ".toml", ".json")
_SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".papercoder-backup", ".ipynb_checkpoints", "node_modules"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_STOP = {
    "the", "and", "for", "with", "that", "this", "from", "are", "not", "use", "self", "none", "true",
    "false", "return", "import", "def", "class", "str", "int", "float", "list", "dict", "will", "its",
}
MAX_FILE_CHARS = 400_000  # a generated "file" larger than this is data, not code


@dataclass
class CodeFile:
    path: str
    text: str


class Coverage(BaseModel):
    """What part of a repository the judge actually saw."""

    budget_tokens: int = 0
    full: list[str] = Field(default_factory=list)
    outline: list[str] = Field(default_factory=list)  # signatures only
    cut: list[str] = Field(default_factory=list)  # the head of the file only
    omitted: list[str] = Field(default_factory=list)
    truncated: bool = False
    note: str = ""


def read_code_dir(root: Path, suffixes: tuple[str, ...] = CODE_SUFFIXES) -> list[CodeFile]:
    """Source files under a folder (a gold repository or an exported one), sorted by path."""
    root = Path(root)
    if root.is_file():
        return [CodeFile(root.name, root.read_text(encoding="utf-8", errors="replace"))]
    out: list[CodeFile] = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if p.is_file() and not p.is_symlink() and p.suffix in suffixes and p.stat().st_size <= MAX_FILE_CHARS:
            out.append(CodeFile(rel.as_posix(), p.read_text(encoding="utf-8", errors="replace")))
    return out


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - _STOP


def _defined_names(code: str) -> set[str]:
    return {m.lower() for m in re.findall(r"^\s*(?:def|class)\s+([A-Za-z_]\w*)", code, re.M)}


def rank_files(files: list[CodeFile], context: str, task_order: list[str] | None = None,
               entry_point: str | None = None) -> list[CodeFile]:
    """Most relevant first; ties keep the task order, then the path order."""
    order = {f: i for i, f in enumerate(task_order or [])}
    ctx_words = _words(context)
    ctx_lower = context.lower()

    def score(f: CodeFile) -> float:
        s = 0.0
        if f.path in order:
            s += 3.0
        if entry_point and f.path == entry_point:
            s += 1.0
        stem = Path(f.path).stem.lower()
        s += min(5, ctx_lower.count(f.path.lower()) + ctx_lower.count(stem)) * 0.5
        names = _defined_names(f.text)
        if names:
            s += 4.0 * len(names & ctx_words) / len(names)
        return s

    indexed = list(enumerate(files))
    indexed.sort(key=lambda t: (-score(t[1]), order.get(t[1].path, len(order)), t[0]))
    return [f for _, f in indexed]


def _block(path: str, body: str, label: str = "") -> str:
    lang = "python" if path.endswith(".py") else ""
    return f"### File {path}{label}\n```{lang}\n{body.rstrip()}\n```\n\n"


def _head_that_fits(path: str, text: str, room: int, count: Counter) -> str | None:
    lines = text.splitlines()
    lo, hi, best = 1, len(lines), None
    while lo <= hi:  # binary search on the number of lines kept
        mid = (lo + hi) // 2
        block = _block(path, "\n".join(lines[:mid]) + f"\n# … cut: {len(lines) - mid} more lines", " (cut)")
        if count(block) <= room:
            best, lo = block, mid + 1
        else:
            hi = mid - 1
    return best


def code_tokens(files: list[CodeFile], count: Counter = estimate_tokens) -> int:
    """What ``pack_code`` needs to show every file in full (counted block by block, as it does)."""
    return sum(count(_block(f.path, f.text)) for f in files)


def pack_code(files: list[CodeFile], budget: int, count: Counter = estimate_tokens,
              what: str = "code") -> tuple[str, Coverage]:
    """Files (already ranked) as one text within ``budget`` tokens, and what was left out."""
    cov = Coverage(budget_tokens=max(0, budget))
    parts: list[str] = []
    used = 0
    min_cut = 120  # below this a cut file says nothing useful
    for f in files:
        room = budget - used
        full = _block(f.path, f.text)
        n = count(full)
        if n <= room:
            parts.append(full)
            used += n
            cov.full.append(f.path)
            continue
        if f.path.endswith(".py"):
            short = _block(f.path, outline(f.text), " (outline: imports and signatures only)")
            n = count(short)
            if n <= room and n < count(full):
                parts.append(short)
                used += n
                cov.outline.append(f.path)
                continue
        if room >= min_cut:
            cut = _head_that_fits(f.path, f.text, room, count)
            if cut is not None:
                parts.append(cut)
                used += count(cut)
                cov.cut.append(f.path)
                continue
        cov.omitted.append(f.path)
    cov.truncated = bool(cov.outline or cov.cut or cov.omitted)
    cov.note = coverage_note(cov, len(files), what)
    return "".join(parts), cov


def coverage_note(cov: Coverage, total: int, what: str = "code") -> str:
    if total == 0:
        return f"no {what} files found"
    if not cov.truncated:
        return f"all {total} {what} files shown in full"
    bits = [f"{len(cov.full)} of {total} {what} files shown in full"]
    if cov.outline:
        bits.append(f"as outlines: {', '.join(cov.outline)}")
    if cov.cut:
        bits.append(f"cut: {', '.join(cov.cut)}")
    if cov.omitted:
        bits.append(f"left out: {', '.join(cov.omitted)}")
    return f"{what} truncated to fit {cov.budget_tokens} tokens — " + "; ".join(bits)


def allocate(needs: dict[str, int], shares: dict[str, float], total: int) -> dict[str, int]:
    """Split ``total`` tokens: each part gets at most what it needs, its share first,
    and whatever a part does not need goes to the others (water-filling)."""
    alloc = {k: 0 for k in needs}
    left = max(0, total)
    active = {k for k, v in needs.items() if v > 0}
    while left > 0 and active:
        weight = sum(shares.get(k, 1.0) for k in active)
        given = 0
        for k in sorted(active):
            portion = int(left * shares.get(k, 1.0) / weight)
            take = min(portion, needs[k] - alloc[k])
            alloc[k] += take
            given += take
        left -= given
        active = {k for k in active if alloc[k] < needs[k]}
        if given == 0:
            break
    return alloc
