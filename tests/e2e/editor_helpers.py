"""Typing into the panel's artifact editor in a real browser, whichever one the front end shows.

JupyterLab 4 and Notebook 7 show CodeMirror (``.pc-editor .cm-content``); ipywidgets 7
front ends (Colab's) show a textarea (``.pc-editor textarea``). Typing goes through the
keyboard either way, as a person would.
"""

from __future__ import annotations

CODEMIRROR = ".pc-editor .cm-content"
TEXTAREA = ".pc-editor textarea"


def uses_codemirror(ui) -> bool:
    return ui.page.locator(f".pc-panel {CODEMIRROR}").count() > 0


def editor_text(ui) -> str:
    """The editor's text as shown (CodeMirror draws every line of a short file)."""
    if uses_codemirror(ui):
        return ui.el(CODEMIRROR).evaluate(
            "e => Array.from(e.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n')")
    return ui.el(TEXTAREA).input_value()


def append_to_editor(ui, text: str) -> None:
    """Click into the editor, go to the end of the text and type ``text``."""
    editor = ui.el(CODEMIRROR if uses_codemirror(ui) else TEXTAREA)
    editor.click()
    ui.page.keyboard.press("Control+End")
    ui.page.keyboard.type(text, delay=5)


def replace_editor_text(ui, text: str) -> None:
    """Select everything in the editor and put ``text`` in its place."""
    if not uses_codemirror(ui):
        ui.el(TEXTAREA).fill(text)
        return
    ui.el(CODEMIRROR).click()
    ui.page.keyboard.press("Control+a")
    ui.page.keyboard.insert_text(text)
    ui.page.wait_for_function(
        "t => Array.from(document.querySelectorAll('.pc-panel .pc-editor .cm-line'))"
        ".map(l => l.textContent).join('\\n') === t", arg=text, timeout=10_000)


def change_config(ui, old: str, new: str) -> None:
    """Open config.yaml in Edit mode, replace ``old`` with ``new``, Save; the config is then
    "edited" and the code built from it stale."""
    ui.step("config")
    ui.click(".pc-mode button:has-text('Edit')")
    ui.wait(f"{CODEMIRROR} .cm-line, {TEXTAREA}")
    text = editor_text(ui)
    assert old in text, text
    replace_editor_text(ui, text.replace(old, new))
    ui.click(".pc-save")
    ui.wait(".pc-status-config.pc-state-edited")
    ui.wait(".pc-status-code-main-py.pc-state-stale")
