"""No lost edit: unsaved marker, the save / discard / stay question, draft autosave and restore."""

from __future__ import annotations

import json
import time
from pathlib import Path

from papercoder_nb.widgets import Workbench
from test_workbench import classes, full_run, loaded

from papercoder_nb import Session


def planned(tmp_path: Path) -> Workbench:
    wb = loaded(tmp_path)
    wb.run_button.click()
    assert wb.wait_idle(20)
    assert wb.step == "Plan" and wb.view.aid == "plan"
    return wb


def type_into(wb: Workbench, text: str) -> None:
    wb.view.mode.value = "Edit"
    wb.view.editor.value = wb.view.editor.value + text


def test_typing_marks_the_editor_unsaved_and_saving_clears_it(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    assert wb.view.marker.value == "" and "pc-dirty-no" in classes(wb.view.widget)
    type_into(wb, "\nMy note.")
    assert "Unsaved changes" in wb.view.marker.value and "pc-dirty-yes" in classes(wb.view.widget)
    wb.view.save.click()
    assert wb.session.read("plan").endswith("My note.")
    assert wb.view.marker.value == "" and "pc-dirty-no" in classes(wb.view.widget)
    assert not (wb.session.root / ".drafts").exists() or not list((wb.session.root / ".drafts").iterdir())


def test_switching_step_with_unsaved_text_asks_and_stay_keeps_it(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    type_into(wb, "\nKeep me.")
    wb.step_buttons["Paper"].click()
    assert wb.step == "Plan", "switched away from unsaved text without asking"
    assert wb.ask.asking and wb.ask.widget.layout.display is None and "plan" in wb.ask.text.value
    wb.ask.stay.click()
    assert wb.step == "Plan" and wb.view.editor.value.endswith("Keep me.") and wb.view.dirty
    assert wb.ask.widget.layout.display == "none"


def test_save_and_continue_saves_then_switches(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    type_into(wb, "\nSaved on the way.")
    wb.step_buttons["Paper"].click()
    wb.ask.save.click()
    assert wb.step == "Paper"
    assert wb.session.read("plan").endswith("Saved on the way.")
    assert wb.session.record("plan").by == "user"


def test_discard_drops_the_text_and_its_draft_then_switches(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    before = wb.session.read("plan")
    type_into(wb, "\nThrow away.")
    assert list((wb.session.root / ".drafts").glob("*.json")), "no draft written while typing"
    wb.step_buttons["Paper"].click()
    wb.ask.discard.click()
    assert wb.step == "Paper" and wb.session.read("plan") == before
    assert not list((wb.session.root / ".drafts").glob("*.json"))
    wb.step_buttons["Plan"].click()
    assert not wb.view.dirty and wb.view.editor.value == before


def test_choosing_another_file_asks_and_stay_restores_the_selection(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Code"].click()
    first = wb.file_select.value
    second = next(v for _, v in wb.file_select.options if v != first)
    assert wb.view.aid == first
    type_into(wb, "\n# unsaved")
    wb.file_select.value = second
    assert wb.ask.asking and wb.view.aid == first
    wb.ask.stay.click()
    assert wb.file_select.value == first and wb.view.dirty
    wb.file_select.value = second
    wb.ask.discard.click()
    assert wb.view.aid == second and not wb.view.dirty


def draft_text(root: Path) -> str | None:
    found = list((root / ".drafts").glob("*.json"))
    return json.loads(found[0].read_text())["text"] if found else None


def wait_for(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_end_of_a_burst_of_typing_reaches_the_draft(tmp_path: Path) -> None:
    """A textarea (ipywidgets 7, Colab) syncs every key: the keys inside the autosave interval
    must still reach the draft once the interval is up, not wait for the next key."""
    wb = planned(tmp_path)
    wb.view.drafts.interval = 0.5
    for ch in "\nEvery key":  # one change per key, as the textarea sends them
        type_into(wb, ch)
    root = wb.session.root
    assert draft_text(root) == wb.session.read("plan") + "\n"  # the first key is written at once
    assert wait_for(lambda: (draft_text(root) or "").endswith("Every key")), draft_text(root)


def test_saving_cancels_a_draft_write_not_yet_made(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    wb.view.drafts.interval = 0.5
    type_into(wb, "\nA")
    type_into(wb, "B")  # inside the interval: written later
    wb.view.save.click()
    time.sleep(0.8)  # past the interval: a late write would have brought the draft back
    assert draft_text(wb.session.root) is None
    assert wb.session.read("plan").endswith("\nAB")


def test_a_draft_survives_a_kernel_restart_and_is_restored(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    type_into(wb, "\nTyped before the restart.")
    root = wb.session.root
    draft = json.loads(next((root / ".drafts").glob("*.json")).read_text())
    assert draft["artifact"] == "plan" and draft["text"].endswith("Typed before the restart.")
    again = Workbench(Session.open(root), workdir=tmp_path / "sessions", backend=wb.backend)
    again.step_buttons["Plan"].click()
    assert again.view.editor.value.endswith("Typed before the restart.")
    assert again.view.dirty and again.view.mode.value == "Edit" and "Restored your unsaved draft" in again.view.message.value
    assert "unsaved draft" in again.run_status.value  # said on opening, before the user looks
    assert again.session.read("plan") == wb.session.read("plan")  # nothing written without asking


def reopened_after_disk_edit(tmp_path: Path, draft: str, disk: str) -> Workbench:
    """A draft typed, then the file changed by someone else, then the panel opened again."""
    wb = planned(tmp_path)
    type_into(wb, draft)
    (wb.session.root / "planning" / "plan.md").write_text(disk, encoding="utf-8")
    again = Workbench(Session.open(wb.session.root), workdir=tmp_path / "sessions", backend=wb.backend)
    again.step_buttons["Plan"].click()
    return again


def test_a_draft_whose_file_changed_on_disk_shows_both_and_asks(tmp_path: Path) -> None:
    again = reopened_after_disk_edit(tmp_path, "\nMy draft line.", "Edited elsewhere.\n")
    keeper = again.view.drafts
    assert keeper.widget.layout.display is None and "changed on disk" in keeper.text.value
    assert "My draft line." in keeper.text.value and "Edited elsewhere." in keeper.text.value
    assert again.view.editor.value == "Edited elsewhere.\n", "the disk edit was replaced without asking"
    keeper.use_draft.click()
    assert again.view.editor.value.endswith("My draft line.") and again.view.dirty
    again.view.save.click()
    assert again.session.read("plan").endswith("My draft line.")
    assert keeper.widget.layout.display == "none"


def test_keeping_the_disk_version_drops_the_draft(tmp_path: Path) -> None:
    again = reopened_after_disk_edit(tmp_path, "\nOld draft.", "Newer on disk.\n")
    again.view.drafts.use_disk.click()
    assert not list((again.session.root / ".drafts").glob("*.json"))
    assert again.view.editor.value == "Newer on disk.\n" and not again.view.dirty


def test_opening_another_session_with_unsaved_text_asks_first(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    root = wb.session.root
    type_into(wb, "\nBefore leaving.")
    wb.paper_box.path.value = str(root)
    wb.paper_box.load.click()
    assert wb.ask.asking and wb.view.editor.value.endswith("Before leaving.")
    wb.ask.save.click()
    assert wb.session.read("plan").endswith("Before leaving.")
