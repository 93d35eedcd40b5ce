"""Real browser: typing marks the editor unsaved; leaving asks Save / Discard / Stay; a
draft typed before a kernel restart comes back when the cell runs again.

In JupyterLab 4, Notebook 7 and classic Notebook 6.5 with ipywidgets 7.7.1 (where the
editor is the textarea). Screenshots: test-output/screenshots/{,nb7-,nb6-}unsaved-*.png.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from browser_run import run_in_browser
from conftest import EXAMPLE_PAPER, scripted
from editor_helpers import append_to_editor, editor_text
from front_ends import FRONT_ENDS, prefix, restart_kernel, run_again
from panel_driver import Panel

from papercoder_nb import Runner, Session, load_paper

pytestmark = pytest.mark.browser

TYPED = "\nA reviewer's note typed in the browser."
BEFORE_RESTART = "\nTyped just before the kernel restarted."


def unsaved_flow(page, ui: Panel, root: Path, app: str) -> None:
    ui.click(".pc-run")
    ui.wait(".pc-content.pc-showing-plan .pc-rendered h2")
    page.locator(".pc-panel .pc-mode button", has_text="Edit").first.click()
    append_to_editor(ui, TYPED)
    ui.wait(".pc-unsaved")
    assert ui.el(".pc-artifact").evaluate("e => e.classList.contains('pc-dirty-yes')")
    ui.shot("marker")

    ui.click(".pc-step-paper")
    ui.wait(".pc-ask.pc-asking-yes")
    assert "Unsaved changes in plan" in ui.el(".pc-ask").inner_text()
    ui.shot("asks-before-leaving")
    ui.click(".pc-ask-stay")
    page.wait_for_selector(".pc-panel .pc-ask", state="hidden")
    assert ui.el(".pc-content").evaluate("e => e.classList.contains('pc-showing-plan')")
    assert editor_text(ui).endswith(TYPED)

    ui.click(".pc-step-paper")
    ui.wait(".pc-ask.pc-asking-yes")
    ui.click(".pc-ask-save")
    ui.wait(".pc-content.pc-showing-paper")
    plan = next((root / "notebooks" / "papercoder-sessions").glob("*/planning/plan.md"))
    assert plan.read_text(encoding="utf-8").endswith(TYPED)
    ui.shot("saved-then-left")
    draft_survives_restart(page, ui, plan, app)


def wait_for_draft(session: Path, needle: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not any(needle in p.read_text(encoding="utf-8") for p in (session / ".drafts").glob("*.json")):
        assert time.monotonic() < deadline, f"no draft with {needle!r} autosaved in {session / '.drafts'}"
        time.sleep(0.2)


def draft_survives_restart(page, ui: Panel, plan: Path, app: str) -> None:
    """Type, let the autosave run, restart the kernel, run the cell: the draft is back, unsaved."""
    saved = plan.read_text(encoding="utf-8")
    ui.step("plan")
    page.locator(".pc-panel .pc-mode button", has_text="Edit").first.click()
    append_to_editor(ui, BEFORE_RESTART)
    ui.wait(".pc-unsaved")
    wait_for_draft(plan.parent.parent, BEFORE_RESTART.strip())
    restart_kernel(page, app)
    run_again(page, app)
    ui.wait_text(".pc-run-status", "unsaved draft of")
    assert plan.read_text(encoding="utf-8") == saved, "the draft was written over the saved plan"
    ui.step("plan")
    ui.wait(".pc-unsaved")
    assert editor_text(ui).endswith(BEFORE_RESTART)
    ui.shot("draft-restored-after-restart")


@pytest.mark.parametrize("app", FRONT_ENDS)
def test_unsaved_edit_is_marked_and_leaving_asks(tmp_path: Path, app: str) -> None:
    recorded = Session.create(tmp_path / "recorded", load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    Runner(recorded, scripted(), auto_approve=True).run(until="planning")
    env = {**os.environ, "PAPERCODER_MODEL": f"replay:{recorded.root}", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    label = "unsaved-"
    run_in_browser(tmp_path, env, lambda page, root: unsaved_flow(page, Panel(page, prefix(app) + label), root, app), label, app)
