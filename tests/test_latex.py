"""LaTeX sources: main file, \\input, comments, macros, math, floats, appendix, bib."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from papercoder_nb.paper import load_paper
from papercoder_nb.paper.latex import find_main, load_latex
from papercoder_nb.paper.latex_text import collect_macros, expand_macros, strip_comments, to_text

PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "papers"

MAIN = r"""\documentclass{article}
\usepackage{amsmath}
\newcommand{\model}{TinyNet}
\newcommand{\norm}[1]{\left\| #1 \right\|}
\newcommand{\R}{\mathbb{R}}
\DeclareMathOperator*{\argmin}{arg\,min}
\title{A \model{} for Testing}
\author{Ada Lovelace \\ Analytical Engines \and Alan Turing}
\begin{document}
\maketitle
\begin{abstract}
We present \model, a small model. % a comment that must vanish
\end{abstract}
\input{sections/intro}
\section{Method}\label{sec:method}
We minimise $\norm{x - y}^2$ over $x \in \R^d$ as in Eq.~\eqref{eq:loss} and Section~\ref{sec:method}.
\begin{equation}\label{eq:loss}
  L(\theta) = \argmin_{x} \norm{x}
\end{equation}
\begin{align}
  a &= b \\ c &= d
\end{align}
Display with brackets \[ E = mc^2 \] and dollars $$ F = ma $$ both count. 50\% of it.
\begin{figure}[t]\centering\includegraphics{fig.pdf}
\caption{The \model{} architecture.}\label{fig:arch}\end{figure}
\begin{table}\caption{Scores.}\begin{tabular}{lc}\toprule Model & Acc \\ \midrule \model & 91.5 \\ \bottomrule\end{tabular}\end{table}
\subsection*{Training details}
See Figure~\ref{fig:arch} \cite{turing1950}.
\section{Related Work}
Others \citep[see][]{lovelace1843,turing1950}.
\appendix
\section{Proofs}
Proof text.
\subsection{Lemma one}
More.
\bibliographystyle{plain}
\bibliography{refs}
\end{document}
"""
INTRO = r"""%!TEX root = ../main.tex
\section{Introduction}
Intro text with an escaped 100\% sign % and a comment
and a second line.
"""
BIB = r"""@article{turing1950, title={Computing Machinery and Intelligence}, author={Turing, Alan}, journal={Mind}, year={1950}}
@misc{unused, title={Never Cited}, author={Nobody}, year={2000}}
@book{lovelace1843, title={Notes on the {Analytical} Engine}, author={Lovelace, Ada}, year={1843}}
"""


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))


def _source(root: Path) -> Path:
    (root / "sections").mkdir(parents=True)
    (root / "main.tex").write_text(MAIN)
    (root / "sections" / "intro.tex").write_text(INTRO)
    (root / "refs.bib").write_text(BIB)
    (root / "unused_fragment.tex").write_text(r"\section{Fragment}")
    return root


def _check(paper):
    assert paper.title == "A TinyNet for Testing"
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.abstract == "We present TinyNet, a small model."
    got = [(s.number, s.title, s.level, s.kind) for s in paper.sections]
    assert got == [
        ("1", "Introduction", 1, "body"), ("2", "Method", 1, "body"),
        (None, "Training details", 2, "body"), ("3", "Related Work", 1, "body"),
        ("A", "Proofs", 1, "appendix"), ("A.1", "Lemma one", 2, "appendix"),
    ]
    intro = paper.sections[0].text
    assert "100% sign and a second line." in intro and "comment" not in intro
    method = paper.section("2-method").text
    assert r"$\left\| x - y \right\|^2$" in method  # macro with an argument expanded
    assert r"$x \in \mathbb{R}^d$" in method
    assert "as in Eq. 1 and Section 2." in method  # \ref resolved to numbers
    assert "50% of it" in method
    assert "Figure 1: The TinyNet architecture." in method and "Table 1: Scores." in method
    eqs = paper.equations
    # display math stays as the paper wrote it; the notation block explains its macros
    assert [e.latex for e in eqs] == [r"L(\theta) = \argmin_{x} \norm{x}", r"a &= b \\ c &= d", "E = mc^2", "F = ma"]
    assert paper.notation == [r"\newcommand{\argmin}{\operatorname{arg\,min}}", r"\newcommand{\norm}[1]{\left\| #1 \right\|}"]
    assert "## Notation macros" in paper.to_prompt_text() and "$$ L(\\theta) = \\argmin_{x} \\norm{x} $$ (1, eq:loss)" in method
    assert eqs[0].label == "eq:loss" and eqs[0].section_id == "2-method"
    assert paper.figures[0].caption == "The TinyNet architecture." and paper.figures[0].label == "fig:arch"
    assert paper.tables[0].rows == [["Model", "Acc"], ["TinyNet", "91.5"]]
    assert "See Figure 1 [turing1950]." in paper.sections[2].text
    assert [r.id for r in paper.references] == ["turing1950", "lovelace1843"]
    assert paper.references[1].title == "Notes on the Analytical Engine"


def test_folder(tmp_path):
    root = _source(tmp_path / "src")
    assert find_main(root).name == "main.tex"
    paper = load_latex(root)
    _check(paper)
    assert paper.meta.source_type == "latex-folder"


def test_single_file_through_load_paper(tmp_path):
    root = _source(tmp_path / "src")
    paper = load_paper(root / "main.tex")
    assert [s.title for s in paper.sections][0] == "Introduction"
    assert paper.meta.source_type == "latex"


def test_tar_gz_and_zip(tmp_path):
    root = _source(tmp_path / "src")
    tgz = tmp_path / "src.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        for f in root.rglob("*"):
            tf.add(f, arcname=str(f.relative_to(root)), recursive=False)
    _check(load_paper(tgz))
    z = tmp_path / "src.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in root.rglob("*"):
            if f.is_file():
                zf.write(f, arcname=str(Path("paper") / f.relative_to(root)))
    paper = load_latex(z)
    _check(paper)
    assert paper.meta.source_type == "latex-archive"


def test_helpers():
    assert strip_comments("a % c\nb \\% d % e\n%only") == "a\nb \\% d\n"
    macros = collect_macros(r"\newcommand{\x}[2][def]{<#1|#2>}\def\y{Y}\newcommand{\loop}{\loop}")
    assert "\\loop" not in macros  # recursive macros are never expanded
    assert expand_macros(r"\x{a} \x[b]{c} \y", macros) == "<def|a> <b|c> Y"
    assert to_text(r"\textbf{Bold} and \emph{it}~\cite{k1,k2} -- caf\'e ``q''") == "Bold and it [k1, k2] – café “q”"


def test_real_sources():
    tr = load_latex(PAPERS / "transformer" / "Transformer_cleaned.tex")
    titles = [s.title for s in tr.sections]
    assert "Scaled Dot-Product Attention" in titles and "Why Self-Attention" in titles
    assert any("softmax" in e.latex for e in tr.equations)
    sk = load_latex(PAPERS / "online-sinkhorn-icml" / "latex")
    assert sk.title.startswith("Online Sinkhorn")
    assert [s.number for s in sk.sections if s.kind == "appendix"][:2] == ["A", "A.1"]
    assert len(sk.equations) >= 30
    jm = load_latex(PAPERS / "jmlr-orff" / "latex")
    assert len(jm.references) > 50  # from the .bbl
