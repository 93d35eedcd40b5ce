"""Build the benchmark's extra test papers: real paper text (from ../shared/papers' LaTeX)
re-set in other venues' templates, so heading styles the shared papers lack are measured.

The shared papers' text stays in ../shared (it is not ours to ship), so the papers are built
on demand into the cache folder ``OUT`` (``~/.cache/papercoder-nb/built-papers``), never
committed. Each paper is written to ``<OUT>/<slug>/latex/main.tex``, built with pdflatex
(TeX Live: IEEEtran, llncs, acmart; the ICML/NeurIPS/ICLR/ACL/JMLR styles are copied from
the shared papers into a temporary build folder) and its PDF kept as ``paper.pdf``; the
rows go to ``<OUT>/MANIFEST.tsv`` (same columns as the shared one). The AAAI
look is set in the preamble (unnumbered centred sections, run-in bold subsubsections).
Usage: python benchmarks/papers/make_papers.py [slug…]   (needs pdflatex)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path.home() / ".cache" / "papercoder-nb" / "built-papers"  # OUT: where the built papers go
SHARED = ROOT.parent / "shared" / "papers"
sys.path.insert(0, str(ROOT))

from papercoder_nb.paper.latex import load_latex  # noqa: E402
from papercoder_nb.paper.model import Paper, Section  # noqa: E402

# math commands every template can typeset (amsmath, amssymb, bm); other math is replaced
_MATH_OK = set("""
frac dfrac tfrac sum prod int log exp alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta
iota kappa lambda mu nu xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda
Xi Pi Sigma Phi Psi Omega mathbf mathcal mathbb mathrm mathit mathsf text textrm left right cdot ldots
dots cdots top in notin leq geq le ge neq approx sim nabla partial infty sqrt hat tilde bar widehat
widetilde operatorname max min arg argmax argmin quad qquad times to mapsto rightarrow leftarrow
Rightarrow forall exists mid propto odot otimes oplus star ast prime ell circ limits begin end cases
aligned pmatrix bmatrix matrix boldsymbol bm underbrace overline langle rangle lVert rVert Vert lvert
rvert sin cos tanh det Pr subset subseteq cup cap emptyset equiv coloneqq leftarrow vec mathbin
""".split())
_ENVS_OK = {"cases", "aligned", "pmatrix", "bmatrix", "matrix"}
_RUNIN = ["Setup", "Implementation details", "Baselines", "Datasets", "Evaluation protocol", "Limitations",
          "Training", "Results", "Discussion of the results", "Complexity"]


@dataclass
class Spec:
    slug: str
    template: str
    source: str  # shared paper slug whose text is re-set
    columns: int
    max_sections: int = 8
    max_chars: int = 2400  # per section, at paragraph boundaries
    runin: bool = True  # add \paragraph{} run-in headings


SPECS = [
    Spec("aaai-spn", "aaai", "tpm-spn", 2),
    Spec("aaai-sinkhorn", "aaai", "online-sinkhorn-icml", 2),
    Spec("ieeeconf-transformer", "ieeeconf", "transformer", 2),
    Spec("ieeeconf-sundae", "ieeeconf", "iclr2022-megapixel-sundae", 2),
    Spec("ieeejournal-xai-ood", "ieeejournal", "lncs-xai-ood", 2),
    Spec("ieeejournal-orff", "ieeejournal", "jmlr-orff", 2, max_sections=9),
    Spec("lncs-sundae", "lncs", "iclr2022-megapixel-sundae", 1),
    Spec("lncs-audio", "lncs", "neural-audio-style-transfer", 1),
    Spec("acm-blocks", "acm", "blocks-fuel", 2),
    Spec("acm-graphics", "acm", "tikz-graphics-programs", 2),
    Spec("icml2019-causal", "icml2019", "ieee-causal-discovery", 2),
    Spec("icml2020-audio", "icml2020", "neural-audio-style-transfer", 2),
    Spec("neurips2023-spn", "neurips2023", "tpm-spn", 1),
    Spec("nips2017-xai", "nips2017", "lncs-xai-ood", 1),
    Spec("iclr2022-transformer", "iclr", "transformer", 1),
    Spec("acl-graphics", "acl", "tikz-graphics-programs", 2),
]

STYLES = {  # template -> (shared paper, style files to copy)
    "icml2019": ("tpm-spn", ["icml2019.sty", "fancyhdr.sty", "algorithm.sty", "algorithmic.sty"]),
    "icml2020": ("online-sinkhorn-icml", ["icml2020.sty", "fancyhdr.sty"]),
    "neurips2023": ("lncs-xai-ood", ["neurips_2023.sty"]),
    "nips2017": ("neural-audio-style-transfer", ["nips_2017.sty"]),
    "iclr": ("iclr2022-megapixel-sundae", ["iclr2022_conference.sty", "fancyhdr.sty", "natbib.sty"]),
    "acl": ("acl-array-behaviour", ["acl.sty"]),
}

_AAAI = r"""\documentclass[letterpaper]{article}
\usepackage{times}\usepackage{helvet}\usepackage{courier}
\setlength\topmargin{-0.25in}\setlength\oddsidemargin{-0.25in}\setlength\textheight{9.0in}
\setlength\textwidth{7.0in}\setlength\columnsep{0.375in}\setlength\headheight{0pt}\setlength\headsep{0pt}
\pagestyle{empty}\twocolumn\sloppy
\makeatletter
% unnumbered centred sections (12pt), bold subsections (11pt: body 10pt), run-in bold
% subsubsections and paragraphs
\def\section{\@startsection{section}{1}{\z@}{-2.0ex plus -0.5ex minus -.2ex}{3pt plus 2pt minus 1pt}{\Large\bf\centering}}
\def\subsection{\@startsection{subsection}{2}{\z@}{-2.0ex plus -0.5ex minus -.2ex}{3pt plus 2pt minus 1pt}{\large\bf\raggedright}}
\def\subsubsection{\@startsection{subparagraph}{3}{\z@}{-6pt plus -2pt minus -1pt}{-1em}{\normalsize\bf}}
\renewcommand\paragraph{\@startsection{paragraph}{4}{\z@}{-6pt plus -2pt minus -1pt}{-1em}{\normalsize\bf}}
\setcounter{secnumdepth}{0}
\def\normalsize{\@setfontsize\normalsize\@xpt{11}}\def\small{\@setfontsize\small\@ixpt{10}}
\def\large{\@setfontsize\large\@xipt{12}}\def\Large{\@setfontsize\Large\@xiipt{14}}
\def\LARGE{\@setfontsize\LARGE\@xivpt{16}}
\renewenvironment{abstract}{\centerline{\bf Abstract}\vspace{0.5ex}\begin{quote}\small}{\par\end{quote}\vskip 1ex}
\makeatother
"""

PREAMBLES = {
    "aaai": _AAAI,
    "ieeeconf": "\\documentclass[conference]{IEEEtran}\n",
    "ieeejournal": "\\documentclass[journal]{IEEEtran}\n",
    "lncs": "\\documentclass[runningheads]{llncs}\n",
    "acm": "\\documentclass[sigconf]{acmart}\n\\settopmatter{printacmref=false}\\setcopyright{none}\n"
           "\\renewcommand\\footnotetextcopyrightpermission[1]{}\n",
    "icml2019": "\\documentclass{article}\n\\usepackage{times}\\usepackage[accepted]{icml2019}\n",
    "icml2020": "\\documentclass{article}\n\\usepackage{times}\\usepackage[accepted]{icml2020}\n",
    "neurips2023": "\\documentclass{article}\n\\usepackage[final]{neurips_2023}\n",
    "nips2017": "\\documentclass{article}\n\\usepackage[final]{nips_2017}\n",
    "iclr": "\\documentclass{article}\n\\usepackage{iclr2022_conference,times}\n\\iclrfinalcopy\n",
    "acl": "\\documentclass[11pt]{article}\n\\usepackage[final]{acl}\n\\usepackage{times}\n",
}
_COMMON = "\\usepackage{amsmath,amssymb,bm}\n"


def title_block(template: str, title: str, authors: list[str]) -> tuple[str, str]:
    """(before \\begin{document}, right after it) for the template's title and authors."""
    names = [inline(a) for a in authors[:3]] or ["A. Author", "B. Author"]
    joined = " \\and ".join(names)
    if template == "acm":
        au = "".join(f"\\author{{{n}}}\\affiliation{{\\institution{{University}}\\country{{Country}}}}\n" for n in names)
        return "", f"\\title{{{title}}}\n{au}"
    if template in ("icml2019", "icml2020"):
        au = "".join(f"\\icmlauthor{{{n}}}{{u}}\n" for n in names)
        return "", (f"\\twocolumn[\\icmltitle{{{title}}}\n\\begin{{icmlauthorlist}}\n{au}\\end{{icmlauthorlist}}\n"
                    "\\icmlaffiliation{u}{University, Country}\\icmlcorrespondingauthor{A}{a@b.c}\\vskip 0.3in]\n"
                    "\\printAffiliationsAndNotice{}\n")
    if template == "lncs":
        return "", f"\\title{{{title}}}\\author{{{joined}}}\\institute{{University, Country}}\\maketitle\n"
    if template.startswith("ieee"):
        au = " \\and ".join(f"\\IEEEauthorblockN{{{n}}}" for n in names)
        return "", f"\\title{{{title}}}\n\\author{{{au}}}\n\\maketitle\n"
    return f"\\title{{{title}}}\n\\author{{{joined}}}\n", "\\maketitle\n"


