"""The PDF's own outline (bookmarks) as a heading signal.

LaTeX with hyperref, Word and most typesetters write every numbered heading into the
outline with a destination page (and usually a y position). Each entry is matched to the
line on that page that shows its title; those lines are headings whatever their font.
The outline is used only when most entries find their line: a one-entry outline (the
paper title), or one that points at the wrong pages, leaves layout detection alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from .pdf_layout import Line

# a heading's own number in front of its title: '3.2', 'IV.', 'A.', 'B.1'
_NUMBER = re.compile(r"^(?:(?:\d{1,2}|[A-Z]|[IVXL]{1,6})(?:\.\d{1,2}){0,3}\.?)\s+(?=\S)")
_MIN_USABLE = 0.6  # share of outline entries that must find their line
_MARK = re.compile(r"(?<=[^\W\d_])\d$|[∗*†‡]+$")  # footnote mark after a title: 'Experiments1'


@dataclass
class Entry:
    level: int  # outline depth, 1 = top
    title: str
    page: int  # 0-based page index
    top: float | None  # y from the top of the page, when the destination gives one


@dataclass
class Hit:
    level: int  # outline depth, 1 = top (after dropping a lone title entry)
    title: str  # the outline's own text
    rest: str  # text after the title on the same line (run-in heading)
    more: list[str] = field(default_factory=list)  # following lines that finish a wrapped title


def read_outline(pdf: Any) -> list[Entry]:
    """Entries of the outline that point at a page of ``pdf`` (a pdfplumber PDF)."""
    try:
        raw = list(pdf.doc.get_outlines())
    except Exception:  # no outline (PDFNoOutlines) or a broken one: layout decides alone
        return []
    pages = {p.page_obj.pageid: i for i, p in enumerate(pdf.pages)}
    heights = [float(p.height) for p in pdf.pages]
    out: list[Entry] = []
    for level, title, dest, action, _ in raw:
        try:
            target = _destination(pdf.doc, dest, action)
        except Exception:  # an unresolvable destination drops that entry only
            continue
        if target is None or not isinstance(title, str) or not title.strip():
            continue
        pageid, y = target
        if pageid not in pages:
            continue
        i = pages[pageid]
        out.append(Entry(int(level), title.strip(), i, heights[i] - y if y is not None else None))
    return out


def _destination(doc: Any, dest: Any, action: Any) -> tuple[int, float | None] | None:
    from pdfminer.pdftypes import resolve1

    if dest is None and action is not None:
        act = resolve1(action)
        dest = act.get("D") if isinstance(act, dict) else None
    dest = resolve1(dest)
    if isinstance(dest, (bytes, str)):  # a named destination: the name tree holds bytes keys
        name = dest.encode("latin-1") if isinstance(dest, str) else dest
        dest = resolve1(doc.get_dest(name))
    if isinstance(dest, dict):
        dest = resolve1(dest.get("D"))
    if not isinstance(dest, list) or not dest:
        return None
    ref = dest[0]
    pageid = getattr(ref, "objid", None)
    if pageid is None:
        return None
    kind = getattr(resolve1(dest[1]), "name", "") if len(dest) > 1 else ""
    y = None
    if kind in ("XYZ", "FitH", "FitBH") and len(dest) > (3 if kind == "XYZ" else 2):
        raw_y = resolve1(dest[3] if kind == "XYZ" else dest[2])
        y = float(raw_y) if isinstance(raw_y, (int, float)) else None
    return pageid, y


def norm(text: str) -> str:
    """Letters and digits only, lower case: survives glued words, small capitals split
    into 'I NTRODUCTION', ligatures and footnote marks at the end."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text.lower() if c.isalnum())


def strip_number(text: str) -> str:
    return _NUMBER.sub("", text.strip(), count=1)


@dataclass
class OutlineMatch:
    hits: dict[int, Hit] = field(default_factory=dict)  # id(line) -> its entry
    cont: set[int] = field(default_factory=set)  # ids of lines that finish a wrapped title
    complete: bool = False  # every entry found its line: the outline lists all headings


def match_outline(entries: list[Entry], lines: list[Line]) -> OutlineMatch:
    """The lines that show the outline's entries; empty when the outline is not usable."""
    entries = _sections_only(entries, lines)
    if len(entries) < 2:
        return OutlineMatch()
    by_page: dict[int, list[Line]] = {}
    for ln in lines:
        by_page.setdefault(ln.page, []).append(ln)
    pos = {id(ln): i for i, ln in enumerate(lines)}
    taken: set[int] = set()
    found: list[tuple[int, str] | None] = []
    for e in entries:  # the destination's page (or the next one)
        f = _find(e, by_page.get(e.page, []) + by_page.get(e.page + 1, []), taken)
        found.append((pos[id(f[0])], f[1]) if f else None)
        if f:
            taken.add(id(f[0]))
    found = _in_order(found)
    taken = {id(lines[f[0]]) for f in found if f}
    for k, e in enumerate(entries):
        # wrong destinations (hyperref reuses names after \appendix): search between the
        # neighbours' lines instead, for the whole title only
        if found[k] is None:
            lo = max((f[0] for f in found[:k] if f), default=-1) + 1
            hi = min((f[0] for f in found[k + 1:] if f), default=len(lines))
            f = _find(Entry(e.level, e.title, -1, None), lines[lo:hi], taken, whole_only=True)
            if f:
                found[k] = (pos[id(f[0])], f[1])
                taken.add(id(f[0]))
    done = [(e, f) for e, f in zip(entries, found, strict=True) if f]
    if len(done) < _MIN_USABLE * len(entries):
        return OutlineMatch()
    out = OutlineMatch(complete=len(done) == len(entries))
    base = min(e.level for e in entries)
    for e, (i, rest) in done:
        hit = Hit(e.level - base + 1, e.title, rest)
        out.hits[id(lines[i])] = hit
        if not rest:
            _wrapped(hit, lines, i, out.cont)
    return out


