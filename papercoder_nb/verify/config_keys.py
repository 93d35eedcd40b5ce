"""Config keys read in code versus keys defined in config.yaml (AST only)."""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

import yaml

from papercoder_nb.verify.checker import Finding

from ..pyparse import parse_shared


def _key_path(node: ast.AST) -> list[str] | None:
    """Key path of cfg["a"]["b"] / cfg.get("a", {}).get("b"); None if not a literal chain."""
    path: list[str] = []
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            path.append(node.slice.value)
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and node.args \
                and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            path.append(node.args[0].value)
            node = node.func.value
        else:
            break
    if isinstance(node, ast.Name) and node.id in ("cfg", "config", "conf") and path:
        return path[::-1]
    return None


def _outermost(tree: ast.Module) -> list[tuple[int, list[str]]]:
    """Longest key chains only (an inner chain is a prefix of its parent)."""
    seen: list[tuple[int, list[str]]] = []
    inner: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in inner:
            continue
        path = _key_path(node)
        if path:
            seen.append((node.lineno, path))
            for sub in ast.walk(node):
                if sub is not node:
                    inner.add(id(sub))
    return seen


def check_config_keys(code_dir: Path, config_path: Path) -> list[Finding]:
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    flat = _all_keys(config)
    out: list[Finding] = []
    for path in sorted(Path(code_dir).rglob("*.py")):
        rel = path.relative_to(code_dir).as_posix()
        try:
            tree = parse_shared(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue  # the signature checker reports it
        for line, keys in _outermost(tree):
            node = config
            for depth, key in enumerate(keys):
                if not isinstance(node, dict):
                    break
                if key not in node and not (depth == 0 and key in flat):
                    close = difflib.get_close_matches(key, [str(k) for k in node], n=1)
                    where = ".".join(keys[: depth + 1])
                    out.append(Finding(rel, line, f"config key {where!r} is not in config.yaml",
                                       f"did you mean {close[0]!r}?" if close else
                                       "a key config.yaml defines"))
                    break
                node = node.get(key, _find(config, key))
    return out


def _all_keys(node: object) -> set[str]:
    """Every key at any depth: code often flattens groups before reading them."""
    if not isinstance(node, dict):
        return set()
    keys = {str(k) for k in node}
    for value in node.values():
        keys |= _all_keys(value)
    return keys


def _find(node: object, key: str) -> object:
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for value in node.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


def _leaves(node: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Key paths of the values config.yaml states (dicts are groups, everything else a value)."""
    if not isinstance(node, dict) or not node:
        return [prefix] if prefix else []
    return [leaf for k, v in node.items() for leaf in _leaves(v, (*prefix, str(k)))]


def _group_names(expr: ast.AST) -> set[str]:
    """The config group an expression most likely holds: its string keys, or its name."""
    found = {n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found or ({expr.id} if isinstance(expr, ast.Name) else set())


def _names_read(trees: list[ast.Module]) -> tuple[set[str], set[str]]:
    """Every name code could read a config value by, and groups it reads whole.

    Names: string constants (cfg["lr"], hp.get("lr"), any loader), attribute names
    (cfg.lr, args.lr), and, where the code splats a mapping into a call
    (Model(**cfg["model"])), parameter and keyword names too. Groups: what is splatted
    (``**cfg["optim"]``) or iterated (``cfg["optim"].items()``). Generous on purpose: a
    listed key should really be one nothing reads.
    """
    names: set[str] = set()
    params: set[str] = set()
    groups: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
                if node.attr in ("items", "values", "keys"):
                    groups |= _group_names(node.value)
            elif isinstance(node, ast.arg):
                params.add(node.arg)
            elif isinstance(node, ast.keyword):
                if node.arg:
                    params.add(node.arg)
                else:
                    groups |= _group_names(node.value) or {"*"}
    return (names | params if groups else names), groups


def unread_config_keys(code_dir: Path, config_path: Path) -> list[str]:
    """Dotted paths of config.yaml values (what the paper states) no code reads by name."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    trees = []
    for path in sorted(Path(code_dir).rglob("*.py")):
        try:
            trees.append(parse_shared(path.read_text(encoding="utf-8")))
        except SyntaxError:
            continue
    read, groups = _names_read(trees)
    return [".".join(leaf) for leaf in _leaves(config)
            if leaf[-1] not in read and not groups.intersection(leaf[:-1])]
