"""Which functions can run when the code is imported or started, for grading findings.

A mistake in code that runs at import or from an entry point fails every run (an error);
one in a function nothing on that path refers to fails only if something calls it later
(a warning: real, but latent). The path is over-approximated on purpose: every module's
top level (imports, class bodies, ``if __name__ == "__main__":``), then every function
it calls *or refers to* (a callback, ``Thread(target=f)``), and every method of a class it
builds or refers to (frameworks call ``training_step`` for you), and so on.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .infer import ClassRef, FuncRef, Instance, Resolver, Scope, Value
from .repo_model import ClassInfo, FunctionNode, Module


def own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of one scope; a nested def's decorators and defaults run in the enclosing one."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend(sub.decorator_list)
            stack.extend(d for d in sub.args.defaults + sub.args.kw_defaults if d is not None)
            continue
        if isinstance(sub, ast.ClassDef):  # a base named is not a use of it; the body runs
            stack.extend(sub.decorator_list + sub.body)
            continue
        if isinstance(sub, ast.AnnAssign):  # annotations are not run (or only stored)
            stack.extend([sub.target] + ([sub.value] if sub.value is not None else []))
            continue
        yield sub
        stack.extend(ast.iter_child_nodes(sub))  # lambdas count as part of their scope


class Reach:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.functions: set[int] = set()
        self._classes: set[int] = set()
        self._queue: list[tuple[Scope, ast.AST]] = []

    def run(self) -> set[int]:
        for module in self.resolver.repo.files.values():
            self._queue.append((Scope(module), module.tree))
        while self._queue:
            scope, node = self._queue.pop()
            for sub in own_nodes(node):
                if isinstance(sub, ast.Name | ast.Attribute | ast.Call) and not isinstance(
                        getattr(sub, "ctx", None), ast.Store | ast.Del):
                    self._mark(self._value(scope, sub))
        return self.functions

    def _value(self, scope: Scope, node: ast.AST) -> Value | None:
        try:
            if isinstance(node, ast.Call):
                func = self.resolver.infer(node.func, scope)
                return func if isinstance(func, Instance) else None  # calling an object: its __call__
            return self.resolver.infer(node, scope)  # type: ignore[arg-type]
        except RecursionError:
            return None

    def _mark(self, value: Value | None) -> None:
        if isinstance(value, FuncRef):
            self._function(value.node, value.module, value.owner)
        elif isinstance(value, ClassRef | Instance):
            # a declared type (self, an annotation) may hold any subclass; a built one is exact
            self._class(value.cls, with_subclasses=isinstance(value, Instance) and not value.exact)

    def _function(self, node: FunctionNode, module: Module, owner: ClassInfo | None) -> None:
        if id(node) in self.functions:
            return
        self.functions.add(id(node))
        self._queue.append((Scope(module, node, owner), node))
        for sub in ast.walk(node):  # functions defined inside run when it does (closures)
            if sub is not node and isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and id(sub) not in self.functions:
                self.functions.add(id(sub))
                self._queue.append((Scope(module, sub, None, Scope(module, node, owner)), sub))

    def _class(self, cls: ClassInfo, with_subclasses: bool) -> None:
        subclasses = self.resolver.subclasses(cls) if with_subclasses else []
        for c in [*self.resolver.mro(cls), *subclasses]:
            if id(c) in self._classes or c.home is None:
                continue
            self._classes.add(id(c))
            for method in c.methods.values():
                self._function(method, c.home, c)


def enclosing_functions(module: Module) -> list[tuple[int, int, FunctionNode]]:
    """(first line, last line, node) of every function, innermost last for a given line."""
    found = [(n.lineno, n.end_lineno or n.lineno, n) for n in ast.walk(module.tree)
             if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return sorted(found, key=lambda t: (t[0], -t[1]))


def function_at(spans: list[tuple[int, int, FunctionNode]], line: int) -> FunctionNode | None:
    inner = None
    for first, last, node in spans:
        if first <= line <= last:
            inner = node  # sorted by start: a later match is nested inside the earlier one
    return inner
