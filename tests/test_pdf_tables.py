"""PDF tables with a text layer get their rows (ruled grids and unruled/booktabs tables)."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdf_fixtures import Page, make_pdf, prose, wrap

from papercoder_nb.paper.pdf import load_pdf
from papercoder_nb.paper.pdf_layout import page_words
from papercoder_nb.paper.pdf_tables import aligned_rows

PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "papers"


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))


def _cells(rows: list[list[str]]) -> set[str]:
    return {c for r in rows for c in r if c}


def _table(paper, number: str):
    return next(t for t in paper.tables if t.number == number)


def test_transformer_result_and_variation_tables_have_cells():
    paper = load_pdf(PAPERS / "transformer" / "Transformer.pdf")
    t2 = _table(paper, "2")  # unruled (booktabs): BLEU per language pair
    assert {"EN-DE", "EN-FR", "BLEU", "28.4", "41.8", "Transformer (big)"} <= _cells(t2.rows)
    big = next(r for r in t2.rows if r[0] == "Transformer (big)")
    assert big[1:3] == ["28.4", "41.8"]  # the BLEU cells stay in their columns
    assert "ByteNet" not in t2.caption  # the table's text no longer trails the caption
    t3 = _table(paper, "3")  # the hyper-parameter table
    base = next(r for r in t3.rows if r and r[0] == "base")
    assert base[1:4] == ["6", "512", "2048"] and "25.8" in base
    t4 = _table(paper, "4")
    assert ["Parser", "Training", "WSJ 23 F1"] in t4.rows
    assert len(_table(paper, "1").rows) >= 5


def test_other_formats_have_cells():
    lncs = load_pdf(PAPERS / "lncs-xai-ood" / "paper.pdf")
    t1 = _table(lncs, "1")
    assert t1.rows[0][:3] == ["Dataset", "MLS", "LIMENorm"] and len(t1.rows) >= 9
    nips = load_pdf(PAPERS / "tikz-graphics-programs" / "paper.pdf")
    t4 = _table(nips, "4")
    assert ["Parameter", "Description", "Range"] in t4.rows
    acl = load_pdf(PAPERS / "acl-array-behaviour" / "paper.pdf")
    t9 = _table(acl, "9")
    # (its "#" column of 1..45 is taken for margin line numbers by the loader's filter)
    assert ["page", "ref", "1"] in t9.rows and ["status", "cap", "false"] in t9.rows


def test_a_table_free_page_yields_no_false_table():
    """A caption-like anchor on a page of two-column prose finds no table there."""
    path = PAPERS / "acl-array-behaviour" / "paper.pdf"
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[1]  # body text in two columns, no table
        words = page_words(page)
        width = float(page.width)
    body = [w for w in words if w["top"] > 150]
    for anchor in (body[0], body[len(body) // 2]):
        found = aligned_rows(words, anchor["top"], anchor["text"], width)
        assert found is not None and found[0] == []


def test_unruled_table_below_its_caption(tmp_path):
    p = Page()
    p.text(72, 60, "A Paper With Tables", 16, "B")
    p.text(72, 100, "1 Setup", 12, "B")
    for i, ln in enumerate(wrap(prose(40), 12)):
        p.text(72, 120 + 12 * i, ln)
    p.text(72, 200, "Table 1: Hyper-parameters of the runs.")
    for i, row in enumerate([("Model", "lr", "layers"), ("base", "3e-4", "6"), ("big", "1e-4", "12")]):
        for x, cell in zip((150, 300, 420), row, strict=True):
            p.text(x, 222 + 13 * i, cell)
    for i, ln in enumerate(wrap(prose(60), 12)):
        p.text(72, 290 + 12 * i, ln)
    path = tmp_path / "t.pdf"
    path.write_bytes(make_pdf([p]))
    paper = load_pdf(path)
    assert paper.tables[0].rows == [["Model", "lr", "layers"], ["base", "3e-4", "6"], ["big", "1e-4", "12"]]
