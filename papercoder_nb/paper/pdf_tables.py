"""Rows for PDF tables that have a text layer.

Every "Table N" caption the structure pass found gets the cells of the table beside it on
the same page: pdfplumber's ruling-line finder for ruled grids, otherwise the words between
the caption and the nearest body paragraph, split into columns by their x-positions
(booktabs and unruled tables have no vertical lines to follow). Only caption pages are
looked at again, because table finding is the expensive part of pdfplumber.
"""

from __future__ import annotations

import re
from statistics import median
from typing import Any

from .model import Table
from .pdf_layout import page_words
from .pdf_structure import Structure

_CAPTION = re.compile(r"^(Figure|Fig\.|FIGURE|Table|TABLE|Tab\.|그림|표)\s*[A-Z]?\d")
Word = dict[str, Any]
Segment = tuple[float, float, str]  # x0, x1, text of words closer than a column gap
Grid = tuple[float, list[list[str]]]  # top, rows


def attach_rows(pdf: Any, st: Structure, ruled: set[int]) -> None:
    """Fill `rows` of the tables in `st` from the pages their captions are on."""
    by_page: dict[int, list[str]] = {}
    for tid, (pno, _) in st.caption_pages.items():
        by_page.setdefault(pno, []).append(tid)
    tables = {t.id: t for t in st.tables}
    for pno, tids in by_page.items():
        page = pdf.pages[pno]
        try:
            grids = _ruled_grids(page) if pno in ruled else []
            words = page_words(page)
        except Exception:  # a table finder failure must not lose the paper
            continue
        for tid in sorted(tids, key=lambda t: st.caption_pages[t][1]):
            _attach(tables[tid], st.caption_pages[tid][1], words, grids, float(page.width))
        page.flush_cache()


def _attach(table: Table, top: float, words: list[Word], grids: list[Grid], width: float) -> None:
    """The better of the nearest ruled grid and the aligned words beside the caption
    (ruling lines that frame only part of a table merge its columns)."""
    found = aligned_rows(words, top, table.caption, width)
    if found is None:
        return
    rows, own_words = found
    near = [g for g in grids if abs(g[0] - top) < 200]
    grid = min(near, key=lambda g: abs(g[0] - top), default=None)
    if grid and _filled(grid[1]) >= _filled(rows):
        rows = grid[1]
        grids.remove(grid)
    if rows:
        table.rows = rows
        table.caption = _own_caption(table.caption, own_words)


def _filled(rows: list[list[str]]) -> int:
    return sum(1 for r in rows for c in r if c)


def _own_caption(caption: str, own_words: int) -> str:
    """The caption without table text the paragraph pass read into it (it sees the table's
    lines as the caption's continuation)."""
    parts = caption.split()
    return " ".join(parts[:own_words]) if len(parts) > own_words + 2 else caption


def _ruled_grids(page: Any) -> list[Grid]:
    grids = []
    for tb in page.find_tables():
        cells = tb.extract(x_tolerance=1.5, x_tolerance_ratio=0.16)
        rows = [[(c or "").replace("\n", " ").strip() for c in row] for row in cells]
        rows = [r for r in rows if any(r)]
        if _plausible(rows):
            grids.append((float(tb.bbox[1]), rows))
    return grids


def aligned_rows(words: list[Word], caption_top: float, caption: str, page_width: float,
                 ) -> tuple[list[list[str]], int] | None:
    """The unruled table above or below a caption starting at `caption_top`, as rows of
    cells ([] when neither side holds a table-like block), and the count of words on the
    caption's own lines; None when the caption is not on the page."""
    lines = _lines(_same_column(words, caption_top, page_width))
    start = next((i for i, ln in enumerate(lines) if abs(ln[0]["top"] - caption_top) < 2.5), None)
    if start is None:
        return None
    end = _caption_end(lines, start, caption)
    own = sum(len(ln) for ln in lines[start:end])
    below = _block(lines[end:])
    above = _block(lines[:start][::-1])[::-1]
    candidates = [r for r in (_grid(below), _grid(above)) if _plausible(r)]
    return max(candidates, key=_filled, default=[]), own


def _same_column(words: list[Word], caption_top: float, page_width: float) -> list[Word]:
    """On a two-column page a caption inside one column owns only that column's words."""
    cap = [w for w in words if abs(w["top"] - caption_top) < 2.5]
    if not cap:
        return words
    mid = page_width / 2
    x0, x1 = min(w["x0"] for w in cap), max(w["x1"] for w in cap)
    if x1 <= mid + 5 and x1 - x0 > 0.25 * page_width:
        return [w for w in words if w["x1"] <= mid + 5]
    if x0 >= mid - 5:
        return [w for w in words if w["x0"] >= mid - 5]
    return words


