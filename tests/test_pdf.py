"""PDF ingestion: synthetic layouts that pin each behaviour, then the real papers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pdf_fixtures import Page, make_pdf, prose, wrap

from papercoder_nb.paper import load_paper
from papercoder_nb.paper.pdf import load_pdf
from papercoder_nb.paper.pdf_blocks import dehyphen_join

PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "papers"


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))


def _write(tmp_path: Path, pages: list[Page], name: str = "p.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(make_pdf(pages))
    return path


def _two_column_paper(n_pages: int = 3) -> list[Page]:
    """Two columns, line numbers in both margins, a running header, page numbers."""
    pages = []
    for pno in range(n_pages):
        p = Page()
        if pno == 0:
            p.text(150, 60, "A Synthetic Study of Reading Order", 16, "B")
            p.text(250, 90, "Ada Lovelace", 11)
            p.text(150, 130, "Abstract", 11, "B")
            top = 150
        else:
            p.text(200, 30, "A Synthetic Study of Reading Order", 9)
            top = 70
        for i in range(50):  # line numbers down both margins, as in review copies
            p.text(20, 60 + i * 13, f"{pno * 100 + i:03d}", 8)
            p.text(575, 60 + i * 13, f"{pno * 100 + 50 + i:03d}", 8)
        left = [f"left{pno} " + ln for ln in wrap(prose(160, pno), 8)]
        right = [f"right{pno} " + ln for ln in wrap(prose(160, pno + 3), 8)]
        y = top
        for j, ln in enumerate(left[:40]):
            if pno == 1 and j == 10:
                p.text(60, y, "2 Method", 11, "B")
                y += 16
            p.text(60, y, ln)
            y += 13
        y = top
        for j, ln in enumerate(right[:40]):
            if pno == 0 and j == 5:
                p.text(320, y, "1 Introduction", 11, "B")
                y += 16
            p.text(320, y, ln)
            y += 13
        p.text(300, 760, str(pno + 1), 9)
        pages.append(p)
    return pages


def test_two_column_reading_order_and_page_furniture(tmp_path):
    paper = load_pdf(_write(tmp_path, _two_column_paper()))
    assert paper.title == "A Synthetic Study of Reading Order"
    assert paper.authors == ["Ada Lovelace"]
    assert [s.title for s in paper.sections] == ["Introduction", "Method"]
    text = paper.abstract + "\n".join(s.text for s in paper.sections)
    # left column of each page is read before its right column, pages in order
    order = [m.group(0) for m in re.finditer(r"(left|right)\d", text)]
    firsts = list(dict.fromkeys(order))
    assert firsts == ["left0", "right0", "left1", "right1", "left2", "right2"]
    assert not re.search(r"\b\d{3}\b", text), "margin line numbers leaked into the text"
    assert "Synthetic Study" not in text, "running header leaked into the text"
    assert paper.meta.pages == 3
    assert any("running header" in w for w in paper.meta.warnings)


def test_headings_levels_numbering_and_appendix(tmp_path):
    p = Page()
    p.text(72, 60, "Heading Levels", 16, "B")
    y = 100
    heads = [("1 Introduction", 12), ("1.1 Scope of the work", 10), ("2 Method", 12),
             ("References", 12), ("A Extra Proofs", 12), ("A.1 First lemma", 10)]
    for h, size in heads:
        p.text(72, y, h, size, "B")
        y += 16
        if h == "References":
            for k in range(3):
                p.text(72, y, f"[{k + 1}] Author {k}. A cited work title, {2000 + k}.")
                y += 13
            continue
        for ln in wrap(prose(30), 10):
            p.text(72, y, ln)
            y += 13
        y += 6
    paper = load_pdf(_write(tmp_path, [p]))
    got = [(s.number, s.title, s.level, s.kind) for s in paper.sections]
    assert got == [
        ("1", "Introduction", 1, "body"), ("1.1", "Scope of the work", 2, "body"),
        ("2", "Method", 1, "body"), (None, "References", 1, "references"),
        ("A", "Extra Proofs", 1, "appendix"), ("A.1", "First lemma", 2, "appendix"),
    ]
    assert [r.text for r in paper.references][0].startswith("[1] Author 0.")
    assert len(paper.references) == 3
    assert "cited work" not in "".join(s.text for s in paper.sections)
    ids = [s.id for s in paper.sections]
    assert ids == [s.id for s in load_pdf(_write(tmp_path, [p], "again.pdf"), use_cache=False).sections]


def test_equations_captions_tables_and_hyphenation(tmp_path):
    p = Page()
    p.text(72, 60, "Equations and Floats", 16, "B")
    p.text(72, 100, "1 Model", 12, "B")
    p.text(72, 120, "the loss is computed with a care- fully chosen weight and we write")
    p.text(72, 133, "it below as a display equation that stands on its own line")
    p.text(230, 155, "L =")
    p.text(250, 155, "S a b g d", 10, "S")  # Symbol font: Σ α β γ δ
    p.text(520, 155, "(1)")
    p.text(72, 180, "after the equation the text continues with more ordinary words here")
    p.text(72, 210, "Figure 1: The architecture of the model.")
    p.text(72, 240, "Table 1: Results on the test set.")
    # a ruled 3x2 grid pdfplumber's table finder can see
    xs, ys = [72, 200, 330], [260, 280, 300, 320]
    for y in ys:
        p.rule(xs[0], y, xs[-1], y)
    for x in xs:
        p.rule(x, ys[0], x, ys[-1])
    for r, row in enumerate([("model", "score"), ("ours", "91.5"), ("base", "88.0")]):
        for c, cell in enumerate(row):
            p.text(xs[c] + 5, ys[r] + 5, cell)
    paper = load_pdf(_write(tmp_path, [p]))
    text = paper.sections[0].text
    assert "care- fully" in text  # a hyphen inside a line is not a line-end hyphen
    assert dehyphen_join("a care-", "fully") == "a carefully"
    assert dehyphen_join("a non-", "linear") == "a non-linear"  # real compound kept
    assert len(paper.equations) == 1
    eq = paper.equations[0]
    assert "L = S a b g d" in eq.text and eq.label == "(1)" and eq.section_id == paper.sections[0].id
    assert [f.caption for f in paper.figures] == ["Figure 1: The architecture of the model."]
    assert paper.tables[0].caption.startswith("Table 1")
    assert paper.tables[0].rows == [["model", "score"], ["ours", "91.5"], ["base", "88.0"]]


def test_progress_is_reported_per_page_and_cache_hits(tmp_path, monkeypatch):
    path = _write(tmp_path, _two_column_paper(4))
    seen: list[tuple[str, int, int]] = []
    first = load_pdf(path, progress=lambda w, d, t: seen.append((w, d, t)))
    assert [(d, t) for w, d, t in seen if w == "reading pages"] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    import papercoder_nb.paper.pdf as pdfmod

    monkeypatch.setattr(pdfmod, "_parse", lambda *a, **k: pytest.fail("cache missed"))
    again = load_pdf(path)
    assert again.model_dump(exclude={"meta"}) == first.model_dump(exclude={"meta"})
    assert list((tmp_path / "cache" / "papers").glob("*.json"))


def test_load_paper_dispatches_pdf_by_content(tmp_path):
    path = tmp_path / "paper.bin"
    path.write_bytes(make_pdf(_two_column_paper(1)))
    assert load_paper(path).meta.source_type == "pdf"


# --- real papers (../shared/papers) -------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]+", text)


def test_heading_under_overlapping_figure_text(tmp_path):
    """Text of another layer in the same place (a vector figure's labels that its clip
    path hides) must not merge into a heading's line and hide the heading."""
    pages = [Page().text(150, 60, "Layered Text", 16, "B")]
    y = 100
    for ln in wrap(prose(60), 12):
        pages[0].text(72, y, ln)
        y += 13
    p = Page()
    p.text(72, 70, "Input-Input Layer5", 16, "B")  # the figure's label, drawn over the heading
    p.text(72, 74, "Further Visual Results", 12, "B")
    y = 100
    for ln in wrap(prose(60, 4), 12):
        p.text(72, y, ln)
        y += 13
    pages.append(p)
    paper = load_pdf(_write(tmp_path, pages), use_cache=False)
    assert "Further Visual Results" in [s.title for s in paper.sections]


