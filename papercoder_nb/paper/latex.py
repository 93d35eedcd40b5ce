"""LaTeX papers: a .tex file, a source folder, or a .tar.gz/.zip of one (arXiv e-print).

The main file is the one with ``\\documentclass`` and ``\\begin{document}`` that no other
file inputs; ``\\input``/``\\include`` are resolved, comments stripped and simple user
macros expanded. Equations keep their LaTeX, floats become captions (tables also rows),
``\\appendix`` marks what follows, and the bibliography comes from thebibliography, a
.bbl, or the .bib entries that are cited.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import cache
from .archive import is_archive, safe_extract
from .errors import PaperError
from .latex_math import algorithm_steps, notation, tabular_rows
from .latex_text import collect_macros, expand_macros, group, strip_comments, to_text
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
from .render import table_block

PARSER_VERSION = "latex-2"
ProgressFn = Callable[[str, int, int], None]
_MAX_DEPTH = 12

_DISPLAY_ENVS = (
    "equation", "align", "gather", "multline", "eqnarray", "displaymath", "flalign", "alignat",
    "dmath", "math",
)
_DISPLAY = re.compile(
    r"\\begin\{(?P<env>(?:" + "|".join(_DISPLAY_ENVS) + r")\*?)\}(?P<body>.*?)\\end\{(?P=env)\}"
    r"|\$\$(?P<dd>.+?)\$\$|\\\[(?P<br>.+?)\\\]",
    re.S,
)
_FLOAT = re.compile(
    r"\\begin\{(?P<env>figure\*?|table\*?|wrapfigure|wraptable|algorithm2e\*?|algorithm\*?|SCfigure)\}(?P<body>.*?)\\end\{(?P=env)\}", re.S
)
_HEADING = re.compile(r"\\(?P<cmd>chapter|section|subsection|subsubsection)(?P<star>\*?)\s*(?:\[[^\]]*\])?\s*(?=\{)")
_DROP_ENVS = re.compile(r"\\begin\{(?P<env>tikzpicture|pgfpicture|filecontents\*?|lstlisting|verbatim|minted|thebibliography)\}.*?\\end\{(?P=env)\}", re.S)


def load_latex(source: str | Path, progress: ProgressFn | None = None, *, use_cache: bool = True) -> Paper:
    """Parse a LaTeX paper from a .tex file, a folder, or a source archive."""
    path = Path(source).expanduser()
    if not path.exists():
        raise PaperError(f"{path}: no such file or folder; pass a .tex file, a source folder or a .tar.gz/.zip")
    if path.is_file() and path.stat().st_size == 0:
        raise PaperError(f"{path}: the file is empty (0 bytes); pass the paper's .tex, folder or archive")
    sha = _hash(path)
    if use_cache:
        hit = cache.get(sha, PARSER_VERSION)
        if hit is not None:
            hit.meta.source = str(path)
            return hit
    if path.is_file() and is_archive(path) and not path.name.lower().endswith(".tex"):
        with tempfile.TemporaryDirectory(prefix="papercoder-src-") as tmp:
            if progress:
                progress("extracting archive", 0, 1)
            warnings = safe_extract(path, Path(tmp))
            paper = _load_dir(Path(tmp), str(path), sha, progress, "latex-archive")
            paper.meta.warnings = warnings + paper.meta.warnings
    elif path.is_dir():
        paper = _load_dir(path, str(path), sha, progress, "latex-folder")
    else:
        paper = parse_main(path, str(path), sha, progress)
    paper.finalize()
    if use_cache:
        cache.put(sha, PARSER_VERSION, paper)
    return paper


def _hash(path: Path) -> str:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix.lower() in (".tex", ".bbl", ".bib", ".sty", ".cls"):
            h.update(str(f.relative_to(path)).encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _read(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def find_main(folder: Path) -> Path:
    texs = [p for p in folder.rglob("*.tex") if p.is_file()]
    if not texs:
        raise PaperError(f"{folder}: no .tex file found; pass the folder that holds the paper's LaTeX source")
    inputted: set[str] = set()
    scored: list[tuple[int, int, Path]] = []
    texts = {}
    for p in texs:
        t = strip_comments(_read(p))
        texts[p] = t
        for m in re.finditer(r"\\(?:input|include|subfile|includestandalone)\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}", t):
            inputted.add(Path(m.group(1).strip()).stem)
    for p, t in texts.items():
        score = 0
        if "\\documentclass" in t:
            score += 10
        if "\\begin{document}" in t:
            score += 10
        if p.stem in inputted:
            score -= 8
        if p.stem.lower() in ("main", "paper", "ms", "article", "manuscript"):
            score += 3
        if "\\section" in t or "\\input" in t:
            score += 2
        scored.append((score, len(t), p))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    best = scored[0]
    if best[0] < 10:
        raise PaperError(
            f"{folder}: no main LaTeX file (none has \\documentclass / \\begin{{document}}); pass the main .tex file"
        )
    return best[2]


def _load_dir(folder: Path, source: str, sha: str, progress: ProgressFn | None, kind: str) -> Paper:
    main = find_main(folder)
    paper = parse_main(main, source, sha, progress, root=folder)
    paper.meta.source_type = kind
    return paper


def _resolve_inputs(text: str, base: Path, root: Path, warnings: list[str], depth: int = 0, seen: frozenset[Path] = frozenset()) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(2).strip()
        cand = [base / name, base / f"{name}.tex", root / name, root / f"{name}.tex"]
        for c in cand:
            try:
                c = c.resolve()
            except OSError:
                continue
            if not c.is_file() or not c.is_relative_to(root.resolve()):
                continue  # never read outside the source folder
            if c in seen or depth >= _MAX_DEPTH:
                warnings.append(f"skipped recursive \\input of {name}")
                return ""
            sub = strip_comments(_read(c))
            if m.group(1) == "includestandalone":
                return ""  # a standalone TikZ figure: drawing, not text
            return "\n" + _resolve_inputs(sub, c.parent, root, warnings, depth + 1, seen | {c}) + "\n"
        if not name.endswith((".pgf", ".tikz", ".pdf_tex", ".png", ".pdf")):
            warnings.append(f"\\input file not found: {name}")
        return ""

    return re.sub(r"\\(input|include|subfile|includestandalone)\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}", repl, text)


def parse_main(main: Path, source: str, sha: str, progress: ProgressFn | None = None, root: Path | None = None) -> Paper:
    root = root or main.parent
    warnings: list[str] = []
    raw = strip_comments(_read(main))
    if "\\begin{document}" not in raw and "\\section" not in raw:
        raise PaperError(f"{main}: not a LaTeX paper (no \\begin{{document}} and no \\section); pass the main .tex file")
    text = _resolve_inputs(raw, main.parent, root, warnings)
    # macros from the document and from local style files it uses
    macro_src = text
    for m in re.finditer(r"\\usepackage\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}", text):
        for name in m.group(1).split(","):
            sty = root / f"{name.strip()}.sty"
            if sty.is_file() and sty.stat().st_size < 200_000:
                macro_src = strip_comments(_read(sty)) + "\n" + macro_src
    macros = collect_macros(macro_src)
    b0 = text.find("\\begin{document}")
    preamble, body = (text[:b0], text[b0 + len("\\begin{document}") :]) if b0 >= 0 else ("", text)
    body = body.split("\\end{document}")[0]
    # display math stays as the paper wrote it (the Notation macros block explains its macros)
    spans: list[str] = []
    body = _DISPLAY.sub(lambda m: spans.append(m.group(0)) or f"⟦M{len(spans) - 1}⟧", body)
    body = expand_macros(body, macros)
    body = re.sub(r"⟦M(\d+)⟧", lambda m: spans[int(m.group(1))], body)
    title_src = expand_macros(preamble + body[:5000], macros)
    if progress:
        progress("parsing LaTeX", 0, 1)
    title = _command_arg(title_src, ("title", "icmltitle", "Title"))
    authors = _authors(title_src)
    abstract = ""
    am = re.search(r"\\begin\{abstract\}(.*?)\\end\{abstract\}", body, re.S)
    if am:
        abstract = am.group(1)
        body = body[: am.start()] + body[am.end() :]
    else:
        a = _command_arg(title_src, ("abstract",), raw=True)
        abstract = a or ""
    references = _references(body, main, root, text)
    body = _DROP_ENVS.sub("\n", body)
    paper = _structure(body, title, authors, abstract, references, source, sha, warnings)
    paper.notation = notation(macros, [e.latex or "" for e in paper.equations])
    if progress:
        progress("parsing LaTeX", 1, 1)
    return paper


def _command_arg(text: str, names: tuple[str, ...], raw: bool = False) -> str:
    for name in names:
        for m in re.finditer(r"\\" + name + r"\s*(?:\[[^\]]*\])?\s*(?=\{)", text):
            g = group(text, m.end())
            if g and g[0].strip():
                return g[0] if raw else re.sub(r"\s+", " ", to_text(re.sub(r"\\\\", " ", g[0]))).strip()
    return ""


def _authors(text: str) -> list[str]:
    names: list[str] = []
    for m in re.finditer(r"\\icmlauthor\s*\{([^}]*)\}", text):
        names.append(to_text(m.group(1)))
    if names:
        return names
    a = _command_arg(text, ("author",), raw=True)
    if not a:
        return []
    for part in re.split(r"\\and\b|\\AND\b|\\And\b", a):
        first = re.split(r"\\\\|\\thanks|\\footnote|\\texttt|\\email|\\affil|\\newline", part)[0]
        name = re.sub(r"[\d∗*†‡,]+$", "", to_text(first)).strip()
        if name:
            names.extend(n.strip() for n in re.split(r",\s*|\s+and\s+", name) if n.strip())
    return names[:40]


def _structure(body: str, title: str, authors: list[str], abstract: str, references: list[Reference],
               source: str, sha: str, warnings: list[str]) -> Paper:
    chunks, app_at = _cut_at_headings(body)
    sections, texts, labels = _number_sections(chunks, app_at)
    floats = _Floats(labels)
    staged = [floats.stage(sec, text) for sec, text in zip(sections, texts, strict=True)]
    for sec, text in zip(sections, staged, strict=True):
        sec.text = floats.fill(text)
    for f in floats.figures:
        f.caption = to_text(f.caption, labels)
    for t in floats.tables:
        t.caption = to_text(t.caption, labels)
    if not any(s.kind != "front" for s in sections):
        warnings.append("no \\section headings found; the body is one section")
    return Paper(
        title=title or Path(source).stem,
        authors=authors,
        abstract=to_text(abstract, labels),
        sections=[s for s in sections if s.text or s.kind != "front"],
        equations=floats.equations,
        figures=floats.figures,
        tables=floats.tables,
        references=references,
        meta=PaperMeta(source_type="latex", source=source, sha256=sha, warnings=warnings),
    )


_Chunk = tuple[dict | None, str]  # (heading or None for text before the first, its text)


def _cut_at_headings(body: str) -> tuple[list[_Chunk], int | None]:
    """The body cut at its headings, and where \\appendix starts (if it does)."""
    marks: list[tuple[int, int, str, int, bool]] = []  # start, end, title, level, starred
    for m in _HEADING.finditer(body):
        g = group(body, m.end())
        if g is None:
            continue
        level = {"chapter": 1, "section": 1, "subsection": 2, "subsubsection": 3}[m.group("cmd")]
        marks.append((m.start(), g[1], g[0], level, bool(m.group("star"))))
    app = [m.start() for m in re.finditer(r"\\appendix\b|\\begin\{appendix\}|\\beginsupplement\b", body)]
    chunks: list[_Chunk] = []
    pos = 0
    for start, end, t, level, star in marks:
        chunks.append((None, body[pos:start]) if not chunks else (chunks.pop()[0], body[pos:start]))
        chunks.append(({"title": t, "level": level, "star": star, "start": start}, ""))
        pos = end
    if chunks:
        chunks.append((chunks.pop()[0], body[pos:]))
    else:
        chunks.append((None, body))
    return chunks, (app[0] if app else None)


def _number_sections(chunks: list[_Chunk], app_at: int | None) -> tuple[list[Section], list[str], dict[str, str]]:
    """Sections numbered as LaTeX numbers them (the appendix restarts at A), their raw
    texts, and the section labels they define."""
    sections: list[Section] = []
    texts: list[str] = []
    counters = [0, 0, 0]
    app_started = False
    labels: dict[str, str] = {}
    for head, text in chunks:
        if head is None:
            if text.strip() and to_text(_DISPLAY.sub(" ", text)).strip():
                sections.append(Section(id="", title="Front matter", kind="front"))
                texts.append(text)
            continue
        in_app = app_at is not None and head["start"] > app_at
        if in_app and not app_started:
            counters, app_started = [0, 0, 0], True
        number = None
        lvl = head["level"]
        if not head["star"]:
            counters[lvl - 1] += 1
            for k in range(lvl, 3):
                counters[k] = 0
            top = chr(64 + counters[0]) if in_app and 0 < counters[0] <= 26 else str(counters[0])
            number = ".".join([top] + [str(c) for c in counters[1:lvl]])
        t = to_text(head["title"])
        sections.append(Section(id="", title=t, level=lvl, number=number, kind=kind_for_title(t, in_app)))
        texts.append(text)
        for lm in re.finditer(r"\\label\{([^}]+)\}", text[:300]):
            labels.setdefault(lm.group(1), number or t)
    assign_section_ids(sections)
    return sections, texts, labels


class _Floats:
    """Floats and display math taken out of the text (numbered in document order, their
    labels resolvable from anywhere), then put back in place as readable blocks."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels
        self.equations: list[Equation] = []
        self.figures: list[Figure] = []
        self.tables: list[Table] = []
        self.algorithms: list[str] = []  # kept out of to_text, which would join their lines

    def stage(self, sec: Section, text: str) -> str:
        text = _FLOAT.sub(lambda m: self._float(sec, m), text)
        return _DISPLAY.sub(lambda m: self._math(sec, m), text)

    def _float(self, sec: Section, m: re.Match[str]) -> str:
        env, inner = m.group("env"), m.group("body")
        cap, label = _caption(inner), _label(inner)
        if env.startswith(("table", "wraptable")):
            n = len(self.tables) + 1
            self.tables.append(Table(id=f"table{n}", section_id=sec.id, caption=cap, label=label,
                                     number=str(n), rows=tabular_rows(inner)))
            if label:
                self.labels[label] = str(n)
            return f"\n\n⟦TABLE {n}⟧\n\n"
        if env.startswith("algorithm"):
            self.algorithms.append((f"Algorithm: {to_text(cap, self.labels)}\n" if cap else "")
                                   + algorithm_steps(inner, self.labels))
            return f"\n\n⟦ALG {len(self.algorithms)}⟧\n\n"
        n = len(self.figures) + 1
        self.figures.append(Figure(id=f"fig{n}", section_id=sec.id, caption=cap, label=label, number=str(n)))
        if label:
            self.labels[label] = str(n)
        return f"\n\n⟦FIGURE {n}⟧\n\n"

    def _math(self, sec: Section, m: re.Match[str]) -> str:
        tex = (m.group("body") or m.group("dd") or m.group("br") or "").strip()
        label = _label(tex)
        tex = re.sub(r"\\label\{[^}]*\}|\\nonumber|\\notag", "", tex).strip()
        if (m.group("env") or "").startswith("alignat"):
            tex = re.sub(r"^\{\d+\}", "", tex).strip()
        n = len(self.equations) + 1
        self.equations.append(Equation(id=f"eq{n}", section_id=sec.id, latex=tex, text=tex, label=label))
        if label:
            self.labels[label] = str(n)
        return f"\n\n⟦EQ {n}⟧\n\n"

    def fill(self, staged: str) -> str:
        """A section's final text: LaTeX to text, each placeholder replaced by its block."""
        labels = self.labels
        out = to_text(staged, labels)
        out = re.sub(r"⟦FIGURE (\d+)⟧",
                     lambda m: f"Figure {m.group(1)}: {to_text(self.figures[int(m.group(1)) - 1].caption, labels)}", out)
        out = re.sub(r"⟦TABLE (\d+)⟧", lambda m: _table_in_place(self.tables[int(m.group(1)) - 1], labels), out)
        out = re.sub(r"⟦ALG (\d+)⟧", lambda m: self.algorithms[int(m.group(1)) - 1], out)
        out = re.sub(r"\n{3,}", "\n\n", out)  # before the equations: their own lines stay as written
        return re.sub(r"⟦EQ (\d+)⟧", lambda m: _equation_in_place(self.equations[int(m.group(1)) - 1]), out).strip()


