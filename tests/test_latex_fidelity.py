"""What the model reads from real LaTeX sources: display equations as written, the paper's
macros once, tables with their rows, algorithms step by step, and `paper --prompt` showing
exactly the paper text a prompt carries."""

from __future__ import annotations

import csv
import functools
import re
import sys
from pathlib import Path

import pytest
from conftest import PAPERS, ROOT

from papercoder_nb.cli import main
from papercoder_nb.llm.limits import ModelLimits
from papercoder_nb.paper import load_paper
from papercoder_nb.paper.latex import load_latex
from papercoder_nb.paper.model import Paper
from papercoder_nb.session.store import Session
from papercoder_nb.stages.context import build_request
from papercoder_nb.stages.specs import spec_for

sys.path.insert(0, str(ROOT / "benchmarks"))
from _equations import display_equations, kept  # noqa: E402

TRANSFORMER_TEX = PAPERS / "transformer" / "Transformer_cleaned.tex"


def latex_sources() -> list[tuple[str, Path]]:
    out = []
    with (PAPERS / "MANIFEST.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["latex_main_path"] in ("", "-"):
                continue
            tex = PAPERS / row["slug"] / "latex"
            out.append((row["slug"], tex if tex.exists() else PAPERS / row["slug"] / Path(row["latex_main_path"]).name))
    return out


SOURCES = latex_sources()


@functools.cache
def latex(tex: Path) -> Paper:
    return load_latex(tex, use_cache=False)


def test_the_corpus_is_there() -> None:
    assert len(SOURCES) >= 9 and all(p.exists() for _, p in SOURCES)


def test_transformer_equations_reach_the_prompt_as_written() -> None:
    text = latex(TRANSFORMER_TEX).to_prompt_text()
    assert r"$$ \mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V $$ (1" in text
    assert "\\min({step\\_num}^{-0.5}," in text and "\\dmodel^{-0.5}" in text
    assert "softmax(QK^Td_k)V" not in text


@pytest.mark.parametrize(("slug", "tex"), SOURCES, ids=[s for s, _ in SOURCES])
def test_every_display_equation_verbatim(slug: str, tex: Path) -> None:
    paper = latex(tex)
    got, total, missed = kept(tex, paper.to_prompt_text())
    assert got == total, f"{slug}: {total - got} of {total} display equations not verbatim, e.g. {missed}"
    # fenced and numbered in place, inside the section that holds it
    for eq in paper.equations:
        sec = paper.section(eq.section_id)
        assert f"$$ {eq.latex} $$ ({eq.id.removeprefix('eq')}" in sec.text


def test_the_truth_tool_finds_equations() -> None:
    # the check above would pass vacuously if the walker found nothing
    counts = {slug: len(display_equations(tex)) for slug, tex in SOURCES}
    assert counts["transformer"] == 5 and counts["jmlr-orff"] > 100 and sum(counts.values()) > 200


def test_macros_stay_as_written_and_are_explained_once() -> None:
    paper = latex(PAPERS / "jmlr-orff" / "latex")
    text = paper.to_prompt_text()
    assert text.count("## Notation macros") == 1
    assert r"\newcommand{\groupop}{\star}" in paper.notation
    assert any(r"\groupop" in e.latex for e in paper.equations if e.latex)
    # only macros the equations use, each once
    assert len(paper.notation) == len(set(paper.notation))
    block = text.split("## Notation macros", 1)[1].split("```", 2)[1]
    assert block.count(r"\newcommand{\groupop}") == 1


@pytest.mark.parametrize(("slug", "tex"), SOURCES, ids=[s for s, _ in SOURCES])
def test_every_latex_table_has_rows_as_markdown(slug: str, tex: Path) -> None:
    paper = latex(tex)
    text = paper.to_prompt_text()
    for t in paper.tables:
        assert len(t.rows) >= 2, f"{slug} table {t.number} ({t.caption[:40]}) has no rows"
        head = "| " + " | ".join(" ".join(c.replace("|", "\\|").split()) for c in t.rows[0])
        assert head in paper.section(t.section_id).text and head in text


def test_table_spans_and_rules() -> None:
    paper = latex(TRANSFORMER_TEX)
    bleu = next(t for t in paper.tables if "BLEU" in t.caption)
    assert bleu.rows[0][:3] == ["Model", "BLEU", ""]  # \multicolumn{2}: the name, then an empty cell
    assert all(len(r) == len(bleu.rows[0]) for r in bleu.rows)
    assert not any(re.search(r"toprule|midrule|\d+pt", c) for r in bleu.rows for c in r)
    text = paper.to_prompt_text()
    assert "| Transformer (big) | 28.4 | 41.8 |" in text


def test_algorithms_keep_their_steps() -> None:
    text = load_latex(PAPERS / "online-sinkhorn-icml" / "latex", use_cache=False).to_prompt_text()
    alg = text.split("Algorithm: Online Sinkhorn potentials", 1)[1].split("\n\n", 1)[0]
    steps = alg.strip().splitlines()
    assert len(steps) >= 10 and steps[0].startswith("- input")
    assert sum(s.startswith("- for") for s in steps) >= 3 and sum(s == "- endfor" for s in steps) >= 3
    algo2e = latex(PAPERS / "jmlr-orff" / "latex").to_prompt_text()
    assert "Algorithm: Construction of ORFF from OVK\n- input " in algo2e


def test_s2orc_tables_have_rows_in_their_section() -> None:
    paper = load_paper(PAPERS / "transformer" / "Transformer.json")
    assert paper.tables and all(len(t.rows) >= 2 for t in paper.tables)
    bleu = next(t for t in paper.tables if "BLEU" in t.caption)
    sec = paper.section(bleu.section_id)
    text = paper.to_prompt_text()
    at = text.index(f"{{#{sec.id}}}")
    assert text.index("| ByteNet [18] | 23.75 |", at) < text.index("\n## ", at + 1)


def test_condensed_prompt_stays_within_budget_with_tables() -> None:
    paper = latex(TRANSFORMER_TEX)
    from papercoder_nb.paper.tokens import estimate_tokens

    for budget in (800, 3000, 6000):
        assert estimate_tokens(paper.to_prompt_text(max_tokens=budget)) <= budget


def test_paper_prompt_prints_what_the_prompt_carries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paper", str(TRANSFORMER_TEX), "--prompt"]) == 0
    printed = capsys.readouterr().out
    assert r"\frac{QK^T}{\sqrt{d_k}}" in printed  # rich markup would have eaten nothing either
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_TEX), TRANSFORMER_TEX)
    built = build_request(session, spec_for("plan"), limits=ModelLimits(context_window=200_000, max_output=32_000, small=False))
    parts = [p.text for m in built.request.messages for p in m.parts]
    assert f"# The paper\n\n{printed}" in parts


