"""Table cells kept: the cells of a LaTeX paper's tabular environments vs a text.

Truth is the LaTeX source itself (not our LaTeX parser): every tabular, tabular*, tabularx,
tabulary, longtable and supertabular body is split at ``\\\\`` and ``&`` (outside braces),
rules and \\multicolumn/\\multirow arguments dropped, the rest turned to text by pylatexenc.
A cell is kept when its words appear, in order and as whole words, in the text; cells
with fewer than two letters or digits (single digits, marks, images) are not counted,
since they appear anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from _equations import latex_body
from pylatexenc.latex2text import LatexNodes2Text

# environment -> (optional [..] first?, number of {..} arguments before the body)
_ENVS = {"tabular": 1, "tabular*": 2, "tabularx": 2, "tabulary": 2, "longtable": 1, "supertabular": 1}
_BEGIN = re.compile(r"\\begin\{(" + "|".join(re.escape(e) for e in _ENVS) + r")\}")
_RULES = re.compile(
    r"\\(?:toprule|midrule|bottomrule|hline|addlinespace|specialrule|hhline|cline|cmidrule|rowcolor|arrayrulecolor)"
    r"(?:\([^)]*\))?(?:\[[^\]]*\])?(?:\{[^{}]*\})*"
)
_DROP = re.compile(r"\\(?:includegraphics|rule|vspace|hspace|raisebox)\*?(?:\[[^\]]*\])?(?:\{[^{}]*\})*")
_SPAN = re.compile(r"\\multicolumn\{[^{}]*\}\{[^{}]*\}|\\multirow\{[^{}]*\}(?:\[[^\]]*\])?\{[^{}]*\}(?:\[[^\]]*\])?")
_TOKEN = re.compile(r"[^\W_]+(?:[.,][^\W_]+)*")


def _group_end(src: str, i: int, open_: str, close: str) -> int:
    """Index after the group opening at ``src[i]``, braces nested."""
    depth = 0
    for j in range(i, len(src)):
        if src[j] == "\\":
            continue
        if src[j] == open_ and (j == 0 or src[j - 1] != "\\"):
            depth += 1
        elif src[j] == close and src[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(src)


def _bodies(src: str) -> list[str]:
    out = []
    for m in _BEGIN.finditer(src):
        env = m.group(1)
        i = m.end()
        while i < len(src) and src[i] in " \t\n":
            i += 1
        if i < len(src) and src[i] == "[":
            i = _group_end(src, i, "[", "]")
        for _ in range(_ENVS[env]):
            while i < len(src) and src[i] in " \t\n":
                i += 1
            if i < len(src) and src[i] == "{":
                i = _group_end(src, i, "{", "}")
            if i < len(src) and src[i] == "[":  # tabularx's optional position between arguments
                i = _group_end(src, i, "[", "]")
        end = src.find("\\end{" + env + "}", i)
        out.append(src[i:end if end >= 0 else len(src)])
    return out


def _split(body: str) -> list[str]:
    """Cells of a table body: split at & and \\\\ outside braces."""
    cells, cur, depth, i = [], [], 0, 0
    while i < len(body):
        c = body[i]
        if c == "\\" and body[i:i + 2] == "\\\\" and depth == 0:
            cells.append("".join(cur))
            cur, i = [], i + 2
            continue
        if c == "\\":
            cur.append(body[i:i + 2])
            i += 2
            continue
        if c in "{}":
            depth += 1 if c == "{" else -1
        if c == "&" and depth == 0:
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur))
    return cells


def key(text: str) -> str:
    return " ".join(t.lower() for t in _TOKEN.findall(text))


def table_cells(tex: Path) -> list[str]:
    """Keys of the cells of the paper's tables (empty and one-character cells left out)."""
    conv = LatexNodes2Text()
    out = []
    for body in _bodies(latex_body(tex)):
        for raw in _split(body):
            raw = _SPAN.sub("", _DROP.sub("", _RULES.sub("", raw)))
            try:
                text = conv.latex_to_text(raw)
            except Exception:  # a cell pylatexenc cannot read is judged on its source
                text = raw
            k = key(text)
            if len(k.replace(" ", "")) >= 2:
                out.append(k)
    return out


def kept(cells: list[str], text: str) -> int:
    """How many of ``cells`` (keys) appear in ``text``: as whole words, or (math, where the
    PDF glues 'n2' that LaTeX spells 'n^2') without spaces inside one line."""
    flat = " " + key(text) + " "
    lines = [key(ln).replace(" ", "") for ln in text.splitlines()]
    n = 0
    for c in cells:
        if f" {c} " in flat:
            n += 1
        else:
            compact = c.replace(" ", "")
            n += any(compact in ln for ln in lines)
    return n
