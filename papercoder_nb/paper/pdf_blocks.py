"""Ordered PDF lines grouped into blocks: headings, paragraphs, captions and display
equations. A display equation needs mostly math glyphs *and* no prose, or a
right-aligned equation number set apart by a wide gap; a paragraph runs on until a
gap, an indent or a sentence end says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .pdf_headings import CAPTION, KNOWN_HEADINGS, DocContext, find_heading, note_heading
from .pdf_layout import Line

EQ_NUMBER = re.compile(r"^\((?:[A-Z]\.)?\d+(?:\.\d+)?[a-z]?\)$")
_PROSE_WORD = re.compile(r"^[A-Za-z][a-z]{3,}[,.;:]?$")
# Prefixes that form real hyphenated compounds: keep their hyphen at a line break.
_KEEP_HYPHEN = {
    "non", "self", "well", "state", "end", "multi", "cross", "real", "high", "low", "long",
    "short", "large", "small", "semi", "two", "one", "three", "pre", "post", "co", "sub",
    "fine", "first", "second", "open", "zero", "few", "task", "data", "model", "domain",
    "human", "hand", "top", "bottom", "left", "right", "over", "under", "in", "out", "on", "off",
}


def dehyphen_join(a: str, b: str) -> str:
    """Join two lines of one paragraph, undoing end-of-line hyphenation."""
    if not a:
        return b
    if len(a) > 1 and a.endswith("-") and a[-2].isalpha() and b[:1].islower():
        last = re.split(r"[\s/(]", a[:-1])[-1].lower()
        return a + b if last in _KEEP_HYPHEN else a[:-1] + b
    return a + " " + b


@dataclass
class Block:
    kind: str  # para | equation | caption | heading
    lines: list[Line] = field(default_factory=list)
    text: str = ""
    number: str | None = None
    title: str = ""
    level: int = 1



def _is_equation(ln: Line, ctx: DocContext) -> bool:
    words = [w["text"] for w in ln.words]
    if not words:
        return False
    left, right = ctx.col(ln)
    numbered = False
    if len(words) >= 2 and EQ_NUMBER.match(words[-1]):
        gap = ln.words[-1]["x0"] - ln.words[-2]["x1"]
        numbered = gap > 2.5 * ctx.body and ln.words[-1]["x1"] >= right - ctx.body
    prose = sum(1 for w in ln.words if _PROSE_WORD.match(w["text"]) and w["math"] < 0.3)
    if numbered and prose <= 3:
        return True
    indented = ln.x0 > left + 1.5 * ctx.body and ln.x1 < right - 1.0 * ctx.body
    return ln.math >= 0.4 and prose <= 1 and (indented or len(ln.text) < 30)


def group_blocks(lines: list[Line], ctx: DocContext) -> list[Block]:
    """Group lines into headings, paragraphs, captions and equation blocks."""
    walk = _BlockWalk(ctx)
    for ln in lines:
        walk.add(ln)
    return walk.blocks



class _BlockWalk:
    """Lines to blocks, one line at a time: ``cur`` is the block the next line may continue,
    ``prev`` the last line kept (text inside figures is dropped and does not count)."""

    def __init__(self, ctx: DocContext) -> None:
        self.ctx = ctx
        self.blocks: list[Block] = []
        self.cur: Block | None = None
        self.prev: Line | None = None

    def add(self, ln: Line) -> None:
        ctx = self.ctx
        if id(ln) in ctx.outline_cont and self.blocks and self.blocks[-1].kind == "heading":
            self.blocks[-1].lines.append(ln)  # its text is already in the heading's title
        elif _cap_size(ln) < ctx.body * 0.7 and ln.math < 0.5 and id(ln) not in ctx.outline:
            return  # text inside figures (axis ticks, labels)
        elif not (self._heading(ln) or self._heading_wrapped(ln) or self._caption(ln) or self._equation(ln)):
            self._prose(ln)
        self.prev = ln

    def _heading(self, ln: Line) -> bool:
        h = find_heading(ln, self.ctx)
        if h is None:
            return False
        num, title, level, rest = h
        # a heading wrapped onto a second line: same face, directly below
        last, prev = (self.blocks[-1] if self.blocks else None), self.prev
        if (not rest and last is not None and last.kind == "heading" and prev is last.lines[-1]
                and num is None and (last.number is not None or last.level > 1 or last.title.lower() not in KNOWN_HEADINGS)
                and abs(prev.size - ln.size) < 0.3
                and 0 <= ln.top - prev.bottom < 0.6 * ln.size and prev.page == ln.page):
            last.title += " " + title
            last.lines.append(ln)
            return True
        note_heading(self.ctx, num, title, level)
        self.blocks.append(Block("heading", [ln], number=num, title=title, level=level))
        self.cur = None
        if rest:
            self.cur = Block("para", [ln], text=rest)
            self.blocks.append(self.cur)
        return True

    def _heading_wrapped(self, ln: Line) -> bool:
        """An unnumbered second line of a heading in the same face."""
        prev = self.prev
        if not (self.blocks and self.blocks[-1].kind == "heading" and prev is not None and self.cur is None):
            return False
        hb = self.blocks[-1]
        bold = ln.bold >= 0.8 and hb.lines[0].bold >= 0.8
        # an italic title (IEEE subsections) wraps only from a line that filled the column
        italic = _italic(ln) and _italic(prev) and prev.x1 > self.ctx.col(prev)[1] - 2 * self.ctx.body
        if (abs(prev.size - ln.size) < 0.3 and (bold or italic)
                and 0 <= ln.top - prev.bottom < 0.6 * ln.size and ln.page == prev.page
                and ln.nwords <= 8 and not hb.title.endswith(".")):
            hb.title = dehyphen_join(hb.title, ln.text.strip())
            hb.lines.append(ln)
            return True
        return False

    def _caption(self, ln: Line) -> bool:
        text = ln.text.strip()
        cap = CAPTION.match(text)
        if not cap:
            return False
        self.cur = Block("caption", [ln], text=text, number=cap.group("num"), title=cap.group("kind"))
        self.blocks.append(self.cur)
        return True

    def _equation(self, ln: Line) -> bool:
        if not _is_equation(ln, self.ctx):
            return False
        text, cur, prev = ln.text.strip(), self.cur, self.prev
        if cur is not None and cur.kind == "equation" and prev is not None and _near(prev, ln, self.ctx, 2.2):
            cur.lines.append(ln)
            cur.text += " " + text
        else:
            self.cur = Block("equation", [ln], text=text)
            self.blocks.append(self.cur)
        return True

    def _prose(self, ln: Line) -> None:
        text, cur, prev = ln.text.strip(), self.cur, self.prev
        if ABSTRACT_RUNIN.match(text):
            cur = None  # 'Abstract—…' opens its own block (not the author line's, above it)
        if cur is not None and prev is not None and _continues(cur, prev, ln, self.ctx):
            cur.lines.append(ln)
            cur.text = dehyphen_join(cur.text, text)
        # short math debris between equation lines (fraction bars, limits) joins the equation
        elif (cur is not None and cur.kind == "equation" and prev is not None and ln.nwords <= 3
                and _near(prev, ln, self.ctx, 1.5) and not _PROSE_WORD.match(ln.words[0]["text"])):
            cur.lines.append(ln)
            cur.text += " " + text
        else:
            self.cur = Block("para", [ln], text=text)
            self.blocks.append(self.cur)


def _cap_size(ln: Line) -> float:
    """The line's capitals' size: small capitals (IEEE table captions) set their
    lower-case letters smaller, so the dominant size understates the face."""
    return max((w.get("size_max", w["size"]) for w in ln.words), default=ln.size)


def _italic(ln: Line) -> bool:
    return bool(ln.words) and all(w.get("italic") for w in ln.words)


def _near(a: Line, b: Line, ctx: DocContext, factor: float) -> bool:
    return a.page == b.page and a.col == b.col and -ctx.body < b.top - a.bottom < factor * ctx.body


def _continues(cur: Block, prev: Line, ln: Line, ctx: DocContext) -> bool:
    if cur.kind == "equation":
        return False
    if prev.page != ln.page or prev.col != ln.col:
        # paragraphs run on across columns and pages unless a sentence ended
        return not re.search(r"[.!?:]$", cur.text) and cur.kind == "para"
    gap = ln.top - prev.bottom
    if gap > 0.9 * ctx.body or gap < -0.5 * ctx.body:
        return False
    if cur.kind == "caption":
        return abs(_cap_size(ln) - _cap_size(cur.lines[0])) < 0.6
    left, right = ctx.col(ln)
    indent = ln.x0 - left
    if 0.6 * ctx.body < ln.x0 - prev.x0 < 3 * ctx.body and prev.x1 > right - 2 * ctx.body:
        return False  # first-line indent of a new paragraph
    if prev.x1 < right - 3 * ctx.body and re.search(r"[.!?:]$", prev.text) and indent < 3 * ctx.body:
        return False  # previous line was short and ended a sentence
    return True



ABSTRACT_RUNIN = re.compile(r"^(?:Abstract|ABSTRACT)\s*[—–\-.:]\s*")

