"""The checker after every coding call: findings on the file become record warnings."""

from __future__ import annotations

from typing import Any

from papercoder_nb.verify.check import check_session

PREFIX = "check: "  # marks a warning as a failed static check (status/export show warnings)


def record_check_findings(session: Any, artifact_id: str) -> list[str]:
    """Check the session's code; store findings on ``artifact_id``'s file in its record.

    Only code artifacts are checked; earlier check warnings are replaced, others kept.
    """
    path = session.path(artifact_id)
    code = session.root / "code"
    if path.suffix != ".py" or code not in path.parents:
        return []
    rel = path.relative_to(code).as_posix()
    found = [PREFIX + str(f) for f in check_session(session.root) if f.file == rel]
    with session.lock:
        rec = session.record(artifact_id)
        if rec is not None:
            rec.warnings = [w for w in rec.warnings if not w.startswith(PREFIX)] + found
            session.save()
    return found
