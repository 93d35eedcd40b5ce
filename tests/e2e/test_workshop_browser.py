"""Real browser (JupyterLab 4, Notebook 7, classic Notebook 6.5): the workshop notebook replays
the shipped recording by default.

No environment variable points anywhere: the notebook's own default replays
``examples/neural-audio-style-transfer/recorded/`` (the developers' hand-written answers
through the real pipeline), the panel says so, Run replays each stage, and after the
workshop's exercise (correct the config, approve, run again) the missing answers are one
error that says to pick a live model. Screenshots: test-output/screenshots/{,nb7-,nb6-}workshop-*.png.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
from browser_run import run_in_browser, shipped_notebook
from conftest import ROOT
from editor_helpers import change_config
from front_ends import FRONT_ENDS, prefix
from panel_driver import Panel

pytestmark = pytest.mark.browser

N_FILES = 5  # audio, network, losses, stylize, main
PANEL_TEXT = "document.querySelector('.pc-panel').innerText"


def workshop_flow(page, ui: Panel) -> None:
    note = ui.el(".pc-replay-note").inner_text()
    assert "Replays the recorded session" in note and "neural-audio-style-transfer/recorded" in note, note
    assert "written by hand (no model)" in note
    assert "local" not in ui.el(".pc-provider select").input_value()
    ui.shot("replays-shipped-recording")
    ui.click(".pc-status-details")  # the per-artifact badges live behind "Details"

    ui.click(".pc-run")  # Run planning: the plan comes from the recording, waiting for review
    ui.wait(".pc-status-plan.pc-state-generated")
    ui.wait(".pc-content.pc-showing-plan .pc-rendered h2")
    assert "Written by hand for the papercoder-nb example" in ui.el(".pc-rendered").inner_text()
    assert "replayed from a recording of answers written by hand (no model)" in ui.el(".pc-content").inner_text()
    ui.shot("plan-replayed")

    ui.run_auto_approved(N_FILES)  # the rest in one batch, as a class would after reviewing the plan
    assert ui.el(".pc-error").inner_text().strip() == ""
    ui.shot("everything-replayed")

    change_config(ui, "iterations: 150", "iterations: 300")  # the exercise: correct a value, save, approve, run again
    ui.click(".pc-approve")
    ui.wait(".pc-status-config.pc-state-approved")
    ui.step("code")
    ui.click(".pc-run")
    ui.wait(".pc-error.pc-has-error-yes", timeout=60_000)
    page.wait_for_selector(".pc-panel.pc-busy-no", timeout=30_000)
    shown = page.evaluate(PANEL_TEXT)
    assert shown.count("no recorded answer") == 1, shown
    error = ui.el(".pc-error").inner_text()
    assert f"({N_FILES} artifacts: analysis:" in error and "pick a live model" in error, error
    ui.shot("edit-then-run-one-error")


def snapshot() -> dict[str, bytes]:
    recorded = ROOT / "examples" / "neural-audio-style-transfer" / "recorded"
    return {str(p.relative_to(recorded)): p.read_bytes() for p in recorded.rglob("*") if p.is_file()}


@pytest.mark.parametrize("app", FRONT_ENDS)
def test_workshop_replays_the_shipped_recording(tmp_path: Path, app: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKSHOP_", "PAPERCODER_MODEL"))}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "rt")
    shipped = snapshot()
    label = "workshop-"
    run_in_browser(tmp_path, env, lambda page, root: workshop_flow(page, Panel(page, prefix(app) + label)), label, app,
                   prepare=partial(shipped_notebook, name="workshop.ipynb"))
    assert snapshot() == shipped  # students replay the recording; nothing writes into it
