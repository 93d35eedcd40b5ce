"""Document structure from ordered PDF lines: title, abstract, sections, equations,
captions and references.

Layout-agnostic heuristics, each backed by two signals so one odd style doesn't fool
it: a heading needs a number pattern *and* a bold or larger font (or a well-known name
like 'References'); a display equation needs mostly math glyphs *and* no prose, or a
right-aligned equation number set apart by a wide gap.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .model import Equation, Figure, Reference, Section, Table, assign_section_ids, kind_for_title
from .pdf_layout import Line, is_math_char
from .pdf_outline import Hit, OutlineMatch, strip_number

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>\S.*)$")
_ROMAN = re.compile(r"^(?P<num>[IVX]{1,5})\.\s+(?P<title>[A-Z].*)$")
_APPENDIX_HEAD = re.compile(r"^(?:Appendix|APPENDIX)\s+(?P<num>[A-Z])(?:[.:]\s*|\s+)(?P<title>.*)$")
_KNOWN = {
    "abstract", "introduction", "references", "bibliography", "acknowledgements",
    "acknowledgments", "acknowledgement", "acknowledgment", "appendix", "appendices",
    "related work", "conclusion", "conclusions", "discussion", "supplementary material",
    "broader impact", "limitations", "background", "참고문헌", "참고 문헌", "초록", "요약",
    "감사의 글", "부록",
}
_CAPTION = re.compile(
    r"^(?P<kind>Figure|Fig\.|FIGURE|Table|TABLE|Tab\.|그림|표)\s*(?P<num>[A-Z]?\d+(?:\.\d+)?|[IVX]+)(?:\s*[:.|]\s*|$)"
)
_EQ_NUMBER = re.compile(r"^\((?:[A-Z]\.)?\d+(?:\.\d+)?[a-z]?\)$")
_PROSE_WORD = re.compile(r"^[A-Za-z][a-z]{3,}[,.;:]?$")
_REF_START = re.compile(r"^\[\d+\]|^\d{1,3}\.\s+[A-Z]")
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


@dataclass
class Structure:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    sections: list[Section] = field(default_factory=list)
    equations: list[Equation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    caption_pages: dict[str, tuple[int, float]] = field(default_factory=dict)  # table id -> page, top


class _Ctx:
    def __init__(self, lines: list[Line], outline: OutlineMatch | None = None) -> None:
        sizes: Counter[float] = Counter()
        for ln in lines:
            sizes[round(ln.size * 2) / 2] += len(ln.text)
        self.body = sizes.most_common(1)[0][0] if sizes else 10.0
        bounds: dict[tuple[int, int], list[Line]] = {}
        for ln in lines:
            if ln.nwords >= 5:
                bounds.setdefault((ln.page, ln.col), []).append(ln)
        self.cols: dict[tuple[int, int], tuple[float, float]] = {}
        for key, ls in bounds.items():
            x0s = sorted(ln.x0 for ln in ls)
            x1s = sorted(ln.x1 for ln in ls)
            self.cols[key] = (x0s[len(x0s) // 10], x1s[-(len(x1s) // 10) - 1])
        self.last_top = 0
        self.last_letter = 0
        self.last_roman = 0  # IEEE-style 'IV. TITLE' sections seen so far
        self.last_sub = 0  # lettered subsections under the current Roman section
        self.roman_open = False  # the last top-level heading was a Roman-numbered one
        self.heads = 0  # headings seen so far (after one, page 1 may hold unnumbered sections)
        self.in_appendix = False
        self.after_refs = False
        outline = outline or OutlineMatch()
        self.outline = outline.hits
        self.outline_cont = outline.cont
        hit_lines = [ln for ln in lines if id(ln) in self.outline]
        # pages a complete outline covers: a numbered 'heading' there that it lacks is a list item
        self.outline_pages = (hit_lines[0].page, hit_lines[-1].page) if hit_lines and outline.complete else (-1, -2)
        self.outline_depth = max((h.level for h in self.outline.values()), default=0)
        self.level_shift = _level_shift(hit_lines, self.outline)

    def col(self, ln: Line) -> tuple[float, float]:
        return self.cols.get((ln.page, ln.col), (ln.x0, ln.x1))


HeadingT = tuple[str | None, str, int, str]


def _level_shift(hit_lines: list[Line], outline: dict[int, Hit]) -> int | None:
    """outline depth minus numbering depth when they agree on (nearly) every numbered
    heading; None when the outline's nesting is not to be trusted for levels."""
    shifts: Counter[int] = Counter()
    for ln in hit_lines:
        m = _NUMBERED.match(ln.text.strip())
        if m and m.group("num")[0].isdigit():
            shifts[outline[id(ln)].level - len(m.group("num").split("."))] += 1
    if not shifts:
        return 0
    shift, n = shifts.most_common(1)[0]
    return shift if n >= 0.8 * sum(shifts.values()) else None


