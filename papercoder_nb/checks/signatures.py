"""The arguments a call must bind to, and whether a given call binds (AST only).

Functions and methods (the first parameter dropped when Python passes it), constructors
(own ``__init__``, a repository base's, a dataclass's fields, a known base's empty one),
and instances called like functions (``__call__``, or ``forward`` for torch modules).
Decorators that may change a signature (``@hydra.main``, ``@click.command``, a local
wrapper) make it unknown: a call is checked only where Python's binding is certain.
"""

from __future__ import annotations

import ast

from .infer import ClassRef, External, FuncRef, Instance, Resolver, Value, _last, _method_kind
from .known_bases import known_base
from .repo_model import ClassInfo, FunctionNode

# Decorators that keep the function's signature as written
TRANSPARENT = {"staticmethod", "classmethod", "abstractmethod", "lru_cache", "cache", "wraps",
               "no_grad", "inference_mode", "enable_grad", "unused", "export", "ignore",
               "override", "final", "cached_property", "rank_zero_only", "total_ordering"}


def _empty() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                         kwarg=None, defaults=[])


def _drop_first(args: ast.arguments) -> ast.arguments:
    if args.posonlyargs:
        return ast.arguments(posonlyargs=args.posonlyargs[1:], args=args.args, vararg=args.vararg,
                             kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults,
                             kwarg=args.kwarg, defaults=args.defaults)
    if not args.args:
        return args if args.vararg else _empty()
    kept = args.args[1:]
    defaults = args.defaults[-len(kept):] if kept and args.defaults else []
    return ast.arguments(posonlyargs=[], args=kept, vararg=args.vararg, kwonlyargs=args.kwonlyargs,
                         kw_defaults=args.kw_defaults, kwarg=args.kwarg, defaults=defaults)


def function_signature(node: FunctionNode, bound: bool) -> ast.arguments | None:
    if any(_last(d) not in TRANSPARENT for d in node.decorator_list):
        return None
    if any(_last(d) == "property" for d in node.decorator_list):
        return None
    return _drop_first(node.args) if bound else node.args


def signature_of(value: Value | None, resolver: Resolver) -> ast.arguments | None:
    """What calling ``value`` binds to; None when it cannot be known."""
    if isinstance(value, FuncRef):
        if value.owner is not None and value.via_declared and _open(value.owner, resolver):
            return None  # a declared type (a Protocol, an ABC from elsewhere): implementations differ
        bound = value.bound or (_method_kind(value.node) == "classmethod" and value.owner is not None)
        return function_signature(value.node, bound)
    if isinstance(value, ClassRef):
        return constructor(value.cls, resolver)
    if isinstance(value, Instance):
        if not value.exact and any(n in sub.methods for sub in resolver.subclasses(value.cls)
                                   for n in ("__call__", "forward")):
            return None  # a subclass may be called differently
        target = call_method(value.cls, resolver)
        return function_signature(target, True) if target is not None else None
    return None


def _open(cls: ClassInfo, resolver: Resolver) -> bool:
    return members(resolver, cls) is None


def call_method(cls: ClassInfo, resolver: Resolver) -> FunctionNode | None:
    """The method calling an instance runs: ``__call__``, or e.g. nn.Module's ``forward``."""
    mro = resolver.mro(cls)
    for c in mro:
        if "__call__" in c.methods:
            return c.methods["__call__"]
    for c in mro:
        for base in resolver.bases(c):
            known = known_base(base.qualified) if isinstance(base, External) else None
            if known and known.call_method:
                return next((k.methods[known.call_method] for k in mro if known.call_method in k.methods), None)
    return None


def missing_call_method(value: Instance, resolver: Resolver) -> str | None:
    """The method calling this object would run but no class defines (nn.Module's forward)."""
    mro = resolver.mro(value.cls)
    if any("__call__" in c.methods for c in mro):
        return None
    for c in mro:
        for base in resolver.bases(c):
            known = known_base(base.qualified) if isinstance(base, External) else None
            if known and known.call_method:
                name = known.call_method
                classes = mro + ([] if value.exact else resolver.subclasses(value.cls))
                return None if any(name in k.methods for k in classes) else name
    return None


def constructor(cls: ClassInfo, resolver: Resolver) -> ast.arguments | None:
    node = cls.node
    if "__new__" in cls.methods or any(k.arg == "metaclass" for k in node.keywords):
        return None
    dataclass = [d for d in node.decorator_list if _last(d) == "dataclass"]
    if any(_last(d) != "dataclass" for d in node.decorator_list):
        return None
    if "__init__" in cls.methods:
        return function_signature(cls.methods["__init__"], True)
    if dataclass:
        return _dataclass_init(cls, dataclass[0], resolver)
    for base in resolver.bases(cls):
        if isinstance(base, ClassRef):
            return constructor(base.cls, resolver)
        known = known_base(base.qualified) if isinstance(base, External) else None
        if known is None or not known.init_free:
            return None
    return _empty()