def test_transformer_structure():
    paper = load_pdf(PAPERS / "transformer" / "Transformer.pdf")
    titles = [s.title for s in paper.sections]
    for t in ["Introduction", "Background", "Model Architecture", "Scaled Dot-Product Attention",
              "Multi-Head Attention", "Positional Encoding", "Why Self-Attention", "Optimizer",
              "Conclusion", "References"]:
        assert t in titles
    assert paper.title == "Attention Is All You Need"
    assert "Ashish Vaswani" in paper.authors and "Illia Polosukhin" in paper.authors
    assert paper.abstract.startswith("The dominant sequence transduction models")
    assert next(s for s in paper.sections if s.title == "Scaled Dot-Product Attention").level == 3
    body = "\n".join(s.text for s in paper.sections)
    assert "(cid:" not in body
    # no glued words: naive extraction yields many 20+ letter tokens
    assert sum(1 for w in _words(body) if len(w) > 19) < 5
    assert len(paper.references) >= 35
    assert any("softmax" in e.text for e in paper.equations)
    assert len(paper.tables) >= 3 and len(paper.figures) >= 2
    # the unnumbered heading after the references, under a figure's clipped-away labels
    vis = next(s for s in paper.sections if s.title == "Attention Visualizations")
    assert vis.kind == "appendix" and vis.level == 1


