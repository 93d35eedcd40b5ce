"""Review rules shared by every front end (CLI and panel): what may be approved.

Kept in the engine so the panel can never approve what `papercoder approve` refuses.
"""

from __future__ import annotations

from ..session.graph import statuses
from ..session.store import Session
from ..stages import spec_for
from ..util.errors import PapercoderError

# Later stages parse these artifacts, so an unparsable one must not be approved.
PARSED_ARTIFACTS = ("architecture", "logic", "config")


class ApprovalError(PapercoderError, ValueError):
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


def check_failures(session: Session) -> dict[str, list[str]]:
    """Artifacts that fail their checks, each with why: a design that does not parse, code
    that does not compile or has static-checker findings (imports, signatures, config keys).

    Computed from the files as they are now, so a fix (by hand or regenerated) clears it.
    """
    from ..checks.check import check_session

    out: dict[str, list[str]] = {}
    for aid in PARSED_ARTIFACTS:
        text = session.read(aid)
        if text is None:
            continue
        try:
            spec_for(aid).parse(text, None)
        except ValueError as e:
            out[aid] = [f"not valid: {str(e).splitlines()[0] if str(e) else type(e).__name__}"]
    if (session.root / "code").is_dir():
        for f in check_session(session.root):
            if session.record(f"code:{f.file}") is not None:
                out.setdefault(f"code:{f.file}", []).append(f"line {f.line}: {f.problem}")
    return out


def approvable(session: Session) -> list[str]:
    """Artifacts awaiting review (generated or edited) that pass the approval rules and their
    checks: batch approval (`--all`, the panel's "Approve all") skips failing ones, which a
    reviewer approves by name after reading them."""
    st, failing = statuses(session), check_failures(session)
    return [k for k, v in st.items()
            if v in ("generated", "edited") and k not in failing and approval_problem(session, k, st) is None]


def auto_approve(session: Session, artifact_id: str, status: dict[str, str] | None = None) -> str | None:
    """Approve without a reviewer (the runner's auto-approve) unless a rule or a check fails;
    returns why it was left unapproved, or None when it was approved."""
    problem = approval_problem(session, artifact_id, status)
    failing = check_failures(session).get(artifact_id) if problem is None else None
    if failing:
        problem = f"{artifact_id} fails its checks ({'; '.join(failing[:3])}); left for your review"
    if problem is None:
        session.approve(artifact_id)
    return problem


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
