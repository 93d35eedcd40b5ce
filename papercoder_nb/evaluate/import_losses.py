"""Did an import keep everything? Every content line of a PaperCoder run, looked up in the session.

A line is kept when its text is in the session's artifacts, compared without white
space (the importer re-flows Mermaid diagrams and re-indents JSON) and with the
structure the session expresses otherwise left out: list markers ("- ", "2. "), the
``[Heading]`` lines and separators of PaperCoder's rendered designs (headings become
fields), and the Python-literal wrapping of its logic-analysis entries (their strings
are compared). JSON artifacts are compared by their decoded strings, so an escaped
newline or quote counts as itself.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_STRUCTURE = re.compile(r"^\s*(?:-{10,}|\[[^\]\n]{2,80}\]|\[/?CONTENT\]|```\w*)\s*$")
_NUMBERED = re.compile(r"(?:^|\s)\d+[.)]\s+")
_WS = re.compile(r"\s+")


@dataclass
class Losses:
    total: int = 0
    kept: int = 0
    lost: list[str] = field(default_factory=list)  # "file:line"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [json.dumps(value)]


def _haystack(session: Any) -> str:
    parts: list[str] = []
    for aid in session.state.artifacts:
        text = session.read(aid)
        if text is None:
            continue
        if aid in ("architecture", "logic"):
            try:
                parts += _strings(json.loads(text))
                continue
            except ValueError:
                pass
        parts.append(text)
    return _WS.sub("", "\n".join(parts))


def _pieces(line: str) -> list[str]:
    """What of a line must be found: its text without list markers, entry by entry."""
    s = line.strip()
    if _STRUCTURE.match(s):
        return []
    s = re.sub(r"^[-*]\s+", "", s)
    if s.startswith("["):
        try:
            value = ast.literal_eval(s)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, list | tuple):
            return [p for v in value for p in _pieces(str(v))]
    out = [_WS.sub("", p) for p in _NUMBERED.split(s)]
    return [p for p in out if p]


def import_losses(output_dir: str | Path, session: Any) -> Losses:
    """Every non-empty line of the run's planning and analysis artifacts against the session."""
    out = Losses()
    hay = _haystack(session)
    root = Path(output_dir)
    for folder in ("planning_artifacts", "analyzing_artifacts"):
        for path in sorted((root / folder).glob("*")):
            if not path.is_file():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                pieces = _pieces(line)
                if not pieces:
                    continue
                out.total += 1
                if all(p in hay for p in pieces):
                    out.kept += 1
                else:
                    out.lost.append(f"{folder}/{path.name}:{n}")
    return out
