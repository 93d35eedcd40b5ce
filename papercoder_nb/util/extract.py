"""Getting JSON, YAML and code out of what a model actually wrote.

Models wrap answers in fences, add a sentence before them, use PaperCoder-style
``[CONTENT]`` tags, leave comments and trailing commas in JSON, or put raw control
characters inside strings. Each extractor tries the strict reading first and the
lenient ones after, and raises ``ExtractError`` saying what it found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .errors import PapercoderError

_FENCE = re.compile(r"```[ \t]*([\w.+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


class ExtractError(PapercoderError, ValueError):
    pass


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def _strip_json_comments(s: str, comments: list[str] | None = None) -> str:
    """``s`` without its comments; each one removed is appended to ``comments`` as written."""
    out, i, n, in_str = [], 0, len(s), False
    start = 0
    while i < n:
        c = s[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(s[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif s.startswith("//", i):
            start = i
            while i < n and s[i] != "\n":
                i += 1
            _note(comments, s[start:i])
            continue
        elif s.startswith("/*", i):
            start, end = i, s.find("*/", i + 2)
            i = n if end < 0 else end + 2
            _note(comments, s[start:i])
            continue
        elif c == "#" and (not out or "".join(out).rstrip()[-1:] in ",{[\n" or "".join(out[-1:]) in " \t\n"):
            start = i
            while i < n and s[i] != "\n":
                i += 1
            _note(comments, s[start:i])
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _note(comments: list[str] | None, text: str) -> None:
    if comments is not None and text.strip():
        comments.append(text.strip())


def json_comments(s: str) -> list[str]:
    """The comments a model left in its JSON (``//``, ``/* */``, ``#``), as written."""
    comments: list[str] = []
    _strip_json_comments(s, comments)
    return comments


def _balanced_object(text: str) -> str | None:
    start = text.find("{")
    while start >= 0:
        depth, in_str, esc = 0, False, False
        for i in range(start, len(text)):
            c = text[i]
            if in_str:
                if esc:
                    esc = False
                elif c == "\\":
                    esc = True
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start : i + 1]
        start = text.find("{", start + 1)
    return None


def _loads_lenient(s: str) -> Any:
    try:
        return json.loads(s)
    except ValueError:
        pass
    try:
        return json.loads(s, strict=False)  # raw control characters inside strings
    except ValueError:
        pass
    cleaned = _strip_json_comments(s)
    cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
    return json.loads(cleaned, strict=False)


def _json_regions(text: str) -> Iterator[tuple[int, int]]:
    """Where the answer may hold its JSON, most deliberate first: ``[CONTENT]`` tags, JSON
    fences, the whole answer."""
    m = re.search(r"\[CONTENT\](.*?)\[/CONTENT\]", text, re.S)
    if m:
        yield m.span(1)
    for f in _FENCE.finditer(text):
        if f.group(1).lower() in ("json", "json5", ""):
            yield f.span(2)
    yield 0, len(text)


def _json_placed(text: str, errors: list[str]) -> Iterator[tuple[Any, int, int]]:
    """Every JSON value the answer holds with where it is written, most deliberate first:
    ``[CONTENT]`` tags, JSON fences, the whole answer; each as written, then its first
    balanced ``{...}``."""
    for a, b in _json_regions(text):
        region = text[a:b]
        for piece in (region.strip(), _balanced_object(region)):
            if not piece:
                continue
            try:
                value = _loads_lenient(piece)
            except ValueError as e:
                errors.append(str(e))
                continue
            start = a + region.find(piece)
            yield value, start, start + len(piece)


def _json_values(text: str, errors: list[str]) -> Iterator[Any]:
    return (value for value, _, _ in _json_placed(text, errors))


def extract_json(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer."""
    errors: list[str] = []
    for data in _json_values(text, errors):
        if isinstance(data, dict):
            return data
        errors.append(f"found JSON {type(data).__name__}, expected an object")
    detail = errors[-1] if errors else "no '{' in the answer"
    raise ExtractError(f"no JSON object found in the answer ({detail})")


def json_object_span(text: str) -> tuple[int, int] | None:
    """Where the object ``extract_json`` returns is written in the answer (same search order),
    so a caller can keep what the answer says around it."""
    return next(((a, b) for value, a, b in _json_placed(text, []) if isinstance(value, dict)), None)


def find_json(text: str) -> Any | None:
    """The first JSON value in an answer (an object, a list, a number...), or None: for
    callers that check the value against a schema themselves."""
    return next(_json_values(text, []), None)


def extract_yaml(text: str) -> str:
    blocks = [body for lang, body in fenced_blocks(text) if lang in ("yaml", "yml")]
    if not blocks:
        blocks = [body for lang, body in fenced_blocks(text) if lang == ""]
    body = blocks[0] if blocks else text
    return body.strip() + "\n"


def extract_code(text: str, language: str = "python") -> str:
    """The code in an answer: the longest block in the language, else any block, else all."""
    blocks = fenced_blocks(text)
    same = [b for lang, b in blocks if lang in (language, "py", "python3")]
    pool = same or [b for lang, b in blocks if lang == ""] or [b for _, b in blocks]
    body = max(pool, key=len) if pool else text
    return body.strip("\n") + "\n"


def extract_markdown(text: str) -> str:
    """Markdown answers sometimes come wrapped whole in a ```markdown fence."""
    stripped = text.strip()
    m = re.fullmatch(r"```(?:markdown|md)?[^\n]*\n(.*?)\n?```", stripped, re.S)
    return (m.group(1) if m else stripped).strip() + "\n"


def trim_repetition(text: str, max_repeats: int = 3) -> tuple[str, bool]:
    """Cut a looping tail: the text ends in the same non-empty line more than
    ``max_repeats`` times in a row, or in a short phrase repeated over and over.

    Only the tail: a looping model runs until it is stopped, so its repetition is at
    the end. Repetition inside the text (a separator line of '=', rows of a table,
    similar blocks of code) is content a strong model wrote, and stays."""
    lines = text.split("\n")
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and lines[start - 1] == lines[end - 1] and lines[start - 1].strip():
        start -= 1
    looped = end - start > max_repeats
    result = "\n".join(lines[: start + max_repeats]) if looped else text
    m = re.search(r"(.{4,80}?)\1{8,}\s*\Z", result, re.S)
    if m and m.end() - m.start() > 240:  # longer than any separator line
        result = result[: m.start() + len(m.group(1)) * 2]
        looped = True
    return result, looped
