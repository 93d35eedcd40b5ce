"""The panel's steps are objects registered in one place; an unknown step name is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FILES
from papercoder_nb.widgets import Workbench
from papercoder_nb.widgets.steps import STEP_NAMES, STEP_TYPES, UnknownStep, step_for_artifact
from test_workbench import classes, loaded

ORDER = ["Paper", "Plan", "Architecture", "Logic", "Config", "Analysis", "Code", "Smoke", "Export", "Evaluate"]


def test_the_stepper_shows_the_registered_steps_in_order() -> None:
    wb = Workbench()
    assert list(STEP_NAMES) == ORDER == list(wb.step_buttons) == wb.steps.names
    assert [type(s) for s in wb.steps] == list(STEP_TYPES)


@pytest.mark.parametrize("name", ["Bogus", "export", ""])
def test_an_unknown_step_raises_naming_the_steps_instead_of_showing_export(name: str) -> None:
    wb = Workbench()
    before = wb.content.children
    with pytest.raises(KeyError) as raised:
        wb.select_step(name)
    assert isinstance(raised.value, UnknownStep)
    message = str(raised.value)
    assert repr(name) in message and all(step in message for step in ORDER), message
    assert wb.step == "Paper" and wb.content.children == before and "pc-showing-paper" in classes(wb.content)


def test_each_step_says_what_run_does_there() -> None:
    wb = Workbench()
    targets = {s.name: (s.run_until, s.run_label) for s in wb.steps}
    assert targets == {
        **{n: ("planning", "Run planning") for n in ("Paper", "Plan", "Architecture", "Logic", "Config")},
        "Analysis": ("analysis", "Run analysis"), "Code": ("coding", "Run code"),
        **{n: (None, "Run everything") for n in ("Smoke", "Export", "Evaluate")},
    }


def test_each_artifact_has_one_step_that_shows_it() -> None:
    assert [step_for_artifact(a) for a in ("plan", "architecture", "logic", "config")] == ORDER[1:5]
    assert step_for_artifact("analysis:main.py") == "Analysis" and step_for_artifact("code:main.py") == "Code"
    assert step_for_artifact("paper") is None


def test_every_step_shows_its_own_box_and_colours_its_button(tmp_path: Path) -> None:
    wb = loaded(tmp_path, auto_approve=True)
    wb.run(until="analysis")
    assert wb.wait_idle(30)
    for name in ORDER:
        wb.select_step(name)
        step = wb.steps[name]
        assert wb.current_step is step and f"pc-showing-{name.lower()}" in classes(wb.content)
        assert wb.content.children, name
        assert f"pc-state-{step.state()}" in classes(wb.step_buttons[name]), name
    assert wb.steps["Analysis"].state() == "approved" and wb.steps["Code"].state() == "missing"
    wb.select_artifact(f"analysis:{list(FILES)[-1]}")
    assert wb.step == "Analysis" and wb.file_select.value == f"analysis:{list(FILES)[-1]}"
