"""Exporters: a runnable repository (with README, requirements, reproduce.sh, zip) and an
explanatory notebook, both built from a plain-data ``ExportBundle``."""

from .bundle import ExportBundle, FileEntry
from .notebook import build_notebook, write_notebook
from .paths import UnsafePathError, safe_relpath
from .repo import ExportConflict, ExportError, RepoReport, write_repo
from .requirements import RequirementsReport, check_requirements

__all__ = [
    "ExportBundle",
    "ExportConflict",
    "ExportError",
    "FileEntry",
    "RepoReport",
    "RequirementsReport",
    "UnsafePathError",
    "build_notebook",
    "check_requirements",
    "safe_relpath",
    "write_notebook",
    "write_repo",
]
