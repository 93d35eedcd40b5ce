"""The artifact editor: CodeMirror (anywidget) where the front end allows, a textarea otherwise.

Runs under ipywidgets 8 and 7.7.1: under 7 the panel must fall back to the textarea.
"""

from __future__ import annotations

import hashlib
import re
import sys
import types
from pathlib import Path

import ipywidgets as W
import pytest
from papercoder_nb.widgets import compat, ui
from test_unsaved import planned
from test_workbench import classes, full_run

needs_codemirror = pytest.mark.skipif(
    not compat.code_editor_supported(), reason="this front end uses the textarea (tested below)")


def fake_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.colab.output", types.ModuleType("google.colab.output"))


def test_editor_matches_the_installed_ipywidgets(tmp_path: Path) -> None:
    editor = ui.code_editor("pc-editor")
    if compat.IS_W7:
        assert type(editor) is W.Textarea
    else:
        from papercoder_nb.widgets.code_editor import CodeEditor

        assert isinstance(editor, CodeEditor)
    assert "pc-editor" in classes(editor)  # browser tests find either one by this class


def test_ipywidgets_7_gets_the_textarea(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "IS_W7", True)
    assert not compat.code_editor_supported()
    editor = ui.code_editor("pc-editor", rows=22)
    assert type(editor) is W.Textarea and editor.rows == 22 and "pc-editor" in classes(editor)


def test_colab_gets_the_textarea(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_colab(monkeypatch)
    assert not compat.code_editor_supported()
    assert type(ui.code_editor("pc-editor")) is W.Textarea


def test_without_anywidget_the_textarea_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anywidget", None)  # importing it raises ImportError
    assert not compat.code_editor_supported()
    assert type(ui.code_editor("pc-editor")) is W.Textarea


def test_colab_panel_edits_in_a_textarea(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_colab(monkeypatch)
    wb = planned(tmp_path)
    assert type(wb.view.editor) is W.Textarea
    wb.view.mode.value = "Edit"
    wb.view.editor.value += "\nTyped in Colab."
    assert wb.view.dirty
    wb.view.save.click()
    assert wb.session.read("plan").endswith("Typed in Colab.")


@pytest.mark.parametrize(("path", "language"), [
    ("code/model.py", "python"), ("planning/architecture.json", "json"), ("planning/config.yaml", "yaml"),
    ("x.YML", "yaml"), ("analysis/model.py.md", "markdown"), ("code/run.sh", "text"), ("code/Makefile", "text"),
])
def test_language_follows_the_file_type(path: str, language: str) -> None:
    assert ui.editor_language(path) == language


@needs_codemirror
def test_value_round_trips_between_kernel_and_browser() -> None:
    from papercoder_nb.widgets.code_editor import CodeEditor

    editor = CodeEditor(value="x = 1\n", language="python")
    state = editor.get_state()
    assert state["value"] == "x = 1\n" and state["language"] == "python" and state["read_only"] is False
    seen: list[str] = []
    editor.observe(lambda c: seen.append(c["new"]), names="value")
    editor.set_state({"value": "x = 2\n"})  # what a message from the browser does
    assert editor.value == "x = 2\n" and seen == ["x = 2\n"]
    with pytest.raises(Exception, match="language"):
        editor.language = "cobol"


def test_the_committed_bundle_was_built_from_the_current_sources() -> None:
    folder = Path(compat.__file__).parent / "code_editor"
    recorded = dict(reversed(line.split()) for line in (folder / "built-from.sha256").read_text().splitlines())
    assert set(recorded) == {"src/index.js", "package.json", "package-lock.json"}
    for name, digest in recorded.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, (
            f"{name} changed since editor.js was built: run bash scripts/build-editor.sh and commit editor.js")


@needs_codemirror
def test_the_bundle_is_offline_esm_with_its_css() -> None:
    from papercoder_nb.widgets.code_editor import CodeEditor

    state = CodeEditor().get_state()
    esm, css = state["_esm"], state["_css"]
    assert len(esm) > 100_000 and re.search(r"export\s*\{[^}]*as default", esm), esm[-200:]
    assert not re.search(r"""(import\s*\(|from\s*)["']https?:""", esm), "the bundle imports from the network"
    assert ".cm-lineNumbers" not in css or "var(--jp-" in css
    assert "var(--jp-mirror-editor-keyword-color" in css and "var(--jp-layout-color2" in css


@needs_codemirror
def test_panel_editor_is_codemirror_with_the_artifacts_language(tmp_path: Path) -> None:
    from papercoder_nb.widgets.code_editor import CodeEditor

    wb = full_run(tmp_path)
    assert isinstance(wb.view.editor, CodeEditor)
    seen = {}
    for step in ("Plan", "Architecture", "Config", "Analysis", "Code"):
        wb.step_buttons[step].click()
        seen[wb.view.aid] = wb.view.editor.language
    code = next(a for a in seen if a.startswith("code:"))
    analysis = next(a for a in seen if a.startswith("analysis:"))
    assert code.endswith(".py"), seen
    assert seen == {"plan": "markdown", "architecture": "json", "config": "yaml",
                    analysis: "markdown", code: "python"}


@needs_codemirror
def test_typing_in_codemirror_marks_unsaved_autosaves_and_saves(tmp_path: Path) -> None:
    wb = planned(tmp_path)
    editor = wb.view.editor
    wb.view.mode.value = "Edit"
    editor.set_state({"value": editor.value + "\nTyped in CodeMirror."})  # the debounced browser update
    assert "Unsaved changes" in wb.view.marker.value and "pc-dirty-yes" in classes(wb.view.widget)
    assert list((wb.session.root / ".drafts").glob("*.json")), "no draft written while typing"
    wb.view.save.click()
    assert wb.session.read("plan").endswith("Typed in CodeMirror.")
    assert "pc-dirty-no" in classes(wb.view.widget)
