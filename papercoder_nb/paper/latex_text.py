"""LaTeX source → readable text, without running TeX.

Helpers for ``latex``: comment stripping, brace matching, safe expansion of simple user
macros, and turning a LaTeX fragment into plain text that keeps inline math as ``$…$``.
Anything unknown degrades to its argument text rather than failing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_COMMENT = re.compile(r"(?<!\\)%.*")


def strip_comments(text: str) -> str:
    text = re.sub(r"\\begin\{comment\}.*?\\end\{comment\}", "", text, flags=re.S)
    text = re.sub(r"\\iffalse\b.*?\\fi\b", "", text, flags=re.S)
    out = []
    for line in text.splitlines():
        if "%" in line:
            line = _strip_line_comment(line)
        out.append(line)
    return "\n".join(out)


def _strip_line_comment(line: str) -> str:
    i = 0
    while True:
        j = line.find("%", i)
        if j < 0:
            return line
        # a % is escaped when preceded by an odd number of backslashes
        k, n = j - 1, 0
        while k >= 0 and line[k] == "\\":
            n += 1
            k -= 1
        if n % 2 == 0:
            return line[:j].rstrip() if line[:j].strip() else ""
        i = j + 1


def group(text: str, start: int, open_: str = "{", close: str = "}") -> tuple[str, int] | None:
    """The balanced group opening at ``start`` (skipping spaces): (content, end index)."""
    i = start
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text) or text[i] != open_:
        return None
    depth = 0
    j = i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
        j += 1
    return None


@dataclass
class Macro:
    name: str
    nargs: int
    body: str
    default: str | None = None


_DEF_START = re.compile(r"\\(?:re|provide)?newcommand\*?\s*|\\DeclareMathOperator\*?\s*|\\def\s*")


def collect_macros(text: str) -> dict[str, Macro]:
    """Simple user macros: \\newcommand{\\x}[n]{body}, \\def\\x{body},
    \\DeclareMathOperator{\\x}{op}. Anything with parameters \\def can't express simply
    (delimited args) is left alone."""
    macros: dict[str, Macro] = {}
    for m in _DEF_START.finditer(text):
        kind = m.group(0).strip()
        i = m.end()
        g = group(text, i)
        if g is not None:
            name, i = g[0].strip(), g[1]
        else:
            nm = re.match(r"\s*(\\[A-Za-z@]+|\\.)", text[i:])
            if not nm:
                continue
            name, i = nm.group(1), i + nm.end()
        if not re.fullmatch(r"\\[A-Za-z]+", name):
            continue
        nargs, default = 0, None
        if kind.startswith("\\def"):
            if re.match(r"\s*#", text[i:]):
                continue  # \def with parameters: not simple
        else:
            a = re.match(r"\s*\[(\d)\]", text[i:])
            if a:
                nargs, i = int(a.group(1)), i + a.end()
                d = group(text, i, "[", "]")
                if d is not None:
                    default, i = d
        body = group(text, i)
        if body is None:
            continue
        b = body[0]
        if kind.startswith("\\DeclareMathOperator"):
            b = "\\operatorname{" + b + "}"
        if re.search(r"\\(?:new|renew|provide)command|\\def\b|\\begin|\\end|\\makeatletter|\\csname|\\expandafter|@", b):
            continue
        if re.search(re.escape(name) + r"(?![A-Za-z])", b):
            continue  # recursive
        macros[name] = Macro(name, nargs, b, default)
    return macros


def expand_macros(text: str, macros: dict[str, Macro], passes: int = 4) -> str:
    """Expand user macros in ``text`` a few times over (macros may use macros); stop
    if the text balloons, which only a pathological macro set does."""
    if not macros:
        return text
    names = sorted(macros, key=len, reverse=True)
    pat = re.compile("(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])")
    limit = len(text) * 4 + 10000
    for _ in range(passes):
        out: list[str] = []
        pos = 0
        changed = False
        for m in pat.finditer(text):
            if m.start() < pos:
                continue
            mac = macros[m.group(1)]
            i = m.end()
            args: list[str] = []
            if mac.nargs:
                if mac.default is not None:
                    d = group(text, i, "[", "]")
                    if d is not None:
                        args.append(d[0])
                        i = d[1]
                    else:
                        args.append(mac.default)
                ok = True
                while len(args) < mac.nargs:
                    g = group(text, i)
                    if g is None:
                        # single-token argument: \macro x
                        t = re.match(r"\s*(\\[A-Za-z]+|[^\s{}\\])", text[i:])
                        if not t:
                            ok = False
                            break
                        args.append(t.group(1))
                        i += t.end()
                    else:
                        args.append(g[0])
                        i = g[1]
                if not ok:
                    continue
            body = mac.body
            for k, a in enumerate(args, 1):
                body = body.replace(f"#{k}", a)
            sep = " " if body[-1:].isalpha() and body.startswith("\\") and text[i : i + 1].isalpha() else ""
            out.append(text[pos : m.start()] + body + sep)
            pos = i
            changed = True
        out.append(text[pos:])
        text = "".join(out)
        if not changed or len(text) > limit:
            break
    return text


_ACCENT = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303",
           "c": "\u0327", "v": "\u030c", "u": "\u0306", "=": "\u0304", ".": "\u0307", "H": "\u030b"}
_SYMBOLS = {
    r"\ldots": "…", r"\dots": "…", r"\&": "&", r"\%": "%", r"\_": "_", r"\#": "#", r"\$": "$",
    r"\{": "{", r"\}": "}", r"\textendash": "–", r"\textemdash": "—", r"\ss": "ß", r"\o": "ø",
    r"\ae": "æ", r"\l": "ł", r"\L": "Ł", r"\aa": "å", r"\LaTeX": "LaTeX", r"\TeX": "TeX",
    r"\i": "ı", r"\textquotesingle": "'", r"\textasciitilde": "~", r"\copyright": "©",
}
# formatting commands whose single argument is the text
_KEEP_ARG = {
    "textbf", "textit", "emph", "texttt", "textsc", "textrm", "textsf", "textup", "textmd",
    "underline", "mbox", "hbox", "text", "textnormal", "uline", "mathrm", "mathbf", "mathit",
    "url", "nolinkurl", "textsl", "bm", "boldsymbol", "fbox", "makebox", "sout", "textcolor",
    "colorbox", "highlight", "hl", "ul", "enquote", "small", "large", "Large", "tiny", "footnotesize",
    "scriptsize", "normalsize", "huge", "Huge", "centerline", "subsection", "section", "paragraph",
    "subparagraph", "textsuperscript", "textsubscript", "citetext",
}
_DROP_WITH_ARG = {
    "label", "vspace", "hspace", "includegraphics", "bibliographystyle", "bibliography",
    "usepackage", "documentclass", "pagestyle", "thispagestyle", "setlength", "addtolength",
    "setcounter", "addtocounter", "newcommand", "renewcommand", "providecommand", "input",
    "include", "includestandalone", "input@path", "graphicspath", "hypersetup", "definecolor",
    "captionsetup", "newtheorem", "theoremstyle", "DeclareMathOperator", "icmlsetsymbol",
    "icmlaffiliation", "icmlcorrespondingauthor", "icmlkeywords", "vskip", "linenumbers",
    "todo", "color", "newlength", "setcitestyle", "crefname", "Crefname", "acmConference",
    "pgfplotsset", "tikzset", "usetikzlibrary", "lstset", "newenvironment", "renewenvironment",
    "raisebox", "phantom", "hphantom", "vphantom", "resizebox", "scalebox", "addbibresource",
    "nocite", "fontsize", "selectfont", "titlespacing", "affiliation", "email", "address",
}
_CITE = re.compile(r"\\(?:[cC]ite[a-zA-Z]*|[pP]arencite|[tT]extcite|[aA]utocite)\*?")
_REF = re.compile(r"\\(?:eqref|ref|autoref|[cC]ref|pageref|nameref|vref|Sref|secref|figref)\*?")


def to_text(src: str, labels: dict[str, str] | None = None) -> str:
    """A LaTeX fragment (display math and floats already taken out) as plain text.
    Inline math is kept as ``$…$``; \\ref{x} becomes the number ``labels[x]``."""
    labels = labels or {}
    s = _flatten_environments(src)
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "$":
            j = s.find("$", i + 1)
            while j > 0 and s[j - 1] == "\\":
                j = s.find("$", j + 1)
            if j < 0:
                out.append(s[i:])
                break
            out.append("$" + s[i + 1 : j].strip() + "$")
            i = j + 1
            continue
        if c == "\\":
            m = re.match(r"\\([A-Za-z@]+)\*?|\\(.)", s[i:])
            if not m:
                i += 1
                continue
            name = m.group(1)
            j = i + m.end()
            i = _control_symbol(s, j, m.group(2), out) if name is None else _command(s, j, name, labels, out)
            continue
        if c == "~":
            out.append(" ")
        elif c in "{}":
            pass
        elif c == "-" and s.startswith("---", i):
            out.append("—")
            i += 3
            continue
        elif c == "-" and s.startswith("--", i):
            out.append("–")
            i += 2
            continue
        elif c == "`" and s.startswith("``", i):
            out.append("“")
            i += 2
            continue
        elif c == "'" and s.startswith("''", i):
            out.append("”")
            i += 2
            continue
        else:
            out.append(c)
        i += 1
    return tidy("".join(out))


def _flatten_environments(s: str) -> str:
    """Layout environments dropped, lists as ``- `` items, theorem-like environments as
    paragraphs (with their optional title), ``\\(…\\)`` as ``$…$``."""
    s = re.sub(r"\\(?:begin|end)\{(?:center|flushleft|flushright|minipage|quote|quotation|small|footnotesize|sloppypar|document|spacing|singlespace|adjustbox|samepage)\}(?:\{[^}]*\})*(?:\[[^\]]*\])?", "\n", s)
    s = re.sub(r"\\begin\{(?:itemize|enumerate|description)\}(?:\[[^\]]*\])?", "\n", s)
    s = re.sub(r"\\end\{(?:itemize|enumerate|description)\}", "\n", s)
    s = re.sub(r"\\item\s*(?:\[([^\]]*)\])?", lambda m: "\n- " + (m.group(1) + " " if m.group(1) else ""), s)
    s = re.sub(r"\\begin\{(?:theorem|lemma|proposition|corollary|definition|remark|example|assumption|proof|claim|conjecture)\*?\}(?:\[([^\]]*)\])?",
               lambda m: "\n\n" + (f"({m.group(1)}) " if m.group(1) else ""), s)
    s = re.sub(r"\\end\{(?:theorem|lemma|proposition|corollary|definition|remark|example|assumption|proof|claim|conjecture)\*?\}", "\n\n", s)
    s = re.sub(r"\\\(", "$", re.sub(r"\\\)", "$", s))
    return s


def _control_symbol(s: str, j: int, ch: str, out: list[str]) -> int:
    """A one-character command (accent, \\\\, escaped symbol) ending at ``j``; the next index."""
    if ch in _ACCENT:
        a = re.match(r"\s*\{?\\?([A-Za-z])\}?", s[j:])
        if a:
            base = "i" if a.group(1) == "i" else a.group(1)
            out.append(unicodedata.normalize("NFC", base + _ACCENT[ch]))
            return j + a.end()
    if ch == "\\":
        out.append("\n")
        j2 = re.match(r"\s*\[[^\]]*\]", s[j:])  # \\[2pt]
        return j + (j2.end() if j2 else 0)
    sym = _SYMBOLS.get("\\" + ch)
    out.append(sym if sym is not None else (" " if ch in " ,;:!" else ""))
    return j


def _command(s: str, j: int, name: str, labels: dict[str, str], out: list[str]) -> int:
    """A named command ending at ``j``: its text goes to ``out``; returns the next index."""
    full = "\\" + name
    if full in _SYMBOLS:
        out.append(_SYMBOLS[full])
        return j
    if name in _ACCENT and len(name) == 1:
        a = re.match(r"\s*\{?\\?([A-Za-z])\}?", s[j:])
        if a:
            out.append(unicodedata.normalize("NFC", a.group(1) + _ACCENT[name]))
            return j + a.end()
    k = _linking_command(s, j, name, full, labels, out)
    if k is not None:
        return k
    if name in _DROP_WITH_ARG:
        return _drop_with_args(s, j, name)
    if name in ("textcolor", "colorbox"):
        g = group(s, j)
        if g:
            j = g[1]
    # unknown or formatting command: skip options, keep the text of the argument
    k = j
    o = group(s, k, "[", "]") if name not in ("item",) else None
    if o is not None and name not in _KEEP_ARG:
        k = o[1]
    g = group(s, k)
    if g is not None and (name in _KEEP_ARG or not _is_switch(name)):
        out.append(to_text(g[0], labels))
        return g[1]
    if s[j : j + 1] == " " and out and not out[-1].endswith(" "):
        out.append(" ")  # a switch like \bf eats no space the text needs
    return j


def _skip_options(s: str, k: int) -> int:
    """The index after any ``[…]`` options at ``k``."""
    while True:
        o = group(s, k, "[", "]")
        if o is None:
            break
        k = o[1]
    return k


def _linking_command(s: str, j: int, name: str, full: str, labels: dict[str, str], out: list[str]) -> int | None:
    """A citation (``[keys]``), a reference (the label's number), a footnote or a link
    (its text); the next index, or None when ``name`` is none of these or has no argument."""
    if _CITE.match(full):
        k = _skip_options(s, j)  # optional [pre][post]
        g = group(s, k)
        if g:
            keys = ", ".join(x.strip() for x in g[0].split(","))
            out.append(f"[{keys}]")
            return g[1]
    if _REF.match(full):
        g = group(s, j)
        if g:
            out.append(", ".join(labels.get(x.strip(), x.strip()) for x in g[0].split(",")))
            return g[1]
    if name == "footnote":
        g = group(s, j)
        if g:
            out.append(" (footnote: " + to_text(g[0], labels).strip() + ")")
            return g[1]
    if name in ("href",):
        g1 = group(s, j)
        g2 = group(s, g1[1]) if g1 else None
        if g1 and g2:
            out.append(to_text(g2[0], labels))
            return g2[1]
    return None


def _drop_with_args(s: str, j: int, name: str) -> int:
    """A command dropped with its options and argument (some with every following one)."""
    k = _skip_options(s, j)
    g = group(s, k)
    if g and name not in ("vskip",):
        k = g[1]
        if name in ("definecolor", "newtheorem", "setlength", "addtolength", "setcounter", "raisebox", "resizebox", "scalebox", "captionsetup", "textcolor", "newenvironment"):
            while (g2 := group(s, k)) is not None:
                k = g2[1]
    return k


def _is_switch(name: str) -> bool:
    """Commands that take no argument (a following {…} is ordinary text)."""
    return name in {
        "bf", "it", "em", "rm", "sf", "tt", "sc", "bfseries", "itshape", "centering", "noindent",
        "small", "footnotesize", "large", "Large", "normalsize", "scriptsize", "tiny", "par",
        "newline", "linebreak", "clearpage", "newpage", "maketitle", "and", "AND", "quad", "qquad",
        "medskip", "smallskip", "bigskip", "hfill", "vfill", "indent", "raggedright", "toprule",
        "midrule", "bottomrule", "hline", "appendix", "onecolumn", "twocolumn", "protect",
        "normalfont", "upshape", "mdseries", "ttfamily", "sffamily", "rmfamily", "leavevmode",
    }


def tidy(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # single newlines inside a paragraph are just spaces in TeX
    text = re.sub(r"(?<!\n)\n(?!\n|- )", " ", text)
    return re.sub(r" +([,.;:])", r"\1", text).strip()