def _lines(words: list[Word]) -> list[list[Word]]:
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if out and abs(out[-1][0]["top"] - w["top"]) < 2.5:
            out[-1].append(w)
        else:
            out.append([w])
    return [sorted(ln, key=lambda w: w["x0"]) for ln in out]


def _caption_end(lines: list[list[Word]], start: int, caption: str) -> int:
    """Index of the first line after the caption. A caption wraps over full-width lines;
    it ends at a short line, a line split into columns, a wider gap, or once its text is
    all read (`caption` may also hold table text that the paragraph pass appended)."""
    left = min(w["x0"] for ln in lines for w in ln)
    right = max(w["x1"] for ln in lines for w in ln)
    want = len(caption.replace(" ", "")) * 0.9
    got, i = 0, start
    while i < len(lines) and got < want:
        ln = lines[i]
        if i > start:
            prev = lines[i - 1]
            size = median(w["bottom"] - w["top"] for w in prev)
            full = prev[-1]["x1"] - prev[0]["x0"] >= 0.8 * (right - left)
            if not full or len(_segments(ln)) > 1 or ln[0]["top"] - prev[0]["top"] > 1.8 * size:
                break
        got += sum(len(w["text"]) for w in ln)
        i += 1
    return i


def _segments(line: list[Word]) -> list[Segment]:
    """Words split where the gap is wider than a stretched space: the column gaps."""
    size = median(w["bottom"] - w["top"] for w in line)
    segs: list[Segment] = []
    for w in line:
        if segs and w["x0"] - segs[-1][1] < 0.6 * size:
            x0, _, text = segs[-1]
            segs[-1] = (x0, w["x1"], f"{text} {w['text']}")
        else:
            segs.append((w["x0"], w["x1"], w["text"]))
    return segs


def _is_prose(segs: list[Segment], width: float) -> bool:
    text = " ".join(s[2] for s in segs)
    return len(segs) == 1 and (segs[0][1] - segs[0][0] > 0.5 * width or len(text) > 60)


def _block(lines: list[list[Word]]) -> list[list[Segment]]:
    """Consecutive table-like lines from the start of `lines`, up to a paragraph, another
    caption or a wide vertical gap."""
    if not lines:
        return []
    width = max(w["x1"] for ln in lines for w in ln) - min(w["x0"] for ln in lines for w in ln)
    out: list[list[Segment]] = []
    prev: list[Word] | None = None
    for ln in lines:
        size = median(w["bottom"] - w["top"] for w in ln)
        gap = abs(ln[0]["top"] - prev[0]["top"]) if prev else 0.0
        if prev and gap > (5 if not out else 3) * size:
            break
        segs = _segments(ln)
        if _is_prose(segs, width) or _CAPTION.match(ln[0]["text"] + (ln[1]["text"] if len(ln) > 1 else "")):
            break
        out.append(segs)
        prev = ln
    return out


def _grid(block: list[list[Segment]]) -> list[list[str]]:
    """Cells by column: columns come from the lines with the most common count of
    segments (spanning headers would merge columns), other segments go to the column
    they overlap most."""
    multi = [segs for segs in block if len(segs) >= 2]
    if len(multi) < 2:
        return []
    counts = [len(s) for s in multi]
    ncol = max(set(counts), key=lambda c: (counts.count(c), c))
    cols = [[min(s[i][0] for s in multi if len(s) == ncol), max(s[i][1] for s in multi if len(s) == ncol)]
            for i in range(ncol)]
    rows = []
    for segs in block:
        row = [""] * ncol
        for x0, x1, text in segs:
            k = max(range(ncol), key=lambda i: (min(x1, cols[i][1]) - max(x0, cols[i][0]),
                                                -abs((x0 + x1) / 2 - sum(cols[i]) / 2)))
            row[k] = f"{row[k]} {text}".strip()
        rows.append(row)
    return rows


def _plausible(rows: list[list[str]]) -> bool:
    """At least 2 rows with 2 filled cells, and mostly short cells (prose is not a table)."""
    if sum(1 for r in rows if sum(1 for c in r if c) >= 2) < 2:
        return False
    cells = [c for r in rows for c in r if c]
    long = sum(1 for c in cells if len(c) > 40)
    return median(len(c) for c in cells) <= 25 and long <= 0.2 * len(cells)
