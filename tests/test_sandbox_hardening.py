"""bubblewrap hardening: a process limit, no host /etc, nothing outlives the run, no secret via /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from papercoder_nb.verify.proclimit import PROCESS_LIMIT, ProcessLimit
from papercoder_nb.verify.sandbox import bwrap_status, smoke_run


@pytest.fixture(scope="module", autouse=True)
def bwrap_works() -> None:
    ok, reason = bwrap_status(sys.executable)
    assert ok, f"bubblewrap must work for the containment tests: {reason}"


def run(tmp_path: Path, code: str, **kw):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(textwrap.dedent(code))
    return smoke_run(repo, entry_point="main.py", args=[], timeout_s=60, **kw)


def test_a_fork_bomb_stops_at_the_process_limit(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import os, time
        started = 0
        for i in range(400):
            try:
                if os.fork() == 0:
                    time.sleep(3)
                    os._exit(0)
                started += 1
            except OSError:
                break
        print("started", started)
        """)
    started = int(result.stdout_tail.split("started")[1].split()[0])
    assert started < PROCESS_LIMIT, result.stdout_tail


def test_the_hosts_etc_is_not_visible(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import getpass, os
        print("USER", getpass.getuser())
        print("PASSWD", open("/etc/passwd").read().count("\\n"))
        print("SHADOW", os.path.exists("/etc/shadow"), "HOSTNAME", os.path.exists("/etc/hostname"))
        """)
    assert "USER sandbox" in result.stdout_tail, result.stderr_tail
    assert "PASSWD 1" in result.stdout_tail  # one line: the run's own user
    assert "SHADOW False HOSTNAME False" in result.stdout_tail


def test_no_process_outlives_the_run_and_no_secret_via_proc(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-secret-789")
    marker = f"papercoder-daemon-{os.getpid()}-{time.time_ns()}"
    result = run(tmp_path, f"""
        import glob, subprocess, sys
        daemon = subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(300)", "{marker}"])
        import time
        time.sleep(0.3)
        print("ALIVE", daemon.poll() is None)
        found = []
        for path in glob.glob("/proc/[0-9]*/environ"):
            try:
                if b"sk-parent-secret" in open(path, "rb").read():
                    found.append(path)
            except OSError:
                pass
        print("SECRET", found)
        """)
    assert "SECRET []" in result.stdout_tail and "ALIVE True" in result.stdout_tail, result.stderr_tail
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert left == [], "a daemon started by the code outlived the smoke run"


def test_without_bubblewrap_a_setsid_daemon_does_not_outlive_the_run_either(tmp_path: Path) -> None:
    probe = ProcessLimit()
    probe.close()
    if probe.how == "none" or probe.nproc is not None:
        pytest.skip("needs a pids cgroup (root) to find processes that left the group")
    marker = f"papercoder-daemon-{os.getpid()}-{time.time_ns()}"
    result = run(tmp_path, f"""
        import subprocess, sys
        daemon = subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(300)", "{marker}"])
        import time
        time.sleep(0.3)
        print("ALIVE", daemon.poll() is None)
        """, use_bwrap=False)
    assert "ALIVE True" in result.stdout_tail, result.stderr_tail
    time.sleep(0.5)
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split() == []