def _heading(ln: Line, ctx: _Ctx) -> HeadingT | None:
    """(number, title, level, run-in rest) if the line opens a section: the outline's
    word when the PDF has a usable one, else (and for what it leaves out) the layout's."""
    hit = ctx.outline.get(id(ln))
    if hit is not None:
        return _outline_heading(ln, hit, ctx)
    found = _layout_heading(ln, ctx)
    if found is not None and found[0] is not None:
        lo, hi = ctx.outline_pages
        depth = len(found[0].split("."))
        if lo <= ln.page <= hi and depth <= ctx.outline_depth:
            return None  # numbered, where the outline lists every numbered heading, yet not in it
    return found


def _outline_heading(ln: Line, hit: Hit, ctx: _Ctx) -> HeadingT:
    layout = _layout_heading(ln, ctx)
    text = ln.text.strip()
    m = re.match(r"^(\S+?)\.?\s", text)
    num: str | None = None
    if text != strip_number(text) and m:
        token = m.group(1)
        # a letter ('A Study of …') is a number only if the outline leaves it out
        if token[0].isdigit() or not hit.title.startswith(token) or (layout is not None and layout[0]):
            num = token
    if layout is not None and layout[0]:
        num = layout[0]  # the layout's reading of IEEE 'II.A' style numbers
    title = strip_number(text) if num else text
    if hit.rest:
        title = title[: len(title) - len(hit.rest)].strip()
    title = re.sub(r"(?<=[^\W\d_])\d$|[∗*†‡]+$", "", title).strip().rstrip(".:").strip()
    title = " ".join([title, *hit.more])
    if num and layout is not None and layout[0]:
        level = layout[2]
    elif num and re.fullmatch(r"(?:\d{1,2}|[A-Z])(?:\.\d{1,2})*", num):
        level = len(num.split("."))
    elif ctx.level_shift is not None:
        level = max(1, hit.level - ctx.level_shift)
    else:
        level = layout[2] if layout is not None else 1
    return num, title, level, hit.rest


# what an unnumbered title does not hold: a bare number (table cells), '=' or ';', an end stop
_NOT_TITLE = re.compile(r"[=;]|[.,:]$|(?:^|\s)[\d.,%]+(?:\s|$)")
# a title may open with a digit when letters follow in its first word ('2D-Aware Models')
_DIGIT_WORD = re.compile(r"^\d+[-]?[^\W\d_]")


