"""Static cross-file consistency checker (AST only; nothing is executed).

Finds mistakes at the seams between generated files: imports of repository
modules that name undefined things, and calls of repository functions whose
arguments cannot bind to the callee's signature.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from pathlib import Path

from ..pyparse import parse_shared


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    problem: str
    expected: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem} (expected: {self.expected})"


def _defined_names(tree: ast.Module) -> dict[str, ast.AST]:
    """Top-level names a module defines (functions, classes, assignments, imports)."""
    names: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names[n.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                names[(a.asname or a.name).split(".")[0]] = node
    return names


def _signature_of(node: ast.AST) -> ast.arguments | None:
    """Arguments a call must bind to; None where we cannot know."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.args
    if isinstance(node, ast.ClassDef):
        if node.bases or node.decorator_list:
            return None  # inherited __init__ or dataclass: unknown
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                args = item.args
                return ast.arguments(
                    posonlyargs=args.posonlyargs[1:] if args.posonlyargs else [],
                    args=args.args[1:] if not args.posonlyargs else args.args,
                    vararg=args.vararg, kwonlyargs=args.kwonlyargs,
                    kw_defaults=args.kw_defaults, kwarg=args.kwarg,
                    defaults=args.defaults)
        return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])
    return None


def _bind_problem(sig: ast.arguments, call: ast.Call) -> str | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return None  # *seq / **mapping: cannot know
    positional = [a.arg for a in sig.posonlyargs + sig.args]
    n_required = len(positional) - len(sig.defaults)
    if len(call.args) > len(positional) and sig.vararg is None:
        return f"takes at most {len(positional)} positional arguments, got {len(call.args)}"
    bound = set(positional[: len(call.args)])
    kwonly = {a.arg for a in sig.kwonlyargs}
    keyword_ok = set(a.arg for a in sig.args) | kwonly
    for kw in call.keywords:
        if kw.arg not in keyword_ok and sig.kwarg is None:
            return f"has no parameter {kw.arg!r}"
        bound.add(kw.arg)
    missing = [p for p in positional[:n_required] if p not in bound]
    missing += [a.arg for a, d in zip(sig.kwonlyargs, sig.kw_defaults, strict=True)
                if d is None and a.arg not in bound]
    if missing:
        return f"missing argument(s) {', '.join(missing)}"
    return None


def _describe(sig: ast.arguments) -> str:
    return ast.unparse(sig)


def check_code(code_dir: Path) -> list[Finding]:
    """Check every .py file under code_dir against the others."""
    code_dir = Path(code_dir)
    trees: dict[str, ast.Module] = {}
    findings: list[Finding] = []
    for path in sorted(code_dir.rglob("*.py")):
        rel = path.relative_to(code_dir).as_posix()
        try:
            trees[rel] = parse_shared(path.read_text(encoding="utf-8"), filename=rel)
        except SyntaxError as exc:
            findings.append(Finding(rel, exc.lineno or 0, f"syntax error: {exc.msg}",
                                    "valid Python"))
    modules = {rel[:-3].replace("/", "."): t for rel, t in trees.items()}
    defs = {m: _defined_names(t) for m, t in modules.items()}
    for rel, tree in trees.items():
        findings += _check_file(rel, tree, defs)
    return findings


def _check_file(rel: str, tree: ast.Module,
                defs: dict[str, dict[str, ast.AST]]) -> list[Finding]:
    out: list[Finding] = []
    # local name -> definition node in another repository module
    imported: dict[str, ast.AST] = {}
    module_alias: dict[str, str] = {}
    own = defs.get(rel[:-3].replace("/", "."), {})
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in defs and not node.level:
            names = defs[node.module]
            for a in node.names:
                if a.name == "*":
                    continue
                if a.name not in names:
                    close = difflib.get_close_matches(a.name, list(names), n=1)
                    hint = f"did you mean {close[0]!r}?" if close else \
                        f"one of: {', '.join(sorted(names)) or '(nothing)'}"
                    out.append(Finding(rel, node.lineno,
                                       f"{node.module} defines no {a.name!r}", hint))
                else:
                    imported[a.asname or a.name] = names[a.name]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in defs:
                    module_alias[a.asname or a.name] = a.name
    for name, node in own.items():
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            imported.setdefault(name, node)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        func = node.func
        if isinstance(func, ast.Name):
            target = imported.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in module_alias:
            mod = module_alias[func.value.id]
            target = defs[mod].get(func.attr)
            if target is None:
                close = difflib.get_close_matches(func.attr, list(defs[mod]), n=1)
                out.append(Finding(rel, node.lineno, f"{mod} defines no {func.attr!r}",
                                   f"did you mean {close[0]!r}?" if close else
                                   "a name the module defines"))
                continue
        if target is None:
            continue
        sig = _signature_of(target)
        problem = sig and _bind_problem(sig, node)
        if problem:
            out.append(Finding(rel, node.lineno,
                               f"call of {ast.unparse(func)} {problem}",
                               f"signature ({_describe(sig)})"))
    return out
