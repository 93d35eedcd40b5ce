"""Circular imports that fail at import time, found by replaying Python's import order.

Python runs a module top to bottom; ``from B import y`` first runs B (and its parent
packages), and if B is still running (a cycle), only what B bound so far exists. A cycle
is harmless when the names are bound before the import that closes it, fatal otherwise;
which one depends on where the import starts. The replay starts from every module in
turn and reports the cycles that fail from some start (error: the user runs or imports
that module and gets ``ImportError: cannot import name ... (most likely due to a circular
import)``).
"""

from __future__ import annotations

import ast

from ..util.pyparse import derived
from .findings import Finding
from .repo_model import Module, Repo, bound_names, top_level


class _Failed(Exception):
    def __init__(self, finding: Finding, chain: list[str]) -> None:
        self.finding, self.chain = finding, chain


class _Replay:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.defined: dict[int, set[str]] = {}
        self.running: list[Module] = []

    def run(self, module: Module) -> None:
        if id(module) in self.defined:
            return
        self.defined[id(module)] = set()
        self.running.append(module)
        skip = module.optional
        for stmt in top_level(module.tree.body):
            if id(stmt) not in skip:
                self._statement(module, stmt)
            self.defined[id(module)] |= set(bound_names(stmt))
        self.running.remove(module)

    def _load(self, dotted: str, importer: Module) -> Module | None:
        """Run every package on the way to ``dotted``, then it; its module (None: a folder)."""
        parts = dotted.split(".")
        found = None
        for i in range(1, len(parts) + 1):
            found = self.repo.resolve(".".join(parts[:i]), importer)
            if found is not None:
                self.run(found)
                if i > 1:  # a finished submodule becomes an attribute of its package
                    parent = self.repo.resolve(".".join(parts[: i - 1]), importer)
                    if parent is not None:
                        self.defined.setdefault(id(parent), set()).add(parts[i - 1])
        return found

    def _statement(self, module: Module, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                self._load(a.name, module)
        elif isinstance(stmt, ast.ImportFrom):
            target = self.repo.absolute(module, stmt.module, stmt.level)
            source = self._load(target, module) if target else None
            if source is None or source not in self.running:
                return
            for a in stmt.names:
                if a.name == "*" or a.name in self.defined[id(source)]:
                    continue
                if self.repo.resolve(f"{target}.{a.name}", module) is not None:
                    self._load(f"{target}.{a.name}", module)
                    continue
                if a.name in source.bindings:  # bound later in the module that is still running
                    chain = [m.rel for m in self.running[self.running.index(source):]]
                    raise _Failed(self._finding(module, stmt, source, a.name), chain)

    def _finding(self, module: Module, stmt: ast.stmt, source: Module, name: str) -> Finding:
        chain = " -> ".join(m.rel for m in self.running[self.running.index(source):]) + f" -> {source.rel}"
        return Finding(module.rel, stmt.lineno,
                       f"circular import: {name!r} is imported from {source.rel} while {source.rel} is "
                       f"still running ({chain}); {name!r} is bound only at line {source.first_line(name)}",
                       "break the cycle: move the import into the function that uses it, or move the "
                       "shared code into a module both import")


def _imports(tree: ast.Module) -> list[tuple[str | None, int, list[str], bool]]:
    """(module, level, names, is_from) of every import in a file."""
    return [(None, 0, [a.name for a in n.names], False) if isinstance(n, ast.Import)
            else (n.module, n.level, [a.name for a in n.names], True)
            for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def entry_modules(repo: Repo) -> set[str]:
    """Modules a program starts from: scripts with a main guard, and modules nothing imports."""
    imported: set[str] = set()
    for module in repo.files.values():
        for target_module, level, names, is_from in derived("imports_all", module.tree, _imports):
            if is_from:
                target = repo.absolute(module, target_module, level)
                names = [target, *(f"{target}.{n}" for n in names)] if target else []
            for name in names:
                found = repo.resolve(name, module)
                if found is not None and found is not module:
                    imported.add(found.rel)
    mains = {rel for rel, m in repo.files.items() if derived("main_guard", m.tree, _has_main_guard)}
    return mains | (set(repo.files) - imported)


def _has_main_guard(tree: ast.Module) -> bool:
    """``if __name__ == "__main__":`` at the top level: a script a program starts from."""
    return any(isinstance(s, ast.If) and isinstance(s.test, ast.Compare) and "__main__" in ast.unparse(s.test)
               for s in tree.body)


def check_cycles(repo: Repo) -> list[Finding]:
    """Cycles that fail where programs start, or from every module in them (errors); cycles
    that fail only when one of their modules is imported first (warnings)."""
    entries = entry_modules(repo)
    failing: dict[frozenset[str], tuple[Finding, set[str], set[str]]] = {}  # by the modules in the cycle
    for rel in sorted(repo.files):
        replay = _Replay(repo)
        try:
            replay._load(repo.files[rel].name, repo.files[rel])
        except _Failed as failed:
            key = frozenset(failed.chain)
            found = failing.setdefault(key, (failed.finding, set(), set(failed.chain)))
            found[1].add(rel)
        except RecursionError:
            continue
    out = []
    for finding, starts, chain in failing.values():
        if starts & entries or chain <= starts:
            out.append(finding)
        else:
            first = sorted(starts)[0]
            out.append(Finding(finding.file, finding.line, finding.problem + f"; it fails when {first} "
                               "is imported first", finding.expected, "warning"))
    return out
