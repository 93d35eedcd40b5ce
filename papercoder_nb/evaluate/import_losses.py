"""Did an import keep everything? Every content line of a PaperCoder run, looked up in the session.

A line is kept when its text is in the artifact the run's file became (the plan in the
plan, ``<file>_simple_analysis.txt`` in ``analysis:<file>``...), as often as the file
says it, compared without white space (the importer re-flows Mermaid diagrams and
re-indents JSON) and with the structure the session expresses otherwise left out: list
markers ("- ", "2. "), the ``[Heading]`` lines and separators of PaperCoder's rendered
designs and the keys of its JSON ones (headings become fields), fences and ``[CONTENT]``
tags, and the Python-literal wrapping of its logic-analysis entries (their strings are
compared). A JSON design's content is its decoded strings, plus whatever the answer
says around the object and in comments. JSON artifacts are compared by their decoded
strings, so an escaped newline or quote counts as itself.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..util.extract import ExtractError, extract_json, json_comments, json_object_span
from .papercoder_text import leading_number, numbered_items

_STRUCTURE = re.compile(r"^\s*(?:-{10,}|\[[^\]\n]{2,80}\]|\[/?CONTENT\]|```\w*)\s*$")
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


ARTIFACT_OF = {"1.1_overall_plan.txt": "plan", "1.2_arch_design.txt": "architecture",
               "1.3_logic_design.txt": "logic", "1.4_config.yaml": "config"}
_ANALYSIS = "_simple_analysis.txt"


def _squash(session: Any, aid: str) -> str:
    text = session.read(aid)
    if text is None:
        return ""
    if aid in ("architecture", "logic"):
        try:
            return _WS.sub("", "\n".join(_strings(json.loads(text))))
        except ValueError:
            pass
    return _WS.sub("", text)


def _haystack(session: Any, aid: str | None = None) -> str:
    """One artifact's text, or (``aid`` None: a file that maps to none) the whole session's."""
    if aid is not None:
        return _squash(session, aid)
    return "\n".join(_squash(session, a) for a in session.state.artifacts)


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
    out = [_WS.sub("", p) for p in numbered_items(s, leading_number(s) or 1)]
    return [p for p in out if p]


def _json_design_pieces(text: str) -> list[str] | None:
    """A JSON-form design's content, or None when the file is not one: the decoded strings
    under its sections (its top-level keys are headings), what the answer says around
    the object, and the comments in it."""
    if "[CONTENT]" not in text and not text.lstrip().startswith("{"):
        return None
    try:
        data = extract_json(text)
    except ExtractError:
        return None
    span = json_object_span(text) or (0, len(text))
    lines = [ln for v in data.values() for s in _strings(v) for ln in s.splitlines()]
    lines += (text[: span[0]] + "\n" + text[span[1]:]).splitlines()
    lines += json_comments(text[span[0]: span[1]])
    return [p for ln in lines for p in _pieces(ln)]


def _file_pieces(text: str) -> list[tuple[int, list[str]]]:
    """(line number, pieces) of each content line; a JSON design's pieces one by one, each
    at the first line that starts it (escapes aside: else line 1)."""
    design = _json_design_pieces(text)
    if design is None:
        return [(n, p) for n, line in enumerate(text.splitlines(), 1) if (p := _pieces(line))]
    lines = [_WS.sub("", ln) for ln in text.splitlines()]
    return [(next((n for n, ln in enumerate(lines, 1) if p[:16] in ln), 1), [p]) for p in design]


def _artifact(folder: str, name: str) -> str | None:
    if folder == "planning_artifacts":
        return ARTIFACT_OF.get(name)
    return f"analysis:{name[: -len(_ANALYSIS)]}" if name.endswith(_ANALYSIS) else None


def import_losses(output_dir: str | Path, session: Any) -> Losses:
    """Every non-empty line of the run's planning and analysis artifacts against the session."""
    out = Losses()
    root = Path(output_dir)
    for folder in ("planning_artifacts", "analyzing_artifacts"):
        for path in sorted((root / folder).glob("*")):
            if not path.is_file():
                continue
            hay = _haystack(session, _artifact(folder, path.name))
            seen: dict[str, int] = {}  # a line the file says twice must be there twice
            for n, pieces in _file_pieces(path.read_text(encoding="utf-8", errors="replace")):
                out.total += 1
                for p in pieces:
                    seen[p] = seen.get(p, 0) + 1
                if all(hay.count(p) >= seen[p] for p in pieces):
                    out.kept += 1
                else:
                    out.lost.append(f"{folder}/{path.name}:{n}")
    return out
