"""Smoke-run generated code in a contained subprocess.

Generated code is untrusted (a paper can carry prompt injection), so a smoke run:

* works on a temporary copy of the repository (symlinks are not copied),
* byte-compiles every ``.py`` file (parsing never executes code),
* imports every module in its own subprocess, then runs the entry point,
* gives each subprocess a time limit (the whole process group is killed), a memory limit
  (``RLIMIT_AS``), a file-size limit and an environment built from scratch (no API keys,
  tokens or other secrets: nothing is inherited but a short allow-list),
* and, where bubblewrap works, runs inside ``bwrap`` with no network, a private PID
  namespace, a read-only view of the system and the Python installation, and only the
  temporary directory writable; the host's ``/etc`` is not shown beyond what the dynamic
  loader and TLS need (``passwd``/``group`` name only the run's user). Every mode limits
  the processes a run may start (``proclimit``: a pids cgroup as root, ``RLIMIT_NPROC``
  otherwise). On Linux every command runs under a supervisor (``reaper``, a child
  subreaper, no root needed) that kills every process the code started, even one that
  left the process group (a double fork, a ``setsid`` daemon), when the command ends or
  times out; as root the cgroup is emptied too. Where bubblewrap is missing or cannot create namespaces
  (some containers), the run still happens but the result says plainly that the network
  and the file system are not isolated.

The ``bwrap`` command lives in ``bwrap``; one contained subprocess (environment, limits,
supervisor) in ``contained``; this module copies, compiles, imports and runs.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback as tb
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..checks.tracebacks import deepest_repo_frame, last_error_line
from ..util.pyparse import compile_python, parse_python
from .bwrap import bwrap_status
from .contained import LIMITS_SUPPORTED, CommandRunner

_MEMORY_PATTERN = re.compile(
    r"MemoryError|Cannot allocate memory|std::bad_alloc|Unable to allocate|out of memory",
    re.I,
)
_IGNORED_DIRS = {".git", ".venv", "venv", "__pycache__", ".papercoder-backup", ".ipynb_checkpoints"}


@dataclass
class FileRecord:
    path: str
    module: str | None = None  # dotted module name, None if not importable by name
    compiled: bool = False
    imported: bool | None = None  # None: not attempted (see error/note)
    error: str | None = None  # one line: "ModuleNotFoundError: No module named 'x'"
    traceback: str | None = None
    note: str | None = None


@dataclass
class SmokeResult:
    repo_dir: str
    entry_point: str | None
    args: list[str] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    ran: bool | None = None  # None: no entry point run
    returncode: int | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    timed_out: bool = False
    memory_exceeded: bool = False
    network_isolated: bool = False
    filesystem_isolated: bool = False
    failing_file: str | None = None  # deepest repository frame of the entry point's error
    failing_line: int | None = None
    error: str | None = None  # last line of the entry point's traceback
    notes: list[str] = field(default_factory=list)
    safety_flags: list[dict] = field(default_factory=list)  # SafetyFlag.to_dict(), if scanned
    duration_s: float = 0.0
    python: str = ""

    def summary(self) -> str:
        """One line for ``papercoder status`` and the panel."""
        n = len(self.files)
        compiled = sum(f.compiled for f in self.files)
        imported = sum(f.imported is True for f in self.files)
        tried = sum(f.imported is not None for f in self.files)
        parts = [f"{compiled}/{n} compiled", f"{imported}/{tried} imported"]
        if self.ran is not None:
            if self.timed_out:
                parts.append(f"{self.entry_point} timed out")
            else:
                parts.append(
                    f"{self.entry_point} {'ran' if self.ran else 'failed'} (exit {self.returncode})"
                )
        text = ("ok: " if self.ok else "failed: ") + ", ".join(parts)
        if self.error and not self.ok:
            where = f" at {self.failing_file}:{self.failing_line}" if self.failing_file else ""
            text += f"; {self.error}{where}"
        else:
            bad = next((f for f in self.files if f.error), None)
            if bad and not self.ok:
                text += f"; {bad.path}: {bad.error}"
        if self.memory_exceeded:
            text += "; memory limit exceeded"
        text += "; network isolated" if self.network_isolated else "; network NOT isolated"
        return text

    @property
    def ok(self) -> bool:
        files_ok = all(f.compiled and f.imported is not False for f in self.files)
        return files_ok and self.ran is not False and not self.timed_out

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["summary"] = self.summary()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SmokeResult:
        data = dict(data)
        data.pop("ok", None)
        data.pop("summary", None)
        files = [FileRecord(**f) for f in data.pop("files", [])]
        return cls(files=files, **data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)



# -- the smoke run --------------------------------------------------------------------

_IMPORT_SNIPPET = "import importlib, sys; importlib.import_module(sys.argv[1])"


def smoke_run(
    repo_dir: Path,
    *,
    entry_point: str | None,
    args: list[str] | None = None,
    timeout_s: float = 120,
    memory_mb: int = 2048,
    python: str = sys.executable,
    network: bool = False,
    use_bwrap: bool | None = None,
    file_mb: int = 512,
    extra_env: dict[str, str] | None = None,
) -> SmokeResult:
    """Compile, import and run a generated repository; never raises for the code's faults.

    ``timeout_s`` applies to each subprocess (each import and the run). ``memory_mb`` caps
    virtual memory (RLIMIT_AS), which libraries that reserve large address ranges (some
    GPU stacks) may need raised. ``use_bwrap=None`` uses bubblewrap when it works here.
    Installs nothing: missing third-party packages show up as import errors.
    """
    repo_dir = Path(repo_dir)
    args = list(args or [])
    started = time.monotonic()
    result = SmokeResult(repo_dir=str(repo_dir), entry_point=entry_point, args=args, python=python)
    use_bwrap = _isolation(result, python, use_bwrap, network)
    with tempfile.TemporaryDirectory(prefix="papercoder-smoke-") as tmp:
        work = Path(tmp)
        for sub in ("home", "tmp"):
            (work / sub).mkdir()
        skipped = _copy_repo(repo_dir, work / "repo")
        if skipped:
            result.notes.append("not copied (symlinks): " + ", ".join(skipped))
        runner = CommandRunner(
            work,
            python,
            use_bwrap=use_bwrap,
            network=network,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            file_mb=file_mb,
            extra_env=extra_env,
        )
        try:
            _check_files(work / "repo", entry_point, runner, result)
            if entry_point:
                _run_entry(work / "repo", entry_point, args, runner, result)
        finally:
            runner.close()
    result.duration_s = round(time.monotonic() - started, 3)
    return result


def _isolation(result: SmokeResult, python: str, use_bwrap: bool | None, network: bool) -> bool:
    """Whether bubblewrap isolates this run; what is and is not isolated goes in ``result``."""
    if use_bwrap is None or use_bwrap:
        available, reason = bwrap_status(python)
        if use_bwrap and not available:
            raise RuntimeError(f"bubblewrap requested but unavailable: {reason}")
        use_bwrap = available
    else:
        reason = "disabled by the caller"
    result.filesystem_isolated = use_bwrap
    result.network_isolated = use_bwrap and not network
    if network:
        result.notes.append("network allowed by request")
    elif not use_bwrap:
        result.notes.append(f"network not isolated: bubblewrap unavailable ({reason})")
    if not LIMITS_SUPPORTED or not sys.platform.startswith("linux"):
        result.notes.append(f"memory and file-size limits may not be enforced on {sys.platform}")
    if not use_bwrap:
        result.notes.append(
            "file system not isolated: the code runs on a temporary copy with a temporary "
            "HOME, but can still reach absolute paths the current user may write"
        )
    return use_bwrap


def _copy_repo(src: Path, dest: Path) -> list[str]:
    """Copy regular files only: a symlink could point at the user's secrets."""
    skipped: list[str] = []
    dest.mkdir()
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = Path(dirpath).relative_to(src)
        for d in list(dirnames):
            if d in _IGNORED_DIRS or (Path(dirpath) / d).is_symlink():
                if (Path(dirpath) / d).is_symlink():
                    skipped.append(str(rel_dir / d))
                dirnames.remove(d)
            else:
                (dest / rel_dir / d).mkdir()
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                skipped.append(str(rel_dir / name))
            elif path.is_file():
                shutil.copyfile(path, dest / rel_dir / name)
    return sorted(skipped)


