"""What a name or expression in repository code refers to, as far as the code says.

Scopes as Python has them (a parameter named ``data`` hides ``import data``; a class body
is not a scope for its methods), ``self`` in a method, ``x = Model(...)``, annotations,
``self.encoder = Encoder(...)`` in any method, and what functions return. Anything the
code does not state (loops, containers, reassignment to different things) is unknown,
and unknown is never reported: the checker would rather miss than cry wolf.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from ..util.pyparse import derived
from .repo_model import ClassInfo, FunctionNode, Module, Repo, bound_names, target_names

MAX_DEPTH = 12
_BUILTINS = frozenset(dir(builtins))


@dataclass(eq=False)
class ModuleRef:
    module: Module | None  # None: a namespace package (a folder of modules)
    name: str


@dataclass(eq=False)
class ClassRef:
    cls: ClassInfo


@dataclass(eq=False)
class Instance:
    cls: ClassInfo
    # built here by calling the class; otherwise (self, an annotation) it may be a subclass
    exact: bool = False


@dataclass(eq=False)
class FuncRef:
    node: FunctionNode
    module: Module
    bound: bool  # reached through an instance or class method: the first parameter is given
    owner: ClassInfo | None = None
    via_declared: bool = False  # reached through a declared type (self, an annotation), not a built object


@dataclass(eq=False)
class External:
    qualified: str  # a dotted path outside the repository (torch.nn.Module)


Value = ModuleRef | ClassRef | Instance | FuncRef | External


def same(a: Value | None, b: Value | None) -> bool:
    if a is None or b is None or type(a) is not type(b):
        return False
    if isinstance(a, Instance | ClassRef):
        return a.cls is b.cls  # type: ignore[union-attr]
    if isinstance(a, FuncRef):
        return a.node is b.node  # type: ignore[union-attr]
    if isinstance(a, External):
        return a.qualified == b.qualified  # type: ignore[union-attr]
    return a.name == b.name  # type: ignore[union-attr]


class Scope:
    """Names a function binds, and where each gets its value; module scope when node is None."""

    def __init__(self, module: Module, node: FunctionNode | ast.Lambda | None = None,
                 cls: ClassInfo | None = None, parent: Scope | None = None) -> None:
        self.module, self.node, self.cls, self.parent = module, node, cls, parent
        self.sources: dict[str, list[ast.AST | str]] = {}
        if node is not None:
            kind = _method_kind(node) if cls is not None and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                else None
            self.sources = _scope_sources(node, kind)


_SOURCES: dict[tuple[int, str | None], tuple[ast.AST, dict[str, list[ast.AST | str]]]] = {}


def _scope_sources(node: FunctionNode | ast.Lambda, kind: str | None) -> dict[str, list[ast.AST | str]]:
    """What a function's names are bound to, collected once per function of a parsed file.

    Parsed trees are shared while a file is unchanged (``parse_shared``), so the same node
    comes back on every check; the stored node is compared, not only its id.
    """
    key = (id(node), kind)
    hit = _SOURCES.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    found = _collect(node, kind)
    if len(_SOURCES) > 50_000:
        _SOURCES.clear()
    _SOURCES[key] = (node, found)
    return found


def _collect(node: FunctionNode | ast.Lambda, kind: str | None) -> dict[str, list[ast.AST | str]]:
    sources: dict[str, list[ast.AST | str]] = {}
    args = node.args
    params = args.posonlyargs + args.args
    first = params[0].arg if params else None
    for a in params + args.kwonlyargs + [x for x in (args.vararg, args.kwarg) if x]:
        src: ast.AST | str = a.annotation if a.annotation is not None and a not in (args.vararg, args.kwarg) \
            else "unknown"
        if a.arg == first and kind in ("method", "classmethod"):
            src = "self" if kind == "method" else "cls"
        sources.setdefault(a.arg, []).append(src)
    for sub in _own_nodes(node) if not isinstance(node, ast.Lambda) else []:
        if isinstance(sub, ast.stmt):
            for name in bound_names(sub):
                sources.setdefault(name, []).append(_source(sub, name))
            if isinstance(sub, ast.Global | ast.Nonlocal):
                for name in sub.names:
                    sources.setdefault(name, []).append("unknown")
        elif isinstance(sub, ast.comprehension | ast.NamedExpr | ast.ExceptHandler):
            target = getattr(sub, "target", None)
            names = [sub.name] if isinstance(sub, ast.ExceptHandler) and sub.name else \
                target_names(target) if target is not None else []
            for name in names:
                sources.setdefault(name, []).append("unknown")
    return sources


def _method_kind(node: FunctionNode) -> str:
    names = {d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else ""
             for d in node.decorator_list}
    if "staticmethod" in names:
        return "static"
    return "classmethod" if "classmethod" in names else "method"


def _source(stmt: ast.stmt, name: str) -> ast.AST | str:
    """The expression a statement gives ``name`` (or an annotation); 'unknown' otherwise."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom):
        return stmt
    return "unknown"