def _layout_heading(ln: Line, ctx: _Ctx) -> HeadingT | None:
    """(number, title, level, run-in rest) if the line's face and numbering open a section."""
    text = ln.text.strip()
    strong = ln.bold >= 0.5 or ln.size >= ctx.body * 1.08
    if len(text) < 2 or ln.math > 0.3 or _CAPTION.match(text):
        return None
    styled = _styled_heading(ln, text, ctx)
    if styled is not None:
        return styled
    clean = text.rstrip(".:").strip().lower()
    if clean in _KNOWN and (strong or text.isupper()) and ln.nwords <= 4:
        return None, text.rstrip(".:").strip(), 1, ""
    m = _APPENDIX_HEAD.match(text)
    if m and (strong or text.isupper()) and ln.nwords <= 14:
        return m.group("num"), m.group("title").strip() or "Appendix", 1, ""
    rest = ""
    cand = text
    if not strong:
        prefix = ln.bold_prefix()
        if not prefix or len(prefix.split()) < 2 or not _NUMBERED.match(prefix):
            return None
        cand, rest = prefix, text[len(prefix):].strip()
    m = _NUMBERED.match(cand) or _ROMAN.match(cand)
    if not m:
        return (None, text, 1, "") if _unnumbered(ln, text, ctx) else None
    num, title = m.group("num"), m.group("title").strip()
    title = re.sub(r"(?<=[a-z])\d$|[∗*†‡]+$", "", title)  # footnote mark: 'Experiments2'
    if rest == "" and ln.nwords > 16:
        return None
    first = title[:1]
    if not (first.isupper() or (first.isalpha() and not first.isascii()) or _DIGIT_WORD.match(title)):
        return None
    if not re.search(r"[^\W\d_]{2,}", title) or title.endswith(","):
        return None
    parts = num.split(".")
    if _ROMAN.match(cand) and not _NUMBERED.match(cand):
        return num, title.rstrip("."), 1, rest
    if parts[0].isalpha():
        if not (ctx.in_appendix or ctx.after_refs) or any(is_math_char(c) for c in title):
            return None
        letter = ord(parts[0]) - 64
        if len(parts) == 1 and not (ctx.last_letter <= letter <= ctx.last_letter + 2):
            return None
        if len(parts) > 1 and not (ctx.last_letter <= letter <= ctx.last_letter + 1):
            return None
    else:
        top = int(parts[0])
        if any(int(p) > 40 for p in parts[1:]):
            return None
        if len(parts) == 1 and not (ctx.last_top <= top <= ctx.last_top + 2):
            return None
        if len(parts) > 1 and not (ctx.last_top <= top <= ctx.last_top + 1):
            return None
    if rest and title.endswith("."):
        title = title[:-1]
    return num, title.rstrip(":").strip(), len(parts), rest


def _unnumbered(ln: Line, text: str, ctx: _Ctx) -> bool:
    """Unnumbered (\\section*) headings: larger and bold, short, no sentence punctuation."""
    big = ln.size >= ctx.body * 1.15 and (ln.bold >= 0.8 or ln.size >= ctx.body * 1.3) and ln.nwords <= 8
    # a whole bold line a little larger than the body (AAAI's 11pt subsections on 10pt)
    big = big or (ln.size >= ctx.body * 1.08 and ln.bold >= 0.9 and ln.nwords <= 10)
    # page-1 names and titles are not sections, unless a heading ('Abstract') came first
    big = big and (ln.page > 0 or ctx.heads > 0)
    first = text[:1]
    return big and (first.isupper() or (first.isalpha() and not first.isascii())) and not _NOT_TITLE.search(text)


_ROMAN_HEAD = re.compile(r"^(?P<num>[IVXL]{1,6})\.\s+(?P<title>[A-Z][^a-z]*)$")
_LETTER_HEAD = re.compile(r"^(?P<num>[A-Z])\.\s+(?P<title>(?:[A-Z]|\d+-?[A-Za-z]).*)$")
_ROMAN_VAL = {"I": 1, "V": 5, "X": 10, "L": 50}


def roman_value(num: str) -> int:
    """Value of a Roman numeral, 0 when it is not one."""
    if not num or any(c not in _ROMAN_VAL for c in num):
        return 0
    vals = [_ROMAN_VAL[c] for c in num]
    return sum(-v if i + 1 < len(vals) and v < vals[i + 1] else v for i, v in enumerate(vals))


def _small_caps(ln: Line, first: int) -> bool:
    """Title words in capitals, some set larger than the line's face (small capitals:
    'I NTRODUCTION' is a 12pt capital then 9.6pt capitals in one font family)."""
    words = ln.words[first:]
    if not words or not all(w["text"].upper() == w["text"] for w in words):
        return False
    return max(w.get("size_max", w["size"]) for w in ln.words) >= ln.size * 1.1