def test_panel_shows_what_the_model_reads(tmp_path: Path) -> None:
    from html import unescape

    from widgets.paper_box import PaperBox

    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_TEX), TRANSFORMER_TEX)
    box = PaperBox(lambda _p: None, lambda _f: None, lambda _d: None)
    box.show_session(session)
    shown = unescape(box.prompt_view.value)
    assert "What the model reads" in shown and session.selected_paper().to_prompt_text() in shown
    assert r"\frac{QK^T}{\sqrt{d_k}}" in shown


def test_any_source_table_with_rows_renders_in_its_section() -> None:
    # PDF tables get rows from the pdf parser; rendering is the same for every source
    from papercoder_nb.paper.model import PaperMeta, Section, Table

    paper = Paper(
        title="T",
        sections=[Section(id="1-setup", title="Setup", number="1", text="We train with these settings."),
                  Section(id="2-results", title="Results", number="2", text="Scores follow.")],
        tables=[Table(id="t1", section_id="1-setup", number="1", caption="Hyper-parameters.",
                      rows=[["name", "value"], ["lr", "3e-4"], ["norm", "|x|"], ["warmup"]])],
        meta=PaperMeta(source_type="pdf"),
    ).finalize()
    text = paper.to_prompt_text()
    setup = text.split("{#1-setup}", 1)[1].split("{#2-results}", 1)[0]
    assert "Table 1: Hyper-parameters.\n\n| name | value |\n|---|---|\n| lr | 3e-4 |\n| norm | \\|x\\| |\n| warmup |  |" in setup
    assert text.count("| lr | 3e-4 |") == 1
    short = paper.to_prompt_text(max_tokens=45)
    assert "{#1-setup}" in short and "{#2-results}" in short and "[…]" in short
