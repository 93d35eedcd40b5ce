"""LaTeX spans kept as source: the notation macros equations use, tabular rows as cells."""

from __future__ import annotations

import re

from .latex_text import Macro, group, to_text


def notation(macros: dict[str, Macro], equations: list[str]) -> list[str]:
    """The definitions of the macros the display equations use (directly or through another
    macro), written back as ``\\newcommand`` lines in the order of first use."""
    used: list[str] = []
    todo = list(equations)
    while todo:
        src = todo.pop(0)
        for m in re.finditer(r"\\[A-Za-z]+", src):
            name = m.group(0)
            if name in macros and name not in used:
                used.append(name)
                todo.append(macros[name].body)
    out = []
    for name in used:
        mac = macros[name]
        args = f"[{mac.nargs}]" if mac.nargs else ""
        default = f"[{mac.default}]" if mac.default is not None else ""
        out.append(f"\\newcommand{{{name}}}{args}{default}{{{mac.body}}}")
    return out


_RULES = re.compile(r"\\(?:rule(?:\[[^\]]*\])?\{[^}]*\}\{[^}]*\}|specialrule\{[^}]*\}\{[^}]*\}\{[^}]*\}|hline|toprule|midrule|bottomrule|hhline\{[^}]*\}|cline\{[^}]*\}|cmidrule(?:\([^)]*\))?\{[^}]*\}|addlinespace(?:\[[^\]]*\])?|rowcolor(?:\[[^\]]*\])?\{[^}]*\})")
_SPAN = re.compile(r"\\(multicolumn|multirow)\s*(?=\{)")


def _spans(row: str) -> str:
    """\\multicolumn{n}{spec}{x} → x and n-1 empty cells; \\multirow{n}{w}{x} → x."""
    out, pos = [], 0
    for m in _SPAN.finditer(row):
        if m.start() < pos:
            continue
        n = group(row, m.end())
        if n is None:
            continue
        i = n[1]
        opt = group(row, i, "[", "]")  # \multirow{n}[bigstruts]{width}{text}
        i = opt[1] if opt else i
        mid = group(row, i)
        body = group(row, mid[1]) if mid else None
        if body is None:
            continue
        extra = int(n[0]) - 1 if m.group(1) == "multicolumn" and n[0].strip().isdigit() else 0
        out.append(row[pos : m.start()] + body[0] + " &" * extra)
        pos = body[1]
    out.append(row[pos:])
    return "".join(out)


def _matching_end(text: str, start: int, env: str) -> int:
    """Where the environment opened before ``start`` ends (same-name nesting counted)."""
    depth = 1
    for m in re.finditer(r"\\(begin|end)\{" + re.escape(env) + r"\}", text[start:]):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return start + m.start()
    return len(text)


def _nested_cells(table: str) -> str:
    """A tabular inside a cell (stacked lines) is one cell: its rows joined by spaces."""
    table = re.sub(r"\\verb(.)(.*?)\1", r"\\texttt{\2}", table)
    inner = re.compile(r"\\begin\{(tabular|array|minipage)\}(?:\[[^\]]*\])?\{[^{}]*\}((?:(?!\\begin\{).)*?)\\end\{\1\}", re.S)
    while (m := inner.search(table)) is not None:
        cell = re.sub(r"\\\\|(?<!\\)&", " ", m.group(2))
        table = table[: m.start()] + cell + table[m.end() :]
    return table


def tabular_rows(inner: str) -> list[list[str]]:
    """The cells of the first tabular-like environment in a float, rules dropped."""
    # tabular, tabular*, tabularx, supertabular, xtabular, longtable, tabu, tblr…
    m = re.search(r"\\begin\{([a-z]*tabular[a-z]*\*?|longtable\*?|tabu|tblr)\}", inner)
    if not m:
        return []
    i = m.end()
    opt = group(inner, i, "[", "]")
    i = opt[1] if opt else i
    if m.group(1) in ("tabular*", "tabularx", "tabulary", "xtabular*", "supertabular*"):
        g = group(inner, i)  # width
        i = g[1] if g else i
    g = group(inner, i)  # column spec
    i = g[1] if g else i
    table = _nested_cells(inner[i : _matching_end(inner, i, m.group(1))])
    rows = []
    for row in re.split(r"\\\\(?:\s*\[[^\]]*\])?|\\tabularnewline", table):
        row = _spans(_RULES.sub("", row))
        cells = [to_text(c).strip() for c in re.split(r"(?<!\\)&", row)]
        if any(cells):
            rows.append(cells)
    return rows


# algorithmic(x) and algorithm2e step commands; "\;" ends an algorithm2e line
_STEP = re.compile(
    r"\\(State|STATE|Statex|Require|REQUIRE|Ensure|ENSURE|ForAll|For|FOR|EndFor|ENDFOR|ElsIf|ElseIf|Else|ELSE|"
    r"eIf|uIf|If|IF|EndIf|ENDIF|While|WHILE|EndWhile|ENDWHILE|Repeat|REPEAT|Until|UNTIL|Return|RETURN|"
    r"KwIn|KwOut|KwData|KwResult|KwRet|Input|Output|Procedure|Function|EndProcedure|EndFunction)\b|\\;"
)
_NAMES = {"kwin": "input", "kwout": "output", "kwdata": "data", "kwresult": "result", "kwret": "return",
          "eif": "if", "uif": "if", "forall": "for all", "elsif": "else if", "elseif": "else if"}


def algorithm_steps(inner: str, labels: dict[str, str]) -> str:
    """An algorithm float as one step per line (keyword, then the step's text)."""
    inner = re.sub(r"\\caption\s*(?:\[[^\]]*\])?\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\label\{[^}]*\}", "", inner)
    inner = re.sub(r"\\(?:SetAlgoLined|BlankLine|DontPrintSemicolon|LinesNumbered|SetKw\w*\{[^}]*\}\{[^}]*\})", "", inner)
    inner = re.sub(r"^\s*\[[^\]]*\]", "", inner)  # placement [t]
    inner = re.sub(r"\\begin\{algorithmic\}(?:\[[^\]]*\])?|\\end\{algorithmic\}", "", inner)
    steps, pos, word = [], 0, ""
    for m in _STEP.finditer(inner):
        steps.append((word, inner[pos : m.start()]))
        word = _NAMES.get((m.group(1) or "").lower(), (m.group(1) or "").lower())
        pos = m.end()
    steps.append((word, inner[pos:]))
    lines = []
    for w, body in steps:
        text = " ".join(to_text(body, labels).split())
        if text or w.startswith("end"):
            lines.append(f"- {w} {text}".replace("-  ", "- ").rstrip())
    return "\n".join(lines)
