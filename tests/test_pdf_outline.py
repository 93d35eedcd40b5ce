"""The PDF outline (bookmarks) as a heading signal: synthetic PDFs whose headings are
invisible to layout detection, then the real papers that carry an outline (and one
that does not)."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdf_fixtures import Bookmark, Page, make_pdf, prose, wrap

from papercoder_nb.paper.model import Paper
from papercoder_nb.paper.pdf import load_pdf
from papercoder_nb.paper.pdf_outline import read_outline

PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "papers"


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))


def _plain_heading_paper() -> tuple[list[Page], list[Bookmark]]:
    """Headings set in the body face and size (no bold, no numbers, no larger type):
    only the outline can tell them from paragraphs."""
    pages, marks = [], []
    heads = ["Setting the scene", "What the reader builds", "Where it went wrong", "Closing remarks"]
    for pno in range(2):
        p = Page()
        y = 72.0
        if pno == 0:
            p.text(150, 40, "Plain Headings Everywhere", 16, "B")
        for k in range(2):
            title = heads[pno * 2 + k]
            p.text(72, y, title)
            marks.append((1, title, pno, y - 2))
            y += 18
            for ln in wrap(prose(90, pno * 7 + k), 12):
                p.text(72, y, ln)
                y += 13
            y += 13
        # a bold numbered line that the outline does not list (a list item)
        if pno == 1:
            p.text(72, y, "1 Runs repeated with fresh seeds", font="B")
            y += 13
            for ln in wrap(prose(40, 3), 12):
                p.text(72, y, ln)
                y += 13
        pages.append(p)
    return pages, marks


def _load(tmp_path: Path, pages: list[Page], marks: list[Bookmark] | None) -> Paper:
    path = tmp_path / "o.pdf"
    path.write_bytes(make_pdf(pages, outline=marks))
    return load_pdf(path, use_cache=False)


def test_outline_finds_headings_the_layout_cannot(tmp_path):
    pages, marks = _plain_heading_paper()
    with_outline = _load(tmp_path, pages, marks)
    titles = [s.title for s in with_outline.sections]
    assert titles == ["Setting the scene", "What the reader builds", "Where it went wrong", "Closing remarks"]
    assert with_outline.sections[1].text.startswith(" ".join(prose(5, 1)))
    # a complete outline lists every numbered heading: a bold numbered line it lacks is text
    assert "1 Runs repeated with fresh seeds" in with_outline.sections[-1].text
    without = _load(tmp_path, pages, None)  # the same pages without bookmarks
    assert "Where it went wrong" not in [s.title for s in without.sections]
    assert "Runs repeated with fresh seeds" in [s.title for s in without.sections]


def test_outline_levels_and_wrapped_titles(tmp_path):
    p = Page()
    p.text(150, 40, "Nested Outline Paper", 16, "B")
    y = 80.0
    marks: list[Bookmark] = []
    layout = [(1, ["Overview of the approach"]), (2, ["A first detail"]),
              (2, ["A second detail whose title is long enough that the", "typesetter wraps it"]),
              (1, ["Results"])]
    for level, parts in layout:
        marks.append((level, " ".join(parts), 0, y - 2))
        for part in parts:
            p.text(72, y, part)
            y += 13
        y += 5
        for ln in wrap(prose(40, level), 12):
            p.text(72, y, ln)
            y += 13
        y += 10
    paper = _load(tmp_path, [p], marks)
    heads = [(s.title, s.level) for s in paper.sections]
    assert heads == [
        ("Overview of the approach", 1), ("A first detail", 2),
        ("A second detail whose title is long enough that the typesetter wraps it", 2), ("Results", 1),
    ]


def test_outline_of_title_only_is_ignored(tmp_path):
    pages, _ = _plain_heading_paper()
    paper = _load(tmp_path, pages, [(1, "Plain Headings Everywhere", 0, 38.0)])
    # one entry (the paper's title) says nothing about sections: layout decides, as without
    assert [s.title for s in paper.sections] == [s.title for s in _load(tmp_path, pages, None).sections]


def _real(slug: str, name: str = "paper.pdf") -> Path:
    path = PAPERS / slug / name
    if not path.exists():
        pytest.fail(f"{path} is missing: ../shared/papers must hold the venue papers")
    return path


def test_read_outline_pages_and_positions():
    with pdfplumber.open(_real("blocks-fuel")) as pdf:
        entries = read_outline(pdf)
    assert [e.title for e in entries[:3]] == ["Introduction", "Blocks", "Bricks"]
    assert [e.level for e in entries[:3]] == [1, 1, 2]
    assert all(0 <= e.page < 5 and e.top is not None and 0 < e.top < 792 for e in entries)
    with pdfplumber.open(_real("iclr2022-megapixel-sundae")) as pdf:
        assert read_outline(pdf) == []  # no bookmarks: layout detection alone


def test_real_outline_papers_keep_every_bookmarked_heading():
    """Every outline entry of these papers shows up as a section, at the outline's level."""
    for slug, name in [("transformer", "Transformer.pdf"), ("ieee-causal-discovery", "paper.pdf"),
                       ("tikz-graphics-programs", "paper.pdf")]:
        path = _real(slug, name)
        with pdfplumber.open(path) as pdf:
            entries = read_outline(pdf)
        paper = load_pdf(path, use_cache=False)
        got = {(s.title.lower(), s.level) for s in paper.sections}
        want = {(e.title.lower(), e.level) for e in entries}
        assert want <= got, (slug, want - got)


def test_broken_outline_destinations_fall_back_to_order():
    """jmlr-orff's appendix bookmarks point at page 1-3 (hyperref reused the destination
    names after \\appendix) and its nesting is off; the appendix headings are still found
    where the outline's order puts them, with levels from their numbers."""
    paper = load_pdf(_real("jmlr-orff"), use_cache=False)
    heads = {(s.number, s.title, s.level) for s in paper.sections}
    assert ("A", "Reminder on Abstract Harmonic Analysis", 1) in heads
    assert ("B.1.1", "Proof of Lemma 16", 3) in heads
    assert ("2", "Background", 1) in heads  # nested under 'Introduction' in the broken outline
    assert any(s.number == "3.3.2" and s.title.startswith("Skewed") for s in paper.sections)
