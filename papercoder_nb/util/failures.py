"""One line per distinct problem of a run, for every front end (CLI and panel).

A run that stops on one cause (a replay without an answer after an edit, a missing key)
fails every remaining artifact with the same message but its own name and request hash;
it is shown once, with the list of artifacts it hit, never the same sentence six times.
"""

from __future__ import annotations

import re

REPLAY_MISS = "replay: no recorded answer"


def problem_key(artifact_id: str, message: str) -> str:
    """The message with its artifact's name and hashes taken out: equal for the same cause."""
    body = message.split(": ", 1)[1] if message.startswith(f"{artifact_id}: ") else message
    return re.sub(r"\b[0-9a-f]{12,64}\b", "…", body.replace(artifact_id, "{artifact}"))


def group_failures(failed: dict[str, str]) -> list[str]:
    """One line per distinct problem, naming the artifacts it hit."""
    groups: dict[str, list[str]] = {}
    for aid, message in failed.items():
        groups.setdefault(problem_key(aid, message), []).append(aid)
    lines = []
    for key, ids in groups.items():
        if len(ids) == 1:
            lines.append(failed[ids[0]])
        else:
            lines.append(f"{key.replace('{artifact}', 'each of them')} ({len(ids)} artifacts: {', '.join(ids)})")
    return lines


def all_replay_misses(failed: dict[str, str]) -> bool:
    """Every failure is a recording without an answer: only a live model can go on from here."""
    return bool(failed) and all(REPLAY_MISS in m for m in failed.values())
