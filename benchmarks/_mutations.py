"""Single cross-file mutations of the real-code corpus, found by AST analysis.

    python benchmarks/_mutations.py [--no-dynamic]

Each Mutation is ONE edit to a copy of a repo (benchmarks/_realcode.py) that breaks the code
at import or run time because a caller in another file (or a config, or a requirement list)
still uses the old form. ``file`` is where the failure shows; ``name`` is the identifier a
correct finding must mention. main() generates them, applies each to a temporary copy (the
edited file must still parse) and, for mutations that fail at import time, confirms the
breakage by importing the module before/after under a stub loader that fakes every
third-party package (no torch needed).
"""

from __future__ import annotations

import ast
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _realcode import fetch  # noqa: E402

CAP_PER_KIND = 3
KINDS = (
    "method_renamed", "method_signature", "attribute_renamed", "constructor_changed",
    "function_renamed", "function_signature", "import_via_init", "relative_import",
    "missing_submodule", "wrong_module_name", "circular_import", "main_missing", "config_key",
    "undeclared_package",
)
IMPORT_TIME_KINDS = {"import_via_init", "relative_import", "missing_submodule",
                     "wrong_module_name", "circular_import"}
# Members a third-party base (nn.Module, Optimizer, LightningModule, ...) may already define:
# renaming a local override of one of these would silently fall back to the base.
BASE_MEMBERS = frozenset("""
train eval to cuda cpu half float double parameters named_parameters buffers named_buffers
children named_children modules named_modules state_dict load_state_dict zero_grad apply
register_buffer register_parameter add_module extra_repr requires_grad_ type share_memory
training step add_param_group training_step validation_step test_step predict_step
configure_optimizers setup teardown prepare_data train_dataloader val_dataloader
test_dataloader predict_dataloader log log_dict save_hyperparameters hparams device dtype
trainer logger backward reset_parameters param_groups defaults state get set update keys
values items copy clear
""".split())
from papercoder_nb.checks.declared import declared_in  # noqa: E402
from papercoder_nb.checks.distributions import normal, with_dependencies  # noqa: E402

# (import name, distribution) pairs used to plant an undeclared third-party import.
UNDECLARED_CANDIDATES = (
    ("einops", "einops"), ("yaml", "PyYAML"), ("sklearn", "scikit-learn"),
    ("cv2", "opencv-python"), ("PIL", "Pillow"), ("scipy", "scipy"), ("pandas", "pandas"),
    ("h5py", "h5py"), ("tqdm", "tqdm"), ("matplotlib", "matplotlib"),
)


@dataclass(frozen=True)
class Mutation:
    kind: str
    repo: str
    description: str
    apply: Callable[[Path], None] = field(repr=False, compare=False)
    file: str  # repo-relative path of the file that will now fail
    name: str  # identifier a correct finding must mention
    module: str = ""  # dotted module of ``file`` (for the dynamic import check), if any


# ----------------------------------------------------------------------------- repo index


@dataclass(frozen=True)
class _Bind:
    module: str  # local dotted module the name comes from
    attr: str | None  # None: the name is bound to the module itself
    star: bool
    top: bool  # unguarded statement at module top level
    node: ast.stmt


@dataclass
class _Mod:
    name: str
    rel: str
    tree: ast.Module
    data: bytes
    is_pkg: bool
    defs: dict[str, ast.AST] = field(default_factory=dict)
    binds: dict[str, _Bind] = field(default_factory=dict)
    stars: list[_Bind] = field(default_factory=list)
    imports: list[tuple[ast.stmt, str, bool]] = field(default_factory=list)  # (stmt, mod, top)


