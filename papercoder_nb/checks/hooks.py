"""The checker after every coding call: findings per code artifact, kept on its record.

A finding on one file is often caused by a change in another (a function renamed in the
callee shows up in the caller), so every refresh re-checks the whole code and updates the
record of every code artifact: ``check_findings`` empty means the file passes its checks.
"""

from __future__ import annotations

from typing import Any

from papercoder_nb.checks.check import check_session
from papercoder_nb.checks.checker import Finding

PREFIX = "check: "  # older sessions kept findings as warnings with this prefix


def findings_by_artifact(session: Any) -> dict[str, list[Finding]]:
    """Live findings of the session's code, keyed by ``code:<file>`` (files with findings only).

    What the panel and status show: computed from the files on disk now, so a hand
    edit is reflected at once.
    """
    if not (session.root / "code").is_dir():
        return {}
    out: dict[str, list[Finding]] = {}
    for f in check_session(session.root):
        out.setdefault(f"code:{f.file}", []).append(f)
    return out


def refresh_check_findings(session: Any) -> dict[str, list[str]]:
    """Re-check all code; store each code artifact's findings on its record.

    Returns the findings as text per artifact (only artifacts with findings).
    """
    with session.lock:  # checked under the lock: a concurrent write cannot slip in between
        found = {aid: [str(f) for f in fs] for aid, fs in findings_by_artifact(session).items()}
        changed = False
        for aid, rec in session.state.artifacts.items():
            if not aid.startswith("code:"):
                continue
            new = found.get(aid, [])
            warnings = [w for w in rec.warnings if not w.startswith(PREFIX)]
            if rec.check_findings != new or warnings != rec.warnings:
                rec.check_findings, rec.warnings, changed = new, warnings, True
        if changed:
            session.save()
    return found


def record_check_findings(session: Any, artifact_id: str) -> list[str]:
    """Refresh every code record after ``artifact_id`` changed; its own findings back."""
    return refresh_check_findings(session).get(artifact_id, [])


def findings_block(session: Any, files: list[str], heading: str) -> str:
    """The live findings on ``files`` as a Markdown block for a prompt ('' when none).

    Why: a regenerated or repaired file should not repeat the seam mistakes the checker
    already found (a wrong name, arity or config key).
    """
    found = findings_by_artifact(session)
    lines = [f"- {f}" for file in files for f in found.get(f"code:{file}", [])]
    return f"## {heading}\n" + "\n".join(lines) + "\n" if lines else ""
