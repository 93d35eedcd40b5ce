"""No module over 500 lines, no function over 60 (issue 23): a long one is split by what it
does, not by where a line count falls.

Lines are counted as the AST does: a module's lines, a function's ``end_lineno - lineno + 1``
(its signature, docstring and body; methods and nested functions count on their own).
Every file under ``papercoder_nb/`` and ``widgets/`` counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (ROOT / "papercoder_nb", ROOT / "widgets")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# What may stay longer for now, each with its reason: "path" for a module, "path:function"
# for a function (its name; a method as Class.method).
ALLOWED: dict[str, str] = {}


def _files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in folder.rglob("*.py"))


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines) of every function, methods and nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            yield name, node.end_lineno - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def _too_long() -> list[tuple[str, int, int]]:
    """(key, lines, limit) of every module and function over its limit."""
    out = []
    for path in _files():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            out.append((rel, lines, MAX_MODULE_LINES))
        for name, n in _functions(ast.parse(text, rel)):
            if n > MAX_FUNCTION_LINES:
                out.append((f"{rel}:{name}", n, MAX_FUNCTION_LINES))
    return out


def test_no_module_or_function_is_too_long() -> None:
    over = [f"{key}: {n} lines (at most {limit})" for key, n, limit in _too_long() if key not in ALLOWED]
    assert not over, (
        "split these by what they do (docs/ARCHITECTURE.md for modules), or, when that cannot "
        "be done yet, add them to ALLOWED with the reason:\n" + "\n".join(over)
    )


def test_the_allow_list_holds_only_what_is_still_too_long() -> None:
    """An entry that was split, renamed or removed leaves the list, so it cannot grow back."""
    still = {key for key, _, _ in _too_long()}
    assert not sorted(set(ALLOWED) - still), f"no longer too long (remove from ALLOWED): {sorted(set(ALLOWED) - still)}"
