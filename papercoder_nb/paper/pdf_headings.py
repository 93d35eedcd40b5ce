"""Section headings in ordered PDF lines: the document's context (body size, columns,
the outline's hits, the numbering seen so far), the signals that make a line a heading
(a number pattern *and* a bold or larger face, a distinctive small-capital or italic face,
a well-known name like 'References', or the PDF outline), and the numbering itself
(Arabic, lettered appendix, IEEE Roman sections) that must run in sequence.
"""

from __future__ import annotations

import re
from collections import Counter

from .model import kind_for_title
from .pdf_layout import Line, is_math_char
from .pdf_outline import Hit, OutlineMatch, strip_number

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>\S.*)$")
_ROMAN = re.compile(r"^(?P<num>[IVX]{1,5})\.\s+(?P<title>[A-Z].*)$")
_APPENDIX_HEAD = re.compile(r"^(?:Appendix|APPENDIX)\s+(?P<num>[A-Z])(?:[.:]\s*|\s+)(?P<title>.*)$")
KNOWN_HEADINGS = {
    "abstract", "introduction", "references", "bibliography", "acknowledgements",
    "acknowledgments", "acknowledgement", "acknowledgment", "appendix", "appendices",
    "related work", "conclusion", "conclusions", "discussion", "supplementary material",
    "broader impact", "limitations", "background", "참고문헌", "참고 문헌", "초록", "요약",
    "감사의 글", "부록",
}
CAPTION = re.compile(
    r"^(?P<kind>Figure|Fig\.|FIGURE|Table|TABLE|Tab\.|그림|표)\s*(?P<num>[A-Z]?\d+(?:\.\d+)?|[IVX]+)(?:\s*[:.|]\s*|$)"
)


class DocContext:
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


def find_heading(ln: Line, ctx: DocContext) -> HeadingT | None:
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


def _outline_heading(ln: Line, hit: Hit, ctx: DocContext) -> HeadingT:
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


def _layout_heading(ln: Line, ctx: DocContext) -> HeadingT | None:
    """(number, title, level, run-in rest) if the line's face and numbering open a section."""
    text = ln.text.strip()
    strong = ln.bold >= 0.5 or ln.size >= ctx.body * 1.08
    if len(text) < 2 or ln.math > 0.3 or CAPTION.match(text):
        return None
    styled = _styled_heading(ln, text, ctx)
    if styled is not None:
        return styled
    clean = text.rstrip(".:").strip().lower()
    if clean in KNOWN_HEADINGS and (strong or text.isupper()) and ln.nwords <= 4:
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


def _unnumbered(ln: Line, text: str, ctx: DocContext) -> bool:
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


def _styled_heading(ln: Line, text: str, ctx: DocContext) -> tuple[str | None, str, int, str] | None:
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




def note_heading(ctx: DocContext, num: str | None, title: str, level: int) -> None:
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

