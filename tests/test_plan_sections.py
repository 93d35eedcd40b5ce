"""A plan that lost its sections (trimmed loop, bad repair) is a failure, not a plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.stages.specs import plan_sections, spec_for


def test_a_looping_plan_trimmed_to_no_section_is_refused() -> None:
    loop = "Here is the plan.\n" + "the the the the the " * 100_000  # 2 MB repeating itself
    with pytest.raises(ValueError, match="none of its required sections after its repeated tail was cut"):
        spec_for("plan").parse(loop, None)


def test_a_plan_missing_some_sections_is_kept_with_a_warning() -> None:
    parsed = spec_for("plan").parse("## 1. Method\nA model.\n\n### hyper-parameters\n| a | b |\n", None)
    assert plan_sections(parsed.content) == ["Method", "Hyper-parameters"]
    assert any("lacks the sections Data, Training" in w for w in parsed.warnings)


def test_a_repair_that_still_has_no_section_fails_the_stage(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    backend = ScriptedBackend("t", answers=["A plan with no headings at all, only prose.",
                                            "Still prose and nothing else in this answer."])
    result = Runner(session, backend, auto_approve=True).run(until="plan")
    assert "none of its required sections" in result.failed["plan"]
    assert session.read("plan") is None and len(backend.requests) == 2  # one repair, then a failure