class _Index:
    """Local modules of one repo and how names flow between them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.src_roots = [root / "src"] if (root / "src").is_dir() else []
        self.src_roots.append(root)
        self.mods: dict[str, _Mod] = {}
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel == "setup.py" or "/." in "/" + rel:
                continue
            base = next(r for r in self.src_roots if path.is_relative_to(r))
            parts = list(path.relative_to(base).with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            if is_pkg:
                parts.pop()
            data = path.read_bytes()
            try:
                tree = ast.parse(data)
            except SyntaxError:
                continue
            if parts and all(p.isidentifier() for p in parts):
                self.mods[".".join(parts)] = _Mod(".".join(parts), rel, tree, data, is_pkg)
        self.top_names = {n.split(".")[0] for n in self.mods}
        for mod in self.mods.values():
            self._collect(mod)

    def package_of(self, mod: _Mod) -> str:
        return mod.name if mod.is_pkg else mod.name.rpartition(".")[0]

    def abs_from(self, mod: _Mod, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        parts = self.package_of(mod).split(".") if self.package_of(mod) else []
        if node.level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def _collect(self, mod: _Mod) -> None:
        top_stmts = {id(s) for s in mod.tree.body}
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                if id(node) in top_stmts:
                    mod.defs[node.name] = node
            elif isinstance(node, ast.Import | ast.ImportFrom):
                self._collect_import(mod, node, id(node) in top_stmts)

    def _collect_import(self, mod: _Mod, node: ast.Import | ast.ImportFrom, top: bool) -> None:
        def bind(name: str, b: _Bind) -> None:
            if name not in mod.binds or (b.top and not mod.binds[name].top):
                mod.binds[name] = b

        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in self.top_names:
                    mod.imports.append((node, a.name, top))
                    target = a.name if a.asname else a.name.split(".")[0]
                    bind(a.asname or target, _Bind(target, None, False, top, node))
            return
        src = self.abs_from(mod, node)
        if src is None or src.split(".")[0] not in self.top_names:
            return
        mod.imports.append((node, src, top))
        for a in node.names:
            if a.name == "*":
                mod.stars.append(_Bind(src, None, True, top, node))
            elif f"{src}.{a.name}" in self.mods:
                bind(a.asname or a.name, _Bind(f"{src}.{a.name}", None, False, top, node))
            else:
                bind(a.asname or a.name, _Bind(src, a.name, False, top, node))

    def exports(self, modname: str, name: str) -> bool:
        mod = self.mods.get(modname)
        if mod is None or name.startswith("_"):
            return False
        return name in mod.defs or name in mod.binds or any(
            self.exports(s.module, name) for s in mod.stars if s.module != modname)

    def resolve(self, modname: str, name: str, depth: int = 0) -> tuple[_Mod, ast.AST] | None:
        """The local class/function that ``name`` means inside module ``modname``."""
        mod = self.mods.get(modname)
        if mod is None or depth > 8:
            return None
        if name in mod.defs:
            return mod, mod.defs[name]
        b = mod.binds.get(name)
        if b is not None:
            return self.resolve(b.module, b.attr, depth + 1) if b.attr else None
        for s in mod.stars:
            if s.module != modname and self.exports(s.module, name):
                return self.resolve(s.module, name, depth + 1)
        return None

    def resolve_expr(self, mod: _Mod, expr: ast.AST) -> tuple[_Mod, ast.AST] | None:
        chain: list[str] = []
        while isinstance(expr, ast.Attribute):
            chain.insert(0, expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        if not chain:
            return self.resolve(mod.name, expr.id)
        b = mod.binds.get(expr.id)
        if b is None or b.attr is not None:
            return None
        cur = b.module
        for part in chain[:-1]:
            if f"{cur}.{part}" not in self.mods:
                return None
            cur = f"{cur}.{part}"
        return self.resolve(cur, chain[-1])

    def mro(self, mod: _Mod, cls: ast.ClassDef) -> tuple[list[tuple[_Mod, ast.ClassDef]], bool]:
        """Local classes in (simplified) MRO order, and whether any base is third-party."""
        out, external, todo = [], False, [(mod, cls)]
        while todo:
            m, c = todo.pop(0)
            if any(c is oc for _, oc in out):
                continue
            out.append((m, c))
            for base in c.bases:
                hit = self.resolve_expr(m, base)
                if hit and isinstance(hit[1], ast.ClassDef):
                    todo.append((hit[0], hit[1]))
                elif not (isinstance(base, ast.Name) and base.id == "object"):
                    external = True
        return out, external


# ----------------------------------------------------------------------------- uses


@dataclass(frozen=True)
class _Use:
    kind: str  # meth | inst | attr | ctor | fcall
    user: _Mod
    target: tuple[_Mod, ast.AST]  # class (meth/inst/attr/ctor) or function (fcall)
    member: str
    node: ast.AST


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of one scope, not descending into nested functions or classes."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo.extend(ast.iter_child_nodes(n))


def _class_of(ix: _Index, mod: _Mod, expr: ast.AST | None) -> tuple[_Mod, ast.ClassDef] | None:
    if expr is None:
        return None
    hit = ix.resolve_expr(mod, expr)
    return hit if hit and isinstance(hit[1], ast.ClassDef) else None  # type: ignore[return-value]


def _self_attr_types(ix: _Index, mod: _Mod, cls: ast.ClassDef) -> dict[str, tuple]:
    """``self.x = C(...)`` anywhere in the class: x is a C."""
    types: dict[str, tuple] = {}
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            hit = _class_of(ix, mod, node.value.func)
            for t in node.targets:
                if hit and isinstance(t, ast.Attribute) and _is_self(t.value):
                    types[t.attr] = hit
    return types


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _scope_env(ix: _Index, mod: _Mod, scope: ast.AST) -> dict[str, tuple]:
    env: dict[str, tuple] = {}
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        a = scope.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs:
            hit = _class_of(ix, mod, arg.annotation)
            if hit:
                env[arg.arg] = hit
    for node in _walk_scope(scope):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            hit = _class_of(ix, mod, node.value.func)
            if hit and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                env[node.targets[0].id] = hit
    return env


def _scan_scope(ix: _Index, mod: _Mod, scope: ast.AST, env: dict, attrs: dict) -> list[_Use]:
    def typed(expr: ast.AST) -> tuple | None:
        if isinstance(expr, ast.Name):
            return env.get(expr.id)
        if isinstance(expr, ast.Attribute) and _is_self(expr.value):
            return attrs.get(expr.attr)
        return None

    uses: list[_Use] = []
    funcs = {id(n.func) for n in _walk_scope(scope) if isinstance(n, ast.Call)}
    for node in _walk_scope(scope):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and typed(f.value):
                uses.append(_Use("meth", mod, typed(f.value), f.attr, node))
            elif typed(f):  # calling an nn.Module-style instance runs its forward
                uses.append(_Use("inst", mod, typed(f), "forward", node))
            hit = ix.resolve_expr(mod, f)
            if hit and isinstance(hit[1], ast.ClassDef):
                uses.append(_Use("ctor", mod, hit, hit[1].name, node))
            elif hit and isinstance(hit[1], ast.FunctionDef | ast.AsyncFunctionDef):
                uses.append(_Use("fcall", mod, hit, hit[1].name, node))
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
              and id(node) not in funcs and typed(node.value)):
            uses.append(_Use("attr", mod, typed(node.value), node.attr, node))
    return uses


def _scan_uses(ix: _Index) -> list[_Use]:
    uses: list[_Use] = []
    for name in sorted(ix.mods):
        mod = ix.mods[name]
        uses += _scan_scope(ix, mod, mod.tree, _scope_env(ix, mod, mod.tree), {})
        for cls in [n for n in ast.walk(mod.tree) if isinstance(n, ast.ClassDef)]:
            attrs = _self_attr_types(ix, mod, cls)
            uses += _scan_scope(ix, mod, cls, {}, attrs)
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    uses += _scan_scope(ix, mod, fn, _scope_env(ix, mod, fn), attrs)
        for fn in mod.tree.body:
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                uses += _scan_scope(ix, mod, fn, _scope_env(ix, mod, fn), {})
    return uses


# ----------------------------------------------------------------------------- text edits

_Span = tuple[int, int, bytes, bytes]  # (start, end, old, new) byte offsets in one file


def _offset(data: bytes, lineno: int, col: int) -> int:
    pos = 0
    for _ in range(lineno - 1):
        pos = data.index(b"\n", pos) + 1
    return pos + col


def _edit(data: bytes, spans: list[_Span]) -> bytes:
    for start, end, old, new in sorted(spans, reverse=True):
        if data[start:end] != old:
            raise AssertionError(f"expected {old!r} at {start}, found {data[start:end]!r}")
        data = data[:start] + new + data[end:]
    return data


def _span_apply(rel: str, spans: list[_Span]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.write_bytes(_edit(path.read_bytes(), spans))
    return apply


def _parses(mod: _Mod, spans: list[_Span]) -> bool:
    try:
        ast.parse(_edit(mod.data, spans))
    except (SyntaxError, AssertionError):
        return False
    return True


def _node_span(mod: _Mod, node: ast.AST) -> tuple[int, int]:
    return (_offset(mod.data, node.lineno, node.col_offset),
            _offset(mod.data, node.end_lineno, node.end_col_offset))


def _def_name_span(mod: _Mod, fn: ast.AST, new: str) -> _Span | None:
    line_start = _offset(mod.data, fn.lineno, 0)
    line = mod.data[line_start: mod.data.find(b"\n", line_start)]
    kw = rb"class" if isinstance(fn, ast.ClassDef) else rb"def"
    m = re.search(rb"\b" + kw + rb"\s+(" + fn.name.encode() + rb")\b", line)
    if m is None:
        return None
    return line_start + m.start(1), line_start + m.end(1), fn.name.encode(), new.encode()


def _attr_spans(mod: _Mod, scope: ast.AST, attr: str, new: str) -> list[_Span]:
    """Every ``self.<attr>`` in scope renamed to ``self.<new>``."""
    spans = []
    for n in ast.walk(scope):
        if isinstance(n, ast.Attribute) and n.attr == attr and _is_self(n.value):
            end = _offset(mod.data, n.end_lineno, n.end_col_offset)
            spans.append((end - len(attr), end, attr.encode(), new.encode()))
    return spans


def _add_required(mod: _Mod, fn: ast.FunctionDef, pname: str) -> _Span | None:
    """Insert a required keyword-only parameter into fn's signature."""
    a = fn.args
    if a.posonlyargs:
        return None
    if a.kwonlyargs:
        end_node, text = (a.kw_defaults[-1] or a.kwonlyargs[-1]), f", {pname}"
    elif a.vararg:
        end_node, text = a.vararg, f", {pname}"
    elif a.args:
        end_node, text = (a.defaults[-1] if a.defaults else a.args[-1]), f", *, {pname}"
    else:
        return None
    pos = _node_span(mod, end_node)[1]
    return pos, pos, b"", text.encode()


