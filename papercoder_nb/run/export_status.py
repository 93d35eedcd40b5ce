"""What an export would hold, counted honestly: before writing, and in what it says after.

Both front ends use it, so neither says "Exported the repo" about 0 of 7 files, stale
files or a failing smoke run without saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..session.graph import statuses, task_files
from ..session.store import Session
from .review import check_failures


@dataclass
class ExportStatus:
    total: int = 0  # code files the logic design lists
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)  # fails its checks (compile, checker)
    unapproved: list[str] = field(default_factory=list)  # present, not stale, not approved
    smoke: str = "not run"  # "passing" | "failing" | "not run"

    @property
    def problems(self) -> bool:
        return bool(self.missing or self.stale or self.failing or self.unapproved) or self.smoke != "passing"

    def sentence(self) -> str:
        """E.g. "5 of 7 code files (missing: a.py, b.py); 2 stale; 1 failing its checks; smoke run failing"."""
        parts = [f"{len(self.present)} of {self.total} code files"
                 + (f" (missing: {_names(self.missing)})" if self.missing else "")]
        if self.stale:
            parts.append(f"{len(self.stale)} stale ({_names(self.stale)})")
        if self.failing:
            parts.append(f"{len(self.failing)} failing their checks ({_names(self.failing)})")
        if self.unapproved:
            parts.append(f"{len(self.unapproved)} not approved")
        parts.append(f"smoke run {self.smoke}")
        return "; ".join(parts)


def _names(files: list[str], shown: int = 4) -> str:
    more = f" and {len(files) - shown} more" if len(files) > shown else ""
    return ", ".join(files[:shown]) + more


def export_status(session: Session) -> ExportStatus:
    st, failing = statuses(session), check_failures(session)
    files = task_files(session)
    out = ExportStatus(total=len(files))
    for f in files:
        aid = f"code:{f}"
        if session.read(aid) is None:
            out.missing.append(f)
            continue
        out.present.append(f)
        if st.get(aid) == "stale":
            out.stale.append(f)
        elif aid in failing:
            out.failing.append(f)
        elif st.get(aid) != "approved":
            out.unapproved.append(f)
    smoke = session.state.smoke
    if smoke:
        out.smoke = "passing" if smoke.get("ok") else "failing"
    return out