def _styled_heading(ln: Line, text: str, ctx: _Ctx) -> tuple[str | None, str, int, str] | None:
    """Headings that are neither bold nor larger: IEEE Roman-numeral sections in capitals,
    their lettered italic subsections, and numbered small-capital headings (ICLR). Each
    needs a numbering in sequence *and* a distinct face."""
    if ctx.in_appendix and ln.bold >= 0.95 and ln.size >= ctx.body * 0.97 and ln.nwords <= 12:
        # unnumbered appendix subsections (LNCS \subsection*): a whole line in bold at body size
        if text[:1].isupper() and not (_NUMBERED.match(text) or _APPENDIX_HEAD.match(text)) and not re.search(r"[.,;:=]$|^\S+ \d", text) and ln.math < 0.1:
            return None, text, 2, ""
    if ln.nwords > 14 or ctx.after_refs:
        return None
    m = _ROMAN_HEAD.match(text)
    val = roman_value(m.group("num")) if m else 0
    if m and ctx.last_roman < val <= ctx.last_roman + 2 and re.search(r"[A-Z]{2}", m.group("title")):
        ctx.last_roman, ctx.last_sub = val, 0
        return m.group("num"), m.group("title").strip().rstrip("."), 1, ""
    m = _LETTER_HEAD.match(text)
    if m and ctx.last_roman and (ctx.roman_open or not ctx.in_appendix):
        letter = ord(m.group("num")) - 64
        face = all(w.get("italic") or w["bold"] for w in ln.words)
        # next letter, or the one after (one subsection missed must not lose the rest)
        if face and ctx.last_sub < letter <= ctx.last_sub + 2 and not text.endswith((".", ",")) and ln.nwords <= 10:
            ctx.last_sub = letter
            roman = _roman(ctx.last_roman)
            return f"{roman}.{m.group('num')}", m.group("title").strip(), 2, ""
    m = _NUMBERED.match(text)
    if m and m.group("num")[0].isdigit() and _small_caps(ln, 1):
        parts = m.group("num").split(".")
        top = int(parts[0])
        if any(int(p) > 40 for p in parts[1:]):
            return None
        if (len(parts) == 1 and ctx.last_top < top <= ctx.last_top + 2) or (len(parts) > 1 and ctx.last_top <= top <= ctx.last_top + 1):
            return m.group("num"), m.group("title").strip(), len(parts), ""
    return None


def _roman(n: int) -> str:
    out = ""
    for v, r in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + r, n - v
    return out


def _is_equation(ln: Line, ctx: _Ctx) -> bool:
    words = [w["text"] for w in ln.words]
    if not words:
        return False
    left, right = ctx.col(ln)
    numbered = False
    if len(words) >= 2 and _EQ_NUMBER.match(words[-1]):
        gap = ln.words[-1]["x0"] - ln.words[-2]["x1"]
        numbered = gap > 2.5 * ctx.body and ln.words[-1]["x1"] >= right - ctx.body
    prose = sum(1 for w in ln.words if _PROSE_WORD.match(w["text"]) and w["math"] < 0.3)
    if numbered and prose <= 3:
        return True
    indented = ln.x0 > left + 1.5 * ctx.body and ln.x1 < right - 1.0 * ctx.body
    return ln.math >= 0.4 and prose <= 1 and (indented or len(ln.text) < 30)


def _blocks(lines: list[Line], ctx: _Ctx) -> list[Block]:
    """Group lines into headings, paragraphs, captions and equation blocks."""
    walk = _BlockWalk(ctx)
    for ln in lines:
        walk.add(ln)
    return walk.blocks


