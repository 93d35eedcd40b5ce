"""The same failure on many artifacts is shown once, naming them; the workshop says what it uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, scripted
from nbclient.exceptions import CellExecutionError
from papercoder_nb.widgets import Workbench
from papercoder_nb.widgets.errors import group_failures
from test_notebooks import execute

from papercoder_nb import Runner, Session, load_paper


def test_group_failures_keeps_distinct_problems_apart() -> None:
    failed = {f"code:{n}": f"code:{n}: replay: no recorded answer for code:{n} (request {h}) in x"
              for n, h in (("a.py", "0123456789ab"), ("b.py", "ba9876543210"))}
    failed["logic"] = "logic: not valid"
    lines = group_failures(failed)
    assert len(lines) == 2 and "(2 artifacts: code:a.py, code:b.py)" in lines[0] and lines[1] == "logic: not valid"


def test_a_replay_that_runs_out_shows_its_error_once(tmp_path: Path) -> None:
    recorded = Session.create(tmp_path / "recorded", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    Runner(recorded, scripted(), auto_approve=True).run(until="analysis")  # no code answers recorded
    wb = Workbench(TRANSFORMER_JSON, workdir=tmp_path / "s", auto_approve=True)
    wb.model_box.provider.value = "replay"
    wb.model_box.model.value = str(recorded.root)
    wb.step_buttons["Code"].click()
    wb.run_button.click()
    assert wb.wait_idle(60)
    assert wb.error.value.count("no recorded answer") == 1, wb.error.value


def test_the_workshop_uses_the_toy_model_only_when_chosen_and_says_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_MODEL", "local")
    nb = execute("workshop", tmp_path)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "MODEL = local: the embedded SmolLM2-135M, a toy model" in printed and "Replaying" not in printed


def test_the_workshop_without_its_recording_says_so_and_never_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_RECORDED", str(tmp_path / "nothing-recorded"))
    with pytest.raises(CellExecutionError, match="no recorded session at .*nothing-recorded"):
        execute("workshop", tmp_path)
