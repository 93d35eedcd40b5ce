"""Parse Python source safely from several threads.

CPython before 3.11.8 / 3.12.1 keeps the AST constructor's recursion counter per
interpreter, not per thread (gh-106905): two threads parsing at once can fail with
``SystemError: AST constructor recursion depth mismatch``. The panel and the runner check
generated code from worker threads, so every parse and byte-compile goes through one lock.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import TypeVar

_LOCK = threading.Lock()
T = TypeVar("T")


def parse_python(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    with _LOCK:
        return ast.parse(source, filename=filename)


@lru_cache(maxsize=64)
def parse_shared(source: str, filename: str = "<unknown>") -> ast.Module:
    """``parse_python``, the tree shared by every caller passing the same text: only for
    readers that never change it (the static checks, which parse every file of the
    session again each time one file is written)."""
    return parse_python(source, filename)


def compile_python(tree: ast.Module, filename: str) -> CodeType:
    """Byte-compile a parsed module (nothing runs)."""
    with _LOCK:
        return compile(tree, filename, "exec", dont_inherit=True)


_DERIVED: dict[tuple[str, int], tuple[ast.Module, object]] = {}
_DERIVED_LOCK = threading.Lock()


def derived(kind: str, tree: ast.Module, compute: Callable[[ast.Module], T]) -> T:
    """``compute(tree)``, kept while ``tree`` is the shared parse of unchanged text.

    The static checks run after every written file over every file of the session; what a
    file alone determines (its undefined names, the config keys it reads) is computed once
    per version of the file. Keyed by the tree object itself, so a changed file (a new
    tree) is computed afresh.
    """
    key = (kind, id(tree))
    with _DERIVED_LOCK:
        hit = _DERIVED.get(key)
    if hit is not None and hit[0] is tree:
        return hit[1]  # type: ignore[return-value]
    value = compute(tree)
    with _DERIVED_LOCK:
        if len(_DERIVED) > 2048:
            _DERIVED.clear()
        _DERIVED[key] = (tree, value)
    return value
