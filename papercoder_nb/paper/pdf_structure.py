"""Document structure from ordered PDF lines: title, abstract, sections, equations,
captions and references.

Layout-agnostic heuristics, each backed by two signals so one odd style doesn't fool
it: a heading needs a number pattern *and* a bold or larger font (or a well-known name
like 'References'); a display equation needs mostly math glyphs *and* no prose, or a
right-aligned equation number set apart by a wide gap. The headings are found in
``pdf_headings``, the lines grouped into blocks in ``pdf_blocks``; this module
assembles the blocks into the paper's parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Equation, Figure, Reference, Section, Table, assign_section_ids, kind_for_title
from .pdf_blocks import ABSTRACT_RUNIN, EQ_NUMBER, Block, dehyphen_join, group_blocks
from .pdf_headings import DocContext, roman_value
from .pdf_layout import Line
from .pdf_outline import OutlineMatch

_REF_START = re.compile(r"^\[\d+\]|^\d{1,3}\.\s+[A-Z]")


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


def build(lines: list[Line], page_height: float, outline: OutlineMatch | None = None) -> Structure:
    """Turn ordered lines into the paper's parts; ``outline`` tells which lines show the
    PDF outline's entries (see ``pdf_outline.match_outline``)."""
    out = Structure()
    if not lines:
        return out
    ctx = DocContext(lines, outline)
    title_lines = _title_lines(lines, ctx, page_height)
    out.title = " ".join(ln.text.strip() for ln in title_lines)
    skip = {id(ln) for ln in title_lines}
    if title_lines:  # notices printed above the title on page 1 are not the paper
        top = title_lines[0].top
        skip |= {id(ln) for ln in lines if ln.page == 0 and ln.bottom < top}
    blocks = _take_authors(group_blocks([ln for ln in lines if id(ln) not in skip], ctx), out)
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
    abstract_inline = next((i for i, b in enumerate(front) if ABSTRACT_RUNIN.match(b.text)), None)
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

    def __init__(self, out: Structure, ctx: DocContext) -> None:
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
            m = ABSTRACT_RUNIN.match(b.text)
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
                          label=last if EQ_NUMBER.match(last) else None)
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



def _title_lines(lines: list[Line], ctx: DocContext, page_height: float) -> list[Line]:
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


def _references(blocks: list[Block], ctx: DocContext) -> list[Reference]:
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


def _indented_style(lines: list[Line], ctx: DocContext) -> bool:
    indented = sum(1 for ln in lines if ln.x0 > ctx.col(ln)[0] + 0.5 * ctx.body)
    return indented >= len(lines) * 0.25
