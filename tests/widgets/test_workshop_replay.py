"""The workshop in the panel: the shipped recording replays every stage, and after an edit
the replay's missing answers are one error naming what to do, wherever one looks in the panel."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as W
from conftest import ROOT
from papercoder_nb.widgets import Workbench

from papercoder_nb.session.recording import session_from_recording

RECORDED = ROOT / "examples" / "neural-audio-style-transfer" / "recorded"
HAND = "replayed from a recording of answers written by hand (no model)"


def panel_text(widget: W.Widget) -> str:
    """Every text the panel shows (HTML values and labels), for counting what a reader sees."""
    out = []
    for value in (getattr(widget, "value", None), getattr(widget, "description", None)):
        if isinstance(value, str):
            out.append(value)
    for child in getattr(widget, "children", ()):
        out.append(panel_text(child))
    return "\n".join(out)


def test_the_panel_replays_the_shipped_recording_then_shows_an_edits_replay_error_once(tmp_path: Path) -> None:
    wb = Workbench(session_from_recording(RECORDED, tmp_path), workdir=tmp_path)
    assert wb.model_box.spec == f"replay:{RECORDED.resolve()}"
    assert "Replays the recorded session" in wb.model_box.keys.value
    assert "written by hand (no model)" in wb.model_box.keys.value
    wb.auto_approve.value = True
    wb.step_buttons["Code"].click()
    wb.run_button.click()
    assert wb.wait_idle(120)
    assert set(wb.statuses.values()) == {"approved"} and not wb.error.value, wb.error.value
    wb.step_buttons["Plan"].click()
    assert HAND in panel_text(wb.widget)  # the plan is credited as the export credits it

    wb.step_buttons["Config"].click()  # the exercise: correct a value, save, approve, run again
    wb.view.mode.value = "Edit"
    wb.view.editor.value = wb.view.editor.value.replace("iterations: 150", "iterations: 300")
    assert wb.view.do_save()
    assert wb.view.do_approve()
    wb.step_buttons["Code"].click()
    wb.run_button.click()
    assert wb.wait_idle(120)
    shown = " ".join(panel_text(wb.widget).split())
    assert shown.count("no recorded answer") == 1, shown
    assert "(5 artifacts: analysis:" in wb.error.value
    assert "pick a live model" in wb.error.value  # what to do next


def test_a_new_session_from_a_replay_starts_again_from_the_recording(tmp_path: Path) -> None:
    wb = Workbench(session_from_recording(RECORDED, tmp_path), workdir=tmp_path)
    first = wb.session.root
    wb.new_session_button.click()
    assert wb.session.root != first and wb.session.root.parent == tmp_path
    assert wb.model_box.spec == f"replay:{RECORDED.resolve()}" and not wb.error.value
    wb.run_button.click()
    assert wb.wait_idle(60)
    assert wb.statuses["plan"] == "generated" and not wb.error.value, wb.error.value
