"""benchmarks/fidelity.py: what each call carries against PaperCoder, and what a cap would cut."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import fidelity  # noqa: E402
from _papercoder_run import RUN  # noqa: E402


def test_under_a_frontier_models_limits_nothing_is_missing_or_cut() -> None:
    f = fidelity.measure(200_000, 64_000)
    # planning 1+2+3+4, seven analyses of 5, code 6 (no earlier file) to 12 (six earlier files)
    assert f.expected == 10 + 7 * 5 + sum(range(6, 13))
    assert f.parity == 1.0 and f.cuts == 0
    assert len(f.rows) == 18 and all(row[5] == "-" for row in f.rows)


def test_the_old_output_cap_shows_as_cut_answers() -> None:
    f = fidelity.measure(200_000, 6_000)  # the former 6,000-token coding cap
    cut = {row[0] for row in f.rows if "max_tokens" in row[5]}
    assert "code:model.py" in cut and f.cuts >= 1  # ~7,900 tokens of model.py


def test_a_short_window_is_seen_as_missing_information() -> None:
    f = fidelity.measure(24_000, 4_000)  # condensed paper, outlines
    assert f.parity < 1.0
    assert any("paper" in row[5] for row in f.rows)


def test_a_cut_design_is_not_carried() -> None:
    original = (RUN / "planning_artifacts" / "1.2_arch_design.txt").read_text()
    whole = fidelity.Carried(original, paper="")
    assert whole.covers(original)
    cut = original.replace("TransformerModel --> MultiHeadAttention", "")
    assert not fidelity.Carried(cut, paper="").covers(original)