def _note_heading(ctx: _Ctx, num: str | None, title: str, level: int) -> None:
    """What a heading tells about the document: the last section number, references, appendix."""
    ctx.heads += 1
    if level == 1:
        ctx.roman_open = bool(num and roman_value(num))
    if num and num[0].isdigit():
        ctx.last_top = int(num.split(".")[0])
    elif num and len(num.split(".")[0]) == 1 and num[0].isalpha() and level == 1 and not roman_value(num.split(".")[0]):
        ctx.last_letter = ord(num[0]) - 64
    low = title.lower()
    if kind_for_title(title) == "references":
        ctx.after_refs = True
    elif low.startswith(("appendix", "appendices", "supplementary")) or (num and num[0].isalpha() and not roman_value(num.split(".")[0])):
        ctx.in_appendix = True


class _BlockWalk:
    """Lines to blocks, one line at a time: ``cur`` is the block the next line may continue,
    ``prev`` the last line kept (text inside figures is dropped and does not count)."""

    def __init__(self, ctx: _Ctx) -> None:
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
        h = _heading(ln, self.ctx)
        if h is None:
            return False
        num, title, level, rest = h
        # a heading wrapped onto a second line: same face, directly below
        last, prev = (self.blocks[-1] if self.blocks else None), self.prev
        if (not rest and last is not None and last.kind == "heading" and prev is last.lines[-1]
                and num is None and (last.number is not None or last.level > 1 or last.title.lower() not in _KNOWN)
                and abs(prev.size - ln.size) < 0.3
                and 0 <= ln.top - prev.bottom < 0.6 * ln.size and prev.page == ln.page):
            last.title += " " + title
            last.lines.append(ln)
            return True
        _note_heading(self.ctx, num, title, level)
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
        cap = _CAPTION.match(text)
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
        if _ABSTRACT_RUNIN.match(text):
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


def _near(a: Line, b: Line, ctx: _Ctx, factor: float) -> bool:
    return a.page == b.page and a.col == b.col and -ctx.body < b.top - a.bottom < factor * ctx.body


def _continues(cur: Block, prev: Line, ln: Line, ctx: _Ctx) -> bool:
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


def build(lines: list[Line], page_height: float, outline: OutlineMatch | None = None) -> Structure:
    """Turn ordered lines into the paper's parts; ``outline`` tells which lines show the
    PDF outline's entries (see ``pdf_outline.match_outline``)."""
    out = Structure()
    if not lines:
        return out
    ctx = _Ctx(lines, outline)
    title_lines = _title_lines(lines, ctx, page_height)
    out.title = " ".join(ln.text.strip() for ln in title_lines)
    skip = {id(ln) for ln in title_lines}
    if title_lines:  # notices printed above the title on page 1 are not the paper
        top = title_lines[0].top
        skip |= {id(ln) for ln in lines if ln.page == 0 and ln.bottom < top}
    blocks = _take_authors(_blocks([ln for ln in lines if id(ln) not in skip], ctx), out)
    walk = _SectionWalk(out, ctx)
    for b in blocks:
        walk.add(b)
    walk.finish()
    return out


def _take_authors(blocks: list[Block], out: Structure) -> list[Block]:
    """Front matter (page-1 blocks before the abstract or the first heading) read as the
    authors; the blocks after it."""
    first_head = next((i for i, b in enumerate(blocks) if b.kind == "heading"), len(blocks))
    front = [b for b in blocks[:first_head] if b.lines and b.lines[0].page == 0]
    abstract_inline = next((i for i, b in enumerate(front) if _ABSTRACT_RUNIN.match(b.text)), None)
    if abstract_inline is not None:
        front = front[:abstract_inline]
        first_head = abstract_inline
    if len(front) == first_head and sum(len(b.lines) for b in front) <= 40:
        out.authors = _authors([ln for b in front for ln in b.lines][:16])
        return blocks[first_head:]
    return blocks


