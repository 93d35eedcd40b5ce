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

from .pdf_structure import Structure

_CAPTION = re.compile(r"^(Figure|Fig\.|FIGURE|Table|TABLE|Tab\.|그림|표)\s*[A-Z]?\d")
_WORD = re.compile(r"[^\W\d_]{3,}")  # a word of running text
Word = dict[str, Any]
Segment = tuple[float, float, str]  # x0, x1, text of words closer than a column gap
Grid = tuple[float, float, list[list[str]]]  # top, bottom, rows


def attach_rows(pdf: Any, st: Structure, ruled: set[int], words_by_page: list[list[Word]]) -> None:
    """Fill `rows` of the tables in `st` from the pages their captions are on;
    `words_by_page` are the words the loader already read (reading them again costs)."""
    by_page: dict[int, list[str]] = {}
    for tid, (pno, _) in st.caption_pages.items():
        by_page.setdefault(pno, []).append(tid)
    tables = {t.id: t for t in st.tables}
    for pno, tids in by_page.items():
        page = pdf.pages[pno]
        grids: list[Grid] | None = None  # found only when aligned words give nothing
        for tid in sorted(tids, key=lambda t: st.caption_pages[t][1]):
            top = st.caption_pages[tid][1]
            found = aligned_rows(words_by_page[pno], top, tables[tid].caption, float(page.width))
            if found is None:
                continue
            rows, own_words = found
            if not rows and pno in ruled:
                grids = _ruled_grids(page) if grids is None else grids
                rows = _nearest_grid(grids, top)
            if rows:
                tables[tid].rows = rows
                tables[tid].caption = _own_caption(tables[tid].caption, own_words)
        page.flush_cache()


def _nearest_grid(grids: list[Grid], top: float) -> list[list[str]]:
    """The ruled grid right below the caption (its wrapped lines between) or right above
    it, taken so that no other caption gets it too."""
    near = [g for g in grids if 0 < g[0] - top < 70 or 0 <= top - g[1] < 30]
    grid = min(near, key=lambda g: min(abs(g[0] - top), abs(top - g[1])), default=None)
    if grid is None:
        return []
    grids.remove(grid)
    return grid[2]


def _filled(rows: list[list[str]]) -> int:
    return sum(1 for r in rows for c in r if c)


def _own_caption(caption: str, own_words: int) -> str:
    """The caption without table text the paragraph pass read into it (it sees the table's
    lines as the caption's continuation)."""
    parts = caption.split()
    return " ".join(parts[:own_words]) if len(parts) > own_words + 2 else caption


def _ruled_grids(page: Any) -> list[Grid]:
    grids = []
    try:
        found = page.find_tables()
    except Exception:  # a table finder failure must not lose the paper
        return []
    for tb in found:
        cells = tb.extract(x_tolerance=1.5, x_tolerance_ratio=0.16)
        rows = [[(c or "").replace("\n", " ").strip() for c in row] for row in cells]
        rows = [r for r in rows if any(r)]
        if _plausible(rows):
            grids.append((float(tb.bbox[1]), float(tb.bbox[3]), rows))
    return grids


def aligned_rows(words: list[Word], caption_top: float, caption: str, page_width: float,
                 ) -> tuple[list[list[str]], int] | None:
    """The unruled table above or below a caption starting at `caption_top`, as rows of
    cells ([] when neither side holds a table-like block), and the count of words on the
    caption's own lines; None when the caption is not on the page."""
    two_col = _two_columns(words, page_width)
    lines = _lines(_same_column(words, caption_top, page_width) if two_col else words)
    start = next((i for i, ln in enumerate(lines) if abs(ln[0]["top"] - caption_top) < 2.5), None)
    if start is None:
        return None
    end = _caption_end(lines, start, caption)
    own = sum(len(ln) for ln in lines[start:end])
    # the table is the block nearer the caption: the other side may hold a figure
    found = []
    if end < len(lines):
        found.append((lines[end][0]["top"] - lines[end - 1][0]["top"], _block(lines[end:], two_col)))
    if start > 0:
        found.append((caption_top - lines[start - 1][0]["top"], _block(lines[:start][::-1], two_col)[::-1]))
    blocks = [b for _, b in sorted(found, key=lambda f: f[0]) if b]
    rows = _grid(blocks[0]) if blocks else []
    return (rows if _plausible(rows) else []), own


def _two_columns(words: list[Word], page_width: float) -> bool:
    """Two-column page: (almost) no word crosses the middle of the page."""
    mid = page_width / 2
    return sum(1 for w in words if w["x0"] < mid < w["x1"]) <= 0.05 * len(words)


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
    """Words grouped into lines; a smaller word inside a line's height (a subscript) joins it."""
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if out:
            first = out[-1][0]
            height = first["bottom"] - first["top"]
            sub = w["bottom"] - w["top"] < 0.85 * height and w["top"] < first["bottom"] - 1
            if abs(first["top"] - w["top"]) < 2.5 or sub:
                out[-1].append(w)
                continue
        out.append([w])
    return [sorted(ln, key=lambda w: w["x0"]) for ln in out]


