from __future__ import annotations

import pytest

from papercoder_nb.llm.base import Usage
from papercoder_nb.llm.pricing import PRICES, Price, cost, format_cost, price_for


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("anthropic:claude-3-7-sonnet-20250219", (3.0, 15.0, 0.30, 3.75)),
        ("anthropic:claude-3-7-sonnet-latest", (3.0, 15.0, 0.30, 3.75)),
        ("anthropic:claude-sonnet-4-5", (3.0, 15.0, 0.30, 3.75)),
        ("anthropic:claude-opus-4-1-20250805", (15.0, 75.0, 1.5, 18.75)),
        ("anthropic:claude-opus-4-20250514", (15.0, 75.0, 1.5, 18.75)),
        ("anthropic:claude-opus-4-5", (5.0, 25.0, 0.5, 6.25)),
        ("anthropic:claude-haiku-4-5-20251001", (1.0, 5.0, 0.1, 1.25)),
        ("anthropic:claude-3-5-haiku-20241022", (0.8, 4.0, 0.08, 1.0)),
        ("openai:gpt-4.1-mini-2025-04-14", (0.40, 1.60, 0.10, 0.40)),
        ("openai:gpt-4o-2024-08-06", (2.50, 10.0, 1.25, 2.50)),
        ("openai:gpt-4o-mini", (0.15, 0.60, 0.075, 0.15)),
        ("openai:o3-mini", (1.10, 4.40, 0.55, 1.10)),
        ("openai:o3", (2.0, 8.0, 0.50, 2.0)),
        ("openai:o4-mini-2025-04-16", (1.10, 4.40, 0.275, 1.10)),
        ("openai:gpt-5-nano", (0.05, 0.40, 0.005, 0.05)),
        ("gpt-5", (1.25, 10.0, 0.125, 1.25)),  # a bare model name searches every table
    ],
)
def test_longest_prefix_prices(spec: str, expected: tuple[float, ...]) -> None:
    assert price_for(spec) == Price(*expected)


@pytest.mark.parametrize(
    "spec",
    [
        "anthropic:claude-opus-4-7",  # a newer model is not priced as 'claude-opus-4'
        "openai:gpt-4o-audio-preview",
        "openai:qwen2.5-coder-7b",  # a model on an OpenAI-compatible server
        "anthropic:gpt-4o",  # the provider's own table only
        "mystery:model",
        "openai:",
        "",
    ],
)
def test_unknown_models_have_no_price(spec: str) -> None:
    assert price_for(spec) is None
    assert cost(spec, Usage(input_tokens=1000, output_tokens=10)) is None


@pytest.mark.parametrize("spec", ["local", "local:/models/x.gguf", "replay:/tmp/s/calls.jsonl", "scripted:queue"])
def test_local_replay_scripted_are_free(spec: str) -> None:
    assert cost(spec, Usage(input_tokens=10**6, output_tokens=10**6)) == 0.0


def test_the_measured_papercoder_run_costs_what_its_readme_says() -> None:
    # ../shared/papers/transformer/papercoder-run-claude37/README.md: 410,759 in, 47,857 out.
    usage = Usage(input_tokens=410_759, output_tokens=47_857)
    assert cost("anthropic:claude-3-7-sonnet-20250219", usage) == pytest.approx(1.95, abs=0.005)
    assert cost("openai:o3-mini", usage) == pytest.approx(0.66, abs=0.005)


def test_cache_reads_and_writes_are_priced_separately() -> None:
    usage = Usage(input_tokens=100_000, output_tokens=1_000, cache_read_tokens=60_000, cache_write_tokens=30_000)
    # Worked by hand, not restated from the code: 10k fresh at $3/M = $0.03, 60k read at
    # $0.30/M = $0.018, 30k written at $3.75/M = $0.1125, 1k out at $15/M = $0.015.
    assert cost("anthropic:claude-sonnet-4-5", usage) == pytest.approx(0.1755)
    openai_usage = Usage(input_tokens=100_000, output_tokens=1_000, cache_read_tokens=80_000)
    # 20k fresh at $2/M = $0.04, 80k cached at $0.50/M = $0.04, 1k out at $8/M = $0.008
    assert cost("openai:gpt-4.1", openai_usage) == pytest.approx(0.088)


def test_inconsistent_usage_never_goes_negative_or_crashes() -> None:
    usage = Usage(input_tokens=10, output_tokens=0, cache_read_tokens=50)
    # More cached than input: no negative fresh tokens, only the 50 cache reads at
    # $0.30 per million (Anthropic's published Sonnet 4.5 rate) = $0.000015.
    assert cost("anthropic:claude-sonnet-4-5", usage) == pytest.approx(0.000015)
    assert cost("anthropic:claude-sonnet-4-5", Usage(input_tokens=-5, output_tokens=-1)) == 0.0


def test_every_row_is_sane() -> None:
    for provider, table in PRICES.items():
        for name, price in table.items():
            assert price.output >= price.input > 0, name
            assert price.cache_read <= price.input, name
            if provider == "anthropic":  # published: 5-minute cache writes cost 1.25x input
                assert price.cache_write == pytest.approx(price.input * 1.25), name


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "cost unknown"), (0.0, "$0.00"), (0.0042, "$0.0042"), (1.954, "$1.95"), (1234.5, "$1,234.50")],
)
def test_format_cost(value: float | None, text: str) -> None:
    assert format_cost(value) == text
