"""bubblewrap hardening: a process limit, no host /etc, nothing outlives the run, no secret via /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from procs import alive, with_marker

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
    """As root with the pids cgroup both the cgroup and the supervisor catch it; else the supervisor."""
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


# -- without the cgroup (any non-root user): the supervisor (reaper.py) finds them ----------

DAEMON = "import os, sys, time; time.sleep(60); open(sys.argv[1], 'w').write('outlived')"
DOUBLE_FORK = """
    import os, sys, time
    if os.fork() == 0:  # double fork + setsid: the daemon leaves the group and its parent
        os.setsid()
        if os.fork() == 0:
            open("{pidfile}.tmp", "w").write(str(os.getpid()))  # whole, then visible: the reader
            os.rename("{pidfile}.tmp", "{pidfile}")                # never sees an empty file
            os.execv(sys.executable, [sys.executable, "-c", {daemon!r}, "{markfile}", "{marker}"])
        os._exit(0)
    os.wait()
    for _ in range(400):  # up to 20 s for the daemon to write its pid
        if os.path.exists("{pidfile}"):
            break
        time.sleep(0.05)
    print("DAEMON", open("{pidfile}").read())
    """


@pytest.fixture()
def no_cgroup(monkeypatch) -> None:
    """What a non-root user gets: no pids cgroup to find processes that left the group."""
    import papercoder_nb.verify.proclimit as proclimit

    monkeypatch.setattr(proclimit, "_pids_hierarchy", lambda: None)
    assert ProcessLimit().cgroup is None


def _double_fork_code(tmp_path: Path, marker: str, *, use_bwrap: bool, tail: str = "") -> str:
    # Inside bubblewrap only the sandbox is writable and PIDs are the namespace's own.
    pidfile = "daemon.pid" if use_bwrap else str(tmp_path / "daemon.pid")
    code = DOUBLE_FORK.format(pidfile=pidfile, markfile=tmp_path / "outlived", marker=marker, daemon=DAEMON)
    return code + textwrap.indent(textwrap.dedent(tail), "    ")


@pytest.mark.parametrize("use_bwrap", [True, False], ids=["bwrap", "no-bwrap"])
def test_without_the_cgroup_a_double_forked_daemon_does_not_outlive_the_run(
    tmp_path: Path, no_cgroup: None, use_bwrap: bool
) -> None:
    marker = f"papercoder-reaper-{os.getpid()}-{time.time_ns()}"
    result = run(tmp_path, _double_fork_code(tmp_path, marker, use_bwrap=use_bwrap), use_bwrap=use_bwrap)
    assert result.ran is True and "DAEMON" in result.stdout_tail, result.stderr_tail
    if not use_bwrap:
        pid = int((tmp_path / "daemon.pid").read_text())
        assert pid == int(result.stdout_tail.split("DAEMON")[1].split()[0])
        assert not alive(pid), "the daemon outlived the smoke run"
    assert with_marker(marker) == [], "a daemon started by the code outlived the smoke run"
    assert not (tmp_path / "outlived").exists()


@pytest.mark.parametrize("use_bwrap", [True, False], ids=["bwrap", "no-bwrap"])
def test_without_the_cgroup_a_timeout_leaves_no_daemon_either(
    tmp_path: Path, no_cgroup: None, use_bwrap: bool
) -> None:
    marker = f"papercoder-reaper-{os.getpid()}-{time.time_ns()}"
    code = _double_fork_code(tmp_path, marker, use_bwrap=use_bwrap, tail="""
        sys.stdout.flush()
        time.sleep(600)
        """)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(textwrap.dedent(code))
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=5, use_bwrap=use_bwrap)
    assert result.timed_out is True and "DAEMON" in result.stdout_tail, result.stderr_tail
    assert result.returncode == -9 and result.stderr_tail == ""  # killed, and nothing else said
    if not use_bwrap:
        assert not alive(int((tmp_path / "daemon.pid").read_text()))
    assert with_marker(marker) == []


def test_a_daemon_does_not_outlive_the_caller_killed_mid_run(tmp_path: Path) -> None:
    """kill -9 on the CLI during a smoke run: the supervisor still cleans up (PDEATHSIG)."""
    marker = f"papercoder-reaper-{os.getpid()}-{time.time_ns()}"
    code = _double_fork_code(tmp_path, marker, use_bwrap=False, tail="""
        time.sleep(600)
        """)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(textwrap.dedent(code))
    caller = subprocess.Popen([sys.executable, "-c", (
        "import sys; import papercoder_nb.verify.proclimit as p; p._pids_hierarchy = lambda: None\n"
        "from papercoder_nb.verify.sandbox import smoke_run\n"
        "smoke_run(sys.argv[1], entry_point='main.py', args=[], timeout_s=120, use_bwrap=False)"
    ), str(repo)])
    pidfile = tmp_path / "daemon.pid"
    try:
        for _ in range(600):  # up to 30 s for the daemon to start
            if pidfile.exists() and pidfile.read_text():
                break
            time.sleep(0.05)
        pid = int(pidfile.read_text())
        assert alive(pid)
    finally:
        caller.kill()
        caller.wait()
    for _ in range(200):  # up to 10 s: the supervisor hears its parent die and kills
        if not alive(pid):
            break
        time.sleep(0.05)
    assert not alive(pid) and with_marker(marker) == []


@pytest.mark.parametrize(("code", "returncode", "note"), [
    ("import sys; sys.exit(3)", 3, None),
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", -11, "the run was killed by SIGSEGV"),
])
def test_the_supervisor_reports_the_codes_own_exit(tmp_path: Path, code: str, returncode: int, note) -> None:
    result = run(tmp_path, code, use_bwrap=False)
    assert result.returncode == returncode and result.ran is False
    assert "reaper" not in result.stderr_tail  # the supervisor itself says nothing
    assert note is None or note in result.notes
