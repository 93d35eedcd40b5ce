"""Real browser (JupyterLab 4): typing marks the editor unsaved; leaving asks Save / Discard / Stay.

Screenshots go to test-output/screenshots/unsaved-*.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_PAPER, scripted
from test_browser import ARGS, CHROMIUM, ROOT, Panel, jupyter_lab, open_notebook, quiet_lab_settings

from papercoder_nb import Runner, Session, load_paper

pytestmark = pytest.mark.browser

TYPED = "\nA reviewer's note typed in the browser."


def unsaved_flow(page, ui: Panel, root: Path) -> None:
    ui.click(".pc-run")
    ui.wait(".pc-content.pc-showing-plan .pc-rendered h2")
    page.locator(".pc-panel .pc-mode button", has_text="Edit").first.click()
    editor = ui.el(".pc-editor textarea")
    editor.click()
    editor.press("End")
    editor.press_sequentially(TYPED, delay=5)
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
    assert ui.el(".pc-editor textarea").input_value().endswith(TYPED)

    ui.click(".pc-step-paper")
    ui.wait(".pc-ask.pc-asking-yes")
    ui.click(".pc-ask-save")
    ui.wait(".pc-content.pc-showing-paper")
    plan = next((root / "notebooks" / "papercoder-sessions").glob("*/planning/plan.md"))
    assert plan.read_text(encoding="utf-8").endswith(TYPED)
    ui.shot("saved-then-left")


def test_unsaved_edit_is_marked_and_leaving_asks_in_jupyterlab(tmp_path: Path) -> None:
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    quiet_lab_settings()
    recorded = Session.create(tmp_path / "recorded", load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    Runner(recorded, scripted(), auto_approve=True).run(until="planning")
    env = {**os.environ, "PAPERCODER_MODEL": f"replay:{recorded.root}", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    errors: list[str] = []
    for attempt in range(2):  # one retry for a flaky first start; more would hide bugs
        root = tmp_path / f"root{attempt}"
        (root / "notebooks").mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", root / "notebooks")
        (root / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
        try:
            with jupyter_lab(root, env, "lab") as url, sync_playwright() as p:
                base, token = url.split("|")
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1800})
                try:
                    open_notebook(page, base, token, "notebooks/quickstart.ipynb", "lab")
                    unsaved_flow(page, Panel(page, "unsaved-"), root)
                finally:
                    browser.close()
            return
        except Exception as e:  # noqa: BLE001 - retried once, then reported
            errors.append(f"attempt {attempt + 1}: {type(e).__name__}: {e}")
    pytest.fail("\n\n".join(errors))
