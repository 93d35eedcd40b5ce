"""The parsed paper: what every stage reads.

One model for every source (Markdown, s2orc JSON, PDF, LaTeX) so stages never care where
a paper came from. Section ids are derived from number and title, so re-parsing the same
source gives the same ids and a stored section selection stays valid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from .render import notation_block, table_block
from .tokens import estimate_tokens

SectionKind = Literal["body", "appendix", "references", "acknowledgements", "front"]


class Section(BaseModel):
    id: str
    title: str
    level: int = 1
    number: str | None = None
    text: str = ""
    kind: SectionKind = "body"

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.title) + estimate_tokens(self.text)


class Equation(BaseModel):
    id: str
    section_id: str | None = None
    latex: str | None = None  # known for LaTeX sources only
    text: str = ""  # the math characters as they stand in the source (PDF)
    label: str | None = None


class Figure(BaseModel):
    id: str
    section_id: str | None = None
    caption: str
    label: str | None = None
    number: str | None = None


class Table(BaseModel):
    id: str
    section_id: str | None = None
    caption: str = ""
    label: str | None = None
    number: str | None = None
    rows: list[list[str]] = Field(default_factory=list)


class Reference(BaseModel):
    id: str
    text: str
    title: str | None = None


class PaperMeta(BaseModel):
    source_type: str
    source: str = ""
    sha256: str = ""
    pages: int | None = None
    token_estimate: int = 0
    warnings: list[str] = Field(default_factory=list)


class Paper(BaseModel):
    title: str = ""
    authors: list[str] = Field(default_factory=list)
    abstract: str = ""
    sections: list[Section] = Field(default_factory=list)
    equations: list[Equation] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    # the paper's own macro definitions (LaTeX sources), shown once so equations read as written
    notation: list[str] = Field(default_factory=list)
    meta: PaperMeta

    def finalize(self) -> Paper:
        """Fill the token estimate; call once a loader has built the paper."""
        self.meta.token_estimate = estimate_tokens(self.to_prompt_text())
        return self

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"no section with id {section_id!r}")

    def select(self, dropped: Iterable[str]) -> Paper:
        """The paper without the dropped sections (and their equations, figures, tables)."""
        drop = set(dropped)
        unknown = drop - {s.id for s in self.sections}
        if unknown:
            raise KeyError(f"unknown section ids: {sorted(unknown)}")
        keep = lambda items: [x for x in items if x.section_id not in drop]  # noqa: E731
        paper = self.model_copy(
            update={
                "sections": [s for s in self.sections if s.id not in drop],
                "equations": keep(self.equations),
                "figures": keep(self.figures),
                "tables": keep(self.tables),
            },
            deep=True,
        )
        return paper.finalize()

    def to_prompt_text(self, max_tokens: int | None = None) -> str:
        """The paper as the models read it: Markdown, headings with section ids.

        With ``max_tokens`` the text is condensed rather than refused: references and
        appendices go first, then every section is cut proportionally (ends marked).
        """
        text = self._render(self.sections, per_section_chars=None)
        if max_tokens is None or estimate_tokens(text) <= max_tokens:
            return text
        sections = [s for s in self.sections if s.kind not in ("references", "acknowledgements")]
        text = self._render(sections, None)
        if estimate_tokens(text) <= max_tokens:
            return text
        sections = [s for s in sections if s.kind != "appendix"] or sections
        text = self._render(sections, None)
        # Shrink every section to the same character cap until the whole fits.
        cap = max((len(self._body(s)) for s in sections), default=0)
        while estimate_tokens(text) > max_tokens and cap > 80:
            cap = int(cap * 0.8)
            text = self._render(sections, cap)
        if estimate_tokens(text) > max_tokens:  # only headings left: hard cut
            text = text[: max_tokens * 3]
        return text

    def _render(self, sections: list[Section], per_section_chars: int | None) -> str:
        parts = [f"# {self.title or 'Untitled paper'}"]
        if self.abstract:
            abstract = self.abstract
            if per_section_chars is not None and len(abstract) > per_section_chars:
                abstract = abstract[:per_section_chars] + " […]"
            parts.append(f"## Abstract\n{abstract}")
        if self.notation:
            parts.append(notation_block(self.notation))
        ids = {s.id for s in self.sections}
        for s in sections:
            body = self._body(s)
            if per_section_chars is not None and len(body) > per_section_chars:
                body = body[:per_section_chars].rsplit(" ", 1)[0] + " […]"
            num = f"{s.number} " if s.number else ""
            marks = "#" * min(2 + s.level - 1, 6)
            tag = " (appendix)" if s.kind == "appendix" else ""
            parts.append(f"{marks} {num}{s.title}{tag} {{#{s.id}}}\n{body}".rstrip())
        loose = [t for t in self.tables if t.rows and t.section_id not in ids]
        if loose:  # sources that don't say where a table stands (s2orc without a reference to it)
            parts.append("## Tables\n" + self._with_tables("", loose).strip())
        return "\n\n".join(parts) + "\n"

    def _body(self, s: Section) -> str:
        return self._with_tables(s.text, [t for t in self.tables if t.section_id == s.id])

    @staticmethod
    def _with_tables(body: str, tables: list[Table]) -> str:
        """The section text with its tables' rows; a loader that already put a table in
        place (LaTeX) wrote the same block, so it is not repeated."""
        for t in tables:
            if not t.rows:
                continue
            block = table_block(f"Table {t.number or t.id}", t.caption, t.rows)
            if block.split("\n\n", 1)[-1] not in body:
                body = f"{body}\n\n{block}".strip()
        return body

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json(exclude={"meta"}).encode()).hexdigest()


def slugify(text: str, limit: int = 48) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:limit].rstrip("-") or "section"


def assign_section_ids(sections: list[Section]) -> list[Section]:
    """Give sections ids from number + title, unique within the paper."""
    seen: dict[str, int] = {}
    for s in sections:
        base = slugify(f"{s.number or ''} {s.title}")
        n = seen.get(base, 0)
        seen[base] = n + 1
        s.id = base if n == 0 else f"{base}-{n + 1}"
    return sections


_KIND_PATTERNS: list[tuple[SectionKind, re.Pattern[str]]] = [
    ("references", re.compile(r"^(references|bibliography|literature cited|참고\s*문헌)$", re.I)),
    ("acknowledgements", re.compile(r"^acknowledge?ments?$", re.I)),
]


def kind_for_title(title: str, in_appendix: bool = False) -> SectionKind:
    clean = re.sub(r"^[\dA-Z]+(\.\d+)*\.?\s+", "", title.strip()).strip()
    for kind, pat in _KIND_PATTERNS:
        if pat.match(clean) or pat.match(title.strip()):
            return kind
    if in_appendix or re.match(r"^(appendix|appendices|supplementary)", clean, re.I):
        return "appendix"
    return "body"
