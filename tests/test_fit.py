"""The pre-flight estimate warns when the paper and planning will not fit the model's window."""

from __future__ import annotations

from conftest import TRANSFORMER_JSON

from papercoder_nb import load_paper
from papercoder_nb.run.estimate import estimate_run, format_estimate
from papercoder_nb.run.fit import fit_warnings, window_of


def test_a_paper_that_fits_gets_no_warning() -> None:
    assert fit_warnings(20_000, "anthropic:claude-sonnet-4-5") == []
    assert fit_warnings(2_000, "local") == []


def test_a_long_paper_on_a_small_window_says_what_is_condensed() -> None:
    [warning] = fit_warnings(17_000, "local")
    assert "8,192-token window of local" in warning and "condensed to ≈3,112 tokens" in warning
    assert "references first" in warning


def test_a_paper_longer_than_a_large_window_also_condenses_the_planning() -> None:
    warnings = fit_warnings(400_000, "anthropic:claude-sonnet-4-5")  # a 200k window
    assert len(warnings) == 2 and "planning designs will be passed compactly" in warnings[1]


def test_an_unknown_served_model_has_no_known_window_so_no_guess() -> None:
    assert window_of("openai:my-own-served-model") is None
    assert fit_warnings(50_000, "openai:my-own-served-model") == []
    assert fit_warnings(50_000, "openai:my-own-served-model", window=8192)  # unless the window is given


def test_the_estimate_lists_the_warning() -> None:
    paper = load_paper(TRANSFORMER_JSON)
    est = estimate_run(paper, "openai:served", window=1024)
    lines = format_estimate(est)
    assert est.warnings and lines[-len(est.warnings):] == [f"warning: {w}" for w in est.warnings]
    assert est.warnings[0].startswith("the paper") and "1,024-token window" in est.warnings[0]
