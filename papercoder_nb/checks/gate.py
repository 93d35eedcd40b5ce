"""Whether untrusted code may run: high-risk code needs isolation or an explicit yes."""

from __future__ import annotations

from .safety import SafetyFlag


def unsandboxed_refusal(flags: list[SafetyFlag], isolated: bool, allow: bool) -> str | None:
    """A one-line refusal when high-risk code would run without isolation, else None.

    Why: without bubblewrap the code runs as the user (home folder, network, /proc);
    a high-risk flag there needs the user's explicit consent for this run.
    """
    high = [f for f in flags if f.severity == "high"]
    if isolated or allow or not high:
        return None
    first = high[0]
    return (f"not running: {len(high)} high-risk safety flag(s) (first: {first.file}:{first.line} "
            f"{first.message}) and no isolation (bubblewrap missing); install bubblewrap, "
            "or read the flags and pass --allow-unsandboxed to run it anyway this once")
