"""Point 10 (look) in a real browser: JupyterLab 4 and Notebook 7 in their light and dark
themes, classic Notebook 6.5 with ipywidgets 7.7.1 (Colab's stack, no themes: the panel's
light fallback colours).

The panel is opened on a recorded session with content in every step (planning, analysis,
code, a repaired smoke run, an evaluation, an export). On each step the page measures
every visible text element inside ``.pc-panel`` (``look_probe.js``): the WCAG contrast of
its colour against the background it is painted on (at least 4.5:1, 3:1 for large text),
labels wider than their box (cut), and line heights over 1.6x the font size. A failure
names each element, its text, its colours and the ratio. Screenshots:
``test-output/screenshots/{,nb7-,nb6-}look-{light,dark}-NN-STEP.png``.

The theme is a user setting in a settings folder of this server only
(``JUPYTERLAB_SETTINGS_DIR``), so other browser tests keep the default theme.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from browser_run import run_in_browser
from front_ends import prefix
from panel_driver import Panel
from test_browser import RUBRIC, diagrams, record_session

pytestmark = pytest.mark.browser

PROBE = (Path(__file__).parent / "look_probe.js").read_text(encoding="utf-8")
MAX_LINE_HEIGHT = 1.6
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
# Classic Notebook has no dark theme (Colab's own dark mode is not a Jupyter theme)
LOOKS = [pytest.param("lab", "light", id="lab-light"), pytest.param("lab", "dark", id="lab-dark"),
         pytest.param("nb7", "light", id="nb7-light"), pytest.param("nb7", "dark", id="nb7-dark"),
         pytest.param("nb6", "light", id="nb6-light", marks=pytest.mark.nb6)]
STEPS = ["paper", "plan", "architecture", "logic", "config", "analysis", "code", "smoke", "export", "evaluate"]


def theme_settings(folder: Path, theme: str) -> Path:
    """A user-settings folder that picks the theme (read by this server only)."""
    path = folder / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"theme": theme}), encoding="utf-8")
    return folder


def panel_notebook(root: Path, session_dir: Path) -> str:
    """A notebook that opens the panel on an existing session folder."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}  # no kernel dialog
    nb.cells = [nbformat.v4.new_code_cell(
        f"from papercoder_nb import Workbench\nwb = Workbench({str(session_dir)!r}, workdir={str(root / 'sessions')!r})\nwb")]
    nbformat.write(nb, root / "look.ipynb")
    return "look.ipynb"


def describe(problems: dict[str, list[dict]], where: str) -> list[str]:
    lines = []
    for r in problems["contrast"]:
        lines.append(f"{where}: low contrast {r['ratio']}:1 (needs {r['need']}) <{r['tag']} class='{r['cls']}'> "
                     f"{r['text']!r} colour {r['color']} on {r['background']}")
    for r in problems["cut"]:
        lines.append(f"{where}: cut label <{r['tag']} class='{r['cls']}'> {r['text']!r} "
                     f"needs {r['scrollWidth']}px, has {r['clientWidth']}px")
    for r in problems["lineHeight"]:
        lines.append(f"{where}: line height {r['lineHeight']}px for {r['fontSize']}px text "
                     f"<{r['tag']} class='{r['cls']}'> {r['text']!r}")
    return lines


def measure(page, where: str, found: list[str], worst: list[dict]) -> None:
    result = page.evaluate(PROBE, {"maxLineHeight": MAX_LINE_HEIGHT})
    assert result["measured"] > 5, f"{where}: only {result['measured']} text elements measured"
    found.extend(describe(result, where))
    if result["worst"]:
        worst.append({**result["worst"], "where": where})


def grouped(found: list[str]) -> list[str]:
    """The same problem on several steps once, with the steps: "light/plan, light/code: ..."."""
    steps: dict[str, list[str]] = {}
    for line in found:
        where, _, what = line.partition(": ")
        steps.setdefault(what, []).append(where)
    return [f"{', '.join(wheres)}: {what}" for what, wheres in steps.items()]


def look_flow(page, ui: Panel, theme: str, app: str) -> tuple[list[str], list[dict]]:
    found: list[str] = []
    worst: list[dict] = []
    dark = page.evaluate("document.body.dataset.jpThemeLight") == "false"
    assert dark == (theme == "dark"), f"the {theme} theme is not applied"
    ui.click(".pc-status-details")  # the per-artifact badges are measured too
    for step in STEPS:
        ui.step(step)
        if step == "export":
            ui.click(".pc-export-repo")
            page.wait_for_function(
                "document.querySelector('.pc-panel .pc-export-message').innerText.includes('Exported the repo')",
                timeout=30_000)
        if step == "architecture":
            diagrams(page, app)  # drawn, or their source where the front end draws no Mermaid
        if step == "code":
            ui.wait(".pc-artifact .pc-code")
        measure(page, f"{theme}/{step}", found, worst)
        ui.shot(step)
        if step == "config":  # the diff view has its own colours (the user changed d_model)
            ui.click(".pc-mode button:has-text('Diff')")
            ui.wait(".pc-diff-lines")
            measure(page, f"{theme}/config-diff", found, worst)
            ui.shot("config-diff")
            ui.click(".pc-mode button:has-text('Edit')")
            ui.wait(".pc-editor .cm-content, .pc-editor textarea")  # CodeMirror here; a textarea on ipywidgets 7
            page.wait_for_function("document.querySelector('.pc-panel .pc-editor .cm-line') !== null"
                                   " || document.querySelector('.pc-panel .pc-editor textarea') !== null")
            measure(page, f"{theme}/config-edit", found, worst)
            ui.shot("config-edit")
            ui.click(".pc-mode button:has-text('View')")
    return found, worst


def session_notebook(recorded: Path, root: Path) -> str:
    session_dir = root / "sessions" / recorded.name
    shutil.copytree(recorded, session_dir)
    return panel_notebook(root, session_dir)


@pytest.mark.parametrize(("app", "theme"), LOOKS)
def test_panel_is_readable(tmp_path: Path, app: str, theme: str) -> None:
    rubric = tmp_path / "rubric.json"
    rubric.write_text(json.dumps(RUBRIC))
    recorded = record_session(tmp_path / "recorded", rubric)
    env = {**os.environ, "PAPERCODER_MODEL": f"replay:{recorded}", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTERLAB_SETTINGS_DIR": str(theme_settings(tmp_path / "lab-settings", THEMES[theme]))}
    measured: list[tuple[list[str], list[dict]]] = []
    label = f"look-{theme}-"
    run_in_browser(tmp_path, env, lambda page, root: measured.append(
        look_flow(page, Panel(page, prefix(app) + label), theme, app)), label, app,
        prepare=lambda root: session_notebook(recorded, root))
    found, worst = measured[-1]
    lowest = min(worst, key=lambda r: r["ratio"])
    print(f"{app} {theme}: lowest contrast {lowest['ratio']}:1 at {lowest['where']} {lowest['text']!r} "
          f"({lowest['color']} on {lowest['background']})")
    problems = grouped(found)
    assert not problems, f"{len(problems)} look problem(s) in {app}'s {theme} theme:\n" + "\n".join(problems)
