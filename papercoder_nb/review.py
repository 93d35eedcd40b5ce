"""Review rules shared by every front end (CLI and panel): what may be approved.

Kept in the engine so the panel can never approve what `papercoder approve` refuses.
"""

from __future__ import annotations

from .graph import statuses
from .stages import spec_for
from .store import Session

# Later stages parse these artifacts, so an unparsable one must not be approved.
PARSED_ARTIFACTS = ("architecture", "logic", "config")


class ApprovalError(ValueError):
    """An artifact can't be approved; the message names the problem and the fix."""


def approval_problem(session: Session, artifact_id: str, status: dict[str, str] | None = None) -> str | None:
    """Why `artifact_id` can't be approved now, or None when it can."""
    st = status if status is not None else statuses(session)
    if artifact_id not in st:
        return f"unknown artifact {artifact_id!r}; `papercoder status {session.root}` lists them"
    if st[artifact_id] == "stale":
        return f"{artifact_id} is stale (something it reads changed); regenerate it first with `papercoder resume {session.root}`"
    if artifact_id in PARSED_ARTIFACTS:
        try:
            spec_for(artifact_id).parse(session.read(artifact_id) or "", None)
        except ValueError as e:
            return f"{artifact_id} is not valid, so it can't be approved: {e}"
    return None


def approvable(session: Session) -> list[str]:
    """Artifacts awaiting review (generated or edited) that pass the approval rules."""
    st = statuses(session)
    return [k for k, v in st.items() if v in ("generated", "edited") and approval_problem(session, k, st) is None]


def approve(session: Session, artifact_ids: list[str]) -> list[str]:
    """Approve each artifact, refusing (before approving any) if one breaks a rule."""
    st = statuses(session)
    for aid in artifact_ids:
        problem = approval_problem(session, aid, st)
        if problem:
            raise ApprovalError(problem)
    for aid in artifact_ids:
        session.approve(aid)
    return list(artifact_ids)
