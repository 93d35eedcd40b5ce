"""The one way generated code runs: safety scan, refusal, then the sandbox.

Every caller (``papercoder smoke``/``repair``, the panel, ``papercoder batch``, the
evaluation's import check) goes through ``smoke_checked``: the code is scanned before
anything runs, high-risk code does not run without isolation unless the caller says so
for this run, and the flags travel with the result so status and the panel show them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from ..checks.gate import unsandboxed_refusal
from ..checks.safety import scan_code
from ..export.bundle import ExportBundle
from ..export.repo import write_repo
from ..util.errors import PapercoderError
from .sandbox import SmokeResult, bwrap_status, smoke_run


class SmokeRefused(PapercoderError, RuntimeError):
    """High-risk code would run without isolation and the caller did not allow it."""


def _isolated(options: dict[str, Any]) -> bool:
    """Whether ``smoke_run`` with these options will use bubblewrap (as it decides)."""
    use_bwrap = options.get("use_bwrap")
    if use_bwrap is not None:
        return bool(use_bwrap)  # True raises in smoke_run when bubblewrap is unavailable
    return bwrap_status(options.get("python", sys.executable))[0]


def smoke_checked(
    repo_dir: Path,
    files: dict[str, str],
    *,
    entry_point: str | None,
    args: list[str] | None = None,
    allow_unsandboxed: bool = False,
    **options: Any,
) -> SmokeResult:
    """Scan ``files`` (the repository's code, path -> text), refuse high-risk code without
    isolation unless ``allow_unsandboxed``, then ``smoke_run`` the folder. ``options`` go to
    ``smoke_run`` (timeout_s, memory_mb, python, network, use_bwrap...).
    """
    flags = scan_code(files)
    refusal = unsandboxed_refusal(flags, _isolated(options), allow_unsandboxed)
    if refusal:
        raise SmokeRefused(refusal)
    result = smoke_run(repo_dir, entry_point=entry_point, args=list(args or []), **options)
    result.safety_flags = [f.to_dict() for f in flags]
    return result


def smoke_bundle(bundle: ExportBundle, *, allow_unsandboxed: bool = False, **options: Any) -> SmokeResult:
    """The repository exactly as ``write_repo`` writes it, smoke-run (through
    ``smoke_checked``) with the bundle's entry point and smoke arguments.
    """
    with tempfile.TemporaryDirectory(prefix="papercoder-export-") as tmp:
        repo = Path(tmp) / "repo"
        write_repo(bundle, repo)
        result = smoke_checked(
            repo,
            {f.path: f.code for f in bundle.files},
            entry_point=bundle.entry_point,
            args=list(bundle.smoke_args),
            allow_unsandboxed=allow_unsandboxed,
            **options,
        )
    result.repo_dir = bundle.session_dir or result.repo_dir  # the temp export is gone
    result.notes.append("ran on a temporary export of the bundle (write_repo's output)")
    return result