def _remove_param(mod: _Mod, fn: ast.FunctionDef, pname: str) -> list[_Span] | None:
    """Drop a defaulted parameter, keeping the body valid by assigning its default."""
    a = fn.args
    pairs = list(zip(a.args[len(a.args) - len(a.defaults):], a.defaults, strict=True))
    pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None]
    hit = next(((k, d) for k, d in pairs if k.arg == pname), None)
    if hit is None or a.kwarg is not None or len(fn.body) < 1:
        return None
    start, end = _node_span(mod, hit[0])[0], _node_span(mod, hit[1])[1]
    after = re.match(rb"\s*,[ \t]*(\n[ \t]*)?", mod.data[end:])
    if after:
        end += after.end()
    else:
        before = re.search(rb",\s*$", mod.data[:start])
        if before is None:
            return None
        start = before.start()
    body = fn.body
    anchor = body[1] if _is_docstring(body[0]) and len(body) > 1 else body[0]
    if _is_docstring(anchor) or anchor.lineno == fn.lineno:
        return None
    line_start = _offset(mod.data, anchor.lineno, 0)
    indent = mod.data[line_start: line_start + anchor.col_offset]
    if indent.strip():
        return None
    assign = indent + f"{pname} = {ast.unparse(hit[1])}\n".encode()
    return [(start, end, mod.data[start:end], b""), (line_start, line_start, b"", assign)]


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


def _head_insert(mod: _Mod, line: str) -> _Span | None:
    """Insert a line before the first statement that is not a docstring or __future__."""
    for stmt in mod.tree.body:
        if _is_docstring(stmt) or (isinstance(stmt, ast.ImportFrom)
                                   and stmt.module == "__future__"):
            continue
        if stmt.col_offset:
            return None
        pos = _offset(mod.data, getattr(stmt, "decorator_list", [stmt])[0].lineno
                      if getattr(stmt, "decorator_list", None) else stmt.lineno, 0)
        return pos, pos, b"", (line + "\n").encode()
    return None


def _misspell(name: str) -> str:
    if len(name) > 2 and name.endswith("s"):
        return name[:-1] + "z"
    if len(name) > 2 and name[-1] != name[-2]:
        return name[:-2] + name[-1] + name[-2]
    return name + "x"


# ----------------------------------------------------------------------------- generators

_Cand = tuple[tuple, Mutation]  # (dedupe/sort key, mutation)


def _mut(ix: _Index, kind: str, desc: str, apply: Callable[[Path], None], where: _Mod | str,
         name: str) -> Mutation:
    if isinstance(where, _Mod):
        return Mutation(kind, ix.root.name, desc, apply, where.rel, name, where.name)
    return Mutation(kind, ix.root.name, desc, apply, where, name, "")


def _plain_call(call: ast.AST) -> bool:
    """A call whose arguments are all spelled out (no *args / **kwargs expansion)."""
    return isinstance(call, ast.Call) and not any(
        isinstance(a, ast.Starred) for a in call.args) and all(k.arg for k in call.keywords)


def _methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}


