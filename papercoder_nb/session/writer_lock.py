"""One writer per session: two runs on one folder would each take the other's answers for
hand edits and pay for the same calls twice.

A run holds an exclusive ``flock`` on ``<session>/.lock`` (there only while a run is) and
writes who it is (PID, host, command, since when) into it, so a second writer is refused
with one line naming the holder. The kernel drops the lock when its process dies (a kill -9 included), so a
lock is never stale on its own host; on another host sharing the folder, the lock is
NFS's. Re-entrant within one process: a run's per-artifact steps take it again.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .store import SessionError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; one writer is then up to the user
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".lock"
_held: dict[Path, list[int]] = {}  # session root → [file descriptor, depth]
_guard = threading.Lock()


class SessionBusy(SessionError):
    """Another process is writing this session."""


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096) or b"{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return (f"`{info.get('command', 'papercoder')}` (pid {info.get('pid', '?')} on {info.get('host', '?')}, "
            f"since {info.get('since', '?')})")


def _claim(root: Path) -> int:
    path = root / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise SessionBusy(f"{root} is busy: {holder} is writing it; wait for it to finish or stop it "
                              "(the panel shows the session read-only meanwhile); one writer at a time") from None
        try:  # the holder we waited on may have removed the file: lock the one on disk
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(),
          "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(me).encode(), 0)
    return fd


def _command() -> str:
    args = [os.path.basename(sys.argv[0]) if sys.argv else "python", *sys.argv[1:3]]
    return "papercoder " + " ".join(args[1:]) if "papercoder" in " ".join(args) else " ".join(args)


@contextmanager
def session_writer(root: str | Path) -> Iterator[None]:
    """Hold the session's write lock for the block; ``SessionBusy`` if another process has it."""
    key = Path(root).resolve()
    if fcntl is None or not key.is_dir():
        yield
        return
    with _guard:
        if key in _held:
            _held[key][1] += 1
        else:
            _held[key] = [_claim(key), 1]
    try:
        yield
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                # Removed while still locked (a waiter re-checks the inode): the folder is
                # left as it was, with no stale name in it.
                (key / LOCK_FILE).unlink(missing_ok=True)
                fcntl.flock(entry[0], fcntl.LOCK_UN)
                os.close(entry[0])


def busy_by(root: str | Path) -> str | None:
    """Who is writing the session now, or None (for a read-only view: the panel)."""
    key = Path(root).resolve()
    if fcntl is None or key in _held or not (key / LOCK_FILE).is_file():
        return None
    fd = os.open(key / LOCK_FILE, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
