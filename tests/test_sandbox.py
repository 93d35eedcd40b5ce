"""Smoke runs: per-file records, and hostile generated code contained and reported.

The containment tests need a working bubblewrap (``apt-get install bubblewrap``; CI
installs it). They fail, not skip, without it: a green run must mean contained. The
fallback path (no bubblewrap) is tested separately and reports that it is not isolated.
"""

from __future__ import annotations

import json
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from export_helpers import make_bundle
from procs import alive

from papercoder_nb.export import FileEntry, write_repo
from papercoder_nb.verify.contained import minimal_env
from papercoder_nb.verify.sandbox import SmokeResult, bwrap_status, smoke_run
from papercoder_nb.verify.smoke import smoke_bundle

MAIN_GUARD = 'if __name__ == "__main__":\n    main()\n'


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return repo


@pytest.fixture(scope="module")
def bwrap_works() -> None:
    ok, reason = bwrap_status(sys.executable)
    assert ok, f"bubblewrap must work for the containment tests: {reason}"


def test_valid_repository_passes(tmp_path: Path, bwrap_works: None) -> None:
    bundle = make_bundle()
    write_repo(bundle, tmp_path / "repo")
    result = smoke_run(
        tmp_path / "repo", entry_point="main.py", args=bundle.smoke_args, timeout_s=60
    )
    assert result.ok, result.to_json()
    assert result.ran is True and result.returncode == 0
    assert "steps=3" in result.stdout_tail
    assert {f.path: (f.compiled, f.imported) for f in result.files} == {
        "data.py": (True, True),
        "main.py": (True, True),
        "models/__init__.py": (True, True),
        "models/linear.py": (True, True),
    }
    assert result.network_isolated and result.filesystem_isolated
    assert result.notes == []
    assert result.summary() == (
        "ok: 4/4 compiled, 4/4 imported, main.py ran (exit 0); network isolated"
    )
    assert not (tmp_path / "repo" / "__pycache__").exists()  # the original is untouched


