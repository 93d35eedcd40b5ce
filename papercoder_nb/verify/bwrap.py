"""Bubblewrap for the smoke run: the ``bwrap`` command that isolates one subprocess and
whether bubblewrap works here at all.

The command gives the code no network (unless asked), a private PID namespace, a
read-only view of the system and the Python installation, and only the temporary
directory writable; the host's ``/etc`` is not shown beyond what the dynamic loader and
TLS need (``passwd``/``group`` name only the run's user).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SANDBOX_ROOT = "/sandbox"  # where the temp dir appears inside bubblewrap


@functools.lru_cache(maxsize=8)
def _python_roots(python: str) -> tuple[str, ...]:
    """Directories the interpreter needs (prefixes of the venv and its base install)."""
    code = "import sys,json;print(json.dumps([sys.prefix,sys.base_prefix,sys.exec_prefix]))"
    roots = {str(Path(python).resolve().parent.parent), str(Path(python).absolute().parent.parent)}
    try:
        out = subprocess.run(
            [python, "-S", "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin"},
        )
        roots.update(json.loads(out.stdout))
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    for root in list(roots):  # with -S a venv's prefix is its base; the venv is its folder
        roots.update(_pth_site_dirs(root))
    # Drop roots already covered by /usr or by another root.
    keep = sorted(r for r in roots if r and r != "/" and not r.startswith("/usr/") and os.path.isdir(r))
    return tuple(r for r in keep if not any(r != o and r.startswith(o + "/") for o in keep))


def _pth_site_dirs(prefix: str) -> set[str]:
    """site-packages folders a venv's .pth files add (a session venv seeing its parent's).

    Read, not run (-S above): installed packages' .pth code never runs outside the
    sandbox, and only site-packages count, never e.g. an editable install's source tree.
    """
    found: set[str] = set()
    for pth in Path(prefix).glob("lib*/python*/site-packages/*.pth"):
        for line in pth.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if os.path.isabs(line) and line.endswith(("site-packages", "dist-packages")):
                found.add(line)
    return found


def bwrap_command(work: Path, python: str, *, network: bool) -> list[str]:
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    if network:
        cmd.append("--share-net")
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        p = Path(top)
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(top), top]
        elif p.is_dir():
            cmd += ["--ro-bind", top, top]
    for etc in (
        "ld.so.cache",
        "ld.so.conf",
        "ld.so.conf.d",
        "alternatives",
        "localtime",
        "ssl",
        "ca-certificates",
        "fonts",
    ):
        cmd += ["--ro-bind-try", f"/etc/{etc}", f"/etc/{etc}"]
    if network:
        cmd += [
            "--ro-bind-try",
            "/etc/resolv.conf",
            "/etc/resolv.conf",
            "--ro-bind-try",
            "/etc/hosts",
            "/etc/hosts",
        ]
    for root in _python_roots(python):
        cmd += ["--ro-bind", root, root]
    # The host's user list is not shown: a passwd/group naming only the run's user
    # (getpass.getuser() and ~ still work).
    for name, path in _identity_files(work).items():
        cmd += ["--ro-bind", str(path), f"/etc/{name}"]
    cmd += ["--bind", str(work), SANDBOX_ROOT, "--chdir", f"{SANDBOX_ROOT}/repo"]
    return cmd


def _identity_files(work: Path) -> dict[str, Path]:
    uid, gid = (os.getuid(), os.getgid()) if hasattr(os, "getuid") else (1000, 1000)
    folder = work / ".etc"
    folder.mkdir(exist_ok=True)
    files = {"passwd": f"sandbox:x:{uid}:{gid}:smoke run:{SANDBOX_ROOT}/home:/usr/sbin/nologin\n",
             "group": f"sandbox:x:{gid}:\n"}
    for name, text in files.items():
        (folder / name).write_text(text)
    return {name: folder / name for name in files}


@functools.lru_cache(maxsize=8)
def bwrap_status(python: str = sys.executable) -> tuple[bool, str]:
    """Whether bubblewrap can run ``python`` here, and why not. Probed once per python."""
    if shutil.which("bwrap") is None:
        return False, "bwrap not installed"
    with tempfile.TemporaryDirectory(prefix="papercoder-probe-") as tmp:
        work = Path(tmp)
        (work / "repo").mkdir()
        cmd = bwrap_command(work, python, network=False) + [python, "-S", "-c", "pass"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"bwrap failed to start: {exc}"
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return False, f"bwrap cannot create a sandbox here ({reason})"
    return True, "bubblewrap"

