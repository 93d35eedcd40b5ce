"""The panel in a real browser: JupyterLab and Notebook 7 on 127.0.0.1, Debian's chromium.

The shipped quickstart notebook is executed with ``PAPERCODER_MODEL`` (and
``PAPERCODER_JUDGE_MODEL``) pointing at a session recorded here with the scripted model,
so the panel's own model picker resolves to the ``replay`` backend: offline,
deterministic, and the real code path. The recording also holds the repair of a file
that fails its smoke run and the judge's answers, made in the same order the browser
flow makes them (the repair prompt carries the edited config and the sandbox's
traceback, the judge prompt the repaired code). The panel is then used only through its
buttons (found by their ``pc-*`` classes), and each step is saved as a screenshot under
``test-output/screenshots/`` (Lab unprefixed, Notebook 7 with ``nb7-``, classic Notebook 6.5
with ``nb6-``). The Notebook 6.5 test is marked ``nb6``: it runs only in the venv that
``scripts/test-browser-nb6.sh`` makes with Colab's stack (ipywidgets 7.7.1, ipykernel 6.17.1)
and is deselected elsewhere (see ``tests/conftest.py``).
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
from conftest import EXAMPLE_PAPER, FILES, ROOT, responder
from editor_helpers import editor_text, replace_editor_text

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.evaluate import evaluate_session
from papercoder_nb.llm.base import Request
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.verify.repair import apply_fix, propose_fix, smoke_session

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


APPS = {  # app → (jupyter subcommand, its own flags, notebook URL)
    "lab": ("lab", ["--LabApp.expose_app_in_browser=True"], "/lab/tree/{path}?reset&token={token}"),
    "nb7": ("notebook", ["--JupyterNotebookApp.expose_app_in_browser=True"], "/notebooks/{path}?token={token}"),
    "nb6": ("notebook", ["--NotebookApp.show_banner=False"], "/notebooks/{path}?token={token}"),
}


def server_flags(app: str, token: str, root: Path) -> list[str]:
    """Token and root folder: classic Notebook 6.5 is its own server (NotebookApp)."""
    if app == "nb6":
        return [f"--NotebookApp.token={token}", f"--NotebookApp.notebook_dir={root}"]
    return [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]


@contextlib.contextmanager
def jupyter_lab(root: Path, env: dict[str, str], app: str = "lab") -> Iterator[str]:
    token, port = secrets.token_hex(16), free_port()
    command, flags, _ = APPS[app]
    log = open(root.parent / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", command, "--no-browser", "--allow-root",
         *server_flags(app, token, root), "--ip", "127.0.0.1", f"--port={port}", "--port-retries=0", *flags,
         *([f"--LabApp.workspaces_dir={tempfile.mkdtemp()}"] if app == "lab" else [])],
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


# utils.py fails to import (and reads the home directory, which the safety scan flags)
UTILS_BROKEN = '''"""utils.py: generated by the scripted model."""
import os

CACHE = os.path.expanduser("~/.cache/tiny")
SCALE = factor * 2


def run() -> str:
    return "utils.py"
'''
UTILS_FIX = """`factor` is never defined; the scale is the constant 2.

