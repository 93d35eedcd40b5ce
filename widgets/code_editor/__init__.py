"""The panel's code editor: CodeMirror 6 (line numbers, syntax highlighting) as an anywidget.

The browser side is one committed ESM bundle, ``editor.js``, built from ``src/index.js``
and the npm packages in ``package.json`` by ``scripts/build-editor.sh``; nothing is
fetched at run time, so it works offline. ``editor.css`` styles it with JupyterLab's
CSS variables (light and dark themes). Front ends that cannot show it (ipywidgets 7,
Colab) get a plain textarea instead: see ``ui.code_editor``.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

HERE = Path(__file__).parent
LANGUAGES = ("python", "json", "yaml", "markdown", "text")


class CodeEditor(anywidget.AnyWidget):
    """An editor with the textarea's contract: ``value`` is the text, observable.

    The browser sends typing debounced (about 300 ms after the last key) and at once when
    the editor loses focus, e.g. on a click on Save.
    """

    _esm = HERE / "editor.js"
    _css = HERE / "editor.css"
    value = traitlets.Unicode("").tag(sync=True)
    language = traitlets.Enum(LANGUAGES, default_value="text").tag(sync=True)
    read_only = traitlets.Bool(False).tag(sync=True)