def _class_names(cls: ast.ClassDef) -> set[str]:
    names = set(_methods(cls))
    for s in cls.body:
        if isinstance(s, ast.Assign):
            names |= {t.id for t in s.targets if isinstance(t, ast.Name)}
        elif isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
            names.add(s.target.id)
    return names


def _method_owner(ix: _Index, use: _Use) -> tuple[_Mod, ast.ClassDef, ast.FunctionDef] | None:
    """The one local class that defines the method a cross-file call ends up in."""
    chain, external = ix.mro(*use.target)
    m = use.member
    owners = [(mm, c) for mm, c in chain if m in _methods(c)]
    if len(owners) != 1 or m.startswith("__") or (external and m in BASE_MEMBERS):
        return None
    if use.kind == "inst" and (not external or any("__call__" in _methods(c) for _, c in chain)):
        return None  # only nn.Module-style instances route a call to forward
    mm, cls = owners[0]
    fn = _methods(cls)[m]
    if mm is use.user or any(isinstance(d, ast.Name) and d.id == "property"
                             for d in fn.decorator_list):
        return None
    return mm, cls, fn


def _gen_methods(ix: _Index, uses: list[_Use]) -> list[_Cand]:
    out: list[_Cand] = []
    for use in uses:
        if use.kind not in ("meth", "inst"):
            continue
        hit = _method_owner(ix, use)
        if hit is None:
            continue
        mm, cls, fn = hit
        new = f"{fn.name}_v2"
        spans = [_def_name_span(mm, fn, new)] + _attr_spans(mm, cls, fn.name, new)
        if None not in spans and new not in _class_names(cls) and _parses(mm, spans):
            desc = (f"{mm.rel}: method {cls.name}.{fn.name} renamed to {new}; "
                    f"{use.user.rel}:{use.node.lineno} still calls it")
            out.append((("method_renamed", mm.rel, cls.name, fn.name),
                        _mut(ix, "method_renamed", desc, _span_apply(mm.rel, spans), use.user,
                             fn.name)))
        if use.kind == "meth" and _plain_call(use.node):
            out += _signature_cands(ix, "method_signature", mm, fn, use, f"{cls.name}.{fn.name}")
    return out


def _signature_cands(ix: _Index, kind: str, mod: _Mod, fn: ast.FunctionDef, use: _Use,
                     label: str, name: str = "") -> list[_Cand]:
    """fn gains a required keyword-only parameter, or loses one the caller passes."""
    out: list[_Cand] = []
    name = name or fn.name
    add = _add_required(mod, fn, "extra_arg")
    if add and _parses(mod, [add]):
        desc = (f"{mod.rel}: {label} gains required keyword-only parameter extra_arg; "
                f"{use.user.rel}:{use.node.lineno} does not pass it")
        out.append(((kind, mod.rel, label, "add"),
                    _mut(ix, kind, desc, _span_apply(mod.rel, [add]), use.user, name)))
    for kw in use.node.keywords:
        spans = _remove_param(mod, fn, kw.arg)
        if spans and _parses(mod, spans):
            desc = (f"{mod.rel}: parameter {kw.arg} removed from {label}; "
                    f"{use.user.rel}:{use.node.lineno} still passes {kw.arg}=")
            out.append(((kind, mod.rel, label, "drop", kw.arg),
                        _mut(ix, kind, desc, _span_apply(mod.rel, spans), use.user, name)))
            break
    return out