class _SectionWalk:
    """Blocks in reading order into sections, abstract, equations, floats and the
    bibliography's blocks; tracks whether the walk is in the appendix or the references."""

    def __init__(self, out: Structure, ctx: _Ctx) -> None:
        self.out = out
        self.ctx = ctx
        self.sections: list[Section] = []
        self.owner: dict[int, Section] = {}  # id(equation/figure/table) -> its section
        self.in_app = False
        self.in_refs = False
        self.current: Section | None = None
        self.abstract: list[str] | None = None
        self.abstract_at: tuple[int, int, float] | None = None
        self.ref_blocks: list[Block] = []

    def add(self, b: Block) -> None:
        if b.kind == "heading":
            self._heading(b)
            return
        if self.in_refs:
            self.ref_blocks.append(b)
            return
        if self._abstract(b):
            return
        if self.current is None:
            untitled = bool(self.out.abstract)
            self.current = Section(id="", title="Untitled section" if untitled else "Front matter",
                                   kind="body" if untitled else "front")
            self.sections.append(self.current)
        self._items(b, self.current)
        self.current.text += b.text + "\n\n"

    def _heading(self, b: Block) -> None:
        kind = kind_for_title(b.title, self.in_app)
        if b.title.lower().rstrip(".:") in ("abstract", "초록", "요약") and not any(s.number for s in self.sections):
            self.abstract = []
            return
        self.abstract = None
        if kind == "references":
            self.in_refs = True
        elif (b.number and b.number[0].isalpha() and not roman_value(b.number.split(".")[0])) or kind == "appendix" or (
            self.in_refs and kind == "body"  # a section after the bibliography is supplementary
        ):
            self.in_app = True
            kind = "appendix"
            self.in_refs = False
        else:
            self.in_refs = False
            if self.in_app and kind == "body":
                kind = "appendix"
        self.current = Section(id="", title=b.title, level=b.level, number=b.number, kind=kind)
        self.sections.append(self.current)

    def _abstract(self, b: Block) -> bool:
        """True when ``b`` belongs to the abstract (and was added to it)."""
        out = self.out
        if self.current is None and self.abstract is None and not out.abstract:
            m = _ABSTRACT_RUNIN.match(b.text)
            if m:  # 'Abstract—text' (IEEE) or 'Abstract. text' (LNCS)
                b.text = b.text[m.end():]
                self.abstract = []
        if self.abstract is None:
            return False
        x = min(ln.x0 for ln in b.lines)
        if self.abstract_at is None:
            self.abstract_at = (b.lines[0].page, b.lines[0].col, x)
        # the abstract is one box: a block elsewhere (next column at another indent,
        # next page) is the untitled start of the body (papers without 'Introduction')
        page, col, ax = self.abstract_at
        if b.lines[0].page == page and b.lines[0].col == col and abs(x - ax) < 0.8 * self.ctx.body:
            self.abstract.append(b.text)
            out.abstract = "\n\n".join(self.abstract)
            return True
        self.abstract = None
        return False

    def _items(self, b: Block, current: Section) -> None:
        """An equation or a caption block becomes an item owned by the current section."""
        out = self.out
        if b.kind == "equation":
            last = b.lines[-1].words[-1]["text"]
            eq = Equation(id=f"eq{len(out.equations) + 1}", text=b.text,
                          label=last if _EQ_NUMBER.match(last) else None)
            out.equations.append(eq)
            self.owner[id(eq)] = current
        elif b.kind == "caption":
            if b.title.lower().startswith(("tab", "표")):
                tb = Table(id=f"table{len(out.tables) + 1}", caption=b.text, number=b.number)
                out.tables.append(tb)
                out.caption_pages[tb.id] = (b.lines[0].page, b.lines[0].top)
                self.owner[id(tb)] = current
            else:
                fig = Figure(id=f"fig{len(out.figures) + 1}", caption=b.text, number=b.number)
                out.figures.append(fig)
                self.owner[id(fig)] = current

    def finish(self) -> None:
        out = self.out
        for s in self.sections:
            s.text = s.text.strip()
        keep = [s for s in self.sections if s.text or s.kind != "front"]
        assign_section_ids(keep)
        for item in [*out.equations, *out.figures, *out.tables]:
            sec = self.owner.get(id(item))
            item.section_id = sec.id if sec is not None and sec in keep else None
        out.sections = keep
        out.references = _references(self.ref_blocks, self.ctx)
        if not out.abstract:
            out.warnings.append("no abstract found")