def test_icml_anonymous_two_column_with_line_numbers():
    paper = load_pdf(PAPERS / "online-sinkhorn-icml" / "paper.pdf")
    assert paper.abstract.startswith("Optimal Transport (OT) distances are now routinely used")
    assert "Bach, 2019" not in paper.abstract  # right column not mixed into the left
    text = "\n".join(s.text for s in paper.sections)
    assert not re.search(r"\b0\d\d\b", text), "zero-padded margin line numbers leaked"
    assert "Online Sinkhorn: optimal transportation distances from sample streams" not in text
    # this paper has no 'Introduction' heading: its intro is an untitled section
    first = paper.sections[0]
    assert first.title == "Untitled section" and first.text.startswith("Optimal transport (OT) distances are fundamental")
    assert [s.number for s in paper.sections if s.kind == "body"][1:5] == ["1", "2", "2.1", "2.2"]
    assert len(paper.equations) >= 20


def test_korean_text_survives():
    paper = load_pdf(PAPERS / "acl-array-behaviour" / "paper.pdf")
    assert paper.title.startswith("배열 완성 과제에서 코드 생성 모델의 선호와 예측 단서 분석")
    assert paper.sections[0].title == "서론"
    assert any(s.title in ("참고 문헌", "참고문헌") and s.kind == "references" for s in paper.sections)
    assert "대형 언어 모델" in paper.sections[0].text
    assert any(s.kind == "appendix" and s.number == "A" for s in paper.sections)


def test_long_jmlr_appendix_marked_and_accents_composed():
    paper = load_pdf(PAPERS / "jmlr-orff" / "paper.pdf")
    assert paper.meta.pages == 71
    app = [s for s in paper.sections if s.kind == "appendix"]
    assert app and app[0].number == "A"
    assert any("Télécom ParisTech" in s or "Télécom" in s for s in paper.authors) or "´" not in " ".join(paper.authors)
    assert "T´el´ecom" not in paper.model_dump_json()
