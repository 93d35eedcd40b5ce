"""The parts of PaperCoder's text that are structure, not content.

Shared by the importer and ``import_losses`` so that both agree on what a marker is:
whatever the importer turns into structure (a list item, a field) the measure skips,
and everything else it must find in the session.
"""

from __future__ import annotations

import re

_MARKER = re.compile(r"(?<!\S)(\d+)[.)]\s+")
_LEADING = re.compile(r"^\s*(\d+)[.)]\s+")


def numbered_items(text: str, first: int = 1) -> list[str]:
    """The items of ``1. a 2. b`` (run together on one line or one per line).

    Split only at markers numbered ``first``, ``first + 1``...: a number that merely ends a
    sentence inside an item ("trained on 8. Then") is text, not a marker, and stays.
    Text before the first marker is an item of its own."""
    parts, pos, want = [], 0, first
    for m in _MARKER.finditer(text):
        if int(m.group(1)) != want:
            continue
        parts.append(text[pos: m.start()])
        pos, want = m.end(), want + 1
    parts.append(text[pos:])
    return [p.strip() for p in parts if p.strip()]


def leading_number(line: str) -> int | None:
    """The number of a line's leading ``3.`` / ``3)`` marker, if it has one."""
    m = _LEADING.match(line)
    return int(m.group(1)) if m else None
