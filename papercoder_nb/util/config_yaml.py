"""config.yaml as real YAML: any nesting, lists, and a source for every value.

A strong model writes the file itself: nested mappings (``model.base``, ``model.big``),
lists (Adam's betas), and each value with a comment saying where in the paper it comes
from, or ``# assumption`` when the paper does not give it. The checks here: it parses,
it is a mapping, and every leaf value carries such a comment on its line (or, for the
items of a block list, on the list's key line). Comments are not part of PyYAML's node
tree, so the check reads the comment after each value's end mark in the source text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# What makes a comment a trace: a section id {#...}, a reference word with a number, the
# word paper/stated, or an assumption marker.
_TRACE = re.compile(
    r"\{#[^}]+\}|§|\bassum|\bpaper\b|\bstated\b|\bnot stated\b|"
    r"\b(?:sec(?:tion)?s?|eqs?|equation|table|tab|fig(?:ure)?|appendix|app|alg(?:orithm)?)\.?\s*\(?[0-9A-Z]",
    re.I,
)


def parse_config(text: str) -> dict[str, Any]:
    """config.yaml must parse to a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"config.yaml is not valid YAML: {' '.join(str(e).split())}") from e
    if not isinstance(data, dict):
        raise ValueError(f"config.yaml must be a mapping of keys to values, got {type(data).__name__}")
    return data


def _comment_after(lines: list[str], line: int, column: int) -> str | None:
    """The comment that follows position (line, column), if the rest of the line is one."""
    if line >= len(lines):
        return None
    rest = lines[line][column:]
    stripped = rest.lstrip()
    if stripped.startswith("#") and (rest[:1] in (" ", "\t") or column == 0 or lines[line][column - 1] in " \t"):
        return stripped[1:].strip()
    return None


def _key_comment(lines: list[str], key: yaml.Node) -> str | None:
    """A comment on a key's own line after ``key:`` (for values written below it)."""
    line = lines[key.end_mark.line] if key.end_mark.line < len(lines) else ""
    m = re.match(r"\s*:\s*(#.*)?$", line[key.end_mark.column:])
    return m.group(1)[1:].strip() if m and m.group(1) else None


def untraced_values(text: str) -> list[str]:
    """Key paths of the leaf values that carry no source comment (empty when all do)."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    lines = text.splitlines()
    out: list[str] = []

    def traced(node: yaml.Node) -> bool:
        for mark in (node.end_mark, node.start_mark):
            comment = _comment_after(lines, mark.line, mark.column)
            if comment and _TRACE.search(comment):
                return True
        return False

    def walk(node: yaml.Node, path: str, inherited: bool) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                kc = _key_comment(lines, key)
                here = inherited or bool(kc and _TRACE.search(kc))
                walk(value, f"{path}.{key.value}" if path else str(key.value), here)
        elif isinstance(node, yaml.SequenceNode):
            if node.flow_style:  # [0.9, 0.98]: one comment after the closing bracket
                if not (inherited or traced(node)):
                    out.append(path)
                return
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]", inherited)
        elif not (traced(node) or inherited):
            out.append(path)

    walk(root, "", False)
    return out


def trace_problem(text: str) -> str | None:
    """One line naming the untraced values, for the record and the repair request."""
    try:
        missing = untraced_values(text)
    except yaml.YAMLError:
        return None  # parse_config reports it
    if not missing:
        return None
    shown = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
    return (f"untraced config values: {shown} have no comment naming their source in the paper "
            "(e.g. '# {#5-3-optimizer}' or '# Table 3') or '# assumption'")
