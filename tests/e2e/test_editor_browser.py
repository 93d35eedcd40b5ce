"""Real browser: the artifact editor is CodeMirror with line numbers and highlighting.

In JupyterLab 4 and Notebook 7 a code file opens with one gutter number per line and Python
tokens highlighted; typing marks it unsaved and Save writes the typed text to disk; a JSON
artifact is highlighted as JSON; the editor follows the dark theme. On classic Notebook 6.5
with ipywidgets 7.7.1 (Colab's stack) the panel falls back to a plain textarea, which must
work the same way. Screenshots: test-output/screenshots/{,nb7-,nb6-}editor-*.png.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from browser_run import run_in_browser
from conftest import EXAMPLE_PAPER, FILES, scripted
from editor_helpers import CODEMIRROR, TEXTAREA, append_to_editor, editor_text
from front_ends import FRONT_ENDS, evaluate_within, prefix
from panel_driver import Panel

from papercoder_nb import Runner, Session, load_paper

pytestmark = pytest.mark.browser

TYPED = "\n# reviewed in the browser"
GUTTER_NUMBERS = ".pc-editor .cm-lineNumbers .cm-gutterElement"


def shown_line_numbers(ui) -> list[int]:
    """The line numbers CodeMirror draws (the gutter's hidden width spacer left out)."""
    texts = ui.page.eval_on_selector_all(
        f".pc-panel {GUTTER_NUMBERS}",
        "els => els.filter(e => e.style.visibility !== 'hidden').map(e => e.textContent)")
    return [int(t) for t in texts if t.strip()]


def token_classes(ui) -> set[str]:
    """The highlight classes (tok-*) on spans inside the editor's content."""
    found = ui.el(CODEMIRROR).evaluate(
        "e => Array.from(e.querySelectorAll('.cm-line span[class*=tok-]')).flatMap(s => Array.from(s.classList))")
    return {c for c in found if c.startswith("tok-")}


def gutter_offsets(ui) -> list[float]:
    """How far each line number sits from its line, in pixels (0 when the gutter follows the text)."""
    return ui.el(".pc-editor .cm-editor").evaluate("""e => {
      const nums = Array.from(e.querySelectorAll('.cm-lineNumbers .cm-gutterElement'))
        .filter(g => g.style.visibility !== 'hidden' && g.textContent.trim());
      const lines = Array.from(e.querySelectorAll('.cm-content .cm-line'));
      return nums.map((g, i) => Math.abs(g.getBoundingClientRect().top - lines[i].getBoundingClientRect().top));
    }""")


def open_edit(ui, aid_class: str) -> None:
    ui.wait(f".pc-artifact.pc-artifact-id-{aid_class}")
    ui.click(".pc-mode button:has-text('Edit')")
    ui.wait(f"{CODEMIRROR} .cm-line")


def wait_for_file(path: Path, needle: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8")
        if needle in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{path.name} never got {needle!r}: {path.read_text(encoding='utf-8')[-300:]}")


def run_everything(page, ui: Panel, root: Path) -> Path:
    """Auto-approve the whole replayed run; the session's folder."""
    ui.run_auto_approved(len(FILES), step="export")
    return next((root / "notebooks" / "papercoder-sessions").glob("*/session.json")).parent


def type_and_save(page, ui: Panel, main: Path, text: str) -> None:
    """Typing marks the file unsaved and writes nothing; Save writes what was typed."""
    append_to_editor(ui, TYPED)
    ui.wait(".pc-unsaved")
    assert ui.el(".pc-artifact").evaluate("e => e.classList.contains('pc-dirty-yes')")
    assert "# reviewed in the browser" in editor_text(ui)
    assert main.read_text(encoding="utf-8") == text, "written before Save"
    ui.shot("python-typed-unsaved")
    ui.click(".pc-save")
    saved = wait_for_file(main, "# reviewed in the browser")
    assert saved.startswith(text.rstrip("\n"))
    page.wait_for_selector(".pc-panel .pc-unsaved", state="detached", timeout=10_000)


def textarea_flow(page, ui: Panel, root: Path) -> None:
    """ipywidgets 7 (Colab's stack): no CodeMirror, a textarea that edits and saves all the same."""
    session = run_everything(page, ui, root)
    ui.step("code")
    ui.el(".pc-files select").select_option(label="main.py  ·  approved")
    ui.wait(".pc-artifact.pc-artifact-id-code-main-py")
    ui.click(".pc-mode button:has-text('Edit')")
    ui.wait(TEXTAREA)
    assert ui.page.locator(f".pc-panel {CODEMIRROR}").count() == 0
    main = session / "code" / "main.py"
    text = main.read_text(encoding="utf-8")
    assert editor_text(ui) == text
    font = ui.el(TEXTAREA).evaluate("e => getComputedStyle(e).fontFamily")
    assert "mono" in font.lower(), f"code in the fallback editor is not in a monospace font: {font}"
    ui.shot("textarea-fallback")
    type_and_save(page, ui, main, text)


def code_file_flow(page, ui: Panel, root: Path) -> None:
    session = run_everything(page, ui, root)
    ui.step("code")
    ui.el(".pc-files select").select_option(label="main.py  ·  approved")
    open_edit(ui, "code-main-py")
    main = session / "code" / "main.py"
    text = main.read_text(encoding="utf-8")
    assert editor_text(ui) == text
    assert shown_line_numbers(ui) == list(range(1, text.count("\n") + 2))  # a final newline opens a last line
    assert max(gutter_offsets(ui)) < 2, gutter_offsets(ui)
    tokens = token_classes(ui)
    assert {"tok-keyword", "tok-string", "tok-comment"} <= tokens, tokens
    box = ui.el(".pc-editor .cm-editor").bounding_box()
    assert box and 400 <= box["height"] <= 480, box  # a fixed height: long files scroll inside it
    ui.shot("python-light")
    type_and_save(page, ui, main, text)

    ui.step("architecture")
    open_edit(ui, "architecture")
    tokens = token_classes(ui)
    assert {"tok-propertyName", "tok-string"} <= tokens and "tok-keyword" not in tokens, tokens
    arch = (session / "planning" / "architecture.json").read_text(encoding="utf-8")
    assert shown_line_numbers(ui)[-1] == arch.count("\n") + 1
    ui.shot("json-light")

    evaluate_within(page, "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    colours = ui.el(".pc-editor .cm-editor").evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert colours[0] != "rgb(255, 255, 255)" and colours[0] != colours[1], colours
    page.wait_for_timeout(500)  # the theme's stylesheet swap settles
    assert max(gutter_offsets(ui)) < 2, gutter_offsets(ui)  # numbers stay beside their lines
    ui.shot("json-dark")
    ui.step("code")
    open_edit(ui, "code-main-py")
    ui.shot("python-dark")


@pytest.mark.parametrize("app", FRONT_ENDS)
def test_code_editor(tmp_path: Path, app: str) -> None:
    recorded = Session.create(tmp_path / "recorded", load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    assert Runner(recorded, scripted(), auto_approve=True).run().ok
    env = {**os.environ, "PAPERCODER_MODEL": f"replay:{recorded.root}", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings")}  # the dark theme stays in this test
    check = textarea_flow if app == "nb6" else code_file_flow
    label = "editor-"
    run_in_browser(tmp_path, env, lambda page, root: check(page, Panel(page, prefix(app) + label), root), label, app)