def _sections_only(entries: list[Entry], lines: list[Line]) -> list[Entry]:
    """Without the paper's title, when the outline's root is the title (its children
    are then the sections): the root shows the largest text of page 1."""
    first = [ln for ln in lines if ln.page == 0]
    if not entries or not first:
        return entries
    big = max(ln.size for ln in first)
    title = norm(" ".join(ln.text for ln in first if abs(ln.size - big) < 0.6))
    root = norm(entries[0].title)
    if min(len(root), len(title)) >= 4 and (title.startswith(root) or root.startswith(title)):
        return entries[1:]
    return entries


def _in_order(found: list[tuple[int, str] | None]) -> list[tuple[int, str] | None]:
    """Keep the longest run of hits that follows the outline's order (the outline lists
    headings in reading order, so a hit out of order is a wrong line)."""
    idx = [k for k, f in enumerate(found) if f]
    best: list[int] = [1] * len(idx)
    back: list[int] = [-1] * len(idx)
    for a in range(len(idx)):
        for b in range(a):
            if found[idx[b]][0] < found[idx[a]][0] and best[b] + 1 > best[a]:  # type: ignore[index]
                best[a], back[a] = best[b] + 1, b
    keep: set[int] = set()
    a = max(range(len(idx)), key=lambda i: best[i], default=-1)
    while a >= 0:
        keep.add(idx[a])
        a = back[a]
    return [f if k in keep else None for k, f in enumerate(found)]


def _wrapped(hit: Hit, lines: list[Line], i: int, cont: set[int]) -> None:
    """A title wrapped onto the next lines: they belong to the heading."""
    ln = lines[i]
    got, want = norm(strip_number(_unmark(ln.text))), norm(strip_number(hit.title))
    for nxt in lines[i + 1: i + 3]:
        more = norm(_unmark(nxt.text))
        if len(got) >= len(want) or nxt.page != ln.page or not more or not want.startswith(got + more):
            break
        hit.more.append(_unmark(nxt.text).strip())
        cont.add(id(nxt))
        got += more


def _unmark(text: str) -> str:
    return _MARK.sub("", text.strip())


def _find(e: Entry, lines: list[Line], taken: set[int], whole_only: bool = False) -> tuple[Line, str] | None:
    """The line that shows the entry's title: on its page near its y (else the next
    page: a destination at the page foot jumps to the heading that starts the next)."""
    want = norm(strip_number(e.title))
    if len(want) < 2:
        return None
    best: tuple[float, Line, str] | None = None
    for ln in lines:
        if id(ln) in taken:
            continue
        shown = _shows(ln, want)
        if shown is None:
            continue
        rest, whole = shown
        if whole_only and not whole:
            continue
        same = ln.page == e.page
        dist = abs(ln.top - e.top) if (same and e.top is not None) else (0.0 if same else 1e4)
        if e.top is not None and same and ln.bottom < e.top - 2 * ln.size:
            dist += 5e3  # above the anchor: hyperref anchors sit on or just above the heading
        if not whole:
            dist += 2e4  # a line holding only the start of the title is the last resort
        if best is None or dist < best[0]:
            best = (dist, ln, rest)
    return (best[1], best[2]) if best is not None else None


def _shows(ln: Line, want: str) -> tuple[str, bool] | None:
    """(text after the title, whether the whole title is on the line) when ``ln`` starts
    with the outline title or with its first part (a wrapped title), else None."""
    text = _unmark(ln.text)
    got = norm(strip_number(text))
    if not got:
        return None
    if want.startswith(got) and len(got) >= min(len(want), 6):
        return "", got == want  # the whole line is (the start of) the title
    if abs(len(got) - len(want)) <= 0.15 * len(want) and SequenceMatcher(None, got, want).ratio() >= 0.85:
        return "", True  # math the outline could not spell: 'Skewed-^2' for 'Skewed-χ2'

    if not got.startswith(want):
        return None
    # a run-in heading: its title is set apart (numbered, bold, italic) from the sentence
    first = ln.words[0] if ln.words else {}
    if not (_NUMBER.match(ln.text.strip()) or first.get("bold") or first.get("italic")):
        return None
    body = strip_number(ln.text)
    acc = ""
    for i, w in enumerate(body.split()):
        acc += norm(w)
        if len(acc) >= len(want):
            rest = " ".join(body.split()[i + 1:])
            return (rest if len(norm(rest)) > 3 else ""), True
    return "", True
