"""PaperCoder's s2orc JSON (GROBID output, raw or cleaned).

Paragraphs carry their section name and number; consecutive paragraphs of one section
become one Section. GROBID keeps the word EQUATION where a formula stood, so those
paragraphs are kept as equations with a warning that the math itself was lost.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import PaperError
from .model import (
    Equation,
    Figure,
    Paper,
    PaperMeta,
    Reference,
    Section,
    Table,
    assign_section_ids,
    kind_for_title,
)
from .render import html_table_rows

# GROBID sometimes glues the copyright notice in front of the title.
_NOTICE = re.compile(r"^.*?(solely for use in journalistic or scholarly works\.)\s*", re.I)


def looks_like_s2orc(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("pdf_parse"), dict)


def parse_s2orc(data: dict[str, Any], source: str = "", sha256: str = "") -> Paper:
    if not looks_like_s2orc(data):
        raise PaperError(
            f"{source or 'JSON'} is not an s2orc paper (no 'pdf_parse' object); "
            "pass a PDF, LaTeX, Markdown, or PaperCoder's *_cleaned.json"
        )
    parse = data["pdf_parse"]
    title = _NOTICE.sub("", str(data.get("title") or "")).strip()
    authors = _authors(data)
    abstract = "\n\n".join(p.get("text", "") for p in parse.get("abstract") or []) or str(
        data.get("abstract") or ""
    )
    sections, equations, lost_math, cited_in = _sections(parse)
    figures, tables = _floats(parse, cited_in)
    references = [
        Reference(id=key, text=(b.get("raw_text") or b.get("title") or "").strip(), title=b.get("title"))
        for key, b in _ref_entries(parse.get("bib_entries"))
    ]
    paper = Paper(
        title=title or str(data.get("paper_id") or "Untitled paper"),
        authors=authors,
        abstract=abstract.strip(),
        sections=sections,
        equations=equations,
        figures=figures,
        tables=tables,
        references=references,
        meta=PaperMeta(source_type="s2orc", source=source, sha256=sha256),
    )
    if lost_math:
        paper.meta.warnings.append(
            f"{lost_math} equations were lost by GROBID (the JSON keeps only 'EQUATION'); "
            "load the PDF or LaTeX source to keep the math"
        )
    return paper.finalize()


def _authors(data: dict[str, Any]) -> list[str]:
    authors = []
    for a in data.get("authors") or []:
        if isinstance(a, dict):
            name = " ".join(x for x in [a.get("first", ""), *a.get("middle", []), a.get("last", "")] if x)
            if name:
                authors.append(name)
    return authors


def _sections(parse: dict[str, Any]) -> tuple[list[Section], list[Equation], int, dict[str, str]]:
    """(sections, equations, how many formulas GROBID lost, table key → the id of the
    section that first cites it): consecutive paragraphs of one section make one."""
    sections: list[Section] = []
    equations: list[Equation] = []
    lost_math = 0
    cited_in: dict[str, Any] = {}  # table key → the section that first cites it
    for para in list(parse.get("body_text") or []) + list(parse.get("back_matter") or []):
        name = (para.get("section") or "").strip() or "Body"
        number = para.get("sec_num")
        cur = sections[-1] if sections else None
        if cur is None or cur.title != name or cur.number != number:
            level = number.count(".") + 1 if number else 1
            in_app = any(s.kind == "appendix" for s in sections)
            cur = Section(id="", title=name, level=level, number=number, kind=kind_for_title(name, in_app))
            sections.append(cur)
        text = para.get("text", "").strip()
        if text == "EQUATION" or para.get("eq_spans") and text.startswith("EQUATION"):
            lost_math += 1
            equations.append(Equation(id=f"eq{len(equations) + 1}", text="(formula lost by GROBID)"))
            text = f"[equation {len(equations)}: formula not available in this source]"
        cur.text += text + "\n\n"
        for span in para.get("ref_spans") or []:  # a table stands where the text first cites it
            cited_in.setdefault(span.get("ref_id"), cur)
    for s in sections:
        s.text = s.text.strip()
    assign_section_ids(sections)
    return sections, equations, lost_math, {k: sec.id for k, sec in cited_in.items()}


def _floats(parse: dict[str, Any], cited_in: dict[str, str]) -> tuple[list[Figure], list[Table]]:
    figures: list[Figure] = []
    tables: list[Table] = []
    for key, entry in _ref_entries(parse.get("ref_entries")):
        caption = (entry.get("text") or "").strip()
        if entry.get("type_str") == "table":
            tables.append(Table(id=key, caption=caption, number=entry.get("fig_num") or str(len(tables) + 1), section_id=cited_in.get(key),
                                rows=html_table_rows(entry.get("content") or "")))
        else:
            figures.append(Figure(id=key, caption=caption, number=entry.get("fig_num")))
    return figures, tables


def _ref_entries(entries: Any) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(entries, dict):
        return [(k, v) for k, v in entries.items() if isinstance(v, dict)]
    if isinstance(entries, list):
        return [(e[0], e[1]) for e in entries if isinstance(e, list | tuple) and len(e) == 2]
    return []


def load_s2orc_text(text: str, source: str, sha256: str) -> Paper:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise PaperError(f"{source}: not valid JSON ({e}); pass a PDF, LaTeX or Markdown file instead") from e
    return parse_s2orc(data, source, sha256)
