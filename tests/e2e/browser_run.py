"""Run one browser flow in a fresh Jupyter server of the given front end, retried once.

Every browser test that needs its own server goes through ``run_in_browser``: it lays out a
server root (``prepare``), starts the server, opens the notebook ``prepare`` returned in
chromium (all cells run), and calls ``flow(page, root)``. A failed attempt leaves a
full-page screenshot and the browser's console errors under ``test-output/screenshots/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from front_ends import (
    ARGS,
    CHROMIUM,
    check_stack,
    jupyter_server,
    open_notebook,
    prefix,
    quiet_lab_settings,
)
from panel_driver import SHOTS


def quickstart(root: Path) -> str:
    """The shipped quickstart notebook, with the bundled example beside it."""
    return shipped_notebook(root, "quickstart.ipynb")


def shipped_notebook(root: Path, name: str) -> str:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "notebooks" / name, root / "notebooks")
    (root / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    return f"notebooks/{name}"


def _attempt(root: Path, env: dict[str, str], app: str, notebook: str, flow: Callable[[object, Path], None],
             name: str, ready: str) -> None:
    from playwright.sync_api import sync_playwright

    with jupyter_server(root, env, app) as url, sync_playwright() as p:
        base, token = url.split("|")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        console: list[str] = []  # the browser's errors, kept beside the failure screenshot
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        try:
            open_notebook(page, base, token, notebook, app, ready)
            flow(page, root)
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            (SHOTS / f"{name}-console.txt").write_text("\n".join(console), encoding="utf-8")
            raise
        finally:
            browser.close()


def run_in_browser(tmp_path: Path, env: dict[str, str], flow: Callable[[object, Path], None], label: str,
                   app: str = "lab", prepare: Callable[[Path], str] = quickstart,
                   ready: str = ".pc-panel .pc-paper-summary") -> None:
    """Lay out a root with ``prepare(root)`` (returns the notebook), open it in ``app``, call ``flow``.

    A failed attempt leaves ``<prefix><label>failure-<attempt>.png`` (and ``-console.txt``).
    """
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    check_stack(app)
    quiet_lab_settings()
    errors: list[str] = []
    for attempt in range(2):  # one retry for a flaky first start; more would hide bugs
        root = tmp_path / f"root{attempt}"
        root.mkdir(parents=True)
        notebook = prepare(root)
        try:
            _attempt(root, env, app, notebook, flow, f"{prefix(app)}{label}failure-{attempt + 1}", ready)
            return
        except Exception as e:  # noqa: BLE001 - retried once, then reported
            errors.append(f"attempt {attempt + 1}: {type(e).__name__}: {e}")
    pytest.fail("\n\n".join(errors))
