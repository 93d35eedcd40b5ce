"""A per-session Python environment for smoke runs: ``<session>/.venv``.

Created only when the user allows installs (``--install``). It is cheap: a venv without
its own pip whose site-packages also sees the interpreter papercoder runs in (a ``.pth``
file), so only what is missing is installed, into the session's folder, and the user's
own environment is never changed. Once it exists, smoke runs of the session use it.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..util.errors import PapercoderError

ENV_DIR = ".venv"
_PTH = "papercoder-parent.pth"

Run = Callable[[Sequence[str]], subprocess.CompletedProcess]


class InstallError(PapercoderError, RuntimeError):
    """The per-session environment could not be created or the install failed."""


@dataclass
class InstallResult:
    requirements: list[str]
    command: str
    ok: bool
    output: str  # pip's last lines


def env_python(session_root: Path) -> Path:
    bindir = "Scripts" if sys.platform == "win32" else "bin"
    return Path(session_root) / ENV_DIR / bindir / ("python.exe" if sys.platform == "win32" else "python")


def existing_env_python(session_root: Path) -> str | None:
    """The session environment's interpreter when there is one (smoke runs use it)."""
    python = env_python(session_root)
    return str(python) if python.exists() else None


def _parent_site_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    dirs = {paths["purelib"], paths["platlib"]}
    return sorted(d for d in dirs if Path(d).is_dir())


def ensure_env(session_root: Path) -> Path:
    """Create ``<session>/.venv`` if needed; its interpreter's path."""
    python = env_python(session_root)
    if python.exists():
        return python
    root = Path(session_root) / ENV_DIR
    try:
        venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=sys.platform != "win32").create(root)
    except (OSError, subprocess.CalledProcessError) as e:
        raise InstallError(f"could not create the session environment {root}: {e}") from e
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, timeout=60)
    if site.returncode != 0:
        raise InstallError(f"the new environment {root} does not start: {site.stderr.strip()[-300:]}")
    # Why a .pth: the parent's packages (and its pip) are visible, so nothing is copied.
    Path(site.stdout.strip(), _PTH).write_text("\n".join(_parent_site_dirs()) + "\n", encoding="utf-8")
    return python


def _run(cmd: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=1800)


def install(session_root: Path, requirements: list[str], *, extra_args: Sequence[str] = (),
            run: Run = _run) -> InstallResult:
    """``pip install`` the requirements into the session environment (created if needed).

    ``run`` is the seam tests replace; ``extra_args`` e.g. ``--no-index --find-links DIR``.
    """
    python = ensure_env(session_root)
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *extra_args, *requirements]
    proc = run(cmd)
    tail = "\n".join(((proc.stdout or "") + (proc.stderr or "")).strip().splitlines()[-6:])
    return InstallResult(list(requirements), " ".join(cmd), proc.returncode == 0, tail)
