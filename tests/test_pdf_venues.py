"""Section headings on venue styles whose headings are neither bold nor larger:
ICLR small capitals, IEEE Roman numerals with lettered italic subsections, LNCS
unnumbered appendix subsections (real papers in ../shared/papers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercoder_nb.paper.model import Paper
from papercoder_nb.paper.pdf import load_pdf
from papercoder_nb.paper.pdf_headings import roman_value

PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "papers"


def _load(slug: str) -> Paper:
    path = PAPERS / slug / "paper.pdf"
    if not path.exists():  # the corpus is part of the workspace: missing means broken setup
        pytest.fail(f"{path} is missing: ../shared/papers must hold the venue papers")
    return load_pdf(path, use_cache=False)


def _heads(p: Paper) -> list[tuple[str | None, str, int]]:
    return [(s.number, s.title.lower(), s.level) for s in p.sections]


def test_roman_value() -> None:
    assert [roman_value(r) for r in ("I", "IV", "VI", "IX", "XIV", "A", "")] == [1, 4, 6, 9, 14, 0, 0]


def test_iclr_small_caps_headings() -> None:
    heads = _heads(_load("iclr2022-megapixel-sundae"))
    assert ("1", "introduction", 1) in heads
    assert ("2", "related work", 1) in heads
    assert ("2.1", "autoregressive generative models", 2) in heads
    assert ("3.2", "2d-aware hourglass transformer", 2) in heads
    # a heading wrapped onto a second line is one heading
    assert ("2.6", "summary of trends in deep generative modelling", 2) in heads
    assert ("5", "conclusion", 1) in heads
    numbered = [n for n, _, _ in heads if n]
    assert numbered == sorted(numbered, key=lambda n: [int(x) for x in n.split(".")])
    assert len(numbered) == 21


def test_ieee_roman_sections_and_lettered_subsections() -> None:
    p = _load("ieee-causal-discovery")
    heads = _heads(p)
    assert [n for n, _, lv in heads if lv == 1 and n] == ["I", "II", "III", "IV", "V", "VI", "VII"]
    assert ("I", "introduction", 1) in heads
    assert ("IV", "lpcmci", 1) in heads  # all capitals, no size change: the numbering carries it
    assert ("II.A", "preliminaries", 2) in heads
    assert ("V.D", "example result", 2) in heads
    # Roman 'V', 'VI' and lettered subsections are body sections, not appendices
    assert all(s.kind != "appendix" for s in p.sections)
    assert any(s.kind == "references" for s in p.sections)


def test_lncs_unnumbered_appendix_subsections() -> None:
    p = _load("lncs-xai-ood")
    app = [s for s in p.sections if s.kind == "appendix"]
    titles = [s.title.lower() for s in app]
    assert "further results" in titles
    proof = next(s for s in app if s.title.startswith("Proof of Equivalence"))
    assert proof.title.endswith("MLS") and proof.level == 2  # wrapped line joined
    assert ("5.1", "the discriminative performance of saliency aggregates", 2) in _heads(p)


def test_acl_two_column_sections_subsections_and_appendix() -> None:
    """ACL style (two columns, Korean text): numbered sections and subsections, the
    unnumbered Limitations section, references, then lettered appendix sections."""
    p = _load("acl-array-behaviour")
    heads = _heads(p)
    assert [n for n, _, lv in heads if lv == 1 and n and n.isdigit()] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [n for n, _, lv in heads if lv == 2 and n and n.startswith("4.")] == ["4.1", "4.2", "4.3", "4.4"]
    assert (None, "한계", 1) in heads  # unnumbered Limitations
    kinds = {s.number: s.kind for s in p.sections if s.number}
    assert kinds["A"] == kinds["A.1"] == kinds["B"] == "appendix"
    assert [s.kind for s in p.sections].index("references") < [s.number for s in p.sections].index("A")
