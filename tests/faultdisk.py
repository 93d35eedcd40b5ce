"""A real full disk for tests and benchmarks: a small tmpfs that a run fills, then grows.

Mounting needs root (or CAP_SYS_ADMIN); ``can_mount()`` says whether this machine allows it.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import TRANSFORMER_JSON
from faultkill import cli, resume_and_check
from faultserver import FaultServer

# Disk sizes (KiB) at which a run of the fault server's answers fills the disk: from
# before the paper is copied to the last code files (a full session takes ~500 KiB).
DISK_POINTS = [64, 112, 160, 208, 256, 320, 384, 448]


def _mount(where: Path, size_kb: int, remount: bool = False) -> subprocess.CompletedProcess[str]:
    opts = f"{'remount,' if remount else ''}size={size_kb}k"
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True, text=True)


def can_mount() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        if _mount(Path(tmp), 64).returncode != 0:
            return False
        subprocess.run(["umount", "-l", tmp], check=False)
        return True


@contextmanager
def small_disk(size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` KiB, unmounted on exit."""
    with tempfile.TemporaryDirectory() as tmp:
        r = _mount(Path(tmp), size_kb)
        if r.returncode != 0:
            raise OSError(f"cannot mount a tmpfs: {r.stderr.strip()}")
        try:
            yield Path(tmp)
        finally:
            subprocess.run(["umount", "-l", tmp], check=False)


def full_disk_run(server: FaultServer, size_kb: int) -> dict[str, object]:
    """Run on a disk of ``size_kb``; grow the disk; resume. The first run must end with one
    clean line (or complete), the resume must complete with every version kept, and the
    finished session must replay with no model call."""
    with small_disk(size_kb) as disk:
        out = disk / "s"
        first = cli("run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake",
                    "--base-url", server.base_url, "--auto-approve", "--quiet")
        first_tb = int("Traceback" in first.stderr + first.stdout)
        first_clean = first.returncode == 0 or (first.stderr.count("error:") == 1 and not first_tb)
        advice_ok = first.returncode == 0 or advice_works(first.stderr, out)
        _mount(disk, 16 * 1024, remount=True)
        calls_before = len(server.requests)
        result = resume_and_check(server, out)
        result["first_error"] = first.stderr.strip().splitlines()[-1:] if first.returncode else []
        result["repeated"] = len(server.requests) - calls_before
        if result["completed"]:
            replay = cli("run", str(TRANSFORMER_JSON), "--out", str(disk / "replayed"), "--model",
                         f"replay:{out}", "--auto-approve", "--quiet")
            result["replayed"] = replay.returncode == 0 and (disk / "replayed" / "code" / "main.py").is_file()
            result["completed"] = bool(result["replayed"])
        result["advice_ok"] = advice_ok
        result["clean"] = bool(result["clean"]) and first_clean and advice_ok
        result["tracebacks"] = int(result["tracebacks"]) + first_tb  # type: ignore[call-overload]
        return result


def advice_works(stderr: str, out: Path) -> bool:
    """The error names a command that can work from here: `papercoder resume` needs a
    session folder; before one exists, only starting the run again can."""
    found = re.search(r"`papercoder (\w+)", stderr)
    if found is None:
        return False
    return (found.group(1) == "resume") == (out / "session.json").is_file()
