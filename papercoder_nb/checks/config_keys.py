"""Config keys read in code versus keys defined in config.yaml (AST only)."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from pathlib import Path

import yaml

from papercoder_nb.checks.checker import Finding

from ..util.pyparse import derived, parse_shared

CONFIG_NAMES = {"cfg", "config", "conf", "configs", "configuration"}  # not hparams: Lightning's own
# methods of dicts and config objects: an attribute with one of these names is not a key
_METHODS = {"get", "items", "keys", "values", "update", "copy", "pop", "setdefault", "to_dict",
            "to_container", "to_yaml", "select", "merge", "__dict__"}
_NOT_CONFIG = ["<not a config>"]  # a config-like name bound to something else (a model's config object)
_LOADERS = {"safe_load", "load", "load_config", "read_config", "load_yaml", "create"}


@dataclass(frozen=True)
class KeyRead:
    line: int
    keys: list[str]
    # how each key is read: "[]" / "." fail when missing; "get" gives None (may be intended);
    # "default" (.get(k, d)) is optional by intent
    hows: list[str]


def _chain(node: ast.AST, aliases: dict[str, list[str]]) -> tuple[list[str], list[str]] | None:
    """Keys of cfg["a"].b.get("c", 1) (through an alias of a config group); None if no config chain."""
    path: list[tuple[str, str]] = []  # (key, how: [] . get get-default)
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            path.append((node.slice.value, "[]"))
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            path.append((node.args[0].value, "get" if len(node.args) + len(node.keywords) == 1 else "default"))
            node = node.func.value
        elif isinstance(node, ast.Attribute) and node.attr not in _METHODS and _root(node, aliases) is None:
            path.append((node.attr, "."))
            node = node.value
        else:
            break
    prefix = _root(node, aliases)
    if prefix is None or not path:
        return None
    path.reverse()
    keys = prefix + [k for k, _ in path]
    return keys, ["[]"] * len(prefix) + [h for _, h in path]


def _root(node: ast.AST, aliases: dict[str, list[str]]) -> list[str] | None:
    """The key path a config root or alias stands for ([] for the whole config)."""
    name = ast.unparse(node) if isinstance(node, ast.Name | ast.Attribute) else None
    if name is None:
        return None
    if name in aliases:
        return aliases[name] if aliases[name] != _NOT_CONFIG else None
    last = name.split(".")[-1]
    return [] if last in CONFIG_NAMES and (name == last or name == f"self.{last}") else None


def _aliases(tree: ast.Module) -> dict[str, list[str]]:
    """Names (and self attributes) holding the config or a group of it, anywhere in the module.

    ``model_cfg = cfg["model"]``, ``self.config = config``, ``params = yaml.safe_load(f)``.
    Flow-insensitive on purpose: one name meaning two groups in two functions is rare, and
    a name bound to two different paths is dropped.
    """
    found: dict[str, list[str]] = {}
    dropped: set[str] = set()
    for _ in range(3):  # aliases of aliases
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name | ast.Attribute)):
                continue
            name = ast.unparse(node.targets[0])
            value = node.value
            path = None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute | ast.Name) \
                    and (value.func.attr if isinstance(value.func, ast.Attribute) else value.func.id) in _LOADERS:
                path = [] if name.split(".")[-1] not in found else None
            else:
                chain = _chain(value, found)
                path = chain[0] if chain and "default" not in chain[1] else _root(value, found)
                if path is None and name.split(".")[-1] in CONFIG_NAMES and isinstance(value, ast.Call):
                    path = _NOT_CONFIG
            if path is None or name in dropped:
                continue
            if name in found and found[name] != path:
                dropped.add(name)
                found.pop(name)
            else:
                found[name] = path
    return found


def _outermost(tree: ast.Module) -> list[KeyRead]:
    """Longest key chains only (an inner chain is a prefix of its parent)."""
    aliases = _aliases(tree)
    seen: list[KeyRead] = []
    inner: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in inner or isinstance(getattr(node, "ctx", None), ast.Store | ast.Del):
            continue
        chain = _chain(node, aliases)
        if chain:
            seen.append(KeyRead(node.lineno, *chain))
            for sub in ast.walk(node):
                if sub is not node:
                    inner.add(id(sub))
    return seen


def check_config_keys(code_dir: Path, config_path: Path) -> list[Finding]:
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    return check_config_mapping(code_dir, config, "config.yaml") if isinstance(config, dict) else []


def check_config_mapping(code_dir: Path, config: dict, label: str, softer: bool = False) -> list[Finding]:
    """Keys code reads against one config mapping, named ``label`` in the findings.

    ``softer``: the mapping is a default composition (Hydra's), which a run may extend from
    the command line or an experiment file, so a missing key is a warning there.
    """
    flat = _all_keys(config)
    out: list[Finding] = []
    for path in sorted(Path(code_dir).rglob("*.py")):
        rel = path.relative_to(code_dir).as_posix()
        try:
            tree = parse_shared(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, OSError):
            continue  # the signature checker reports it
        for read in derived("config_reads", tree, _outermost):
            found = _missing(config, flat, read, label)
            if found:
                out.append(Finding(rel, read.line, found[0], found[1], "warning" if softer else found[2]))
    return out


def _missing(config: dict, flat: set[str], read: KeyRead, label: str) -> tuple[str, str, str] | None:
    node: object = config
    for depth, (key, how) in enumerate(zip(read.keys, read.hows, strict=True)):
        if not isinstance(node, dict):
            return None
        if key not in node and not (key in flat and depth == 0):
            if how == "default":
                return None
            where = ".".join(read.keys[: depth + 1])
            close = difflib.get_close_matches(key, [str(k) for k in node], n=1)
            return (f"config key {where!r} is not in {label}",
                    f"did you mean {close[0]!r}?" if close else f"a key {label} defines",
                    "warning" if how == "get" else "error")
        node = node.get(key, _find(config, key))
    return None


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
