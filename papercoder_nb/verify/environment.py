"""Environment versus code: is a failed smoke run the machine's fault or the code's?

A missing third-party package or a missing data file is an environment problem: the
fix is an install command or a file, never a change to the code (a model asked to "fix"
an ImportError tends to rewrite the code to avoid the package). Everything else is left
to repair.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Literal

from papercoder_nb.export.requirements import canonical, dist_for_import

_NO_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '?([\w.]+)'?")
_NO_FILE = re.compile(r"(?:FileNotFoundError|OSError|IOError).*?No such file or directory: '([^']+)'")
_FRAME_LINE = re.compile(r'^\s*File "[^"]+", line \d+.*\n(.+)$', re.M)
# A missing path on a line that writes is the code's fault (it did not create the folder).
_WRITES = re.compile(r"""['"](?:w|wb|a|ab|x|w\+)['"]|\.save|save\(|\.write|\.dump|mkdir|\.to_csv|savefig""")
_REQ_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class EnvProblem:
    kind: Literal["package", "data"]
    name: str  # the import name, or the missing path
    where: str  # the file whose import or run failed
    requirement: str = ""  # pip requirement for a package ("torch>=2.0")
    declared: bool = False  # the logic design lists it: --install may install it

    def describe(self, python: str) -> str:
        """One line naming the problem and its exact fix."""
        if self.kind == "package":
            cmd = install_command(python, [self.requirement])
            if not self.declared:  # a made-up or mistyped name must not be installed unseen
                return (f"missing package {self.name!r} ({self.where}): an environment problem, not a "
                        "code fault; it is not among the logic design's packages, so --install leaves "
                        f"it to you: check the name, then `{cmd}`")
            return (f"missing package {self.name!r} ({self.where}): an environment problem, not a "
                    f"code fault; install it with `{cmd}` or rerun with --install to put it in "
                    "the session's own environment")
        return (f"missing data {self.name!r} ({self.where}): an environment problem, not a code "
                "fault; put the file there or point config.yaml at it, or give the smoke "
                "configuration a small synthetic stand-in")

    def to_dict(self) -> dict:
        return asdict(self)


def install_command(python: str, requirements: list[str]) -> str:
    return shlex.join([python or "python", "-m", "pip", "install", *requirements])


def _repo_modules(files: list[str]) -> set[str]:
    """Every name the repository could provide a module by (any folder or file stem).

    Generous: code under src/ may import ``models`` after a sys.path change; calling
    that a package would send the user to install a stranger's package.
    """
    return {part.removesuffix(".py") for f in files for part in PurePosixPath(f).parts}


def _mistyped_repo_module(name: str, repo: set[str]) -> bool:
    """``audio_lib`` or ``utils`` beside audio.py / util.py: a wrong name for a repository
    module (a code fault), unless the logic design lists it as a package."""
    if any(name.startswith(m + "_") or name.endswith("_" + m) for m in repo):
        return True
    return bool(difflib.get_close_matches(name, list(repo), n=1, cutoff=0.8))


def _requirement(import_name: str, packages: list[str]) -> tuple[str, bool]:
    """The logic design's requirement for this import (with its version) and whether it is
    listed there; else its distribution name."""
    dist = dist_for_import(import_name)
    for entry in packages:
        m = _REQ_NAME.match(entry.strip())
        if m and canonical(m.group(0)) == canonical(dist):
            return re.sub(r"\s+", "", entry.split(";")[0].split("#")[0]) or dist, True
    return dist, False


def _failures(result) -> list[tuple[str, str, str]]:
    """(where, error line, traceback) of every failed import and of the run."""
    out = [(f.path, f.error, f.traceback or "") for f in result.files if f.error]
    if result.error:
        out.append((result.entry_point or "the run", result.error, result.stderr_tail or ""))
    return out


def _writes_missing_path(traceback: str) -> bool:
    return any(_WRITES.search(line) for line in _FRAME_LINE.findall(traceback))


def environment_problems(result, files: list[str], packages: list[str] | None = None) -> list[EnvProblem]:
    """Missing packages and data files behind ``result``'s failures (a ``SmokeResult``).

    ``files`` are the repository's paths: a missing module the repository should define
    is a code fault, as is a missing path the code was writing to.
    """
    if result.ok:
        return []
    repo = _repo_modules(files)
    found: dict[tuple[str, str], EnvProblem] = {}
    for where, error, traceback in _failures(result):
        m = _NO_MODULE.search(error)
        if m:
            name = m.group(1)
            top = name.split(".")[0]
            requirement, declared = _requirement(name, packages or [])
            if top not in repo and (declared or not _mistyped_repo_module(top, repo)):
                key = ("package", canonical(dist_for_import(name)))
                found.setdefault(key, EnvProblem("package", name, where, requirement, declared))
            continue
        m = _NO_FILE.search(error)
        if m and m.group(1) not in files and not _writes_missing_path(traceback):
            found.setdefault(("data", m.group(1)), EnvProblem("data", m.group(1), where))
    return list(found.values())

