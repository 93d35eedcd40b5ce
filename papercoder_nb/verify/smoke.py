"""Smoke-run a bundle: export it to a temporary folder, scan it, run it in the sandbox."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..export.bundle import ExportBundle
from ..export.repo import write_repo
from .safety import scan_code
from .sandbox import SmokeResult, smoke_run


def smoke_bundle(bundle: ExportBundle, **options: Any) -> SmokeResult:
    """The repository exactly as ``write_repo`` writes it, smoke-run with the bundle's entry
    point and smoke arguments. ``options`` go to ``smoke_run`` (timeout_s, memory_mb,
    python, network, use_bwrap...). The safety flags are scanned before anything runs and
    travel with the result, so status and the panel can show them next to it.
    """
    flags = scan_code({f.path: f.code for f in bundle.files})
    with tempfile.TemporaryDirectory(prefix="papercoder-export-") as tmp:
        repo = Path(tmp) / "repo"
        write_repo(bundle, repo)
        result = smoke_run(
            repo,
            entry_point=bundle.entry_point,
            args=list(bundle.smoke_args),
            **options,
        )
    result.repo_dir = bundle.session_dir or result.repo_dir  # the temp export is gone
    result.notes.append("ran on a temporary export of the bundle (write_repo's output)")
    result.safety_flags = [f.to_dict() for f in flags]
    return result
