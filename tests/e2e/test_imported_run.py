"""A real PaperCoder run (Claude 3.7), imported, reviewed in the panel in a real browser.

The import must keep every character of the architecture's diagrams, so JupyterLab's own
Mermaid draws both of them (a cut diagram shows Mermaid's syntax-error warning instead).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from front_ends import ARGS, CHROMIUM, jupyter_server, open_notebook, quiet_lab_settings
from panel_driver import SHOTS, Panel

from papercoder_nb.evaluate.papercoder_import import import_papercoder

pytestmark = pytest.mark.browser

PAPERCODER_RUN = ROOT.parent / "shared" / "papers" / "transformer" / "papercoder-run-claude37"
DRAWN = ".pc-diagrams .jp-RenderedMermaid:not(.jp-mod-warning) :is(img, svg)"


def review_notebook(folder: Path, session: Path) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells.append(nbformat.v4.new_code_cell(
        "from papercoder_nb import Session, Workbench\n"
        f"wb = Workbench(Session.open({str(session)!r}))\nwb"))
    path = folder / "review.ipynb"
    nbformat.write(nb, path)
    return path


def test_imported_claude_run_draws_its_class_diagram(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    quiet_lab_settings()
    root = tmp_path / "root"
    root.mkdir()
    import_papercoder(PAPERCODER_RUN, root / "imported")
    design = json.loads((root / "imported" / "planning" / "architecture.json").read_text())
    assert len(design["data_structures_and_interfaces"]) > 4000  # the diagram the old cap cut
    review_notebook(root, root / "imported")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), "PAPERCODER_MODEL": "local"}
    with jupyter_server(root, env) as url, sync_playwright() as p:
        base, token = url.split("|")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            open_notebook(page, base, token, "review.ipynb", "lab", ready=".pc-panel .pc-step-architecture")
            ui = Panel(page, "imported-")
            ui.step("architecture")
            page.wait_for_function(f"document.querySelectorAll('.pc-panel {DRAWN}').length >= 2", timeout=60_000)
            assert page.locator(".pc-panel .pc-diagrams .jp-RenderedMermaid.jp-mod-warning").count() == 0
            ui.shot("architecture-diagrams")
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "imported-failure-full-page.png"))
            raise
        finally:
            browser.close()
