"""The entry point exists and its argparse parser accepts the smoke arguments (AST only)."""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

from papercoder_nb.checks.checker import Finding

from ..util.pyparse import parse_shared


def _option_strings(tree: ast.Module) -> set[str] | None:
    """Every literal option of add_argument calls; None if options are built dynamically."""
    options: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "add_argument":
            for arg in node.args:
                if not isinstance(arg, ast.Constant):
                    return None  # cannot know: no false alarm
                if str(arg.value).startswith("-"):
                    options.add(str(arg.value))
    return options


def check_entry(code_dir: Path, entry: str, smoke_args: list[str]) -> list[Finding]:
    path = Path(code_dir) / entry
    if not path.is_file():
        names = [p.name for p in Path(code_dir).glob("*.py")]
        close = difflib.get_close_matches(entry, names, n=1)
        return [Finding(entry, 0, "the entry point does not exist",
                        f"did you mean {close[0]!r}?" if close else "a file in code/")]
    try:
        tree = parse_shared(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return []  # the signature checker reports it
    options = _option_strings(tree)
    attrs = {n.attr if isinstance(n, ast.Attribute) else n.id for n in ast.walk(tree)
             if isinstance(n, (ast.Attribute, ast.Name))}
    if options is None or "ArgumentParser" not in attrs or "parse_known_args" in attrs:
        return []  # no argparse parser (arguments are ignored or read by hand), or lenient
    out = []
    for arg in smoke_args:
        flag = arg.split("=", 1)[0]
        if not flag.startswith("--"):
            continue
        # argparse accepts an unambiguous prefix of a long option
        if flag not in options and sum(o.startswith(flag) for o in options) != 1:
            close = difflib.get_close_matches(flag, sorted(options), n=1)
            out.append(Finding(entry, 0, f"smoke argument {flag!r} is not accepted by the parser",
                               f"one of {', '.join(sorted(options))}" if not close
                               else f"did you mean {close[0]!r}?"))
    return out
