"""One writer per session: a second process is refused with one line naming the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FILES, TRANSFORMER_JSON, scripted

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.cli import main
from papercoder_nb.session.writer_lock import SessionBusy, busy_by, session_writer

HOLD = """
import sys, time
from papercoder_nb.session.writer_lock import session_writer
with session_writer(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def _session(tmp_path: Path) -> Session:
    return Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)


def _holder(root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_is_refused_naming_the_holder_and_a_killed_holder_frees_it(tmp_path, capsys) -> None:
    session = _session(tmp_path)
    proc = _holder(session.root)
    try:
        with pytest.raises(SessionBusy, match=rf"busy: .*pid {proc.pid} on "):
            Runner(session, scripted(FILES), auto_approve=True).run()
        assert f"pid {proc.pid}" in (busy_by(session.root) or "")
        assert main(["resume", str(session.root), "--model", "scripted:x", "--auto-approve", "--quiet"]) == 1
        err = capsys.readouterr().err
        assert "busy" in err and f"pid {proc.pid}" in err and len(err.strip().splitlines()) == 1
        assert session.calls() == []  # nothing was paid for twice
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # a kill -9 leaves no stale lock: the kernel drops it
        proc.wait()
    deadline = time.monotonic() + 30
    while busy_by(session.root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert busy_by(session.root) is None
    assert Runner(session, scripted(FILES), auto_approve=True).run().ok


def test_the_lock_is_reentrant_in_one_process_and_released_after(tmp_path) -> None:
    session = _session(tmp_path)
    with session_writer(session.root), session_writer(session.root):
        assert busy_by(session.root) is None  # this process is the writer
    proc = _holder(session.root)  # released: another process can take it
    proc.kill()
    proc.wait()
