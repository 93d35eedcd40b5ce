"""Parse Python source safely from several threads.

CPython before 3.11.8 / 3.12.1 keeps the AST constructor's recursion counter per
interpreter, not per thread (gh-106905): two threads parsing at once can fail with
``SystemError: AST constructor recursion depth mismatch``. The panel and the runner check
generated code from worker threads, so every parse and byte-compile goes through one lock.
"""

from __future__ import annotations

import ast
import threading
from functools import lru_cache
from types import CodeType

_LOCK = threading.Lock()


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
