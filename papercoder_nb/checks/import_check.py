"""Imports of the repository's own modules: the module exists, and so does every name.

Covers absolute and relative imports, packages whose ``__init__`` re-exports names (or
star-imports them), submodules, and namespace packages (folders without ``__init__.py``).
Imports guarded by ``try: ... except ImportError`` are optional by intent and skipped.
"""

from __future__ import annotations

import ast

from ..util.pyparse import derived
from .findings import Finding, suggest
from .repo_model import Module, Repo, optional_imports


def exported(repo: Repo, module: Module, seen: set[int] | None = None) -> set[str] | None:
    """Names ``from module import name`` finds (None: any name may exist)."""
    seen = seen if seen is not None else set()
    if module.open or id(module) in seen:
        return None if module.open else set()
    seen.add(id(module))
    names = {n for n in module.bindings if n != "*"}
    for stmt in module.bindings.get("*", []):
        assert isinstance(stmt, ast.ImportFrom)
        target = repo.absolute(module, stmt.module, stmt.level)
        found = repo.resolve(target, module) if target else None
        more = exported(repo, found, seen) if found is not None else None
        if more is None:
            return None
        names |= more
    return names


def _is_local(repo: Repo, dotted: str, level: int) -> bool:
    return bool(level) or dotted.split(".")[0] in repo.top_names()


def _exists(repo: Repo, dotted: str, importer: Module) -> bool:
    return repo.resolve(dotted, importer) is not None or repo.is_package(dotted, importer)


def _no_module(repo: Repo, module: Module, line: int, dotted: str) -> Finding:
    names = set(repo.modules) | repo.packages()
    parent = dotted.rsplit(".", 1)[0] if "." in dotted else ""
    where = f"package {parent}" if parent and _exists(repo, parent, module) else "the repository"
    return Finding(module.rel, line, f"no module {dotted!r} in {where}",
                   suggest(dotted, names, "a module file the repository has"))


def _import_nodes(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    skip = optional_imports(tree)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skip]


def check_imports(repo: Repo, module: Module) -> list[Finding]:
    out: list[Finding] = []
    for node in derived("import_nodes", module.tree, _import_nodes):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _is_local(repo, a.name, 0):
                    parts = a.name.split(".")
                    missing = next((".".join(parts[:i]) for i in range(1, len(parts) + 1)
                                    if not _exists(repo, ".".join(parts[:i]), module)), None)
                    if missing:
                        out.append(_no_module(repo, module, node.lineno, missing))
        elif isinstance(node, ast.ImportFrom):
            out += _check_from(repo, module, node)
    return out


def _check_from(repo: Repo, module: Module, node: ast.ImportFrom) -> list[Finding]:
    target = repo.absolute(module, node.module, node.level)
    if target is None:
        return [Finding(module.rel, node.lineno, "relative import beyond the top-level package",
                        "fewer leading dots, or an absolute import")]
    if not target or not _is_local(repo, target, node.level):
        return []
    if not _exists(repo, target, module):
        return [_no_module(repo, module, node.lineno, target)]
    found = repo.resolve(target, module)
    names = exported(repo, found, None) if found is not None else set()
    out = []
    for a in node.names:
        if a.name == "*" or names is None or a.name in names or _exists(repo, f"{target}.{a.name}", module):
            continue
        out.append(Finding(module.rel, node.lineno, f"{target} defines no {a.name!r}",
                           suggest(a.name, names, f"one of: {', '.join(sorted(names)[:12]) or '(nothing)'}")))
    return out