def _attr_owner(ix: _Index, use: _Use) -> tuple[_Mod, ast.ClassDef] | None:
    chain, external = ix.mro(*use.target)
    a = use.member
    if a.startswith("__") or (external and a in BASE_MEMBERS):
        return None
    if any(a in _class_names(c) for _, c in chain):
        return None  # a class-level name would still answer after the rename
    setters = [(m, c) for m, c in chain if _attr_spans(m, c, a, a) and any(
        isinstance(t, ast.Attribute) and t.attr == a and _is_self(t.value)
        for s in ast.walk(_methods(c).get("__init__", ast.Pass()))
        if isinstance(s, ast.Assign | ast.AnnAssign)
        for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]
    stores = [(m, c) for m, c in chain if any(
        isinstance(n, ast.Attribute) and n.attr == a and _is_self(n.value)
        and isinstance(n.ctx, ast.Store) for n in ast.walk(c))]
    if len(setters) != 1 or len(stores) != 1 or setters[0][0] is use.user:
        return None
    return setters[0]


def _gen_attrs(ix: _Index, uses: list[_Use]) -> list[_Cand]:
    out: list[_Cand] = []
    for use in uses:
        if use.kind != "attr":
            continue
        hit = _attr_owner(ix, use)
        if hit is None:
            continue
        mm, cls = hit
        new = f"{use.member}_v2"
        spans = _attr_spans(mm, cls, use.member, new)
        if new in _class_names(cls) or not _parses(mm, spans):
            continue
        desc = (f"{mm.rel}: attribute self.{use.member} of {cls.name} renamed to self.{new}; "
                f"{use.user.rel}:{use.node.lineno} still reads .{use.member}")
        out.append((("attribute_renamed", mm.rel, cls.name, use.member),
                    _mut(ix, "attribute_renamed", desc, _span_apply(mm.rel, spans), use.user,
                         use.member)))
    return out


def _is_dataclass(cls: ast.ClassDef) -> bool:
    for d in cls.decorator_list:
        d = d.func if isinstance(d, ast.Call) else d
        if (isinstance(d, ast.Name) and d.id == "dataclass") or (
                isinstance(d, ast.Attribute) and d.attr == "dataclass"):
            return True
    return False


def _dataclass_spans(mod: _Mod, cls: ast.ClassDef, call: ast.Call) -> list[tuple[str, list]]:
    """('add', spans) adds a required first field; ('drop', spans) demotes a passed field."""
    fields = [s for s in cls.body
              if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
    out: list[tuple[str, list]] = []
    if fields:
        pos = _offset(mod.data, fields[0].lineno, 0)
        indent = mod.data[pos: pos + fields[0].col_offset]
        out.append(("add", [(pos, pos, b"", indent + b"extra_field: int\n")]))
    passed = {k.arg for k in call.keywords}
    for s in fields:
        if s.target.id in passed and s.value is not None and s.lineno == s.end_lineno:
            start = _node_span(mod, s)[0]
            stop = _node_span(mod, s.value)[0]
            old = mod.data[start:stop]
            out.append(("drop", [(start, stop, old, f"{s.target.id} = ".encode())]))
            break
    return out


def _gen_ctors(ix: _Index, uses: list[_Use]) -> list[_Cand]:
    out: list[_Cand] = []
    for use in uses:
        mm, cls = use.target
        if use.kind != "ctor" or mm is use.user or not _plain_call(use.node):
            continue
        if not (cls.bases or _is_dataclass(cls)):
            continue
        init = _methods(cls).get("__init__")
        if init is not None:
            out += _signature_cands(ix, "constructor_changed", mm, init, use,
                                    f"{cls.name}.__init__", cls.name)
        elif _is_dataclass(cls) and not ix.mro(mm, cls)[0][1:]:
            for variant, spans in _dataclass_spans(mm, cls, use.node):
                if not _parses(mm, spans):
                    continue
                what = ("gains required field extra_field" if variant == "add"
                        else "field passed by the caller turned into a plain class attribute")
                desc = f"{mm.rel}: dataclass {cls.name} {what}; {use.user.rel}:{use.node.lineno}"
                out.append((("constructor_changed", mm.rel, cls.name, variant),
                            _mut(ix, "constructor_changed", desc, _span_apply(mm.rel, spans),
                                 use.user, cls.name)))
    return out


def _failing_importer(ix: _Index, use: _Use) -> _Mod:
    """Where renaming the used function first fails: the explicit importer nearest to it."""
    func = use.node.func
    if not isinstance(func, ast.Name):
        return use.user  # m.f(...): AttributeError at the call site
    cur, name, explicit = use.user, func.id, []
    for _ in range(8):
        b = cur.binds.get(name)
        if b is not None and b.attr:
            explicit.append(cur)
            cur, name = ix.mods[b.module], b.attr
        else:
            star = next((s for s in cur.stars if ix.exports(s.module, name)), None)
            if star is None or star.module not in ix.mods:
                break
            cur = ix.mods[star.module]
        if cur is use.target[0]:
            break
    return explicit[-1] if explicit else use.user


def _gen_functions(ix: _Index, uses: list[_Use]) -> list[_Cand]:
    out: list[_Cand] = []
    for use in uses:
        fm, fn = use.target
        if use.kind != "fcall" or fm is use.user or fn.name.startswith("_"):
            continue
        new = f"{fn.name}_v2"
        spans = [_def_name_span(fm, fn, new)]
        for n in ast.walk(fm.tree):
            if isinstance(n, ast.Name) and n.id == fn.name:
                spans.append((*_node_span(fm, n), fn.name.encode(), new.encode()))
            elif isinstance(n, ast.Constant) and n.value == fn.name:  # __all__ entries
                start, end = _node_span(fm, n)
                spans.append((start + 1, end - 1, fn.name.encode(), new.encode()))
        if None not in spans and new not in fm.defs and _parses(fm, spans):
            where = _failing_importer(ix, use)
            desc = (f"{fm.rel}: function {fn.name} renamed to {new}; "
                    f"{use.user.rel}:{use.node.lineno} still calls it (fails in {where.rel})")
            out.append((("function_renamed", fm.rel, fn.name),
                        _mut(ix, "function_renamed", desc, _span_apply(fm.rel, spans), where,
                             fn.name)))
        if _plain_call(use.node):
            out += _signature_cands(ix, "function_signature", fm, fn, use, fn.name)
    return out


def _stmt_span(mod: _Mod, stmt: ast.AST, new: str) -> _Span:
    start, end = _node_span(mod, stmt)
    return start, end, mod.data[start:end], new.encode()


def _gen_init_reexports(ix: _Index) -> list[_Cand]:
    out: list[_Cand] = []
    for pkg in (m for _, m in sorted(ix.mods.items()) if m.is_pkg):
        for stmt in pkg.tree.body:
            if not isinstance(stmt, ast.ImportFrom) or any(a.name == "*" for a in stmt.names):
                continue
            for alias in stmt.names:
                bound = alias.asname or alias.name
                b = pkg.binds.get(bound)
                if f"{pkg.name}.{bound}" in ix.mods or bound in pkg.defs or b is None or (
                        b.node is not stmt):
                    continue
                users = [m for _, m in sorted(ix.mods.items()) if m is not pkg and any(
                    isinstance(s, ast.ImportFrom) and ix.abs_from(m, s) == pkg.name
                    and any(a.name == bound for a in s.names) for s in m.tree.body)]
                if not users:
                    continue
                rest = [a for a in stmt.names if a is not alias]
                new = ast.unparse(ast.ImportFrom(stmt.module, rest, stmt.level)) if rest else "pass"
                span = _stmt_span(pkg, stmt, new)
                if not _parses(pkg, [span]):
                    continue
                desc = (f"{pkg.rel}: re-export of {bound} dropped; {users[0].rel} still does "
                        f"`from {pkg.name} import {bound}`")
                out.append((("import_via_init", pkg.rel, bound),
                            _mut(ix, "import_via_init", desc, _span_apply(pkg.rel, [span]),
                                 users[0], bound)))
    return out


def _gen_relative(ix: _Index) -> list[_Cand]:
    out: list[_Cand] = []
    for mod in (m for _, m in sorted(ix.mods.items())):
        for stmt in mod.tree.body:
            src = ix.abs_from(mod, stmt) if isinstance(stmt, ast.ImportFrom) else None
            if src is None or not stmt.level or src not in ix.mods:
                continue
            seg_start = _node_span(mod, stmt)[0]
            if stmt.module:
                last = stmt.module.split(".")[-1]
                bad = _misspell(last)
                m = re.match(rb"from\s+\.+" + re.escape(stmt.module.encode()) + rb"\b",
                             mod.data[seg_start:])
                if m and f"{src.rpartition('.')[0]}.{bad}" not in ix.mods:
                    pos = seg_start + m.end() - len(last)
                    span = (pos, pos + len(last), last.encode(), bad.encode())
                    desc = (f"{mod.rel}: `from {'.' * stmt.level}{stmt.module}` -> ...{bad} "
                            "(no such module)")
                    out.append((("relative_import", mod.rel, stmt.lineno, "module"),
                                _mut(ix, "relative_import", desc, _span_apply(mod.rel, [span]),
                                     mod, bad)))
            alias = next((a for a in stmt.names if a.name != "*"
                          and f"{src}.{a.name}" not in ix.mods), None)
            if alias is None:
                continue
            bad = _misspell(alias.name)
            if ix.exports(src, bad) or bad in ix.mods[src].defs:
                continue
            pos = _offset(mod.data, alias.lineno, alias.col_offset)
            span = (pos, pos + len(alias.name), alias.name.encode(), bad.encode())
            desc = f"{mod.rel}: relative import of {alias.name} from {src} misspelt as {bad}"
            out.append((("relative_import", mod.rel, stmt.lineno, "name"),
                        _mut(ix, "relative_import", desc, _span_apply(mod.rel, [span]), mod, bad)))
    return out


def _rename_apply(rel: str, new_rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        src, dst = root / rel, root / new_rel
        if not src.is_file() or dst.exists():
            raise AssertionError(f"cannot rename {rel} -> {new_rel}")
        src.rename(dst)
    return apply


def _gen_missing(ix: _Index) -> list[_Cand]:
    out: list[_Cand] = []
    for x in (m for _, m in sorted(ix.mods.items())):
        if x.is_pkg or x.rel.endswith("__main__.py") or "." not in x.name:
            continue
        importers = [m for _, m in sorted(ix.mods.items()) if m is not x and (
            any(src == x.name and top for _, src, top in m.imports)
            or any(b.module == x.name and b.attr is None and b.top for b in m.binds.values()))]
        if not importers:
            continue
        new_rel = x.rel[:-3] + "_old.py"
        base = x.name.rsplit(".", 1)[-1]
        desc = f"{x.rel} renamed to {new_rel}; {importers[0].rel} still imports {x.name}"
        out.append((("missing_submodule", x.rel),
                    _mut(ix, "missing_submodule", desc, _rename_apply(x.rel, new_rel),
                         importers[0], base)))
    return out


def _gen_wrong_module(ix: _Index) -> list[_Cand]:
    out: list[_Cand] = []
    for mod in (m for _, m in sorted(ix.mods.items())):
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
                dotted, start = stmt.module, _node_span(mod, stmt)[0]
                m = re.match(rb"from\s+" + re.escape(dotted.encode()) + rb"\b", mod.data[start:])
                pos = start + m.end() if m else None
            elif isinstance(stmt, ast.Import) and len(stmt.names) == 1:
                dotted = stmt.names[0].name
                a = stmt.names[0]
                pos = _offset(mod.data, a.lineno, a.col_offset) + len(dotted)
            else:
                continue
            if dotted.split(".")[0] not in ix.top_names or pos is None:
                continue
            last = dotted.split(".")[-1]
            bad = _misspell(last)
            if ".".join(dotted.split(".")[:-1] + [bad]) in ix.mods or bad in ix.top_names:
                continue
            span = (pos - len(last), pos, last.encode(), bad.encode())
            desc = f"{mod.rel}:{stmt.lineno}: local module {dotted} misspelt as ...{bad}"
            out.append((("wrong_module_name", mod.rel, stmt.lineno),
                        _mut(ix, "wrong_module_name", desc, _span_apply(mod.rel, [span]), mod,
                             bad)))
    return out


def _gen_circular(ix: _Index) -> list[_Cand]:
    out: list[_Cand] = []
    for b in (m for _, m in sorted(ix.mods.items())):
        for stmt in b.tree.body:
            src = ix.abs_from(b, stmt) if isinstance(stmt, ast.ImportFrom) else None
            a = ix.mods.get(src or "")
            if a is None or a is b or any(x.name == "*" for x in stmt.names):
                continue
            if not any(x.name in a.defs for x in stmt.names):
                continue
            if any(s == b.name for _, s, _ in a.imports) or any(
                    bd.module == b.name for bd in a.binds.values()):
                continue  # already mutually importing: nothing new to break
            late = sorted(n for n, d in b.defs.items()
                          if d.lineno > stmt.lineno and not n.startswith("_"))
            span = _head_insert(a, f"from {b.name} import {late[0]}") if late else None
            if span is None or not _parses(a, [span]):
                continue
            desc = (f"{a.rel}: added `from {b.name} import {late[0]}` at the top, but "
                    f"{b.rel} already imports from {a.name} before defining {late[0]}")
            out.append((("circular_import", a.rel, b.rel),
                        _mut(ix, "circular_import", desc, _span_apply(a.rel, [span]), a,
                             b.name.rsplit(".", 1)[-1])))
    return out


def _entry_points(root: Path) -> list[tuple[str, str, str]]:
    """(declaring file, module, function) for console scripts the sdist declares."""
    found = []
    for rel in ("setup.py", "setup.cfg", "pyproject.toml"):
        path = root / rel
        if path.is_file():
            for m in re.finditer(r"=\s*([A-Za-z_][\w.]*):([A-Za-z_]\w*)", path.read_text()):
                found.append((rel, m.group(1), m.group(2)))
    return found


def _gen_main(ix: _Index) -> list[_Cand]:
    targets: dict[tuple[str, str], str] = {}  # (module, function) -> failing file
    for mod in (m for _, m in sorted(ix.mods.items())):
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.If) and "__name__" in ast.unparse(stmt.test) and (
                    "__main__" in ast.unparse(stmt.test)):
                for n in ast.walk(stmt):
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and isinstance(
                            mod.defs.get(n.func.id), ast.FunctionDef):
                        targets.setdefault((mod.name, n.func.id), mod.rel)
    for decl, modname, func in _entry_points(ix.root):
        if modname in ix.mods and isinstance(ix.mods[modname].defs.get(func), ast.FunctionDef):
            targets.setdefault((modname, func), decl)
    out: list[_Cand] = []
    for (modname, func), where in sorted(targets.items()):
        mod = ix.mods[modname]
        span = _def_name_span(mod, mod.defs[func], f"{func}_v2")
        if span is None or f"{func}_v2" in mod.defs:
            continue
        desc = f"{mod.rel}: entry function {func} renamed to {func}_v2; {where} still calls {func}"
        m = _mut(ix, "main_missing", desc, _span_apply(mod.rel, [span]),
                 mod if where == mod.rel else where, func)
        out.append((("main_missing", mod.rel, func), m))
    return out


_TOP_KEY = re.compile(rb"^([A-Za-z_]\w*)[ \t]*:", re.M)


def _yaml_groups(root: Path) -> dict[str, Path]:
    """Config group -> its default option file (Hydra layout: <group>/default.yaml)."""
    return {p.parent.name: p for p in sorted(root.rglob("default.yaml"))}


def _gen_config(ix: _Index) -> list[_Cand]:
    groups = _yaml_groups(ix.root)
    all_yaml = b"\n".join(p.read_bytes() for p in sorted(ix.root.rglob("*.y*ml")))
    literals = {n.value for m in ix.mods.values() for n in ast.walk(m.tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    out: list[_Cand] = []
    for mod in (m for _, m in sorted(ix.mods.items())):
        for n in ast.walk(mod.tree):
            if not (isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
                    and isinstance(n.value, ast.Attribute) and isinstance(n.value.value, ast.Name)):
                continue
            root_name, group, key = n.value.value.id, n.value.attr, n.attr
            if not re.search("cfg|conf", root_name, re.I) or group not in groups:
                continue
            if key.startswith("_") or key in literals:  # .get("key") / "key" in cfg: guarded
                continue
            if f"{group}.{key}}}".encode() in all_yaml:  # interpolated elsewhere in the config
                continue
            path = groups[group]
            data = path.read_bytes()
            hits = [m for m in _TOP_KEY.finditer(data) if m.group(1) == key.encode()]
            if len(hits) != 1:
                continue
            rel = path.relative_to(ix.root).as_posix()
            span = (hits[0].start(1), hits[0].end(1), key.encode(), f"{key}_renamed".encode())
            desc = (f"{rel}: key {key} renamed to {key}_renamed; {mod.rel}:{n.lineno} reads "
                    f"{root_name}.{group}.{key}")
            out.append((("config_key", rel, key),
                        _mut(ix, "config_key", desc, _span_apply(rel, [span]), mod, key)))
    return out


def _declared_text(root: Path) -> str:
    files = ["setup.py", "setup.cfg", "pyproject.toml", *sorted(
        p.relative_to(root).as_posix() for p in root.glob("*requirements*.txt"))]
    files += [p.relative_to(root).as_posix() for p in sorted(root.rglob("requires.txt"))]
    return "\n".join((root / f).read_text(errors="replace") for f in files
                     if (root / f).is_file()).lower()


def _gen_undeclared(ix: _Index) -> list[_Cand]:
    declared = _declared_text(ix.root)
    imported = {a.name.split(".")[0] for m in ix.mods.values() for n in ast.walk(m.tree)
                if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for m in ix.mods.values() for n in ast.walk(m.tree)
                 if isinstance(n, ast.ImportFrom) and n.module and not n.level}
    # a package a declared one installs (PyYAML with accelerate) is there: importing it works
    brought = with_dependencies(declared_in(ix.root) or set())
    free = [(imp, dist) for imp, dist in UNDECLARED_CANDIDATES if imp not in imported
            and not re.search(rf"(?<![\w-]){re.escape(dist.lower())}(?![\w-])", declared)
            and imp.lower() not in declared and normal(dist) not in brought]
    hosts = sorted((m for m in ix.mods.values() if not m.is_pkg and "test" not in m.rel),
                   key=lambda m: (-len(m.data), m.rel))
    out: list[_Cand] = []
    for (imp, dist), host in zip(free, hosts[:3], strict=False):
        span = _head_insert(host, f"import {imp}")
        if span is None or not _parses(host, [span]):
            continue
        desc = f"{host.rel}: added `import {imp}`; {dist} is not a declared requirement"
        out.append((("undeclared_package", host.rel, dist),
                    _mut(ix, "undeclared_package", desc, _span_apply(host.rel, [span]), host,
                         dist)))
    return out


def mutations(repo: Path) -> list[Mutation]:
    """Deterministic single-edit mutations of one repo, at most CAP_PER_KIND per kind."""
    ix = _Index(repo)
    uses = _scan_uses(ix)
    cands = (_gen_methods(ix, uses) + _gen_attrs(ix, uses) + _gen_ctors(ix, uses)
             + _gen_functions(ix, uses) + _gen_init_reexports(ix) + _gen_relative(ix)
             + _gen_missing(ix) + _gen_wrong_module(ix) + _gen_circular(ix) + _gen_main(ix)
             + _gen_config(ix) + _gen_undeclared(ix))
    by_kind: dict[str, dict[tuple, Mutation]] = defaultdict(dict)
    for key, mut in cands:
        by_kind[mut.kind].setdefault(tuple(map(str, key)), mut)  # first use wins
    picked: list[Mutation] = []
    for kind in KINDS:
        keys = sorted(by_kind[kind])
        rng = random.Random(f"{repo.name}/{kind}")  # seeded: same corpus, same benchmark
        chosen = sorted(rng.sample(keys, min(CAP_PER_KIND, len(keys))))
        picked += [by_kind[kind][k] for k in chosen]
    return picked


# ----------------------------------------------------------------------------- dynamic check

# Runs in a fresh interpreter: argv = [module, third-party names, source roots...]. Every
# third-party top-level name the clean repo imports gets a permissive fake module, so the
# repo's own import graph executes for real without torch & co installed; any other unknown
# name (a misspelt local module) still fails as it would for a user.
_STUB_RUNNER = r'''
import abc, importlib, importlib.abc, importlib.machinery, sys, types

module, third_party, roots = sys.argv[1], set(sys.argv[2].split(",")), sys.argv[3:]
sys.path[:0] = roots

class Any:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return Any()
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Any()
    def __mro_entries__(self, bases):  # subclassing a fake base (nn.Module, Function, ...)
        return (StubMeta("Stub", (), {"__init__": lambda s, *a, **k: None,
                                      "__init_subclass__": classmethod(lambda c, **k: None)}),)
    def __getitem__(self, k): return Any()
    def __iter__(self): return iter(())
    def __len__(self): return 0
    def __bool__(self): return True
    def __int__(self): return 0
    __index__ = __int__
    def __float__(self): return 0.0
    def __fspath__(self): return "stub"
    def __str__(self): return "stub"
    def __format__(self, spec): return "stub"
    def __enter__(self): return self
    def __exit__(self, *a): return False
    def __eq__(self, other): return self is other
    __hash__ = object.__hash__
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def _op(self, *a): return Any()
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _op
    __rtruediv__ = __floordiv__ = __pow__ = __rpow__ = __mod__ = __neg__ = __matmul__ = _op
    __or__ = __ror__ = __and__ = __rand__ = __invert__ = _op

class StubMeta(abc.ABCMeta):  # class attributes of a fake base: Function.apply etc.
    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Any()

class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name == "__version__":
            return "99.0.0"
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = Any()
        setattr(self, name, value)
        return value

class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] not in third_party:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        mod = StubModule(spec.name)
        mod.__path__ = []
        return mod
    def exec_module(self, module):
        pass

sys.meta_path.insert(0, Finder())
importlib.import_module(module)
'''


def _third_party(root: Path) -> list[str]:
    """Top-level names the clean repo imports that are neither local nor stdlib."""
    ix = _Index(root)
    names = set()
    for mod in ix.mods.values():
        for n in ast.walk(mod.tree):
            if isinstance(n, ast.Import):
                names |= {a.name.split(".")[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                names.add(n.module.split(".")[0])
    return sorted(names - ix.top_names - set(sys.stdlib_module_names))


def _import_ok(roots: list[Path], module: str, third: list[str]) -> tuple[bool, str]:
    """Does ``module`` import under stubs? (ok, last line of the error)."""
    cmd = [sys.executable, "-I", "-c", _STUB_RUNNER, module, ",".join(third), *map(str, roots)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              cwd=str(roots[-1]))
    except subprocess.TimeoutExpired:
        return False, "timeout"
    tail = (proc.stderr.strip().splitlines() or [""])[-1]
    return proc.returncode == 0, tail


def _src_roots(root: Path) -> list[Path]:
    return ([root / "src"] if (root / "src").is_dir() else []) + [root]


def check(root: Path, muts: list[Mutation], dynamic: bool) -> Counter:
    """Apply each mutation to a copy; count parse failures and dynamic confirmations."""
    stats: Counter = Counter()
    baseline: dict[str, tuple[bool, str]] = {}
    third = _third_party(root)
    with tempfile.TemporaryDirectory() as tmp:
        for i, mut in enumerate(muts):
            copy = Path(tmp) / f"m{i}" / root.name
            shutil.copytree(root, copy)
            mut.apply(copy)
            target = copy / mut.file
            if mut.file.endswith(".py") and target.is_file():
                ast.parse(target.read_bytes())  # no mutation is meant to be a syntax error
            stats["applied"] += 1
            if not (dynamic and mut.module) or mut.kind == "undeclared_package":
                continue  # a planted import of an absent package proves nothing here
            if mut.module not in baseline:
                baseline[mut.module] = _import_ok(_src_roots(root), mut.module, third)
            if not baseline[mut.module][0]:
                stats["clean import fails (skipped)"] += 1
                continue
            ok, tail = _import_ok(_src_roots(copy), mut.module, third)
            expected = mut.kind in IMPORT_TIME_KINDS
            if not ok:
                stats["confirmed (import now fails)"] += 1
                stats["confirmed " + ("import-time" if expected else "other") + " kinds"] += 1
            elif expected:
                stats["NOT confirmed import-time"] += 1
                print(f"  ! not confirmed: {mut.kind} {mut.repo} {mut.description}")
            else:
                stats["imports fine (fails at run time)"] += 1
            shutil.rmtree(copy.parent)
    return stats


def main() -> int:
    dynamic = "--no-dynamic" not in sys.argv[1:]
    kinds: Counter = Counter()
    total: Counter = Counter()
    for root in fetch():
        muts = mutations(root)
        per = Counter(m.kind for m in muts)
        kinds += per
        stats = check(root, muts, dynamic)
        total += stats
        print(f"{root.name:<34} {len(muts):>3} mutations  "
              + " ".join(f"{k}={v}" for k, v in sorted(per.items())))
        for k, v in sorted(stats.items()):
            if k.startswith(("clean", "NOT")):
                print(f"    {k}: {v}")
    print("\nper kind:")
    for kind in KINDS:
        print(f"  {kind:<20} {kinds[kind]:>3}")
    print(f"  {'total':<20} {sum(kinds.values()):>3}")
    print("\nchecks:")
    for k, v in sorted(total.items()):
        print(f"  {k:<36} {v:>3}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
