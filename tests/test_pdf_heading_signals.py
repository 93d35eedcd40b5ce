"""Heading signals that need no venue rule: unnumbered sections on page 1 once a heading
was seen, wrapped unnumbered and italic titles, lettered subsections whose title opens
with a digit or that sit under a Roman-numbered appendix, 'Abstract—' under an author
line, and small-capital table captions. Each on a tiny synthetic PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_fixtures import Page, make_pdf, prose, wrap

from papercoder_nb.paper.pdf import load_pdf


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))


def _load(tmp_path: Path, pages: list[Page]):
    path = tmp_path / "p.pdf"
    path.write_bytes(make_pdf(pages))
    return load_pdf(path, use_cache=False)


def _para(p: Page, y: float, n: int = 30, start: int = 0, x: float = 72) -> float:
    for ln in wrap(prose(n, start), 10):
        p.text(x, y, ln)
        y += 12
    return y + 8


def test_unnumbered_sections_on_page_one_after_a_heading(tmp_path):
    """AAAI-like: no numbers; sections 12pt bold, subsections 11pt bold, all on page 1."""
    p = Page()
    p.text(150, 50, "A Paper With Unnumbered Headings", 16, "B")
    p.text(250, 76, "Ada Lovelace", 11)
    y = _para(p, 140, 40)
    p.text(72, 100, "Abstract", 11, "B")
    y = _para(p, y, 10, 3)
    for text, size in [("Introduction", 12), ("Background and Related Work", 12),
                       ("Linear Networks, Depth and Speed", 11), ("Overparameterization in Sum-Product", 12)]:
        p.text(72, y, text, size, "B")
        y += size + 4
        if text.endswith("Sum-Product"):  # a title wrapped onto a second line
            p.text(72, y, "Networks", size, "B")
            y += size + 4
        y = _para(p, y, 30, int(y) % 7)
    paper = _load(tmp_path, [p])
    got = [(s.title, s.level) for s in paper.sections]
    assert ("Background and Related Work", 1) in got
    assert ("Linear Networks, Depth and Speed", 1) in got or ("Linear Networks, Depth and Speed", 2) in got
    assert "Overparameterization in Sum-Product Networks" in [t for t, _ in got]
    assert "Networks" not in [t for t, _ in got]
    assert "Ada Lovelace" not in [t for t, _ in got]


def _ieee_page() -> Page:
    p = Page()
    p.text(150, 50, "Roman Sections and Lettered Subsections", 16, "B")
    p.text(250, 76, "Ada Lovelace", 11)
    p.text(72, 100, "Abstract-We read IEEE style headings from their numbering", 9, "B")
    p.text(72, 111, "and their face alone, with no venue rule at all.", 9, "B")
    y = 140.0
    items = [("I. INTRODUCTION", "R"), ("A. Lettered Subsection", "I"), ("B. 2D-Aware Hourglass Transformer", "I"),
             ("II. APPENDIX", "R"), ("A. Proof of Equivalence between the Two Scores and the", "I"),
             ("Maximum Logit", "I"), ("B. Further Results", "I")]
    for text, font in items:
        p.text(72, y, text, 10, font)
        y += 14
        if text.endswith("the"):
            continue  # its title goes on, on the next line
        y = _para(p, y, 24, int(y) % 5)
    return p


def test_lettered_subsections_digit_titles_roman_appendix_and_wrapped_italic(tmp_path):
    paper = _load(tmp_path, [_ieee_page()])
    got = [(s.number, s.title, s.level) for s in paper.sections]
    assert ("I.B", "2D-Aware Hourglass Transformer", 2) in got
    assert ("II.A", "Proof of Equivalence between the Two Scores and the Maximum Logit", 2) in got
    assert ("II.B", "Further Results", 2) in got
    assert paper.abstract.startswith("We read IEEE style headings")


def test_small_capital_table_caption_is_kept(tmp_path):
    p = Page()
    p.text(150, 50, "Small Capitals", 16, "B")
    p.text(72, 90, "1 Introduction", 12, "B")
    y = _para(p, 110, 30)
    p.text(250, y, "TABLE I", 8)
    # small capitals: a capital at 8pt, the rest of each word in capitals at 6.4pt
    x = 100.0
    for word in ["PARAMETERS", "OF", "ALL", "TRAINING", "RUNS"]:
        p.text(x, y + 11, word[0], 8)
        p.text(x + 5.4, y + 11 + 1.28, word[1:], 6.4)
        x += 5.4 + 4.6 * len(word) + 4
    _para(p, y + 30, 20, 4)
    paper = _load(tmp_path, [p])
    text = "\n".join(s.text for s in paper.sections)
    assert "PARAMETERS" in text and "TRAINING" in text
    assert paper.tables and paper.tables[0].number == "I"
