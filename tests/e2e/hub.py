"""A real JupyterHub on 127.0.0.1 serving a class, for the browser tests.

``class_hub(tmp, users, password, environment)`` starts JupyterHub with the proxy from the
project-local npm install (``.hub-proxy/``, made by ``scripts/setup.sh --test``), the
``DummyAuthenticator`` with one shared password, and ``SimpleLocalProcessSpawner``: each
student's single-user server runs as the current unix user (root here, hence
``--allow-root``) with ``HOME`` under ``tmp/homes/<user>``. Everything the hub writes (its
database, cookie secret, the proxy's pid file, the log) stays in ``tmp``.

The class material reaches each home the way an instructor distributes it: an nbgitpuller
link (``Hub.pull_link``) that clones a git repository holding ``notebooks/workshop.ipynb``
and ``examples/`` — here a bare repository on disk (``class_repository``), pulled over
``file://``, so nothing leaves the machine.

Stopping (also on failure) sends SIGTERM to the hub, which stops every single-user server
and the proxy it started; whatever of the hub's process tree is still alive after that is
killed and reported (``Hub.strays``). A failure copies the hub's log to
``test-output/hub-<label>.log``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conftest import ROOT
from front_ends import free_port
from procs import alive

PROXY = ROOT / ".hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
OUTPUT = ROOT / "test-output"
REPO_NAME = "workshop"  # the folder nbgitpuller clones into, in each home


@dataclass
class Hub:
    url: str  # http://127.0.0.1:PORT (the proxy: what students open)
    tmp: Path
    log: Path
    proc: subprocess.Popen
    repo: Path
    strays: list[str] = field(default_factory=list)

    def home(self, user: str) -> Path:
        return self.tmp / "homes" / user

    def pull_link(self, notebook: str = "notebooks/workshop.ipynb") -> str:
        """The nbgitpuller link an instructor hands out: clone (or update) the class
        repository into the student's home, then open ``notebook`` in JupyterLab."""
        query = urllib.parse.urlencode({
            "repo": self.repo.as_uri(), "branch": "main", "targetpath": REPO_NAME,
            "urlpath": f"lab/tree/{REPO_NAME}/{notebook}?reset"})
        return f"/hub/user-redirect/git-pull?{query}"

    def login_url(self, next_path: str) -> str:
        return f"{self.url}/hub/login?{urllib.parse.urlencode({'next': next_path})}"


def class_repository(tmp: Path) -> Path:
    """A bare git repository with the workshop notebook and the examples it reads."""
    work = tmp / "class-material"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "workshop.ipynb", work / "notebooks")
    shutil.copytree(ROOT / "examples", work / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-q", "-m", "Workshop material"], check=True)
    bare = tmp / f"{REPO_NAME}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare


def _config(tmp: Path, port: int, users: list[str], password: str, environment: dict[str, str]) -> str:
    hub_port, api_port = free_port(), free_port()
    return f"""\
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = {f"sqlite:///{tmp / 'jupyterhub.sqlite'}"!r}
c.JupyterHub.cookie_secret_file = {str(tmp / 'jupyterhub_cookie_secret')!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.pid_file = {str(tmp / 'proxy.pid')!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {set(users)!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / 'homes' / '{username}')!r}
c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
# --allow-root: the single-user server refuses root without it; window.jupyterapp for the tests
c.Spawner.args = ["--allow-root", "--LabApp.expose_app_in_browser=True"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
"""


def _descendants(pid: int) -> set[int]:
    """The live process tree under ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return "?"


def _wait_until_up(hub: Hub, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:  # through the proxy: both the proxy and the hub answer
            with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if hub.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"JupyterHub did not start: {hub.log.read_text()[-3000:]}")
        time.sleep(0.5)


def _stop(hub: Hub) -> None:
    tree = _descendants(hub.proc.pid)  # the proxy, the single-user servers, their kernels
    if hub.proc.poll() is None:
        hub.proc.send_signal(signal.SIGTERM)  # the hub stops its servers and the proxy
        try:
            hub.proc.wait(60)
        except subprocess.TimeoutExpired:
            hub.strays.append(f"jupyterhub {hub.proc.pid} (ignored SIGTERM for 60 s)")
            hub.proc.kill()
            hub.proc.wait(10)
    deadline = time.monotonic() + 15
    while any(alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.3)
    for pid in sorted(p for p in tree if alive(p)):
        hub.strays.append(f"{pid}: {_cmdline(pid)}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def class_hub(tmp: Path, users: list[str], password: str, environment: dict[str, str],
              label: str = "class") -> Iterator[Hub]:
    """JupyterHub for ``users`` (one ``password``), their servers seeing ``environment``."""
    assert PROXY.is_file(), f"no {PROXY}: run bash scripts/setup.sh --test (npm install of configurable-http-proxy)"
    tmp.mkdir(parents=True, exist_ok=True)
    repo = class_repository(tmp)
    port = free_port()
    config = tmp / "jupyterhub_config.py"
    config.write_text(_config(tmp, port, users, password, environment))
    log = tmp / "jupyterhub.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "JPY_"))}
    env["CONFIGPROXY_AUTH_TOKEN"] = secrets.token_hex(16)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}", tmp, log, proc, repo)
    failed = True
    try:
        _wait_until_up(hub)
        yield hub
        failed = False
    finally:
        _stop(hub)
        if failed or hub.strays:
            OUTPUT.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, OUTPUT / f"hub-{label}.log")