def _math_ok(tex: str) -> bool:
    cmds = re.findall(r"\\([A-Za-z]+)", tex)
    envs = re.findall(r"\\(?:begin|end)\{(\w+\*?)\}", tex)
    depth = 0
    for c in tex:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    if re.search(r"\\(?:hat|tilde|bar|vec|widehat|widetilde)\s*\\", tex):
        return False  # an accent over an unbraced command ('\\hat \\mathcal W') breaks
    if len(re.findall(r"\\left\b", tex)) != len(re.findall(r"\\right\b", tex)):
        return False
    return depth == 0 and all(c in _MATH_OK for c in cmds) and all(e in _ENVS_OK for e in envs)


def _escape(text: str) -> str:
    text = text.replace("\\", " ")
    for a, b in (("&", r"\&"), ("%", r"\%"), ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"),
                 ("~", r"\textasciitilde{}"), ("^", r"\textasciicircum{}")):
        text = text.replace(a, b)
    return text


_CITE = re.compile(r"\[([A-Za-z][\w:.+-]*(?:,\s*[A-Za-z][\w:.+-]*)*)\]")
_CITED: dict[str, int] = {}


def _cite_number(m: re.Match[str]) -> str:
    keys = [k.strip() for k in m.group(1).split(",")]
    return "[" + ", ".join(str(_CITED.setdefault(k, len(_CITED) + 1)) for k in keys) + "]"


