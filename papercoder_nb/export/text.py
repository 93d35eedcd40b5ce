"""Small text helpers shared by the README and the notebook: condensing Markdown, slugs."""

from __future__ import annotations

import hashlib
import re

_FENCE = re.compile(r"^\s*(```|~~~)")


def condense_markdown(text: str, max_chars: int = 1200, *, min_heading: int = 3) -> str:
    """A shortened Markdown: headings, bullets and paragraphs in order, code blocks dropped.

    Headings are pushed down to at least ``min_heading`` so a condensed analysis does not
    compete with the notebook's own outline. Cut at a line boundary, marked with "…".
    """
    lines: list[str] = []
    in_fence = False
    for raw in text.strip().splitlines():
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = raw.rstrip()
        heading = re.match(r"^(#{1,6})\s+(.*)", line)
        if heading:
            level = max(len(heading.group(1)), min_heading)
            line = "#" * level + " " + heading.group(2)
        if not line and (not lines or not lines[-1]):
            continue  # collapse blank runs
        lines.append(line)
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > max_chars and out:
            out.append("…")
            break
        out.append(line)
        used += len(line) + 1
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def first_sentences(text: str, max_chars: int = 600) -> str:
    """The opening of a paragraph (an abstract), cut at a sentence end where possible."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    cut = flat[:max_chars]
    end = cut.rfind(". ")
    return (cut[: end + 1] if end > max_chars // 3 else cut.rstrip()) + " …"


def slug(text: str, max_len: int = 48) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return s[:max_len].rstrip("-")


def cell_id(*parts: str, used: set[str] | None = None) -> str:
    """A stable nbformat cell id (``[A-Za-z0-9_-]{1,64}``), e.g. ``file-model-py-code``.

    Derived from the content's role, not random, so re-exports diff cleanly. When two
    paths slug alike (``a.py``/``a_py``) or the id would be too long, a short hash of the
    raw parts keeps it unique; ``used`` collects the ids handed out so far.
    """
    base = "-".join(slug(p, 64) for p in parts if p) or "cell"
    raw = "\x00".join(parts)
    if len(base) > 64 or (used is not None and base in used):
        base = f"{base[:55].rstrip('-')}-{hashlib.sha1(raw.encode()).hexdigest()[:8]}"
    if used is not None:
        used.add(base)
    return base


def md_cell_text(text: str) -> str:
    """One-line Markdown-safe text for table cells."""
    return " ".join(text.split()).replace("|", "\\|")
