"""What a coding call sees of the repository, and the imports each file really makes.

A file is coded after every file before it in the (dependency-respecting) task order,
and sees all of them: the files it depends on in full, every other earlier file in full
while the window has room and as an outline (imports, classes, signatures, first
docstring lines) when it has not. So a file that uses a name from a file it did not
declare still sees that name, and the prompt is the same whatever ran in parallel.

After a file is written, the repository modules it actually imports are compared with
the logic design's dependencies. An undeclared import of an earlier file becomes a
dependency (its full code is passed, editing it stales this file); an import of a file
that comes later reorders the two, so this file is coded again once that one exists; an
import that would close a cycle is reported and left to the user. Declared but unused
dependencies are reported. The actual imports are read from the code on disk each time
the graph is built, so a hand edit that adds an import counts as well.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

from ..util.pyparse import parse_python
from .artifacts import Logic, topological_order


@lru_cache(maxsize=256)  # a pure function of the text; every status scan outlines each earlier file again
def outline(code: str) -> str:
    """Imports, class and function signatures with first docstring lines."""
    try:
        tree = parse_python(code)
    except SyntaxError:
        return "\n".join(code.splitlines()[:40]) + "\n# … (cut)\n"
    lines = code.splitlines()
    out: list[str] = []

    def signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, indent: str) -> None:
        # Decorators and multi-line signatures: everything from the first decorator to the ':'.
        start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
        body_start = node.body[0].lineno - 1 if node.body else node.lineno
        head = [ln for ln in lines[start:max(start + 1, body_start)] if ln.strip()]
        out.extend(head if len(head) <= 12 else [*head[:11], head[-1]])
        doc = ast.get_docstring(node)
        if doc:
            out.append(f'{indent}    """{doc.splitlines()[0]}"""')

    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.append(ast.get_source_segment(code, node) or "")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            signature(node, "")
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                        signature(sub, "    ")
                    elif isinstance(sub, ast.AnnAssign | ast.Assign):
                        out.append(lines[sub.lineno - 1][:160])
            out.append("    ...")
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.col_offset == 0:
            out.append(lines[node.lineno - 1][:160])
    return "\n".join(out) + "\n"


def public_signatures(code: str) -> list[str]:
    """Names of the public top-level functions and classes and their public methods."""
    try:
        tree = parse_python(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            names.append(node.name)
            if isinstance(node, ast.ClassDef):
                names += [f"{node.name}.{s.name}" for s in node.body
                          if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                          and (not s.name.startswith("_") or s.name == "__init__")]
    return names


def _module_of(path: str) -> str:
    mod = path[:-3].replace("/", ".")
    return mod.removesuffix(".__init__")


@lru_cache(maxsize=1024)
def _imports(code: str, path: str, files: tuple[str, ...]) -> tuple[str, ...]:
    try:
        tree = parse_python(code)
    except SyntaxError:
        return ()
    modules = {_module_of(f): f for f in files}
    package = _module_of(path).rsplit(".", 1)[0] if "/" in path else ""
    found: list[str] = []

    def add(name: str) -> None:
        # "a.b.c" is file a/b/c.py, else a/b.py, else a.py: the longest module that exists.
        parts = name.split(".")
        for n in range(len(parts), 0, -1):
            f = modules.get(".".join(parts[:n]))
            if f is not None:
                found.append(f)
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this file's package
                up = package.split(".") if package else []
                up = up[: max(0, len(up) - (node.level - 1))]
                base = ".".join([*up, *([base] if base else [])])
            for alias in node.names:  # "from pkg import mod" imports the file pkg/mod.py
                if f"{base}.{alias.name}".lstrip(".") in modules:
                    add(f"{base}.{alias.name}".lstrip("."))
                elif base:
                    add(base)
    return tuple(f for f in dict.fromkeys(found) if f != path)


def repo_imports(code: str, path: str, files: list[str]) -> list[str]:
    """The repository files that ``code`` (the file ``path``) imports, in first-use order."""
    return list(_imports(code, path, tuple(files)))


@dataclass
class DependencyGraph:
    order: list[str]  # every task file, dependencies first
    deps: dict[str, list[str]]  # declared dependencies plus the imports actually written
    declared: dict[str, list[str]]
    imported: dict[str, list[str]] = field(default_factory=dict)  # of the files written so far
    cycles: dict[str, list[str]] = field(default_factory=dict)  # imports left out: they close a cycle

    def earlier(self, path: str) -> list[str]:
        """The files coded before ``path``."""
        return self.order[: self.order.index(path)] if path in self.order else []


def _reaches(deps: dict[str, list[str]], start: str, goal: str) -> bool:
    stack, seen = [start], set()
    while stack:
        f = stack.pop()
        if f == goal:
            return True
        if f not in seen:
            seen.add(f)
            stack.extend(deps.get(f, []))
    return False


def dependency_graph(logic: Logic, code: dict[str, str]) -> DependencyGraph:
    """Declared dependencies joined with the imports of the code written so far.

    ``code`` maps file -> text for the files that exist. The task list orders the files
    where the dependencies leave a choice; an import that would close a cycle is left
    out (and listed in ``cycles``)."""
    tasks = list(logic.task_list)
    declared = logic.dependencies()
    deps = {f: list(declared.get(f, [])) for f in tasks}
    imported: dict[str, list[str]] = {}
    cycles: dict[str, list[str]] = {}
    for f in tasks:
        if f not in code:
            continue
        imported[f] = repo_imports(code[f], f, tasks)
        for g in imported[f]:
            if g in deps[f]:
                continue
            if _reaches(deps, g, f):
                cycles.setdefault(f, []).append(g)
            else:
                deps[f].append(g)
    return DependencyGraph(topological_order(tasks, deps), deps, declared, imported, cycles)


def import_notes(graph: DependencyGraph, path: str, code: str, files: list[str]) -> list[str]:
    """What the file's written imports say about the logic design: shown to the user,
    kept with the file's record."""
    imports = repo_imports(code, path, files)
    declared = graph.declared.get(path, [])
    before = set(graph.earlier(path))
    notes: list[str] = []
    for g in imports:
        if g in declared:
            continue
        if graph.deps.get(g) and _reaches(graph.deps, g, path):
            notes.append(f"imports {g}, which depends on {path}: a circular import; fix one of them by hand")
        elif g in before:
            notes.append(f"imports {g}, not declared in the logic design: now a dependency "
                         f"(its full code is passed, editing it stales {path})")
        else:
            notes.append(f"imports {g}, which comes later in the task order: {g} is now coded "
                         f"first and {path} again after it")
    unused = [d for d in declared if d not in imports]
    if unused:
        notes.append(f"declares {', '.join(unused)} as dependencies but does not import them")
    return notes