def inline(text: str) -> str:
    """Prose with inline math: math kept when every command is standard, else a plain symbol."""
    text = unicodedata.normalize("NFC", text)
    text = _CITE.sub(_cite_number, text)  # the source's '[key]' citations as a reader sees them: [3]
    text = "".join(c for c in text if ord(c) < 0x250 or c in "–—‘’“”…")  # what pdflatex can set
    text = re.sub(r"\(footnote: ([^()]*)\)", lambda m: "\x00" + m.group(1) + "\x01", text)
    out = []
    for i, part in enumerate(re.split(r"(?<!\\)\$", text)):
        if i % 2:
            out.append(f"${part}$" if _math_ok(part) and part.strip() and "&" not in part else "$x$")
        else:
            out.append(_escape(part))
    s = "".join(out)
    return s.replace("\x00", "\\footnote{").replace("\x01", "}")


def paragraph(par: str, n: int) -> str:
    par = par.strip()
    m = re.match(r"^\$\$(.*?)\$\$", par, re.S)
    if m:
        body = m.group(1).strip()
        if ("&" in body or "\\\\" in body) and "\\begin" not in body:
            body = f"\\begin{{aligned}}{body}\\end{{aligned}}"  # an align's rows
        return f"\\begin{{equation}}\n{body}\n\\end{{equation}}" if _math_ok(body) else ""
    m = re.match(r"^(Figure|Table) \d+: (.*)$", par, re.S)
    if m:
        kind = m.group(1).lower()
        box = "\\fbox{\\rule{0pt}{1.6cm}\\hspace{0.8\\linewidth}}"
        return f"\\begin{{{kind}}}[t]\\centering\n{box}\n\\caption{{{inline(m.group(2))}}}\n\\end{{{kind}}}"
    return inline(par)


def sections(paper: Paper, spec: Spec) -> list[Section]:
    keep = [s for s in paper.sections if s.kind in ("body", "appendix") and s.level <= 3]
    return keep[: spec.max_sections * 2] if spec.max_sections else keep


