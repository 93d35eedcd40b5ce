"""What a repository's Python files define and how their imports resolve (AST only).

The checker's model of the code, built once per check: modules by dotted name (from
every folder Python could put on ``sys.path``: the repository root, ``src/``, and each
folder of scripts), what each module binds at top level and in which order (circular
imports depend on it), its classes with their methods, attributes and bases, and how a
module's imports (absolute or relative) map to other modules of the repository.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from ..util.pyparse import derived, parse_shared

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# folders of build output, installed copies and caches, not the repository's source
_NOT_SOURCE = {"__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "history"}


@dataclass
class ClassInfo:
    name: str
    module: str
    node: ast.ClassDef
    bases: list[ast.expr]
    methods: dict[str, FunctionNode] = field(default_factory=dict)
    # names bound on the class or on ``self`` anywhere in its methods
    attributes: set[str] = field(default_factory=set)
    # self.x = <expr> in a method: the expressions, with the method they are in
    assigned: dict[str, list[tuple[ast.expr, FunctionNode]]] = field(default_factory=dict)
    dynamic: bool = False  # __getattr__, setattr(self, ...), __dict__: any attribute may exist
    home: Module | None = None  # the module that defines it


@dataclass
class Module:
    name: str  # dotted, from its root
    rel: str  # path relative to the checked folder
    tree: ast.Module
    is_package: bool
    root: Path
    # top-level name -> the statements binding it, in source order
    bindings: dict[str, list[ast.stmt]] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    open: bool = False  # star import of an unknown module or module __getattr__: any name may exist
    optional: set[int] = field(default_factory=set)  # ids of imports guarded by except ImportError
    nested: dict[int, ClassInfo] = field(default_factory=dict)  # classes defined inside functions

    def first_line(self, name: str) -> int:
        found = self.bindings.get(name)
        return found[0].lineno if found else 0


@dataclass
class Repo:
    folder: Path
    by_root: dict[Path, dict[str, Module]]  # root -> dotted name -> module
    files: dict[str, Module]  # rel path -> module
    syntax_errors: list[tuple[str, int, str]]
    roots: list[Path]

    _cache: dict[object, object] = field(default_factory=dict)

    @property
    def modules(self) -> dict[str, Module]:
        """Every dotted name a module is reachable by (the first root wins a clash)."""
        if "modules" not in self._cache:
            out: dict[str, Module] = {}
            for root in self.roots:
                for name, m in self.by_root.get(root, {}).items():
                    out.setdefault(name, m)
            self._cache["modules"] = out
        return self._cache["modules"]  # type: ignore[return-value]

    def packages(self, root: Path | None = None) -> set[str]:
        """Dotted names of packages, regular and namespace (folders of modules)."""
        key = ("packages", root)
        if key not in self._cache:
            names = self.by_root.get(root, {}) if root else self.modules
            out = {n for n, m in names.items() if m.is_package}
            for name in names:
                parts = name.split(".")
                out |= {".".join(parts[:i]) for i in range(1, len(parts))}
            self._cache[key] = out
        return self._cache[key]  # type: ignore[return-value]

    def top_names(self) -> set[str]:
        if "tops" not in self._cache:
            self._cache["tops"] = {n.split(".")[0] for n in self.modules} | {
                n.split(".")[0] for n in self.packages()}
        return self._cache["tops"]  # type: ignore[return-value]

    def search_roots(self, importer: Module | None) -> list[Path]:
        first = [importer.root] if importer is not None else []
        return first + [r for r in self.roots if r not in first]

    def resolve(self, name: str, importer: Module | None = None) -> Module | None:
        """The module an absolute dotted import names, from the importer's own root first."""
        for root in self.search_roots(importer):
            m = self.by_root.get(root, {}).get(name)
            if m is not None:
                return m
        return None

    def is_package(self, name: str, importer: Module | None = None) -> bool:
        return any(name in self.packages(r) for r in self.search_roots(importer))

    def absolute(self, importer: Module, module: str | None, level: int) -> str | None:
        """The dotted name a (possibly relative) ``from`` import refers to."""
        if not level:
            return module
        base = importer.name.split(".")
        if not importer.is_package:
            base = base[:-1]
        if level - 1 > len(base):
            return None
        base = base[: len(base) - (level - 1)]
        return ".".join([*base, *([module] if module else [])])


