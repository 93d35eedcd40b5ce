"""Tiny widget constructors: every interactive widget gets a ``pc-*`` CSS class.

The classes are how browser tests (and curious users' CSS) find things; the helpers use
only constructor arguments that ipywidgets 7.7.1 and 8 both accept.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import ipywidgets as W

from . import compat
from .palette import BUTTONS_COLOURED as _BUTTONS


def _code_styles() -> str:
    """Pygments token colours for the light and the dark theme (the code view uses classes)."""
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:  # plain <pre> then
        return ""
    light = HtmlFormatter(style="default", nobackground=True).get_style_defs(".pc-panel .pc-hl")
    dark = HtmlFormatter(style="github-dark", nobackground=True).get_style_defs(
        'body[data-jp-theme-light="false"] .pc-panel .pc-hl')
    return light + "\n" + dark


STYLE = """<style>
.pc-panel {
  --pc-ok: var(--jp-success-color0, #116329); --pc-bad: var(--jp-error-color0, #a40e26);
  --pc-warn: #7d4e00; --pc-info: var(--jp-brand-color0, #0550ae);
  --pc-diff-add: #e6ffec; --pc-diff-del: #ffebe9; --pc-diff-hunk: #ddf4ff; --pc-diff-head: var(--jp-layout-color2, #f6f8fa);
  --pc-error-bg: #fff5f5; --pc-error-border: #f5c2c7; --pc-bad-bg: #ffebe9; --pc-warn-bg: #fff1d6;
  --pc-muted: var(--jp-ui-font-color2, #57606a);
}
/* Classic Notebook and Colab put no JupyterLab theme on <body>, and ipywidgets 7 brings its
   own copy of JupyterLab 0.x's --jp-* colours there (white on #2196f3 is 3.1:1, green text
   4.1:1, grey text at 50% black 4.0:1): fixed light colours that pass AA instead */
body:not([data-jp-theme-light]) .pc-panel { --pc-ok: #116329; --pc-bad: #a40e26; --pc-info: #0550ae; --pc-muted: #57606a; }
body:not([data-jp-theme-light]) .pc-panel .jupyter-button.mod-primary { background-color: #1565c0; }
body:not([data-jp-theme-light]) .pc-panel .jupyter-button.mod-success { background-color: #1b5e20; }
body:not([data-jp-theme-light]) .pc-panel .jupyter-button.mod-info { background-color: #006064; }
body:not([data-jp-theme-light]) .pc-panel .jupyter-button.mod-danger { background-color: #b71c1c; }
body[data-jp-theme-light="false"] .pc-panel {
  --pc-ok: var(--jp-success-color2); --pc-bad: var(--jp-error-color2); --pc-warn: var(--jp-warn-color2);
  --pc-info: var(--jp-brand-color2);
  --pc-diff-add: rgba(46, 160, 67, 0.3); --pc-diff-del: rgba(248, 81, 73, 0.3); --pc-diff-hunk: rgba(56, 139, 253, 0.25);
  --pc-error-bg: rgba(244, 67, 54, 0.15); --pc-error-border: var(--jp-error-color0);
  --pc-bad-bg: rgba(244, 67, 54, 0.15); --pc-warn-bg: rgba(255, 152, 0, 0.15);
}
.pc-panel .pc-editor textarea, .pc-panel .pc-feedback textarea { font-family: monospace; font-size: 12px; }
.pc-panel .pc-md table { border-collapse: collapse; }
.pc-panel .pc-md td, .pc-panel .pc-md th { border: 1px solid var(--jp-border-color2, #ddd); padding: 2px 6px; }
.pc-panel .pc-step-current { outline: 2px solid var(--jp-brand-color1, #0969da); }
.pc-panel .pc-error, .pc-panel .pc-check-failures { color: var(--pc-bad, #a40e26) !important; }
.pc-panel .pc-unsaved { color: var(--pc-warn, #7d4e00) !important; }
.pc-panel .widget-html-content, .pc-panel .widget-html { line-height: 1.4; }
.pc-panel .widget-label-basic span { line-height: 1.4; }
.pc-panel .widget-button, .pc-panel .jupyter-button { overflow: visible; white-space: nowrap; }
/* a row of buttons wraps instead of pushing its last button out of the panel */
.pc-panel .widget-hbox { flex-wrap: wrap; }
.pc-panel .pc-meter-text { white-space: nowrap; }
.pc-panel .pc-muted, .pc-panel .pc-meter-text { color: var(--pc-muted, #57606a) !important; }
/* ipywidgets' coloured buttons put white on mid-tone colours (2.7:1 on orange, 4.1:1 on
   green): darker backgrounds with white text in the light theme, dark text in the dark one */
.pc-panel .jupyter-button.mod-success { background-color: var(--jp-success-color0, #1b5e20); }
.pc-panel .jupyter-button.mod-info { background-color: var(--jp-info-color0, #006064); }
.pc-panel .jupyter-button.mod-warning { color: var(--jp-ui-font-color0, #000); }
body[data-jp-theme-light="false"] """ + _BUTTONS + """ { color: var(--jp-layout-color0, #111); }
body[data-jp-theme-light="false"] .pc-panel .jupyter-button.mod-success { background-color: var(--jp-success-color1); }
body[data-jp-theme-light="false"] .pc-panel .jupyter-button.mod-info { background-color: var(--jp-info-color1); }
""" + _code_styles() + """
</style>"""


def css_id(artifact_id: str) -> str:
    """An artifact id as a CSS-class-safe suffix: ``code:pkg/model.py`` → ``code-pkg-model-py``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", artifact_id).strip("-")


def button(description: str, cls: str, *, style: str = "", icon: str = "", tooltip: str = "", width: str = "") -> W.Button:
    b = W.Button(description=description, button_style=style, icon=icon, tooltip=tooltip or description)
    b.layout.width = width or "auto"  # a fixed width cuts labels ("Run c…")
    b.layout.min_width = "fit-content"
    b.add_class(cls)
    return b


def html(cls: str, value: str = "") -> W.HTML:
    h = W.HTML(value=value)
    h.add_class(cls)
    return h


def text(cls: str, placeholder: str = "", value: str = "", width: str = "") -> W.Text:
    t = W.Text(value=value, placeholder=placeholder, continuous_update=True)
    if width:
        t.layout.width = width
    t.add_class(cls)
    return t


def textarea(cls: str, placeholder: str = "", rows: int = 4, height: str = "") -> W.Textarea:
    t = W.Textarea(placeholder=placeholder, rows=rows, continuous_update=True)
    t.layout.width = "100%"
    if height:
        t.layout.height = height
    t.add_class(cls)
    return t


EDITOR_LANGUAGES = {".py": "python", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown"}


def editor_language(path: str) -> str:
    """The code editor's language for a file name (``text`` for anything else)."""
    return EDITOR_LANGUAGES.get(PurePosixPath(path).suffix.lower(), "text")


def code_editor(cls: str, rows: int = 22) -> W.DOMWidget:
    """The artifact editor: CodeMirror where the front end allows it, else a textarea.

    Both hold the text in an observable ``value``; only the CodeMirror one has ``language``.
    """
    if not compat.code_editor_supported():
        return textarea(cls, rows=rows)
    from .code_editor import CodeEditor

    editor = CodeEditor()
    editor.layout.width = "100%"
    editor.add_class(cls)
    return editor


def set_editor_language(editor: W.DOMWidget, path: str) -> None:
    if editor.has_trait("language"):
        editor.language = editor_language(path)


def checkbox(description: str, cls: str, value: bool = False) -> W.Checkbox:
    c = W.Checkbox(value=value, description=description, indent=False)
    c.layout.width = "auto"
    c.add_class(cls)
    return c


def box(children: list[W.Widget], cls: str = "", vertical: bool = True) -> W.Box:
    b = (W.VBox if vertical else W.HBox)(children=children)
    if cls:
        b.add_class(cls)
    return b


def show(widget: W.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def set_class(widget: W.Widget, prefix: str, value: str) -> None:
    """Keep exactly one ``prefix-*`` class on a widget (e.g. ``pc-state-stale``)."""
    for c in list(widget._dom_classes):
        if c.startswith(prefix + "-"):
            widget.remove_class(c)
    widget.add_class(f"{prefix}-{value}")
