"""Names used but never defined, found by pyflakes (PyCQA's checker, scopes done right).

Why pyflakes: it models Python's scoping (comprehensions, class bodies, globals,
conditional and deleted names) and is small, pure Python and well kept; writing that
again would only add false alarms. Only its undefined-name messages are used: the rest
(unused imports, style) is not a fault of the seams between files.
"""

from __future__ import annotations

import ast

from pyflakes import checker as pyflakes_checker
from pyflakes import messages

from ..util.pyparse import derived
from .findings import Finding
from .repo_model import Module

_ALIASES = {"np": "import numpy as np", "pd": "import pandas as pd", "plt": "import matplotlib.pyplot as plt",
            "F": "import torch.nn.functional as F", "nn": "from torch import nn", "tf": "import tensorflow as tf"}


def check_undefined(module: Module) -> list[Finding]:
    if "*" in module.bindings or derived("dynamic_names", module.tree, _defines_dynamically):
        return []  # names may come from a star import or exec(): pyflakes cannot know either
    return [Finding(module.rel, line, f"name {name!r} is not defined",
                    _ALIASES.get(name, f"an import or definition of {name!r} before it is used"))
            for line, name in derived("undefined", module.tree, _undefined)]


def _undefined(tree: ast.Module) -> list[tuple[int, str]]:
    found = pyflakes_checker.Checker(tree)
    return [(m.lineno, m.message_args[0]) for m in found.messages
            if isinstance(m, messages.UndefinedName | messages.UndefinedLocal)]


def _defines_dynamically(tree: ast.Module) -> bool:
    """``exec(open("version.py").read())``, ``globals().update(...)``: names made at run time."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("exec", "execfile"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update" \
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) \
                and node.func.value.func.id in ("globals", "locals", "vars"):
            return True
    return False