def _caption_end(lines: list[list[Word]], start: int, caption: str) -> int:
    """Index of the first line after the caption. A caption wraps over full-width lines;
    it ends at a short line, a line split into columns, a wider gap, or once its text is
    all read (`caption` may also hold table text that the paragraph pass appended)."""
    left = min(w["x0"] for ln in lines for w in ln)
    right = max(w["x1"] for ln in lines for w in ln)
    want = len(caption.replace(" ", "")) - 2
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
        if segs and w["x0"] - segs[-1][1] < 0.45 * size:
            x0, _, text = segs[-1]
            segs[-1] = (x0, w["x1"], f"{text} {w['text']}")
        else:
            segs.append((w["x0"], w["x1"], w["text"]))
    return segs


def _is_prose(segs: list[Segment], width: float, two_col: bool) -> bool:
    """A line of running text: one wide run, or a run of many words (a stretched space in
    justified text may split prose into two segments; table cells stay short)."""
    wide = len(segs) == 1 and segs[0][1] - segs[0][0] > 0.5 * width
    # on a two-column page, a column of text: a run filling a column's width with words
    column = two_col and any(x1 - x0 > 0.38 * width and text.count(" ") >= 6 and len(_WORD.findall(text)) >= 3
                 for x0, x1, text in _runs_of_text(segs))
    return wide or column or max(len(_WORD.findall(s[2])) for s in segs) >= 9


def _runs_of_text(segs: list[Segment]) -> list[Segment]:
    """Segments joined across gaps under ~1em: a justified line's stretched spaces."""
    out: list[Segment] = []
    for x0, x1, text in segs:
        if out and x0 - out[-1][1] < 10:
            out[-1] = (out[-1][0], x1, f"{out[-1][2]} {text}")
        else:
            out.append((x0, x1, text))
    return out


def _block(lines: list[list[Word]], two_col: bool) -> list[list[Segment]]:
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
        if _is_prose(segs, width, two_col) or _CAPTION.match(ln[0]["text"] + (ln[1]["text"] if len(ln) > 1 else "")):
            break
        out.append(segs)
        prev = ln
    return out


def _grid(block: list[list[Segment]]) -> list[list[str]]:
    """Cells by column; each segment goes to the column it overlaps most."""
    if sum(1 for segs in block if len(segs) >= 2) < 2:
        return []
    cols = _columns(block)
    if len(cols) < 2:
        return []
    rows = []
    for segs in block:
        row = [""] * len(cols)
        for x0, x1, text in segs:
            k = max(range(len(cols)), key=lambda i: (min(x1, cols[i][1]) - max(x0, cols[i][0]),
                                                     -abs((x0 + x1) / 2 - sum(cols[i]) / 2)))
            row[k] = f"{row[k]} {text}".strip()
        rows.append(row)
    return rows


def _columns(block: list[list[Segment]]) -> list[tuple[int, int]]:
    """Column x-ranges: runs of x that the segments of several lines cover, split at the
    gutters that (almost) no line crosses. A header spanning two columns crosses the
    gutter in one line only, so it does not merge them."""
    left = int(min(s[0] for segs in block for s in segs))
    right = int(max(s[1] for segs in block for s in segs)) + 1
    cover = [0] * (right - left + 1)
    for segs in block:
        for x0, x1, _ in segs:
            for x in range(int(x0) - left, int(x1) - left + 1):
                cover[x] += 1
    limit = max(1, len(block) // 8)
    cols: list[tuple[int, int]] = []
    for a, b in _runs([n > limit for n in cover]):
        cols += [(a + x0 + left, a + x1 + left) for x0, x1 in _split_valleys(cover[a:b + 1])]
    return cols


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Inclusive index ranges where `flags` holds."""
    out: list[tuple[int, int]] = []
    start = None
    for x, f in enumerate([*flags, False]):
        if f and start is None:
            start = x
        elif not f and start is not None:
            out.append((start, x - 1))
            start = None
    return out


def _split_valleys(cover: list[int]) -> list[tuple[int, int]]:
    """Split a run at deep valleys: cells centred across two columns (a multicolumn
    value, a spanning header) cross the gutter in a few lines, far fewer than use it."""
    pre, suf = cover[:], cover[:]
    for i in range(1, len(cover)):
        pre[i] = max(pre[i - 1], cover[i])
    for i in range(len(cover) - 2, -1, -1):
        suf[i] = max(suf[i + 1], cover[i])
    deep = [n <= 0.35 * min(p, s) for n, p, s in zip(cover, pre, suf, strict=True)]
    valleys = [(a, b) for a, b in _runs(deep) if b - a >= 3]
    out, start = [], 0
    for a, b in valleys:
        out.append((start, a - 1))
        start = b + 1
    out.append((start, len(cover) - 1))
    return out


def _plausible(rows: list[list[str]]) -> bool:
    """At least 2 rows, most of them with 2 filled cells, and mostly short cells: prose
    is not a table, nor are two columns of text whose baselines interleave."""
    multi = sum(1 for r in rows if sum(1 for c in r if c) >= 2)
    if multi < 2 or multi < 0.5 * len(rows):
        return False
    cells = [c for r in rows for c in r if c]
    long = sum(1 for c in cells if len(c) > 40)
    return median(len(c) for c in cells) <= 32 and long <= 0.25 * len(cells)
