"""Run one browser flow on the shipped quickstart notebook in a fresh JupyterLab, retried once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, ROOT, SHOTS, jupyter_lab, open_notebook, quiet_lab_settings


def run_quickstart_flow(tmp_path: Path, env: dict[str, str], flow: Callable[[object, Path], None],
                        prefix: str) -> None:
    """Open notebooks/quickstart.ipynb in JupyterLab (run all cells) and call ``flow(page, root)``.

    A failed attempt leaves ``test-output/screenshots/<prefix>failure-<attempt>.png``.
    """
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    quiet_lab_settings()
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
                    flow(page, root)
                except Exception:
                    SHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SHOTS / f"{prefix}failure-{attempt + 1}.png"), full_page=True)
                    raise
                finally:
                    browser.close()
            return
        except Exception as e:  # noqa: BLE001 - retried once, then reported
            errors.append(f"attempt {attempt + 1}: {type(e).__name__}: {e}")
    pytest.fail("\n\n".join(errors))