def _dotted(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _roots(folder: Path, files: list[Path]) -> list[Path]:
    """Folders Python may import from: the folder, src/, and each folder of scripts.

    A script run as ``python scripts/train.py`` has ``scripts/`` on its path, so a folder
    without ``__init__.py`` holding modules is a root too (besides being a namespace package).
    """
    roots = [folder]
    if (folder / "src").is_dir():
        roots.append(folder / "src")
    for d in sorted({p.parent for p in files}):
        if d not in roots and not _in_package(d):
            roots.append(d)
    return roots


def load_repo(folder: Path) -> Repo:
    folder = Path(folder)
    paths = sorted(p for p in folder.rglob("*.py") if p.is_file() and not any(
        part.startswith(".") or part in _NOT_SOURCE for part in p.relative_to(folder).parts[:-1]))
    # a package given itself: its modules are named from the folder above it
    roots = [folder.parent] if (folder / "__init__.py").is_file() else _roots(folder, paths)
    repo = Repo(folder, {}, {}, [], roots)
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:  # removed or unreadable since it was listed: not part of this check
            continue
        try:
            tree = parse_shared(text, filename=rel)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", 0) or 0
            repo.syntax_errors.append((rel, line, getattr(exc, "msg", str(exc))))
            tree = None
        own_root = _own_root(path, roots)
        module = Module(_dotted(own_root, path), rel, tree or ast.Module(body=[], type_ignores=[]),
                        path.name == "__init__.py", own_root)
        _index(module)
        module.open = module.open or tree is None  # it exists; what it defines is unknown until it parses
        repo.files[rel] = module
        for root in roots:  # reachable from every root above it
            if path.is_relative_to(root):
                repo.by_root.setdefault(root, {})[_dotted(root, path)] = module
    _mapped_packages(repo, folder)
    _path_roots(repo, folder)
    return repo


def _path_roots(repo: Repo, folder: Path) -> None:
    """Folders a module puts on ``sys.path`` itself (``sys.path.insert(0, "src")``) are roots too."""
    added = []
    for module in repo.files.values():
        for text in derived("sys_path", module.tree, _sys_path_texts):
            for base in (folder, (folder / module.rel).parent):
                d = (base / text).resolve()
                if d.is_dir() and d.is_relative_to(folder.resolve()) and d not in repo.roots and d not in added:
                    added.append(d)
    for root in added:
        repo.roots.append(root)
        for module in repo.files.values():
            path = (folder / module.rel).resolve()
            if path.is_relative_to(root):
                repo.by_root.setdefault(root, {})[_dotted(root, path)] = module


def _sys_path_texts(tree: ast.Module) -> list[str]:
    """String literals a module adds to ``sys.path`` (insert/append/extend or a slice)."""
    out = []
    for node in ast.walk(tree):
        target = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("insert", "append", "extend") else \
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(target, ast.Subscript):
            target = target.value
        if target is not None and isinstance(target, ast.Attribute) and ast.unparse(target) == "sys.path":
            out += [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return out


def _mapped_packages(repo: Repo, folder: Path) -> None:
    """setuptools' ``package-dir``: a package installed from a folder of another name."""
    from .declared import setuptools_package_dirs

    for dotted, where in setuptools_package_dirs(folder).items():
        base = (folder / where).resolve()
        for module in list(repo.files.values()):
            path = (folder / module.rel).resolve()
            if dotted and path.is_relative_to(base):
                inner = _dotted(base, path)
                name = f"{dotted}.{inner}" if inner else dotted
                repo.by_root.setdefault(folder, {})[name] = module
                module.name, module.root = name, folder


def _in_package(d: Path) -> bool:
    """A package folder, or a folder of modules inside one (a namespace subpackage)."""
    return (d / "__init__.py").exists() or (d.parent / "__init__.py").exists()


def _own_root(path: Path, roots: list[Path]) -> Path:
    """The root a module is imported from: above its topmost package folder."""
    d = path.parent
    while _in_package(d) and d.parent != d:
        d = d.parent
    while d not in roots and d.parent != d:
        d = d.parent
    return d if d in roots else roots[0]


def _index(module: Module) -> None:
    module.optional = derived("optional_imports", module.tree, optional_imports)
    for stmt in top_level(module.tree.body):
        for name in bound_names(stmt):
            module.bindings.setdefault(name, []).append(stmt)
        if isinstance(stmt, ast.ClassDef):
            info = module.classes.setdefault(stmt.name, class_info(stmt, module.name))
            info.home = module
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            module.bindings.setdefault("*", []).append(stmt)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "__getattr__":
            module.open = True


def top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements run at import, in order: into if/try/with/for bodies, not into defs."""
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.If):  # typing-only imports do not run
            typing_only = "TYPE_CHECKING" in ast.unparse(stmt.test)
            out += (top_level(stmt.body) if not typing_only else []) + top_level(stmt.orelse)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            out += top_level(stmt.body) + top_level(stmt.orelse) + top_level(stmt.finalbody)
            for h in stmt.handlers:
                out += top_level(h.body)
        elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            out += top_level(stmt.body) + top_level(stmt.orelse if hasattr(stmt, "orelse") else [])
    return out


def bound_names(stmt: ast.stmt) -> list[str]:
    """Names one statement binds in its own scope (not in nested ones)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    if isinstance(stmt, ast.Import):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    if isinstance(stmt, ast.ImportFrom):
        return [a.asname or a.name for a in stmt.names if a.name != "*"]
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    elif isinstance(stmt, ast.For | ast.AsyncFor):
        targets = [stmt.target]
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    elif isinstance(stmt, ast.Try | ast.TryStar):
        return [h.name for h in stmt.handlers if h.name]
    return [n for t in targets for n in target_names(t)]  # (walrus targets: the scope collects them)


def target_names(target: ast.expr) -> list[str]:
    """Names an assignment target binds: ``a, (b, *c)`` yes; ``self.x`` and ``d[k]`` bind none."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in target_names(e)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


_CLASSES: dict[int, tuple[ast.ClassDef, ClassInfo]] = {}


def class_info(node: ast.ClassDef, module: str) -> ClassInfo:
    """What a class defines and sets; read once per class of a parsed (shared) tree, and
    returned as a fresh object (``home`` differs per check), its tables shared read-only."""
    hit = _CLASSES.get(id(node))
    if hit is None or hit[0] is not node:
        if len(_CLASSES) > 20_000:
            _CLASSES.clear()
        hit = _CLASSES[id(node)] = (node, _read_class(node, module))
    raw = hit[1]
    return ClassInfo(raw.name, module, node, raw.bases, raw.methods, raw.attributes, raw.assigned, raw.dynamic)


def _read_class(node: ast.ClassDef, module: str) -> ClassInfo:
    info = ClassInfo(node.name, module, node, list(node.bases))
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            info.methods[item.name] = item
            info.attributes.add(item.name)
            if item.name in ("__getattr__", "__getattribute__"):
                info.dynamic = True
        else:
            info.attributes |= set(bound_names(item))
    for method in info.methods.values():
        _self_attributes(info, method)
    return info


def _self_attributes(info: ClassInfo, method: FunctionNode) -> None:
    """Attributes a method sets on its instance (``self.x = ...``, ``setattr(self, ...)``)."""
    args = method.args.posonlyargs + method.args.args
    if not args:
        return
    me = args[0].arg
    for node in ast.walk(method):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.For | ast.With | ast.comprehension):
            targets = [getattr(node, "target", None)] if not isinstance(node, ast.With) else \
                [i.optional_vars for i in node.items if i.optional_vars is not None]
        for t in targets:
            for n in ast.walk(t) if t is not None else []:
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == me:
                    info.attributes.add(n.attr)
                    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None and n is t:
                        info.assigned.setdefault(n.attr, []).append((node.value, method))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "setattr", "vars") or isinstance(node, ast.Attribute) and node.attr == "__dict__":
            info.dynamic = True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "register_buffer", "register_parameter", "add_module", "register_module") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                info.attributes.add(first.value)
            else:
                info.dynamic = True


_OPTIONAL = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def optional_imports(tree: ast.Module) -> set[int]:
    """ids of import statements inside a try whose handler catches a failed import."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try | ast.TryStar) and any(_catches_import(h) for h in node.handlers):
            for stmt in node.body:
                out |= {id(n) for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom)}
    return out


def _catches_import(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = [handler.type] if not isinstance(handler.type, ast.Tuple) else handler.type.elts
    return any(isinstance(n, ast.Name) and n.id in _OPTIONAL for n in names)
