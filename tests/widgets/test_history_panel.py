"""History in the panel (browse, diff any two, restore), mode reset, New session, reopen,
and the picker's default model equals the CLI's."""

from __future__ import annotations

from pathlib import Path

from conftest import TRANSFORMER_JSON
from papercoder_nb.widgets import Workbench
from test_workbench import full_run, loaded

from papercoder_nb.llm.registry import default_spec
from papercoder_nb.session import history


def edit_config(wb: Workbench, old: str, new: str) -> None:
    wb.view.mode.value = "Edit"
    wb.view.editor.value = wb.view.editor.value.replace(old, new)
    wb.view.save.click()


def test_browse_any_two_versions_and_restore_one(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Config"].click()
    edit_config(wb, "d_model: 512", "d_model: 256")
    edit_config(wb, "d_model: 256", "d_model: 128")
    wb.view.mode.value = "Diff"
    hb = wb.view.history
    assert [n for _, n in hb.new.options] == [3, 2, 1] and "you" in hb.new.options[0][0] and "scripted:test" in hb.new.options[2][0]
    assert (hb.old.value, hb.new.value) == (2, 3)  # previous → current by default
    hb.old.value = 1
    assert "-  d_model: 512" in wb.view.diff.value and "+  d_model: 128" in wb.view.diff.value
    assert "from v1 to v3" in wb.view.diff.value
    hb.new.value = 2
    hb.show_text.value = "Text of “to”"
    assert "d_model: 256" in wb.view.diff.value and "pc-version-text" in wb.view.diff.value
    assert not hb.restore.disabled
    hb.restore.click()
    assert "d_model: 256" in wb.session.read("config") and "Restored v2" in wb.view.message.value
    assert [v.number for v in history.versions(wb.session, "config")] == [1, 2, 3, 4]
    assert history.versions(wb.session, "config")[-1].by == "user"  # restoring is itself an edit
    assert wb.view.editor.value == wb.session.read("config")


def test_restore_refuses_over_unsaved_text(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Config"].click()
    edit_config(wb, "d_model: 512", "d_model: 256")
    wb.view.editor.value += "# unsaved\n"
    wb.view.do_restore(1)
    assert "Save or discard" in wb.view.message.value and "d_model: 256" in wb.session.read("config")


def test_diff_mode_resets_on_an_artifact_without_history(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Config"].click()
    edit_config(wb, "d_model: 512", "d_model: 256")
    wb.view.mode.value = "Diff"
    wb.step_buttons["Plan"].click()  # one version only
    assert wb.view.mode.value == "View" and wb.view.view_box.layout.display is None


def test_new_session_button_starts_afresh_and_reloading_reopens_the_latest(tmp_path: Path) -> None:
    wb = loaded(tmp_path)
    wb.run_button.click()
    assert wb.wait_idle(20)
    first = wb.session.root
    wb.step_buttons["Paper"].click()
    assert wb.new_session_button.layout.display is None
    wb.new_session_button.click()
    assert wb.wait_idle(20)
    assert wb.session.root != first and wb.session.read("plan") is None
    assert first.is_dir() and (first / "planning" / "plan.md").is_file()  # the old one is untouched
    again = Workbench(TRANSFORMER_JSON, workdir=tmp_path / "sessions", backend=wb.backend)  # re-running the cell
    assert again.session.root == wb.session.root


def test_the_pickers_default_anthropic_model_is_the_clis(tmp_path: Path) -> None:
    wb = Workbench(workdir=tmp_path)
    wb.model_box.provider.value = "anthropic"
    assert wb.model_box.spec == default_spec({"ANTHROPIC_API_KEY": "x", "PAPERCODER_CONFIG_DIR": str(tmp_path)})
