"""The panel in a real browser: JupyterLab on 127.0.0.1, Debian's chromium via Playwright.

The shipped quickstart notebook is executed in Lab with ``PAPERCODER_MODEL`` pointing at
a session recorded here with the scripted model, so the panel's own model picker
resolves to the ``replay`` backend: offline, deterministic, and the real code path.
The panel is then used only through its buttons (found by their ``pc-*`` classes), and
each step is saved as a screenshot under ``test-output/screenshots/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE_PAPER, FILES, ROOT, scripted

from papercoder_nb import Runner, Session, load_paper

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "test-output" / "screenshots"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quiet_lab_settings() -> None:
    """Hide the 'news' toast that covers screenshots."""
    folder = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "overrides.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data["@jupyterlab/apputils-extension:notification"] = {"fetchNews": "false", "checkForUpdates": False}
    path.write_text(json.dumps(data, indent=2))


@contextlib.contextmanager
def jupyter_lab(root: Path, env: dict[str, str]) -> Iterator[str]:
    token, port = secrets.token_hex(16), free_port()
    log = open(root.parent / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         f"--IdentityProvider.token={token}", "--ip", "127.0.0.1", f"--port={port}", "--port-retries=0",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         f"--LabApp.workspaces_dir={tempfile.mkdtemp()}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start: {(root.parent / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield f"{base}|{token}"
    finally:
        with contextlib.suppress(OSError):
            req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=5)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def record_session(folder: Path) -> Path:
    """A full scripted run on the bundled paper: the cassette the panel replays."""
    session = Session.create(folder, load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    result = Runner(session, scripted(), auto_approve=True).run()
    assert result.ok, result.failed
    return session.root


class Panel:
    """Clicks and waits on the panel by its CSS classes; saves numbered screenshots."""

    def __init__(self, page, prefix: str) -> None:
        self.page = page
        self.prefix = prefix
        self.n = 0

    def el(self, css: str):
        return self.page.locator(f".pc-panel {css}").first

    def click(self, css: str) -> None:
        self.el(css).click()

    def wait(self, css: str, timeout: float = 30_000) -> None:
        self.page.wait_for_selector(f".pc-panel {css}", timeout=timeout)

    def shot(self, name: str) -> Path:
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.prefix}{self.n:02d}-{name}.png"
        self.page.wait_for_timeout(300)  # let the last widget update paint
        self.page.locator(".pc-panel").first.screenshot(path=str(path))
        assert path.stat().st_size > 5000
        return path

    def step(self, name: str) -> None:
        self.click(f".pc-step-{name}")
        self.wait(f".pc-content.pc-showing-{name}")


KERNEL_READY = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


def open_notebook(page, base: str, token: str, path: str) -> None:
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
                           timeout=60_000)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".pc-panel .pc-paper-summary", timeout=60_000)


def flow(root: Path, url: str) -> None:
    from playwright.sync_api import sync_playwright

    base, token = url.split("|")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            open_notebook(page, base, token, "notebooks/quickstart.ipynb")
            ui = Panel(page, "")
            assert "Time Domain Neural Audio Style Transfer" in ui.el(".pc-paper-summary").inner_text()
            assert page.locator(".pc-panel .pc-section").count() >= 5
            assert "replay" in ui.el(".pc-estimate").inner_text()
            ui.shot("paper-loaded-by-quickstart")

            # Load through the panel: the path box and the Load button (a new session)
            ui.el(".pc-path input").fill(str(root / "examples" / "neural-audio-style-transfer" / "paper.pdf"))
            ui.click(".pc-load")
            page.wait_for_function(
                "document.querySelector('.pc-panel .pc-paper-summary').innerText.includes('time-domain-neural-audio-style-transfer-2')",
                timeout=30_000)
            ui.shot("paper-loaded-by-button")

            # Planning, one reviewed artifact at a time
            ui.click(".pc-run")
            ui.wait(".pc-status-plan.pc-state-generated")
            ui.wait(".pc-content.pc-showing-plan .pc-rendered h2")
            ui.shot("plan-generated")
            for aid, nxt in (("plan", "architecture"), ("architecture", "logic"), ("logic", "config"), ("config", None)):
                ui.click(".pc-approve")
                ui.wait(f".pc-status-{aid}.pc-state-approved")
                if nxt is None:
                    break
                ui.click(".pc-run")
                ui.wait(f".pc-status-{nxt}.pc-state-generated")
                ui.wait(f".pc-content.pc-showing-{nxt}")
                if nxt == "architecture":
                    # Lab draws the Mermaid diagrams (an <img> of the SVG, or inline <svg>)
                    drawn = ".pc-diagrams .jp-RenderedMermaid:not(.jp-mod-warning) :is(img, svg)"
                    ui.wait(drawn, timeout=30_000)
                    page.wait_for_function(
                        f"document.querySelectorAll('.pc-panel {drawn}').length >= 2", timeout=30_000)
                if nxt == "logic":
                    rows = page.locator(".pc-panel .pc-task-table tbody tr")
                    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())] == list(FILES)
                if nxt == "config":
                    assert "d_model" in ui.el(".pc-rendered").inner_text()
                ui.shot(f"{nxt}-generated")
            ui.shot("planning-approved")

            # Analysis and code in one batch run
            ui.click(".pc-auto-approve input")
            ui.step("code")
            ui.click(".pc-run")
            ui.wait(".pc-status-code-main-py.pc-state-approved", timeout=60_000)
            page.wait_for_selector(".pc-panel.pc-busy-no", timeout=30_000)
            page.wait_for_function(
                f"document.querySelectorAll('.pc-panel .pc-status.pc-state-approved').length === {4 + 2 * len(FILES)}",
                timeout=30_000)
            ui.shot("code-generated")
            ui.step("analysis")
            # ipywidgets' <select> uses the option labels as values
            ui.el(".pc-files select").select_option(label="model.py  ·  approved")
            page.wait_for_function(
                "document.querySelector('.pc-panel .pc-rendered').innerText.includes('Design of model.py')")
            ui.shot("analysis-file-tree")

            # Edit config.yaml in the editor: the files built from it go stale
            ui.step("config")
            ui.click(".pc-mode button:has-text('Edit')")
            editor = ui.el(".pc-editor textarea")
            text = editor.input_value()
            assert "d_model: 512" in text
            editor.fill(text.replace("d_model: 512", "d_model: 256"))
            ui.click(".pc-save")
            ui.wait(".pc-status-config.pc-state-edited")
            ui.wait(".pc-status-code-main-py.pc-state-stale")
            ui.wait(".pc-step-code.pc-state-stale")
            page.wait_for_function(
                f"document.querySelectorAll('.pc-panel .pc-status.pc-state-stale').length === {2 * len(FILES)}",
                timeout=30_000)
            assert page.locator(".pc-panel .pc-status-plan.pc-state-approved").count() == 1
            ui.shot("config-edited-dependents-stale")
            ui.click(".pc-mode button:has-text('Diff')")
            assert "+  d_model: 256" in ui.el(".pc-diff").inner_text()
            ui.shot("config-diff")
            ui.click(".pc-approve")
            ui.wait(".pc-status-config.pc-state-approved")
            assert root.joinpath("notebooks", "papercoder-sessions").is_dir()

            # Export: repository, zip, notebook, with links
            ui.step("export")
            for kind in ("repo", "zip", "notebook"):
                ui.click(f".pc-export-{kind}")
                page.wait_for_function(
                    f"document.querySelector('.pc-panel .pc-export-message').innerText.includes('Exported the {kind}')",
                    timeout=30_000)
            links = page.locator(".pc-panel .pc-export-links a")
            assert links.count() >= 4
            hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
            # JupyterLab resolved the relative links to its /files/ URLs (opens or downloads them)
            assert all("/files/notebooks/papercoder-sessions/" in h for h in hrefs), hrefs
            assert any(h.split("?")[0].endswith(".zip") for h in hrefs), hrefs
            assert any("reproduction.ipynb" in h for h in hrefs), hrefs
            ui.shot("exported")
            sessions = sorted((root / "notebooks" / "papercoder-sessions").iterdir())
            exported = sessions[-1] / "export"
            assert (exported / "repo" / "main.py").is_file(), sorted(exported.rglob("*"))
            assert (exported / "reproduction.ipynb").is_file(), sorted(exported.rglob("*"))
            assert "d_model: 256" in (exported / "repo" / "config.yaml").read_text()
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "failure-full-page.png"))
            raise
        finally:
            browser.close()


def test_quickstart_panel_in_jupyterlab(tmp_path: Path) -> None:
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    quiet_lab_settings()
    recorded = record_session(tmp_path / "recorded")
    env = {**os.environ, "PAPERCODER_MODEL": f"replay:{recorded}", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    errors: list[str] = []
    for attempt in range(2):  # one retry for a flaky first start; more would hide bugs
        root = tmp_path / f"root{attempt}"
        (root / "notebooks").mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", root / "notebooks")
        (root / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
        try:
            with jupyter_lab(root, env) as url:
                flow(root, url)
            return
        except Exception as e:  # noqa: BLE001 - retried once, then reported
            errors.append(f"attempt {attempt + 1}: {type(e).__name__}: {e}")
    pytest.fail("\n\n".join(errors))
