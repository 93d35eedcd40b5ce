"""One contained subprocess at a time: the environment built from scratch, the memory,
file-size and process limits, and the supervisor (``reaper``) that kills every process a
command started when it ends or times out.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .bwrap import SANDBOX_ROOT, bwrap_command
from .proclimit import ProcessLimit

try:
    import resource
except ImportError:  # not on Windows: limits cannot be set there
    resource = None  # type: ignore[assignment]

LIMITS_SUPPORTED = resource is not None  # RLIMIT_* can be set on this platform
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION", re.I)
_PASSTHROUGH = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "TZ")
_TAIL_CHARS = 8000
_REAPER = Path(__file__).with_name("reaper.py")  # the supervisor every command runs under
_STOP_GRACE_S = 15.0  # the supervisor's own cleanup gives up after 10 s



def minimal_env(
    *, home: str, tmp: str, repo: str, python: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """An environment built from scratch: nothing secret can leak by inheritance."""
    env = {
        "PATH": os.pathsep.join([str(Path(python).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home,
        "TMPDIR": tmp,
        "XDG_CACHE_HOME": f"{home}/.cache",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": repo,
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        # Libraries that phone home: tell them not to.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "WANDB_MODE": "disabled",
    }
    for name in _PASSTHROUGH:
        if name in os.environ:
            env[name] = os.environ[name]
    for name, value in (extra or {}).items():
        if SECRET_NAME.search(name):
            raise ValueError(f"refusing to pass {name!r} into a smoke run: it looks like a secret")
        env[name] = value
    return env


def _limits(memory_mb: int, file_mb: int, processes: ProcessLimit | None = None):
    """preexec_fn: runs in the child before exec, so the limits bind bwrap and the code."""

    def apply() -> None:
        if processes is not None:
            processes.apply()
        limits = [
            (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
            (resource.RLIMIT_FSIZE, file_mb * 1024 * 1024),
            (resource.RLIMIT_CORE, 0),
        ]
        for kind, value in limits:
            try:
                resource.setrlimit(kind, (value, value))
            except (ValueError, OSError):
                pass  # e.g. macOS refuses RLIMIT_AS; smoke_run notes it off Linux

    return apply


@dataclass
class Proc:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


class CommandRunner:
    """Runs one command at a time inside the chosen containment."""

    def __init__(
        self,
        work: Path,
        python: str,
        *,
        use_bwrap: bool,
        network: bool,
        timeout_s: float,
        memory_mb: int,
        file_mb: int,
        extra_env: dict[str, str] | None,
    ) -> None:
        self.work = work
        self.python = python
        self.use_bwrap = use_bwrap
        self.network = network
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.file_mb = file_mb
        root = SANDBOX_ROOT if use_bwrap else str(work)
        self.repo_root = f"{root}/repo"
        self.env = minimal_env(
            home=f"{root}/home",
            tmp="/tmp" if use_bwrap else f"{root}/tmp",
            repo=self.repo_root,
            python=python,
            extra=extra_env,
        )
        self.logs = Path(tempfile.mkdtemp(prefix="papercoder-logs-"))  # outside the sandbox
        self.counter = 0
        self.processes = ProcessLimit()

    def run(self, argv: list[str]) -> Proc:
        self.counter += 1
        out_path = self.logs / f"{self.counter}.out"
        err_path = self.logs / f"{self.counter}.err"
        cmd = [self.python, "-s", *argv]
        if self.use_bwrap:
            cmd = bwrap_command(self.work, self.python, network=self.network) + cmd
        cmd = _supervised(cmd, self.python)
        start = time.monotonic()
        timed_out = False
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(
                cmd,
                cwd=self.work / "repo",
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_limits(self.memory_mb, self.file_mb, self.processes) if resource else None,
            )
            try:
                proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _stop_supervisor(proc)  # it kills everything below it, wherever it went
                _kill_group(proc)  # the group too, should the supervisor be gone
                self.processes.kill_all()  # and, as root, the cgroup
        return Proc(
            proc.returncode, _tail(out_path), _tail(err_path), timed_out, time.monotonic() - start
        )

    def close(self) -> None:
        self.processes.close()
        shutil.rmtree(self.logs, ignore_errors=True)


def _supervised(cmd: list[str], python: str) -> list[str]:
    """On Linux, start ``cmd`` under ``reaper.py``: no process it starts outlives it."""
    if not sys.platform.startswith("linux"):
        return cmd
    # -I -S: the supervisor imports only the standard library, nothing from any venv.
    return [sys.executable or python, "-I", "-S", str(_REAPER), str(os.getpid()), "--", *cmd]


def _stop_supervisor(proc: subprocess.Popen) -> None:
    """SIGTERM the supervisor (it kills and reaps what is below it), then wait for it."""
    if proc.poll() is not None or not sys.platform.startswith("linux"):
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=_STOP_GRACE_S)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass  # the group kill follows


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(path: Path, limit: int = _TAIL_CHARS) -> str:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - limit))
        data = fh.read()
    text = data.decode("utf-8", "replace")
    return text if size <= limit else "…" + text

