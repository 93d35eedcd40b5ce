"""Markdown, text and PaperCoder's s2orc JSON loaders; the paper model's ids and budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PAPERS, TRANSFORMER_JSON

from papercoder_nb.paper import PaperError, load_paper

RAW_JSON = PAPERS / "transformer" / "Transformer.json"


def test_cleaned_s2orc_sections_and_stable_ids() -> None:
    a, b = load_paper(TRANSFORMER_JSON), load_paper(TRANSFORMER_JSON)
    assert a.title == "Attention Is All You Need"  # the copyright notice GROBID glued on is gone
    assert [s.id for s in a.sections] == [s.id for s in b.sections]
    ids = [s.id for s in a.sections]
    assert len(ids) == len(set(ids))
    titles = [s.title for s in a.sections]
    assert "Scaled Dot-Product Attention" in titles and "Positional Encoding" in titles
    sdpa = a.section("3-2-1-scaled-dot-product-attention")
    assert sdpa.level == 3 and sdpa.number == "3.2.1"
    assert a.sections[-1].kind == "acknowledgements"
    assert len(a.figures) >= 3 and any("Scaled Dot-Product" in f.caption for f in a.figures)
    assert any("GROBID" in w for w in a.meta.warnings)  # its lost equations are stated


def test_raw_s2orc_has_authors_and_references() -> None:
    p = load_paper(RAW_JSON)
    assert "Ashish Vaswani" in p.authors
    assert len(p.references) > 30 and any("Bahdanau" in r.text for r in p.references)
    assert p.meta.token_estimate > 5000


def test_markdown_paper(tmp_path: Path) -> None:
    f = tmp_path / "p.md"
    f.write_text(
        "# A Tiny Paper\n\n## Abstract\nWe do things.\n\n## 1 Introduction\nIntro text.\n\n"
        "## 2 Method\nWe minimise $$L = \\sum_i x_i^2$$ as shown.\n\n### 2.1 Details\nMore.\n\n"
        "```python\n# not a heading\n```\n\n## Appendix A\nExtra.\n\n## References\n[1] Someone.\n"
    )
    p = load_paper(f)
    assert p.title == "A Tiny Paper" and p.abstract == "We do things."
    assert [s.id for s in p.sections] == ["1-introduction", "2-method", "2-1-details", "appendix-a", "references"]
    assert p.section("2-1-details").level == 2
    assert p.section("appendix-a").kind == "appendix" and p.section("references").kind == "references"
    assert p.equations[0].latex == "L = \\sum_i x_i^2"
    assert "# not a heading" in p.section("2-1-details").text


def test_plain_text_becomes_one_section(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("Just some text about a model.\nNo headings at all.\n")
    p = load_paper(f)
    assert len(p.sections) == 1 and "No headings" in p.sections[0].text


def test_selection_and_condensing() -> None:
    p = load_paper(TRANSFORMER_JSON)
    dropped = p.select(["2-background", p.sections[-1].id])
    assert "2-background" not in [s.id for s in dropped.sections]
    assert dropped.meta.token_estimate < p.meta.token_estimate
    short = p.to_prompt_text(max_tokens=2000)
    from papercoder_nb.paper.tokens import estimate_tokens

    assert estimate_tokens(short) <= 2000
    assert "Scaled Dot-Product Attention" in short  # headings survive condensing
    with pytest.raises(KeyError):
        p.select(["nope"])


def test_bad_text_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "e.md"
    empty.write_text("")
    with pytest.raises(PaperError, match="empty"):
        load_paper(empty)
    bad = tmp_path / "b.json"
    bad.write_text('{"not": "s2orc"}')
    with pytest.raises(PaperError, match="not an s2orc paper"):
        load_paper(bad)
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage\x81")
    with pytest.raises(PaperError, match="not UTF-8"):
        load_paper(binary)