def _own_nodes(node: ast.AST):
    """Every node inside a function that belongs to its scope (not nested defs/classes/lambdas)."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        sub = stack.pop()
        yield sub
        if not isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(sub))


class Resolver:
    """Infers values in one repository; caches module-level names."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._module_names: dict[tuple[int, str], Value | None] = {}
        self._busy: set[object] = set()
        self._index: dict[str, dict] = {}
        self._scopes: dict[tuple[int, int, int], Scope] = {}

    # -- names -----------------------------------------------------------------------------

    def lookup(self, name: str, scope: Scope, depth: int = 0) -> Value | None:
        s: Scope | None = scope
        while s is not None and s.node is not None:
            if name in s.sources:
                return self._from_sources(name, s, depth)
            s = s.parent
        return self.module_name(scope.module, name, depth)

    def _from_sources(self, name: str, scope: Scope, depth: int) -> Value | None:
        values = []
        for src in scope.sources[name]:
            if src == "self":
                values.append(Instance(scope.cls) if scope.cls else None)
            elif src == "cls":
                values.append(ClassRef(scope.cls) if scope.cls else None)
            elif isinstance(src, str):
                return None
            elif isinstance(src, ast.stmt):
                values.append(self._statement_value(src, name, scope, depth))
            elif isinstance(src, ast.expr) and _is_annotation(src, scope):
                values.append(self.annotation(src, scope, depth))
            else:
                values.append(self.infer(src, scope, depth + 1))  # type: ignore[arg-type]
        first = values[0] if values else None
        return first if first is not None and all(same(first, v) for v in values[1:]) else None

    def module_name(self, module: Module, name: str, depth: int = 0) -> Value | None:
        key = (id(module), name)
        if key in self._module_names:
            return self._module_names[key]
        if key in self._busy or depth > MAX_DEPTH:
            return None
        self._busy.add(key)
        try:
            stmts = module.bindings.get(name, [])
            value = self._statement_value(stmts[0], name, Scope(module), depth) if len(stmts) == 1 else None
            if not stmts and "*" in module.bindings:
                value = self._star_value(module, name, depth)
            elif not stmts and name in _BUILTINS:
                value = External(name)
        finally:
            self._busy.discard(key)
        self._module_names[key] = value
        return value

    def _star_value(self, module: Module, name: str, depth: int) -> Value | None:
        for stmt in module.bindings["*"]:
            assert isinstance(stmt, ast.ImportFrom)
            target = self.repo.absolute(module, stmt.module, stmt.level)
            found = self.repo.resolve(target, module) if target else None
            if found is not None and name in found.bindings:
                return self.module_name(found, name, depth + 1)
        return None

    def _statement_value(self, stmt: ast.stmt, name: str, scope: Scope, depth: int) -> Value | None:
        module = scope.module
        if isinstance(stmt, ast.ClassDef):
            cls = module.classes.get(stmt.name)
            if cls is None or cls.node is not stmt:  # a class defined inside a function
                cls = _class_of(stmt, module)
            return ClassRef(cls)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            return FuncRef(stmt, module, bound=False)
        if isinstance(stmt, ast.Import):
            return self._import_value(stmt, name, module)
        if isinstance(stmt, ast.ImportFrom):
            return self._from_value(stmt, name, module, depth)
        if isinstance(stmt, ast.AnnAssign):
            return self.annotation(stmt.annotation, scope, depth) if isinstance(stmt.target, ast.Name) else None
        src = _source(stmt, name)
        return self.infer(src, scope, depth + 1) if isinstance(src, ast.expr) else None

    def _import_value(self, stmt: ast.Import, name: str, module: Module) -> Value | None:
        for a in stmt.names:
            if (a.asname or a.name.split(".")[0]) != name:
                continue
            dotted = a.name if a.asname else a.name.split(".")[0]
            return self.module_ref(dotted, module) or External(dotted)
        return None

    def _from_value(self, stmt: ast.ImportFrom, name: str, module: Module, depth: int) -> Value | None:
        target = self.repo.absolute(module, stmt.module, stmt.level)
        for a in stmt.names:
            if (a.asname or a.name) != name or target is None:
                continue
            source = self.module_ref(target, module)
            if source is None:
                return None if stmt.level else External(f"{target}.{a.name}")
            return self.member(source, a.name, depth + 1)
        return None

    def module_ref(self, dotted: str, importer: Module | None) -> ModuleRef | None:
        found = self.repo.resolve(dotted, importer)
        if found is not None:
            return ModuleRef(found, dotted)
        return ModuleRef(None, dotted) if self.repo.is_package(dotted, importer) else None

    # -- expressions -----------------------------------------------------------------------

    def infer(self, expr: ast.expr, scope: Scope, depth: int = 0) -> Value | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id, scope, depth + 1)
        if isinstance(expr, ast.Attribute):
            base = self.infer(expr.value, scope, depth + 1)
            return self.member(base, expr.attr, depth + 1) if base is not None else None
        if isinstance(expr, ast.Call):
            kept = self._returns_self(expr.func, scope, depth + 1)
            return kept if kept is not None else self.call_result(self.infer(expr.func, scope, depth + 1), depth + 1)
        return None

    def _returns_self(self, func: ast.expr, scope: Scope, depth: int) -> Value | None:
        """``model.to(device)``: a known base's method that gives back the object itself."""
        if not isinstance(func, ast.Attribute):
            return None
        base = self.infer(func.value, scope, depth)
        if not isinstance(base, Instance):
            return None
        from .known_bases import known_base

        mro = self.mro(base.cls)
        if any(func.attr in c.methods for c in mro):
            return None
        for c in mro:
            for b in self.bases(c):
                known = known_base(b.qualified) if isinstance(b, External) else None
                if known is not None and func.attr in known.returns_self:
                    return base
        return None

    def annotation(self, expr: ast.expr, scope: Scope, depth: int) -> Value | None:
        """An instance of the class an annotation names (Optional[...] and X | None unwrapped)."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                expr = ast.parse(expr.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name | ast.Attribute) \
                and _last(expr.value) == "Optional":
            expr = expr.slice
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            sides = [s for s in (expr.left, expr.right) if not (isinstance(s, ast.Constant) and s.value is None)]
            if len(sides) != 1:
                return None
            expr = sides[0]
        found = self.infer(expr, scope, depth + 1) if isinstance(expr, ast.Name | ast.Attribute) else None
        return Instance(found.cls) if isinstance(found, ClassRef) else None

    def call_result(self, func: Value | None, depth: int) -> Value | None:
        if isinstance(func, ClassRef):
            return Instance(func.cls, exact=True) if not _custom_new(func.cls) else None
        if isinstance(func, FuncRef) and depth <= MAX_DEPTH:
            return self._returns(func, depth)
        return None

    def _returns(self, func: FuncRef, depth: int) -> Value | None:
        if func.node.decorator_list and _method_kind(func.node) == "method" and func.owner is None:
            return None  # a decorator may return anything
        scope = self.scope_for(func.node, func.module, func.owner)
        if func.node.returns is not None:
            return self.annotation(func.node.returns, scope, depth + 1)
        key = ("returns", id(func.node))
        if key in self._busy:
            return None
        self._busy.add(key)
        try:
            values = [self.infer(r.value, scope, depth + 1) for r in _own_nodes(func.node)
                      if isinstance(r, ast.Return) and r.value is not None]
        finally:
            self._busy.discard(key)
        first = values[0] if values else None
        return first if first is not None and all(same(first, v) for v in values[1:]) else None

    def scope_for(self, node: FunctionNode, module: Module, cls: ClassInfo | None) -> Scope:
        """One Scope per function (and class), built once: collecting a scope walks its body."""
        key = (id(node), id(cls), id(module))
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = Scope(module, node, cls)
        return found

    # -- members ---------------------------------------------------------------------------

    def member(self, base: Value, attr: str, depth: int = 0) -> Value | None:
        if isinstance(base, External):
            return External(f"{base.qualified}.{attr}")
        if isinstance(base, ModuleRef):
            sub = self.module_ref(f"{base.name}.{attr}", base.module)
            if sub is not None:  # a package's attribute named like its submodule is that submodule
                return sub
            if base.module is not None and (attr in base.module.bindings or "*" in base.module.bindings):
                return self.module_name(base.module, attr, depth + 1)
            return None
        if isinstance(base, ClassRef | Instance):
            return self._class_member(base, attr, depth)
        return None

    def _class_member(self, base: ClassRef | Instance, attr: str, depth: int) -> Value | None:
        declared = not (isinstance(base, Instance) and base.exact)
        if declared and any(attr in sub.methods for sub in self.subclasses(base.cls)):
            return None  # a subclass overrides it: which one runs depends on the object
        for cls in self.mro(base.cls):
            method = cls.methods.get(attr)
            if method is not None:
                kind = _method_kind(method)
                if any(_last(d) == "property" for d in method.decorator_list):
                    return None
                bound = kind == "classmethod" or (kind == "method" and isinstance(base, Instance))
                return FuncRef(method, cls.home or _module_stub(cls), bound, owner=cls,
                               via_declared=not (isinstance(base, Instance) and base.exact))
            if attr in cls.attributes:
                if not isinstance(base, Instance):
                    return None
                owners = [cls] + ([s for s in self.subclasses(base.cls) if attr in s.assigned] if declared else [])
                return self._attribute_value(owners, attr, depth)
        return None

    def _attribute_value(self, owners: list[ClassInfo], attr: str, depth: int) -> Value | None:
        """What ``self.attr`` holds, when every assignment (in the class and the subclasses the
        object may be of) says the same; ``self.x = None`` beside ``self.x = Model()`` is optional."""
        assigned = [(expr, method, cls) for cls in owners for expr, method in cls.assigned.get(attr, [])
                    if not (isinstance(expr, ast.Constant) and expr.value is None)]
        if not assigned or depth > MAX_DEPTH or any(cls.home is None for _, _, cls in assigned):
            return None
        key = ("attr", id(owners[0]), attr)
        if key in self._busy:
            return None
        self._busy.add(key)
        try:
            values = [self.infer(expr, self.scope_for(method, cls.home, cls), depth + 1)  # type: ignore[arg-type]
                      for expr, method, cls in assigned]
        finally:
            self._busy.discard(key)
        first = values[0]
        return first if first is not None and all(same(first, v) for v in values[1:]) else None

    def bases(self, cls: ClassInfo) -> list[Value | None]:
        module = cls.home
        if module is None:
            return [None for _ in cls.bases]
        return [self.infer(b, Scope(module), 1) for b in cls.bases]

    def subclasses(self, cls: ClassInfo) -> list[ClassInfo]:
        """Every class of the repository deriving from ``cls`` (directly or not)."""
        if "children" not in self._index:
            children: dict[int, list[ClassInfo]] = {}
            for module in self.repo.files.values():
                for info in _all_classes(module):
                    for base in self.bases(info):
                        if isinstance(base, ClassRef):
                            children.setdefault(id(base.cls), []).append(info)
            self._index["children"] = children
        children = self._index["children"]
        out: list[ClassInfo] = []
        stack = list(children.get(id(cls), []))
        while stack and len(out) < 200:
            c = stack.pop()
            if c not in out:
                out.append(c)
                stack += children.get(id(c), [])
        return out

    def mro(self, cls: ClassInfo) -> list[ClassInfo]:
        """The class and its repository bases, depth first (close enough to C3 for lookups)."""
        out: list[ClassInfo] = []
        stack = [cls]
        while stack and len(out) < 50:
            c = stack.pop(0)
            if c in out:
                continue
            out.append(c)
            stack = [b.cls for b in self.bases(c) if isinstance(b, ClassRef)] + stack
        return out


def _is_annotation(src: ast.AST, scope: Scope) -> bool:
    """Whether a parameter's source is its annotation (not a default value)."""
    node = scope.node
    if node is None:
        return False
    args = node.args
    return any(a.annotation is src for a in args.posonlyargs + args.args + args.kwonlyargs)


def _last(expr: ast.expr) -> str:
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Name):
        return expr.id
    return expr.attr if isinstance(expr, ast.Attribute) else ""


def _custom_new(cls: ClassInfo) -> bool:
    return "__new__" in cls.methods or any(k.arg == "metaclass" for k in cls.node.keywords)


def _class_of(node: ast.ClassDef, module: Module) -> ClassInfo:
    from .repo_model import class_info

    if id(node) not in module.nested:
        info = class_info(node, module.name)
        info.home = module
        module.nested[id(node)] = info
    return module.nested[id(node)]


def _all_classes(module: Module) -> list[ClassInfo]:
    """The module's classes, top-level and nested (as the scopes see them)."""
    out = list(module.classes.values())
    top = {id(c.node) for c in out}
    nodes = derived("class_nodes", module.tree, lambda t: [n for n in ast.walk(t) if isinstance(n, ast.ClassDef)])
    return out + [_class_of(n, module) for n in nodes if id(n) not in top]


def _module_stub(cls: ClassInfo) -> Module:
    return Module(cls.module, "", ast.Module(body=[], type_ignores=[]), False, None)  # type: ignore[arg-type]