def _table_in_place(t: Table, labels: dict[str, str]) -> str:
    return "\n\n" + table_block(f"Table {t.number}", to_text(t.caption, labels), t.rows) + "\n\n"


def _equation_in_place(e: Equation) -> str:
    # the paper's own LaTeX, fenced; the number (and label) say how the text refers to it
    tag = f" ({e.id.removeprefix('eq')}{', ' + e.label if e.label else ''})"
    return f"$$ {e.latex} $${tag}"


def _caption(inner: str) -> str:
    m = re.search(r"\\caption\s*(?:\[[^\]]*\])?\s*(?=\{)", inner)
    if not m:
        return ""
    g = group(inner, m.end())
    return g[0].strip() if g else ""


def _label(text: str) -> str | None:
    m = re.search(r"\\label\{([^}]+)\}", text)
    return m.group(1) if m else None


def _references(body: str, main: Path, root: Path, whole: str) -> list[Reference]:
    refs: list[Reference] = []
    bib_env = re.search(r"\\begin\{thebibliography\}.*?\\end\{thebibliography\}", body, re.S)
    src = bib_env.group(0) if bib_env else ""
    if not src:
        for cand in [main.with_suffix(".bbl"), *sorted(root.rglob("*.bbl"))]:
            if cand.is_file():
                src = strip_comments(_read(cand))
                break
    if src:
        for m in re.finditer(r"\\bibitem\s*(?:\[(?:[^\[\]]|\[[^\]]*\])*\])?\s*\{([^}]+)\}(.*?)(?=\\bibitem|\\end\{thebibliography\}|$)", src, re.S):
            text = re.sub(r"\\newblock", " ", m.group(2))
            refs.append(Reference(id=m.group(1).strip(), text=re.sub(r"\s+", " ", to_text(text)).strip()))
        return refs
    cited: list[str] = []
    for m in re.finditer(r"\\(?:[cC]ite[a-zA-Z]*|nocite)\*?\s*(?:\[[^\]]*\]\s*)*\{([^}]+)\}", whole):
        for k in m.group(1).split(","):
            k = k.strip()
            if k and k not in cited:
                cited.append(k)
    entries: dict[str, tuple[str, str]] = {}
    for bib in sorted(root.rglob("*.bib")):
        if bib.stat().st_size > 5_000_000:
            continue
        text = _read(bib)
        for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,", text):
            g = group(text, m.end() - len(m.group(0)) + m.group(0).index("{"))
            if not g:
                continue
            fields = dict(
                (k.lower(), re.sub(r"[{}]", "", v).strip())
                for k, v in re.findall(r"(\w+)\s*=\s*[{\"]((?:[^{}]|\{[^{}]*\})*)[}\"]", g[0])
            )
            t = fields.get("title", "")
            entries[m.group(1)] = (t, f"{fields.get('author', '')}. {t}. {fields.get('journal') or fields.get('booktitle') or ''} {fields.get('year', '')}".strip())
    for k in cited if "*" not in cited else list(entries):
        if k in entries:
            title, text = entries[k]
            refs.append(Reference(id=k, text=re.sub(r"\s+", " ", to_text(text)), title=to_text(title) or None))
    return refs