def _dataclass_init(cls: ClassInfo, decorator: ast.expr, resolver: Resolver) -> ast.arguments | None:
    """The ``__init__`` @dataclass writes: fields in order, own after inherited ones."""
    if isinstance(decorator, ast.Call) and any(
            k.arg == "init" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in decorator.keywords):
        return None
    kw_only = isinstance(decorator, ast.Call) and any(
        k.arg == "kw_only" and isinstance(k.value, ast.Constant) and k.value.value is True for k in decorator.keywords)
    fields: dict[str, tuple[bool, bool]] = {}  # name -> (has default, keyword only)
    for c in reversed(resolver.mro(cls)):
        if not any(_last(d) == "dataclass" for d in c.node.decorator_list):
            if c is not cls and c.node.body and any(isinstance(s, ast.AnnAssign) for s in c.node.body):
                return None
            continue
        fields.update(_fields(c.node, kw_only if c is cls else False))
    args = [ast.arg(n) for n, (_, kw) in fields.items() if not kw]
    kwonly = [ast.arg(n) for n, (_, kw) in fields.items() if kw]
    with_default = [n for n, (d, kw) in fields.items() if d and not kw]
    defaults = [ast.Constant(None) for _ in with_default]
    if with_default and [a.arg for a in args[-len(with_default):]] != with_default:
        return None  # defaults before required fields: the class would not even define
    return ast.arguments(posonlyargs=[], args=args, vararg=None, kwonlyargs=kwonly,
                         kw_defaults=[ast.Constant(None) if fields[a.arg][0] else None for a in kwonly],
                         kwarg=None, defaults=defaults)


def _fields(node: ast.ClassDef, kw_only: bool) -> dict[str, tuple[bool, bool]]:
    out: dict[str, tuple[bool, bool]] = {}
    for stmt in node.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        ann = ast.unparse(stmt.annotation)
        if "ClassVar" in ann:
            continue
        if "KW_ONLY" in ann:
            kw_only = True
            continue
        default, init, kw = stmt.value is not None, True, kw_only
        if isinstance(stmt.value, ast.Call) and _last(stmt.value.func) == "field":
            keys = {k.arg: k.value for k in stmt.value.keywords}
            default = "default" in keys or "default_factory" in keys
            init = not (isinstance(keys.get("init"), ast.Constant) and keys["init"].value is False)
            if isinstance(keys.get("kw_only"), ast.Constant):
                kw = bool(keys["kw_only"].value)
        if init:
            out[stmt.target.id] = (default, kw)
    return out


def bind_problem(sig: ast.arguments, call: ast.Call) -> str | None:
    """Why ``call`` cannot bind to ``sig`` (as Python would raise TypeError), or None."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None  # *seq / **mapping: cannot know
    positional = [a.arg for a in sig.posonlyargs + sig.args]
    n_required = len(positional) - len(sig.defaults)
    if len(call.args) > len(positional) and sig.vararg is None:
        return f"takes at most {len(positional)} positional arguments, got {len(call.args)}"
    bound = set(positional[: len(call.args)])
    keyword_ok = {a.arg for a in sig.args} | {a.arg for a in sig.kwonlyargs}
    for kw in call.keywords:
        if kw.arg not in keyword_ok and sig.kwarg is None:
            return f"has no parameter {kw.arg!r}"
        bound.add(kw.arg)
    missing = [p for p in positional[:n_required] if p not in bound]
    missing += [a.arg for a, d in zip(sig.kwonlyargs, sig.kw_defaults, strict=True) if d is None and a.arg not in bound]
    return f"missing argument(s) {', '.join(missing)}" if missing else None


def members(resolver: Resolver, cls: ClassInfo, exact: bool = True) -> set[str] | None:
    """Every attribute instances of ``cls`` can have; None when the class is open.

    Not exact (``self``, an annotated parameter): the object may be of any subclass, so
    their attributes count too (a base class may use what its subclasses define).
    """
    out: set[str] = set()
    for sub in ([] if exact else resolver.subclasses(cls)):
        more = members(resolver, sub)
        if more is None:
            return None
        out |= more
    for c in resolver.mro(cls):
        if c.dynamic or any(_decorator_name(d) not in ("dataclass", *TRANSPARENT) for d in c.node.decorator_list):
            return None
        if any(k.arg == "metaclass" for k in c.node.keywords):
            return None
        out |= c.attributes
        for base in resolver.bases(c):
            if isinstance(base, ClassRef):
                continue
            known = known_base(base.qualified) if isinstance(base, External) else None
            if known is None:
                return None
            out |= known.members
    return out | set(known_base("object").members)  # type: ignore[union-attr]


def _decorator_name(d: ast.expr) -> str:
    return _last(d)
