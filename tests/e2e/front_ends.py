"""The three front ends the browser tests drive, and everything that differs between them.

JupyterLab 4 and Notebook 7 share one application object (``window.jupyterapp``); classic
Notebook 6.5 with ipywidgets 7.7.1 (Google Colab's stack) has ``window.Jupyter.notebook``
and is a server of its own (``NotebookApp``). Whatever a test does through the front end
rather than through the panel — start the server, open a notebook and run it, run code in
its kernel, run every cell again, shut the kernel down — is here, so each test is written
once and parametrized over ``FRONT_ENDS``. Tests for classic Notebook carry the ``nb6``
mark: they run only in the venv ``scripts/test-browser-nb6.sh`` makes (see
``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# Every per-point browser test runs in all three; the classic one only under Colab's stack
FRONT_ENDS = [
    pytest.param("lab", id="lab"),
    pytest.param("nb7", id="nb7"),
    pytest.param("nb6", id="nb6", marks=pytest.mark.nb6),
]

APPS = {  # app → (jupyter subcommand, its own flags, notebook URL)
    "lab": ("lab", ["--LabApp.expose_app_in_browser=True"], "/lab/tree/{path}?reset&token={token}"),
    "nb7": ("notebook", ["--JupyterNotebookApp.expose_app_in_browser=True"], "/notebooks/{path}?token={token}"),
    "nb6": ("notebook", ["--NotebookApp.show_banner=False"], "/notebooks/{path}?token={token}"),
}


def prefix(app: str) -> str:
    """Screenshot prefix: JupyterLab's are unprefixed, the others say where they were taken."""
    return "" if app == "lab" else f"{app}-"


def check_stack(app: str) -> None:
    """The classic tests mean Colab's versions; anywhere else they would prove nothing."""
    if app != "nb6":
        return
    import ipykernel
    import ipywidgets
    import notebook

    found = (notebook.__version__, ipywidgets.__version__, ipykernel.__version__)
    assert found[0].startswith("6.5.") and found[1] == "7.7.1" and found[2].startswith("6.17."), (
        f"needs Colab's stack (notebook 6.5, ipywidgets 7.7.1, ipykernel 6.17), found {found}: "
        "run bash scripts/test-browser-nb6.sh")


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


def server_flags(app: str, token: str, root: Path) -> list[str]:
    """Token and root folder: classic Notebook 6.5 is its own server (NotebookApp)."""
    if app == "nb6":
        return [f"--NotebookApp.token={token}", f"--NotebookApp.notebook_dir={root}"]
    return [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]


def _wait_until_up(proc: subprocess.Popen, base: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Jupyter server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)


@contextlib.contextmanager
def jupyter_server(root: Path, env: dict[str, str], app: str = "lab") -> Iterator[str]:
    """A Jupyter server for ``app`` on 127.0.0.1 serving ``root``; yields ``"BASE|TOKEN"``."""
    token, port = secrets.token_hex(16), free_port()
    command, flags, _ = APPS[app]
    log_path = root.parent / f"{app}-server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", command, "--no-browser", "--allow-root",
         *server_flags(app, token, root), "--ip", "127.0.0.1", f"--port={port}", "--port-retries=0", *flags,
         *([f"--LabApp.workspaces_dir={tempfile.mkdtemp()}"] if app == "lab" else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, base, token, log_path)
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


def open_notebook(page, base: str, token: str, path: str, app: str = "lab",
                  ready: str = ".pc-panel .pc-paper-summary") -> None:
    """Open the notebook at ``path`` (relative to the server's root), run all its cells, wait for ``ready``."""
    page.goto(base + APPS[app][2].format(path=path, token=token))
    run_opened_notebook(page, app, ready)


def run_opened_notebook(page, app: str = "lab", ready: str = ".pc-panel .pc-paper-summary") -> None:
    """The page shows (or is loading) a notebook: wait for its kernel, run all its cells, wait for ``ready``."""
    if app == "nb6":
        page.wait_for_function(CLASSIC_READY, timeout=60_000)
    else:
        page.wait_for_function("window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
                               timeout=60_000)
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_function(KERNEL_READY, timeout=60_000)
    run_all_cells(page, app)
    try:
        page.wait_for_selector(ready, timeout=60_000)
    except Exception:  # noqa: BLE001 - once: classic Notebook under load may run the cell but not show its widget
        run_all_cells(page, app)  # what a user does when the output does not appear: run it again
        page.wait_for_selector(ready, timeout=60_000)


