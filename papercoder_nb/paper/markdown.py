"""Markdown and plain-text papers.

Headings (``#``-style) become sections; a first level-1 heading is the title; a
section called Abstract becomes the abstract. Plain text without headings becomes one
section, so any text a user pastes still runs.
"""

from __future__ import annotations

import re
from pathlib import Path

from .model import Equation, Paper, PaperMeta, Section, assign_section_ids, kind_for_title

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)*|[A-Z](?:\.\d+)+|[A-Z](?=\.))\.?\s+(.+)$")
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.S)


def parse_markdown(text: str, source: str = "", sha256: str = "", source_type: str = "markdown") -> Paper:
    title, abstract_lines, sections, preamble = _read_lines(text)
    abstract_lines = _place_preamble("\n".join(preamble).strip(), sections, abstract_lines)
    for s in sections:
        s.text = s.text.strip()
    assign_section_ids(sections)
    paper = Paper(
        title=title or (Path(source).stem if source else "Untitled paper"),
        abstract="\n".join(abstract_lines).strip(),
        sections=sections,
        equations=_display_equations(sections),
        meta=PaperMeta(source_type=source_type, source=source, sha256=sha256),
    )
    if not sections:
        paper.meta.warnings.append("no sections found: the text has no '#' headings")
    return paper.finalize()


def _read_lines(text: str) -> tuple[str, list[str], list[Section], list[str]]:
    """(title, abstract lines, sections with their text, lines before the first section);
    a ``#`` inside a fenced code block is not a heading."""
    title = ""
    abstract_lines: list[str] = []
    sections: list[Section] = []
    current: Section | None = None
    in_abstract = False
    in_appendix = False
    preamble: list[str] = []
    fence = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fence = not fence
        m = None if fence else _HEADING.match(line)
        if m:
            level, heading = len(m.group(1)), m.group(2).strip()
            if level == 1 and not title and not sections:
                title = heading
                continue
            if heading.lower() in ("abstract", "summary") and not sections:
                in_abstract = True
                continue
            in_abstract = False
            number = None
            nm = _NUMBER.match(heading)
            if nm:
                number, heading = nm.group(1), nm.group(2)
            if re.match(r"^(appendix|appendices)\b", heading, re.I):
                in_appendix = True
            current = Section(
                id="", title=heading, level=max(1, level - 1 if title else level),
                number=number, kind=kind_for_title(heading, in_appendix),
            )
            sections.append(current)
            continue
        if in_abstract:
            abstract_lines.append(line)
        elif current is None:
            preamble.append(line)
        else:
            current.text += line + "\n"
    return title, abstract_lines, sections, preamble


def _place_preamble(pre: str, sections: list[Section], abstract_lines: list[str]) -> list[str]:
    """Text before the first heading: the only section, else the abstract when there is
    none, else a front-matter section; returns the abstract's lines."""
    if pre:
        if not sections and not abstract_lines:
            sections.append(Section(id="", title="Text", text=pre))
        elif not abstract_lines:
            abstract_lines = [pre]
        else:
            sections.insert(0, Section(id="", title="Front matter", text=pre, kind="front"))
    return abstract_lines


def _display_equations(sections: list[Section]) -> list[Equation]:
    equations = []
    for s in sections:
        for m in _DISPLAY_MATH.finditer(s.text):
            tex = (m.group(1) or m.group(2)).strip()
            equations.append(Equation(id=f"eq{len(equations) + 1}", section_id=s.id, latex=tex, text=tex))
    return equations
