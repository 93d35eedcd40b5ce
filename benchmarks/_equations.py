"""Display equations kept verbatim: the paper's LaTeX (found by pylatexenc's walker) vs the
prompt text. Whitespace, labels, ``&``, ``\\\\`` and \\nonumber don't count."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pylatexenc.latexwalker import LatexEnvironmentNode, LatexMathNode, LatexWalker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from papercoder_nb.paper.latex import _resolve_inputs, find_main  # noqa: E402
from papercoder_nb.paper.latex_text import strip_comments  # noqa: E402

DISPLAY = {"equation", "align", "gather", "multline", "eqnarray", "displaymath", "flalign", "alignat", "dmath"}


def norm(tex: str) -> str:
    tex = re.sub(r"\\label\{[^}]*\}|\\nonumber|\\notag|\\\\|&", "", tex)
    return re.sub(r"\s+", "", tex)


def _walk(nodes: list, out: list[str]) -> None:
    for n in nodes or []:
        if isinstance(n, LatexEnvironmentNode) and n.environmentname.rstrip("*") in DISPLAY:
            out.append("".join(c.latex_verbatim() for c in n.nodelist))
        elif isinstance(n, LatexMathNode) and n.displaytype == "display":
            out.append("".join(c.latex_verbatim() for c in n.nodelist))
        else:
            _walk(getattr(n, "nodelist", None) or [], out)
            for a in (getattr(getattr(n, "nodeargd", None), "argnlist", None) or []):
                if a is not None:
                    _walk([a], out)


def latex_body(tex: Path) -> str:
    """The document body of a LaTeX paper (file or folder), inputs resolved, comments gone."""
    main = find_main(tex) if tex.is_dir() else tex
    root = tex if tex.is_dir() else tex.parent
    src = _resolve_inputs(strip_comments(main.read_text(encoding="utf-8", errors="replace")), main.parent, root, [])
    return src.split("\\begin{document}", 1)[-1].split("\\end{document}")[0]


def display_equations(tex: Path) -> list[str]:
    """The display equations of a LaTeX paper's body, as written."""
    nodes, _, _ = LatexWalker(latex_body(tex), tolerant_parsing=True).get_latex_nodes()
    out: list[str] = []
    _walk(nodes, out)
    return [e for e in out if norm(e)]


def kept(tex: Path, prompt: str) -> tuple[int, int, list[str]]:
    """(kept, total, first misses) of the paper's display equations in the prompt text."""
    flat = norm(prompt)
    eqs = display_equations(tex)
    missed = [e for e in eqs if norm(e) not in flat]
    return len(eqs) - len(missed), len(eqs), missed[:3]