def module_name(rel_path: str) -> str | None:
    parts = list(Path(rel_path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _has_main_guard(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.If) and "__name__" in ast.dump(node.test) for node in tree.body)


def _check_files(repo: Path, entry_point: str | None, runner: CommandRunner, result: SmokeResult) -> None:
    entry = Path(entry_point).as_posix() if entry_point else None
    for path in sorted(repo.rglob("*.py")):
        rel = path.relative_to(repo).as_posix()
        record = FileRecord(path=rel, module=module_name(rel))
        result.files.append(record)
        source = path.read_bytes()
        try:
            # compile() only parses and byte-compiles: nothing in the file runs.
            tree = parse_python(source, rel)
            compile_python(tree, rel)
            record.compiled = True
        except (SyntaxError, ValueError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            record.traceback = "".join(tb.format_exception_only(type(exc), exc))
            record.note = "not imported: does not compile"
            continue
        if record.module is None:
            record.note = "not imported: the path is not a valid module name"
            continue
        if rel == entry and not _has_main_guard(tree):
            record.note = "not imported: entry point without a __main__ guard (the run covers it)"
            continue
        proc = runner.run(["-c", _IMPORT_SNIPPET, record.module])
        record.imported = proc.returncode == 0 and not proc.timed_out
        if proc.timed_out:
            record.error = f"TimeoutError: importing took longer than {runner.timeout_s:g}s"
            record.traceback = proc.stderr or None
        elif not record.imported:
            record.error = last_error_line(proc.stderr) or f"exit code {proc.returncode}"
            record.traceback = proc.stderr
            if _MEMORY_PATTERN.search(proc.stderr):
                result.memory_exceeded = True


def _run_entry(
    repo: Path, entry_point: str, args: list[str], runner: CommandRunner, result: SmokeResult
) -> None:
    if not (repo / entry_point).is_file():
        result.ran = False
        result.error = f"entry point {entry_point!r} not found in the repository"
        return
    proc = runner.run([entry_point, *args])
    result.returncode = proc.returncode
    result.stdout_tail = proc.stdout
    result.stderr_tail = proc.stderr
    result.timed_out = proc.timed_out
    result.ran = proc.returncode == 0 and not proc.timed_out
    if proc.timed_out:
        result.error = (
            f"TimeoutError: the run took longer than {runner.timeout_s:g}s and was killed"
        )
    elif not result.ran:
        result.error = last_error_line(proc.stderr) or f"exit code {proc.returncode}"
        if proc.returncode is not None and proc.returncode < 0:
            sig = signal.Signals(-proc.returncode).name
            result.notes.append(f"the run was killed by {sig}")
    if _MEMORY_PATTERN.search(proc.stderr):
        result.memory_exceeded = True
    result.failing_file, result.failing_line = deepest_repo_frame(proc.stderr, root=runner.repo_root)