<<<<<<< SEARCH
SCALE = factor * 2
=======
SCALE = 2
>>>>>>> REPLACE
"""
JUDGEMENT = json.dumps({"critiques": [
    {"file": "model.py", "function": "run", "severity": "high", "text": "the style-transfer loss is not implemented"},
    {"file": "utils.py", "function": "", "severity": "low", "text": "CACHE is never used"},
], "score": 4})
RUBRIC = {"id": "root", "requirements": "Reproduce the style transfer", "weight": 1, "sub_tasks": [
    {"id": "model", "requirements": "A model module with a run function exists", "weight": 2, "sub_tasks": [],
     "task_category": "Code Development"},
    {"id": "loss", "requirements": "The content and style losses of Eq. 1 are implemented", "weight": 1,
     "sub_tasks": [], "task_category": "Code Development"},
    {"id": "smoke", "requirements": "The smoke configuration runs to the end", "weight": 1, "sub_tasks": [],
     "task_category": "Code Execution"},
]}


def recording_backend() -> ScriptedBackend:
    gen = responder()

    def answer(req: Request) -> str:
        if req.kind == "code" and req.artifact == "code:utils.py":
            return f"```python\n{UTILS_BROKEN}```"
        if req.kind == "repair":
            return UTILS_FIX
        if req.kind == "eval.judge":
            return JUDGEMENT
        if req.kind == "eval.rubric":
            passed = "losses of Eq. 1" not in req.messages[-1].text
            return json.dumps({"explanation": "found in the code" if passed else "no loss function", "score": int(passed)})
        return gen(req)

    return ScriptedBackend("test", responder=answer)


def record_session(folder: Path, rubric: Path) -> Path:
    """The cassette the panel replays: generation, then exactly what the browser flow does."""
    session = Session.create(folder, load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    backend = recording_backend()
    result = Runner(session, backend, auto_approve=True).run()
    assert result.ok, result.failed
    session.write("config", (session.read("config") or "").replace("d_model: 512", "d_model: 256"), by="user")
    session.approve("config")
    failed = smoke_session(session)
    assert not failed.ok and "NameError" in (failed.summary() or ""), failed.summary()
    apply_fix(session, propose_fix(session, backend, failed))
    assert smoke_session(session).ok
    evaluate_session(session, backend)
    evaluate_session(session, backend, rubric=rubric)
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


# Classic Notebook 6.5: the notebook loaded, its kernel connected and idle, and the
# widgets nbextension's manager attached to the kernel (else widgets would not render)
CLASSIC_READY = """() => {
  const nb = window.Jupyter && window.Jupyter.notebook;
  const k = nb && nb.kernel;
  return !!nb && nb._fully_loaded && !!k && k.is_connected() && k.widget_manager !== undefined
    && !!document.querySelector('#kernel_indicator_icon.kernel_idle_icon');
}"""


def open_classic(page, base: str, token: str, path: str) -> None:
    page.goto(base + APPS["nb6"][2].format(path=path, token=token))
    page.wait_for_function(CLASSIC_READY, timeout=60_000)
    page.evaluate("window.Jupyter.notebook.execute_all_cells()")
    page.wait_for_selector(".pc-panel .pc-paper-summary", timeout=60_000)


def open_notebook(page, base: str, token: str, path: str, app: str = "lab") -> None:
    if app == "nb6":
        return open_classic(page, base, token, path)
    page.goto(base + APPS[app][2].format(path=path, token=token))
    page.wait_for_function("window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
                           timeout=60_000)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".pc-panel .pc-paper-summary", timeout=60_000)


def flow(root: Path, url: str, app: str, rubric: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, token = url.split("|")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        console: list[str] = []  # the browser's errors, kept beside the failure screenshot
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        try:
            open_notebook(page, base, token, "notebooks/quickstart.ipynb", app)
            ui = Panel(page, "" if app == "lab" else f"{app}-")
            assert "Time Domain Neural Audio Style Transfer" in ui.el(".pc-paper-summary").inner_text()
            assert page.locator(".pc-panel .pc-section").count() >= 5
            assert "replay" in ui.el(".pc-estimate").inner_text()
            ui.shot("paper-loaded-by-quickstart")

            # Load through the panel: the same paper in the same work folder reopens its session
            ui.el(".pc-path input").fill(str(root / "examples" / "neural-audio-style-transfer" / "paper.pdf"))
            ui.click(".pc-load")
            page.wait_for_function(
                "(() => { const t = document.querySelector('.pc-panel').innerText;"
                " return !t.includes('Reading ') && t.includes('open: 4 missing'); })()",
                timeout=30_000)
            assert "time-domain-neural-audio-style-transfer-2" not in ui.el(".pc-paper-summary").inner_text()
            assert not (root / "notebooks" / "papercoder-sessions" / "time-domain-neural-audio-style-transfer-2").exists()
            ui.shot("paper-loaded-by-button")
            ui.click(".pc-status-details")  # the per-artifact badges live behind "Details"

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
                if nxt == "architecture" and app == "nb6":
                    classic_diagrams(page)
                elif nxt == "architecture":
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
            text = editor_text(ui)
            assert "d_model: 512" in text
            replace_editor_text(ui, text.replace("d_model: 512", "d_model: 256"))
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
            if app == "nb6":
                classic_links(page, links)
            else:  # JupyterLab resolved the relative links to its /files/ URLs (opens or downloads them)
                assert all("/files/notebooks/papercoder-sessions/" in h for h in hrefs), hrefs
            assert any(h.split("?")[0].endswith(".zip") for h in hrefs), hrefs
            assert any("reproduction.ipynb" in h for h in hrefs), hrefs
            ui.shot("exported")
            sessions = sorted((root / "notebooks" / "papercoder-sessions").iterdir())
            exported = sessions[-1] / "export"
            assert (exported / "repo" / "main.py").is_file(), sorted(exported.rglob("*"))
            assert (exported / "reproduction.ipynb").is_file(), sorted(exported.rglob("*"))
            assert "d_model: 256" in (exported / "repo" / "config.yaml").read_text()
            smoke_and_repair(page, ui, sessions[-1])
            evaluate(page, ui, rubric)
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{ui.prefix if 'ui' in locals() else ''}failure-full-page.png"))
            (SHOTS / f"{ui.prefix if 'ui' in locals() else ''}failure-console.txt").write_text("\n".join(console))
            raise
        finally:
            browser.close()


def classic_diagrams(page) -> None:
    """Classic Notebook draws no Mermaid: the fenced source shows (the documented fallback)."""
    page.wait_for_function(
        "(() => { const d = document.querySelector('.pc-panel .pc-diagrams');"
        " return !!d && d.innerText.includes('classDiagram') && d.innerText.includes('sequenceDiagram'); })()",
        timeout=30_000)
    assert page.locator(".pc-panel .pc-mermaid-source").count() == 2


def classic_links(page, links) -> None:
    """Classic Notebook keeps the relative hrefs; each opens (folders in /tree/, files in /files/)."""
    for i in range(links.count()):
        url = links.nth(i).evaluate("a => a.href")
        answer = page.request.get(url, headers={"Referer": page.url})  # /files/ needs one, as a click sends
        assert answer.ok and "/notebooks/papercoder-sessions/" in answer.url, (url, answer.status, answer.url)


def smoke_and_repair(page, ui: Panel, session_dir: Path) -> None:
    """Safety flags before anything runs; a failing smoke run; a fix as a diff; applied; passing."""
    ui.step("smoke")
    ui.wait(".pc-safety.pc-flags-2")
    assert "expanduser" in ui.el(".pc-safety").inner_text()
    assert "Not run yet" in ui.el(".pc-smoke-result").inner_text()
    ui.shot("smoke-safety-flags")
    ui.click(".pc-smoke-run")
    ui.wait(".pc-smoke-result.pc-smoke-state-failed", timeout=120_000)
    report = ui.el(".pc-smoke-result").inner_text()
    assert "NameError: name 'factor' is not defined" in report, report
    assert "Network isolated: ✓ yes" in report
    assert page.locator(".pc-panel .pc-smoke-file").count() == len(FILES)
    ui.wait(".pc-step-smoke.pc-state-failed")
    ui.shot("smoke-failed")
    ui.click(".pc-repair")
    ui.wait(".pc-fix-diff .pc-diff-lines", timeout=60_000)
    diff = ui.el(".pc-fix-diff").inner_text()
    assert "-SCALE = factor * 2" in diff and "+SCALE = 2" in diff, diff
    ui.shot("repair-diff")
    ui.click(".pc-fix-apply")
    ui.wait(".pc-smoke-result.pc-smoke-state-ok", timeout=120_000)
    ui.wait(".pc-step-smoke.pc-state-approved")
    assert "SCALE = 2" in (session_dir / "code" / "utils.py").read_text()
    ui.shot("smoke-passed-after-repair")


def evaluate(page, ui: Panel, rubric: Path) -> None:
    """The judge's score and critiques by file (opening the file's Code view), then a rubric."""
    ui.step("evaluate")
    ui.click(".pc-eval-run")
    ui.wait(".pc-eval-score.pc-eval-state-reference_free", timeout=120_000)
    assert "reference-free score 4.00/5 from 1/1 valid samples" in ui.el(".pc-eval-score").inner_text()
    assert page.locator(".pc-panel .pc-critique-file").count() == 2
    assert "5/5 compile" in ui.el(".pc-eval-static").inner_text()
    ui.shot("evaluate-judge")
    ui.click(".pc-eval-open-code-model-py")
    ui.wait(".pc-content.pc-showing-code")
    ui.wait(".pc-artifact.pc-artifact-id-code-model-py")
    ui.shot("critique-opens-code")
    ui.step("evaluate")
    ui.el(".pc-eval-rubric input").fill(str(rubric))
    ui.click(".pc-eval-run")
    ui.wait(".pc-eval-score.pc-eval-state-rubric", timeout=120_000)
    tree = page.locator(".pc-panel .pc-rubric-tree")
    assert tree.locator(".pc-rubric-pass").count() == 2 and tree.locator(".pc-rubric-fail").count() == 1
    assert "rubric 75%: 2/3 leaves passed" in ui.el(".pc-eval-score").inner_text()
    ui.shot("evaluate-rubric")


def run_app(tmp_path: Path, app: str) -> None:
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    quiet_lab_settings()
    rubric = tmp_path / "rubric.json"
    rubric.write_text(json.dumps(RUBRIC))
    recorded = record_session(tmp_path / "recorded", rubric)
    env = {**os.environ, "PAPERCODER_MODEL": f"replay:{recorded}", "PAPERCODER_JUDGE_MODEL": f"replay:{recorded}",
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    errors: list[str] = []
    for attempt in range(2):  # one retry for a flaky first start; more would hide bugs
        root = tmp_path / f"root{attempt}"
        (root / "notebooks").mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", root / "notebooks")
        (root / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
        try:
            with jupyter_lab(root, env, app) as url:
                flow(root, url, app, rubric)
            return
        except Exception as e:  # noqa: BLE001 - retried once, then reported
            errors.append(f"attempt {attempt + 1}: {type(e).__name__}: {e}")
    pytest.fail("\n\n".join(errors))


def test_quickstart_panel_in_jupyterlab(tmp_path: Path) -> None:
    run_app(tmp_path, "lab")


def test_quickstart_panel_in_notebook7(tmp_path: Path) -> None:
    run_app(tmp_path, "nb7")


@pytest.mark.nb6
def test_quickstart_panel_in_notebook65(tmp_path: Path) -> None:
    """Colab's stack: classic Notebook 6.5, ipywidgets 7.7.1, ipykernel 6.17 (own venv)."""
    import ipykernel
    import ipywidgets
    import notebook

    found = (notebook.__version__, ipywidgets.__version__, ipykernel.__version__)
    assert found[0].startswith("6.5.") and found[1] == "7.7.1" and found[2].startswith("6.17."), (
        f"needs Colab's stack (notebook 6.5, ipywidgets 7.7.1, ipykernel 6.17), found {found}: "
        "run bash scripts/test-browser-nb6.sh")
    run_app(tmp_path, "nb6")
