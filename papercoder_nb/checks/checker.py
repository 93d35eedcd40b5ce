"""Static cross-file consistency checker (AST only; nothing is executed).

Finds mistakes at the seams between files, as Python would meet them: imports of
repository modules and names that do not exist (absolute, relative, through a package's
``__init__``), calls whose arguments cannot bind (functions, methods through an object,
constructors, ``model(x)`` running ``forward``), attributes no class or module defines,
names never defined, and circular imports that fail at import time.

Each finding is graded: ``error`` when Python will raise once that line runs, ``warning``
when it may be intended (a package the requirements do not name). Findings are grouped
by what fixes them, not repeated per line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ..util.pyparse import derived
from .findings import Finding, suggest
from .import_check import check_imports, exported
from .import_cycles import check_cycles
from .infer import ClassRef, Instance, ModuleRef, Resolver, Scope, Value
from .reach import Reach, enclosing_functions, function_at
from .repo_model import Module, Repo, load_repo
from .signatures import bind_problem, members, missing_call_method, signature_of
from .undefined_names import check_undefined


def check_code(code_dir: Path, repo: Repo | None = None) -> list[Finding]:
    """Check every .py file under code_dir against the others."""
    repo = repo or load_repo(Path(code_dir))
    findings = [Finding(rel, line, f"syntax error: {msg}", "valid Python") for rel, line, msg in repo.syntax_errors]
    resolver = Resolver(repo)
    loose = _loose_attributes(repo)
    for rel in sorted(repo.files):
        module = repo.files[rel]
        findings += check_imports(repo, module)
        findings += _check_uses(resolver, module, loose)
        findings += check_undefined(module)
    findings += check_cycles(repo)
    return _dedupe(findings)


def grade(findings: list[Finding], repo: Repo) -> list[Finding]:
    """Errors in functions that nothing on the import or start path runs become warnings."""
    if not any(f.severity == "error" for f in findings):
        return findings
    reached = Reach(Resolver(repo)).run()
    spans = {rel: enclosing_functions(m) for rel, m in repo.files.items()}
    out = []
    for f in findings:
        fn = function_at(spans[f.file], f.line) if f.severity == "error" and f.file in spans else None
        if fn is not None and id(fn) not in reached and not f.problem.startswith("syntax error"):
            f = Finding(f.file, f.line, f"{f.problem} (in {fn.name}(), which nothing run at import or "
                        "from an entry point calls)", f.expected, "warning")
        out.append(f)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for f in findings:
        if (f.file, f.line, f.problem) not in seen:
            seen.add((f.file, f.line, f.problem))
            out.append(f)
    return out


def _loose_attributes(repo: Repo) -> set[str]:
    """Attribute names set from outside a class or probed by name: never reported missing."""
    out: set[str] = set()
    for module in repo.files.values():
        out |= derived("loose_attributes", module.tree, _loose_in)
    return out


def _loose_in(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del) \
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            out.add(node.attr)  # set on an object from outside its class
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("hasattr", "getattr", "setattr", "delattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            out.add(node.args[1].value)
    return out


_Structure = tuple[list[tuple[ast.AST, int, ast.ClassDef | None]], list[tuple[int, ast.AST]]]


def _structure(tree: ast.Module) -> _Structure:
    """A file's scopes (node, enclosing scope's index, class a method is defined in) and the
    calls and attribute reads each scope holds; derived once per version of the file."""
    scopes: list[tuple[ast.AST, int, ast.ClassDef | None]] = [(tree, -1, None)]

    def visit(node: ast.AST, parent: int, cls: ast.ClassDef | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                scopes.append((child, parent, cls))
                visit(child, len(scopes) - 1, None)
            else:
                visit(child, parent, child if isinstance(child, ast.ClassDef) else cls)

    visit(tree, 0, None)
    uses = [(i, sub) for i, (node, _, _) in enumerate(scopes) for sub in _own(node)
            if isinstance(sub, ast.Call) or isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Load)]
    return scopes, uses


def _scopes(module: Module, structure: _Structure) -> list[Scope]:
    out: list[Scope] = []
    for node, parent, cls_node in structure[0]:
        if not out:
            out.append(Scope(module))
            continue
        info = module.classes.get(cls_node.name) if cls_node is not None else None
        cls = info if info is not None and info.node is cls_node else None
        out.append(Scope(module, node, cls, out[parent] if parent > 0 else None))  # type: ignore[arg-type]
    return out


def _own(node: ast.AST):
    stack = list(ast.iter_child_nodes(node))
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(sub.decorator_list if not isinstance(sub, ast.Lambda) else [])
            stack.extend(d for d in sub.args.defaults + sub.args.kw_defaults if d is not None)
            continue
        yield sub
        stack.extend(ast.iter_child_nodes(sub))


def _check_uses(resolver: Resolver, module: Module, loose: set[str]) -> list[Finding]:
    out: list[Finding] = []
    structure = derived("structure", module.tree, _structure)
    scopes = _scopes(module, structure)
    for i, sub in structure[1]:
        scope = scopes[i]
        if isinstance(sub, ast.Call):
            out += _check_call(resolver, scope, sub, module)
        elif isinstance(sub, ast.Attribute) and sub.attr not in loose:
            base = resolver.infer(sub.value, scope)
            problem = _missing_member(resolver, base, sub.attr) if base is not None else None
            if problem:
                out.append(Finding(module.rel, sub.lineno, problem[0], problem[1]))
    return out


def _check_call(resolver: Resolver, scope: Scope, call: ast.Call, module: Module) -> list[Finding]:
    target = resolver.infer(call.func, scope)
    if isinstance(target, Instance) and members(resolver, target.cls, target.exact) is not None:
        missing = missing_call_method(target, resolver)
        if missing:
            methods = {m for c in resolver.mro(target.cls) for m in c.methods}
            return [Finding(module.rel, call.lineno, f"calling {ast.unparse(call.func)} runs its {missing}(), "
                            f"which {target.cls.name} does not define", suggest(missing, methods, f"a {missing} method"))]
    sig = signature_of(target, resolver)
    problem = bind_problem(sig, call) if sig is not None else None
    if not problem:
        return []
    return [Finding(module.rel, call.lineno, f"call of {ast.unparse(call.func)} {problem}",
                    f"signature ({ast.unparse(sig)})")]


def _missing_member(resolver: Resolver, base: Value, attr: str) -> tuple[str, str] | None:
    if isinstance(base, ModuleRef) and base.module is not None:
        m = base.module
        names = exported(resolver.repo, m)
        if names is None or attr in names or attr.startswith("__"):
            return None
        if resolver.module_ref(f"{base.name}.{attr}", m) is not None:
            return None
        return (f"module {base.name} defines no {attr!r}", suggest(attr, names, "a name the module defines"))
    if isinstance(base, Instance | ClassRef):
        have = members(resolver, base.cls, isinstance(base, Instance) and base.exact)
        if have is None or attr in have:
            return None
        what = "instances of " + base.cls.name if isinstance(base, Instance) else "class " + base.cls.name
        return (f"{what} have no attribute {attr!r}",
                suggest(attr, {a for a in have if not a.startswith("__")}, f"an attribute {base.cls.name} defines"))
    return None
