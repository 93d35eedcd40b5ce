"""A checker finding and the "did you mean" hint: shared by every static check.

Kept apart from ``checker`` (which runs the checks) so the checks can import it
without a circle.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    problem: str
    expected: str
    severity: str = "error"  # error: fails when the line runs; warning: may be intended

    def __str__(self) -> str:
        grade = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {grade}{self.problem} (expected: {self.expected})"


def suggest(name: str, candidates: list[str] | set[str], what: str) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f"did you mean {close[0]!r}?" if close else what