_ABSTRACT_RUNIN = re.compile(r"^(?:Abstract|ABSTRACT)\s*[—–\-.:]\s*")


def _title_lines(lines: list[Line], ctx: _Ctx, page_height: float) -> list[Line]:
    first = [ln for ln in lines if ln.page == 0 and ln.top < page_height * 0.5 and ln.nwords >= 1]
    if not first:
        return []
    big = max(ln.size for ln in first)
    if big < ctx.body * 1.2:
        return first[:1]
    out: list[Line] = []
    for ln in first:
        if abs(ln.size - big) < 0.6 and re.search(r"[^\W\d_]", ln.text):
            out.append(ln)
        elif out:
            break
    return out


_AFFIL = re.compile(
    r"@|universit|institut|department|dept\.|school|college|laborator|\blab\b|research|inc\.|"
    r"google|microsoft|facebook|meta |deepmind|openai|center|centre|\d{3,}|street|road|avenue|"
    r"correspondence|equal contribution|preprint|proceedings|conference|journal|editor",
    re.I,
)


def _authors(lines: list[Line]) -> list[str]:
    """Names from the lines between title and abstract: segments split at wide gaps
    (author tables), affiliations and e-mails left out, bold words preferred."""
    names: list[str] = []
    for ln in lines:
        segs: list[list[dict]] = [[]]
        for a, b in zip([None, *ln.words], ln.words, strict=False):
            if a is not None and b["x0"] - a["x1"] > 1.2 * ln.size:
                segs.append([])
            segs[-1].append(b)
        any_bold = any(w["bold"] for w in ln.words)
        for seg in segs:
            words = [w["text"] for w in seg if w["bold"] or not any_bold]
            text = re.sub(r"[∗*†‡§¶\d]+", ",", " ".join(words))
            if not words or _AFFIL.search(text):
                continue
            for part in re.split(r",|\band\b|&|·", text):
                part = part.strip(" .;")
                ws = part.split()
                if 2 <= len(ws) <= 5 and ws[0][:1].isupper() and ws[-1][:1].isupper() and "@" not in part:
                    names.append(part)
                elif len(ws) == 1 and not part.isascii() and len(part) >= 2 and part.isalpha():
                    names.append(part)  # e.g. Korean names are one word
    return names[:30]


def _references(blocks: list[Block], ctx: _Ctx) -> list[Reference]:
    lines = [ln for b in blocks for ln in b.lines if b.kind != "heading"]
    if not lines:
        return []
    entries: list[str] = []
    numbered = sum(1 for ln in lines if _REF_START.match(ln.text)) >= max(2, len(lines) // 8)
    cur = ""
    prev: Line | None = None
    for ln in lines:
        left, _ = ctx.col(ln)
        if numbered:
            start = bool(_REF_START.match(ln.text))
        else:
            # hanging indent: entries start flush left, continuations are indented;
            # without indentation a vertical gap separates entries
            hanging = ln.x0 <= left + 0.5 * ctx.body
            gap = prev is not None and prev.page == ln.page and prev.col == ln.col and ln.top - prev.bottom > 0.45 * ln.size
            start = hanging and (gap or _indented_style(lines, ctx)) or prev is None
        if start and cur:
            entries.append(cur)
            cur = ""
        cur = dehyphen_join(cur, ln.text.strip())
        prev = ln
    if cur:
        entries.append(cur)
    return [Reference(id=f"ref{i + 1}", text=t) for i, t in enumerate(entries) if len(t) > 10]


def _indented_style(lines: list[Line], ctx: _Ctx) -> bool:
    indented = sum(1 for ln in lines if ln.x0 > ctx.col(ln)[0] + 0.5 * ctx.body)
    return indented >= len(lines) * 0.25