def body(paper: Paper, spec: Spec) -> str:
    """The sections' LaTeX: headings at their levels, paragraphs cut to ``max_chars`` per
    section, and now and then a run-in \\paragraph{} heading opening a paragraph."""
    out: list[str] = []
    tops = 0
    runin = 0
    for s in sections(paper, spec):
        if s.level == 1:
            tops += 1
            if tops > spec.max_sections:
                break
        cmd = {1: "section", 2: "subsection", 3: "subsubsection"}[s.level]
        out.append(f"\\{cmd}{{{inline(s.title)}}}")
        size = 0
        pars = [p for p in s.text.split("\n\n") if p.strip()]
        for i, par in enumerate(pars):
            if size > spec.max_chars:
                break
            tex = paragraph(par, i)
            if not tex:
                continue
            if spec.runin and i == 2 and not tex.startswith("\\begin") and len(pars) > 3:
                tex = f"\\paragraph{{{_RUNIN[runin % len(_RUNIN)]}.}} " + tex
                runin += 1
            size += len(par)
            out.append(tex)
    return "\n\n".join(out)


def references(paper: Paper) -> str:
    items = [r.text for r in paper.references[:6]] or ["A. Author. A paper. In Proc. of a conference, 2020."]
    # natbib-style labels, which the author-year styles require and the others accept
    bib = "\n".join(f"\\bibitem[{{Author}}({2000 + i})]{{r{i}}} {inline(t)}" for i, t in enumerate(items))
    return f"\\begin{{thebibliography}}{{9}}\n{bib}\n\\end{{thebibliography}}"


def document(spec: Spec) -> str:
    src = SHARED / spec.source / "latex"
    if not src.exists():  # a single cleaned .tex beside the PDF
        src = next((SHARED / spec.source).rglob("*.tex"))
    paper = load_latex(src, use_cache=False)
    pre, head = title_block(spec.template, inline(paper.title), paper.authors)
    abstract = f"\\begin{{abstract}}\n{inline(paper.abstract)}\n\\end{{abstract}}\n"
    # acmart wants the abstract before \maketitle
    head = head + abstract + ("\\maketitle\n" if spec.template == "acm" else "")
    return (PREAMBLES[spec.template] + _COMMON + pre + "\\begin{document}\n" + head + "\n"
            + body(paper, spec) + "\n\n" + references(paper) + "\n\\end{document}\n")


def build(spec: Spec) -> Path | None:
    folder = HERE / spec.slug
    (folder / "latex").mkdir(parents=True, exist_ok=True)
    tex = document(spec)
    (folder / "latex" / "main.tex").write_text(tex, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="papers-") as tmp:
        shutil.copy(folder / "latex" / "main.tex", tmp)
        if spec.template in STYLES:
            shared, files = STYLES[spec.template]
            for f in files:
                text = (SHARED / shared / "latex" / f).read_text(encoding="utf-8", errors="replace")
                # that paper's acl.sty names the bibliography in Korean
                (Path(tmp) / f).write_text(text.replace("참고 문헌", "References"), encoding="utf-8")
        for _ in range(2):
            run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "main.tex"], cwd=tmp,
                                 capture_output=True, text=True, errors="replace", timeout=300)
        pdf = Path(tmp) / "main.pdf"
        if not pdf.exists():
            print(f"{spec.slug}: pdflatex failed\n{run.stdout[-2000:]}")
            return None
        errors = [ln for ln in run.stdout.splitlines() if ln.startswith("!")]
        if errors:
            print(f"{spec.slug}: {len(errors)} LaTeX errors, first: {errors[:3]}")
        shutil.copy(pdf, folder / "paper.pdf")
    return folder / "paper.pdf"


def pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    m = re.search(r"Pages:\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def main(argv: list[str]) -> None:
    rows = ["slug\ttitle\trepo\tcommit\tpdf_path\tlatex_main_path\tpages\tbytes\tcolumns\tlicense\tnotes"]
    for spec in SPECS:
        pdf = build(spec) if not argv or spec.slug in argv else HERE / spec.slug / "paper.pdf"
        if pdf is None or not pdf.exists():
            continue
        note = f"{spec.template} template, text of shared paper {spec.source} re-set (make_papers.py)"
        rows.append(f"{spec.slug}\t{spec.slug}\t-\t-\tpaper.pdf\tlatex/main.tex\t{pages(pdf)}\t"
                    f"{pdf.stat().st_size}\t{spec.columns}\tas the source paper\t{note}")
        print(spec.slug, pages(pdf), "pages", pdf.stat().st_size, "bytes")
    (HERE / "MANIFEST.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
