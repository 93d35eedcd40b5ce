"""Honest states: failing artifacts are red (never a plain green approval), auto-approve leaves
them for review, and Export says what it holds and who wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, responder
from papercoder_nb.widgets import Workbench
from test_workbench import classes, full_run, loaded

from papercoder_nb import Session
from papercoder_nb.llm.scripted import ScriptedBackend

BROKEN = "```python\ndef broken(:\n    pass\n```"


def broken_model_backend() -> ScriptedBackend:
    base = responder()
    return ScriptedBackend("test", responder=lambda req: BROKEN if req.artifact == "code:model.py" else base(req))


def auto_run(tmp_path: Path) -> Workbench:
    wb = loaded(tmp_path, broken_model_backend(), auto_approve=True)
    wb.step_buttons["Export"].click()
    wb.run_button.click()
    assert wb.wait_idle(60)
    return wb


def test_code_that_does_not_compile_is_red_and_not_auto_approved(tmp_path: Path) -> None:
    wb = auto_run(tmp_path)
    assert wb.statuses["code:model.py"] == "generated", "auto-approve approved code that does not compile"
    assert wb.status_of("code:model.py") == "failing"
    assert wb.statuses["code:main.py"] == "approved"  # the rest of the batch still ran
    assert "code:model.py" in wb.last_result.waiting_for_approval
    code = wb.step_buttons["Code"]
    assert code.button_style == "danger" and "pc-state-failing" in classes(code) and code.icon != "check"
    wb.select_artifact("code:model.py")
    assert wb.view.aid == "code:model.py"
    assert "Fails its checks" in wb.view.title.value and "syntax error" in wb.view.title.value
    assert wb.view.approve.description == "Approve anyway" and wb.view.approve.button_style == "warning"
    assert "failing" in dict((v, k) for k, v in wb.file_select.options)["code:model.py"]


def test_approve_all_skips_failing_files_and_a_human_approval_stays_red(tmp_path: Path) -> None:
    wb = auto_run(tmp_path)
    wb.step_buttons["Code"].click()
    wb.session.unapprove("code:utils.py")
    wb.refresh()
    wb.approve_all.click()
    assert wb.statuses["code:utils.py"] == "approved" and wb.statuses["code:model.py"] == "generated"
    assert "left for your review" in wb.run_status.value and "model.py" in wb.run_status.value
    wb.select_artifact("code:model.py")
    wb.view.approve.click()  # a reviewer may approve after reading: still shown failing, not green
    assert wb.statuses["code:model.py"] == "approved" and wb.status_of("code:model.py") == "failing"
    assert wb.view.approve.description == "Approved (failing)" and "approved by you anyway" in wb.view.title.value
    assert wb.step_buttons["Code"].button_style == "danger"


def test_an_invalid_design_is_shown_failing_and_cannot_be_approved(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Architecture"].click()
    wb.view.mode.value = "Edit"
    wb.view.editor.value = '{"file_list": 3}'
    wb.view.save.click()
    assert wb.status_of("architecture") == "failing"
    assert wb.step_buttons["Architecture"].button_style == "danger"
    wb.view.approve.click()
    assert "Not approved" in wb.view.message.value and wb.statuses["architecture"] != "approved"


def test_export_counts_what_it_holds_before_and_after_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wb = auto_run(tmp_path)
    wb.step_buttons["Export"].click()
    status = wb.export_box.status.value
    assert "Before you export" in status and "5 of 5 code files" in status
    assert "1 failing their checks (model.py)" in status and "smoke run not run" in status
    wb.export_box.repo.click()
    message = wb.export_box.message.value
    assert "with problems" in message and "1 failing their checks" in message and "pc-warn" in message


def test_export_of_a_partial_session_says_how_little_it_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wb = loaded(tmp_path, auto_approve=True)
    wb.run(until="planning")
    assert wb.wait_idle(30)
    wb.step_buttons["Export"].click()
    wb.export_box.repo.click()
    assert "0 of 5 code files (missing: utils.py, model.py, data.py, train.py and 1 more)" in wb.export_box.message.value


def test_the_readme_credits_each_artifact_to_its_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wb = full_run(tmp_path)
    wb.session.write("plan", wb.session.read("plan") + "\n", by="import", model="papercoder")
    wb.session.write("code:utils.py", wb.session.read("code:utils.py") + "# mine\n", by="user")
    wb.session.state.model = "local"  # the model picked last is not who wrote the files
    wb.step_buttons["Export"].click()
    wb.export_box.repo.click()
    readme = (wb.session.root / "export" / "repo" / "README.md").read_text()
    assert "- imported from PaperCoder: plan" in readme
    assert "- edited by you: code:utils.py" in readme
    assert "- generated by scripted:test: architecture" in readme and "local" not in readme


def test_links_from_an_earlier_session_are_not_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wb = full_run(tmp_path)
    wb.step_buttons["Export"].click()
    wb.export_box.notebook.click()
    assert wb.export_box.links.outputs
    other = Session.create(tmp_path / "other", wb.session.paper, str(TRANSFORMER_JSON))
    wb.open_session(other)
    assert not wb.export_box.links.outputs and wb.export_box.done == []


def test_the_export_step_turns_green_only_for_a_current_export_of_passing_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wb = full_run(tmp_path)
    step = wb.step_buttons["Export"]
    assert "pc-state-missing" in step._dom_classes  # nothing exported yet
    wb.step_buttons["Export"].click()
    wb.export_box.repo.click()
    wb.refresh()
    assert "pc-state-generated" in step._dom_classes  # exported, but the smoke run has not passed
    wb.session.state.smoke = {"ok": True}
    wb.refresh()
    assert "pc-state-approved" in step._dom_classes
    wb.session.state.smoke = {"ok": False}
    wb.refresh()
    assert "pc-state-failed" in step._dom_classes
    wb.session.state.smoke = {"ok": True}
    import os
    import time

    code = wb.session.path("code:utils.py")
    later = time.time() + 60
    os.utime(code, (later, later))  # the code changed after the export
    wb.refresh()
    assert "pc-state-stale" in step._dom_classes
