"""The panel under an instructor's settings: the lock shown and kept, the day's cap applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, scripted
from papercoder_nb.widgets import Workbench

import papercoder_nb.session.backend as session_backend
from papercoder_nb.classroom.ledger import usage_table

SETTINGS = """
model = "scripted:test"
locked = ["model"]
reason = "Set by your instructor for the workshop"
usage_dir = "usage"
[budget]
tokens_per_day = 20000
"""


@pytest.fixture
def in_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "papercoder.toml").write_text(SETTINGS)
    monkeypatch.setenv("PAPERCODER_SETTINGS", str(tmp_path / "papercoder.toml"))
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    # the registry's "scripted" has no answers: the class model answers like the tests' scripted one
    monkeypatch.setattr(session_backend, "get_backend", lambda spec, **_: scripted())
    return tmp_path


def test_the_locked_model_is_shown_disabled_with_who_and_why(in_class: Path) -> None:
    wb = Workbench(workdir=in_class / "sessions", model="anthropic:claude-sonnet-4-6")
    box = wb.model_box
    assert box.spec == "scripted:test" and box.provider.disabled and box.model.disabled
    note = box.lock_note.value
    assert "Locked by your instructor" in note and "Set by your instructor for the workshop" in note
    assert "anthropic:claude-sonnet-4-6" in note  # what the notebook asked for, and that it was not used
    assert "used 0 of 20,000 tokens" in note
    box.set_spec("openai:gpt-4.1")  # e.g. reopening a session made with another model
    assert box.spec == "scripted:test"


def test_running_past_the_day_stops_with_one_line_and_counts_for_the_student(in_class: Path) -> None:
    wb = Workbench(workdir=in_class / "sessions", auto_approve=True)
    wb.paper_box.path.value = str(TRANSFORMER_JSON)
    wb.paper_box.load.click()
    assert wb.wait_idle(20) and wb.session is not None
    wb.step_buttons["Export"].click()
    wb.run_button.click()
    assert wb.wait_idle(60)
    assert "Daily budget reached: alice has used" in wb.error.value, wb.error.value
    assert wb.session.record("plan").content_hash  # what was paid for is kept
    rows = usage_table(in_class / "usage")
    assert [r["user"] for r in rows] == ["alice"] and 0 < rows[0]["tokens"] <= 20_000
    assert f"used {rows[0]['tokens']:,} of 20,000 tokens" in wb.model_box.lock_note.value


def test_a_broken_settings_file_is_shown_and_no_call_is_made(in_class: Path) -> None:
    (in_class / "papercoder.toml").write_text("model = ")
    wb = Workbench(workdir=in_class / "sessions")
    assert "not valid TOML" in wb.model_box.lock_note.value and str(in_class / "papercoder.toml") in wb.model_box.lock_note.value