def test_failures_are_recorded_per_file(tmp_path: Path, bwrap_works: None) -> None:
    repo = _repo(
        tmp_path,
        {
            "broken.py": "def f(:\n    pass\n",
            "needs_missing.py": "import definitely_not_installed_pkg\n",
            "util.py": "def g():\n    raise ValueError('bad shape (3, 4)')\n",
            "main.py": "import util\n\ndef main():\n    util.g()\n\n" + MAIN_GUARD,
            "1_script.py": "x = 1\n",
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=30)
    files = {f.path: f for f in result.files}
    assert files["broken.py"].compiled is False
    assert files["broken.py"].imported is None
    assert files["broken.py"].error.startswith("SyntaxError")
    assert files["needs_missing.py"].compiled and files["needs_missing.py"].imported is False
    assert (
        files["needs_missing.py"].error
        == "ModuleNotFoundError: No module named 'definitely_not_installed_pkg'"
    )
    assert "Traceback" in files["needs_missing.py"].traceback
    assert files["1_script.py"].imported is None and "module name" in files["1_script.py"].note
    assert result.ran is False and result.returncode == 1
    assert result.error == "ValueError: bad shape (3, 4)"
    assert (result.failing_file, result.failing_line) == ("util.py", 2)
    assert not result.ok
    assert result.summary().startswith("failed: 4/5 compiled, 2/3 imported, main.py failed")
    assert "ValueError: bad shape (3, 4) at util.py:2" in result.summary()
    again = SmokeResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_api_keys_never_reach_the_code(tmp_path: Path, monkeypatch, bwrap_works: None) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-123")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-456")
    repo = _repo(
        tmp_path,
        {
            "main.py": """
        import os
        print("KEY=", os.environ.get("ANTHROPIC_API_KEY"))
        print("ALL=", dict(os.environ))
        for path in ("/proc/1/environ", "/proc/self/environ"):
            try:
                print(path, open(path, "rb").read())
            except OSError as exc:
                print(path, "unreadable", exc)
        """
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=30)
    assert result.ran is True, result.stderr_tail
    assert "KEY= None" in result.stdout_tail
    assert "sk-test-123" not in result.stdout_tail + result.stderr_tail
    assert "tok-456" not in result.stdout_tail + result.stderr_tail
    assert "ANTHROPIC_API_KEY" not in result.stdout_tail


def test_secret_like_extra_env_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        minimal_env(
            home="/h", tmp="/t", repo="/r", python=sys.executable, extra={"OPENAI_API_KEY": "x"}
        )
    env = minimal_env(home="/h", tmp="/t", repo="/r", python=sys.executable, extra={"SEED": "1"})
    assert env["SEED"] == "1" and env["HOME"] == "/h"


class _Listener:
    """A TCP server on 127.0.0.1 that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connected.set()
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


def _socket_repo(tmp_path: Path, port: int) -> Path:
    return _repo(
        tmp_path,
        {
            "main.py": f"""
        import socket
        s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
        s.sendall(b"exfiltrated")
        print("CONNECTED")
        """
        },
    )


def test_socket_is_blocked(tmp_path: Path, bwrap_works: None) -> None:
    listener = _Listener()
    try:
        result = smoke_run(
            _socket_repo(tmp_path, listener.port), entry_point="main.py", args=[], timeout_s=30
        )
    finally:
        listener.close()
    assert not listener.connected.is_set()
    assert result.network_isolated is True
    assert result.ran is False
    assert "CONNECTED" not in result.stdout_tail
    assert result.error is not None and "Connection refused" in result.error


def test_without_bubblewrap_the_network_is_reported_open(tmp_path: Path) -> None:
    listener = _Listener()
    try:
        result = smoke_run(
            _socket_repo(tmp_path, listener.port),
            entry_point="main.py",
            args=[],
            timeout_s=30,
            use_bwrap=False,
        )
        listener.connected.wait(2)
    finally:
        listener.close()
    # Honest fallback: the connection happens, and the result says so.
    assert result.network_isolated is False and result.filesystem_isolated is False
    assert any(n.startswith("network not isolated: bubblewrap unavailable") for n in result.notes)
    assert listener.connected.is_set() and result.ran is True


def test_writes_outside_the_folder_do_not_land(tmp_path: Path, bwrap_works: None) -> None:
    outside = tmp_path / "outside.txt"
    repo = _repo(
        tmp_path,
        {
            "main.py": f"""
        import os
        results = []
        for target in ({str(outside)!r}, "../escaped.txt", os.path.expanduser("~/owned.txt")):
            try:
                with open(target, "w") as fh:
                    fh.write("owned")
                results.append((target, "written"))
            except OSError as exc:
                results.append((target, type(exc).__name__))
        print(results)
        """
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=30)
    assert result.ran is True, result.stderr_tail
    assert not outside.exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not (repo / "escaped.txt").exists() and not (repo.parent / "escaped.txt").exists()
    assert not (Path.home() / "owned.txt").exists()
    assert (
        f"({str(outside)!r}, 'FileNotFoundError')" in result.stdout_tail
        or f"({str(outside)!r}, 'PermissionError')" in result.stdout_tail
    )


def test_without_bubblewrap_the_original_repo_is_still_untouched(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "main.py": """
        open("../escaped.txt", "w").write("x")
        open("inside.txt", "w").write("x")
        import os
        print(os.environ["HOME"])
        """
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=30, use_bwrap=False)
    assert result.ran is True, result.stderr_tail
    # cwd is a temporary copy: relative writes and HOME land there, then vanish
    assert not (repo / "inside.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert str(Path.home()) not in result.stdout_tail
    assert any("file system not isolated" in n for n in result.notes)


def test_endless_loop_is_killed(tmp_path: Path, bwrap_works: None) -> None:
    repo = _repo(
        tmp_path,
        {
            "main.py": """
            import subprocess, sys, time
            # a child in the same group must die too
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            print("looping", flush=True)
            while True:
                time.sleep(0.01)
            """,
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=3)
    assert result.timed_out is True and result.ran is False
    assert "TimeoutError" in result.error and "3s" in result.error
    assert "looping" in result.stdout_tail
    assert result.duration_s < 20


def test_endless_loop_at_import_time(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"spin.py": "while True:\n    pass\n"})
    result = smoke_run(repo, entry_point=None, args=[], timeout_s=2, use_bwrap=False)
    (record,) = result.files
    assert record.imported is False and record.error.startswith("TimeoutError")
    assert result.ran is None


def test_memory_hog_is_stopped(tmp_path: Path, bwrap_works: None) -> None:
    repo = _repo(
        tmp_path,
        {
            "main.py": """
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))
        """
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=60, memory_mb=512)
    assert result.memory_exceeded is True
    assert result.ran is False and not result.timed_out
    assert result.error == "MemoryError"


def test_symlinks_are_not_copied_into_the_sandbox(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    repo = _repo(tmp_path, {"main.py": "print(open('link.txt').read())\n"})
    (repo / "link.txt").symlink_to(secret)
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=30, use_bwrap=False)
    assert "s3cret" not in result.stdout_tail
    assert result.ran is False and "FileNotFoundError" in result.error
    assert any("link.txt" in n for n in result.notes)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "main.py": """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print("child", child.pid, flush=True)
        time.sleep(600)
        """
        },
    )
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=3, use_bwrap=False)
    assert result.timed_out
    pid = int(result.stdout_tail.split()[1])
    deadline = time.monotonic() + 5  # SIGKILL is sent; dying takes a moment under load
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_smoke_bundle_exports_scans_and_runs(bwrap_works: None) -> None:
    bundle = make_bundle()
    bundle.files.append(FileEntry("net.py", "import socket\n"))
    result = smoke_bundle(bundle, timeout_s=60)
    assert result.ok, result.to_json()
    assert "steps=3" in result.stdout_tail
    assert result.args == ["--config", "config.yaml", "--steps", "3"]
    assert result.safety_flags == [
        {
            "file": "net.py",
            "line": 1,
            "category": "network",
            "message": "imports socket (network access)",
            "severity": "high",
        }
    ]
    assert result.repo_dir == "/nonexistent/session"


def test_automatic_fallback_says_why(tmp_path: Path, monkeypatch) -> None:
    import papercoder_nb.verify.sandbox as sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert sandbox.bwrap_status.__wrapped__(sys.executable) == (False, "bwrap not installed")
    monkeypatch.setattr(
        sandbox,
        "bwrap_status",
        lambda python: (False, "bwrap cannot create a sandbox here (EPERM)"),
    )
    repo = _repo(tmp_path, {"main.py": "print('hi')\n"})
    result = smoke_run(repo, entry_point="main.py", args=[], timeout_s=30)
    assert result.ran is True and result.network_isolated is False
    assert (
        "network not isolated: bubblewrap unavailable (bwrap cannot create a sandbox here "
        "(EPERM))" in result.notes
    )
    assert result.summary().endswith("network NOT isolated")
    with pytest.raises(RuntimeError, match="unavailable"):
        smoke_run(repo, entry_point="main.py", args=[], use_bwrap=True)