def evaluate_within(page, function: str, arg: object = None, seconds: float = 120) -> object:
    """``page.evaluate`` of a function that may return a promise, bounded by ``seconds``.

    Playwright's evaluate waits for a promise with no limit: a kernel that never answers (seen
    once in CI: Notebook 7's run-all never resolved) would hang the test until pytest-timeout
    killed it, with no screenshot. This fails in the browser instead, naming what timed out.
    """
    ms = int(seconds * 1000)
    what = json.dumps(function[:80])
    return page.evaluate(f"""async (arg) => {{
      const fn = {function};
      let timer;
      const limit = new Promise((_, reject) => {{
        timer = setTimeout(() => reject(new Error('no answer within {seconds:g} s: ' + {what})), {ms}); }});
      try {{ return await Promise.race([Promise.resolve(fn(arg)), limit]); }} finally {{ clearTimeout(timer); }}
    }}""", arg)


def run_all_cells(page, app: str) -> None:
    """Start running every cell of the open notebook, as the user's Run All would.

    Not awaited: the command's promise settles only when the kernel has answered every cell,
    and the callers wait for what the cells show instead (with their own limits).
    """
    if app == "nb6":
        page.evaluate("() => { window.Jupyter.notebook.execute_all_cells(); }")
    else:
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


# Each returns the printed output of ``code`` run in the notebook's kernel (or its error)
_EXECUTE = {
    "jupyterapp": """async (code) => {
      const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const f = k.requestExecute({code, store_history: false});
      let out = '';
      f.onIOPub = (m) => {
        if (m.header.msg_type === 'stream') out += m.content.text;
        if (m.header.msg_type === 'error') out += 'ERROR ' + m.content.ename + ': ' + m.content.evalue;
      };
      await f.done;
      return out;
    }""",
    # Classic: the kernel goes idle after its last output for this request (the reply may come first)
    "classic": """(code) => new Promise((resolve) => {
      let out = '';
      window.Jupyter.notebook.kernel.execute(code, {iopub: {
        output: (m) => {
          if (m.header.msg_type === 'stream') out += m.content.text;
          if (m.header.msg_type === 'error') out += 'ERROR ' + m.content.ename + ': ' + m.content.evalue;
        },
        status: (m) => { if (m.content.execution_state === 'idle') resolve(out); },
      }}, {silent: false, store_history: false});
    })""",
}


def kernel_execute(page, app: str, code: str) -> str:
    """Run ``code`` in the open notebook's kernel (where the panel's ``wb`` lives); its printed output."""
    return evaluate_within(page, _EXECUTE["classic" if app == "nb6" else "jupyterapp"], code)


def shutdown_kernel(page, app: str) -> None:
    """Stop the open notebook's kernel, so a module that opens many notebooks does not pile them up."""
    if app == "nb6":
        evaluate_within(page, "() => window.Jupyter.notebook.session.delete()", seconds=30)
    else:
        evaluate_within(page, "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()", seconds=30)


# A new panel (not one marked old before the cells ran again) has loaded its paper
NEW_PANEL = """() => { const p = [...document.querySelectorAll('.pc-panel')].filter(e => !e.dataset.old);
  return p.length === 1 && !!p[0].querySelector('.pc-paper-summary'); }"""


def run_again(page, app: str) -> None:
    """Run every cell again, as a user would, and wait until the new panel replaced the old one."""
    page.evaluate("document.querySelectorAll('.pc-panel').forEach(e => e.dataset.old = '1')")
    run_all_cells(page, app)
    try:
        page.wait_for_function(NEW_PANEL, timeout=60_000)
    except Exception:  # noqa: BLE001 - once, as in run_opened_notebook: seen in JupyterLab, Notebook 7
        # and 6.5 under load (CI): the cells ran again but no new panel appeared within 60 s
        shown = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output, .output_area')]"
                              ".map(e => e.innerText.slice(0, 300)).join(' | ')")
        print(f"run_again[{app}]: no new panel after 60 s (outputs: {shown[:1500]!r}); running the cells once more",
              flush=True)
        run_all_cells(page, app)
        page.wait_for_function(NEW_PANEL, timeout=60_000)


def restart_kernel(page, app: str) -> None:
    """Restart the notebook's kernel (no confirmation dialog) and wait until it is back and idle."""
    if app == "nb6":
        evaluate_within(page, "() => new Promise((done) => window.Jupyter.notebook.kernel.restart(() => done(true)))")
        page.wait_for_timeout(500)  # the old kernel's idle icon can outlive the restart call
        page.wait_for_function(CLASSIC_READY, timeout=60_000)
    else:
        evaluate_within(page, "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
        page.wait_for_function(KERNEL_READY, timeout=60_000)
