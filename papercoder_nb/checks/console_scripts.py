"""Commands a repository installs (console scripts) point at functions that exist.

``pip install .`` writes a ``stylegan2_pytorch`` command that runs
``stylegan2_pytorch.cli:main``; if ``main`` was renamed the install succeeds and the
command fails on first use. Read from setup.py, setup.cfg and pyproject.toml.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

from .declared import read_toml
from .findings import Finding, suggest
from .import_check import exported
from .repo_model import Repo

_TARGET = re.compile(r"^\s*([\w.-]+)\s*=\s*([\w.]+)\s*:\s*([\w.]+)")


def _from_setup_py(path: Path) -> list[tuple[int, str]]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "entry_points":
            out += [(c.lineno, c.value) for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and _TARGET.match(c.value)]
    return out


def _from_setup_cfg(path: Path) -> list[tuple[int, str]]:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (configparser.Error, UnicodeDecodeError):
        return []
    lines = parser.get("options.entry_points", "console_scripts", fallback="").splitlines()
    return [(_line_of(path, line), line) for line in lines if _TARGET.match(line)]


def _from_pyproject(path: Path) -> list[tuple[int, str]]:
    data = read_toml(path)
    tables = [data.get("project", {}).get("scripts", {}), data.get("project", {}).get("gui-scripts", {}),
              data.get("tool", {}).get("poetry", {}).get("scripts", {})]
    out = []
    for table in tables:
        for name, target in table.items() if isinstance(table, dict) else []:
            if isinstance(target, str):
                out.append((_line_of(path, target), f"{name} = {target}"))
    return out


def _line_of(path: Path, text: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if text.strip() and text.strip() in line:
            return n
    return 0


def check_console_scripts(repo: Repo, folder: Path) -> list[Finding]:
    readers = {"setup.py": _from_setup_py, "setup.cfg": _from_setup_cfg, "pyproject.toml": _from_pyproject}
    out: list[Finding] = []
    for name, read in readers.items():
        path = Path(folder) / name
        for line, spec in read(path) if path.is_file() else []:
            m = _TARGET.match(spec)
            assert m is not None
            command, module_name, attr = m.groups()
            module = repo.resolve(module_name)
            if module is None:
                if module_name.split(".")[0] in repo.top_names():
                    out.append(Finding(name, line, f"command {command!r} runs {module_name}:{attr}, but there is "
                                       f"no module {module_name!r}", suggest(module_name, set(repo.modules),
                                                                             "a module of the repository")))
                continue
            names = exported(repo, module)
            first = attr.split(".")[0]
            if names is not None and first not in names:
                out.append(Finding(name, line, f"command {command!r} runs {module_name}:{attr}, which "
                                   f"{module.rel} does not define",
                                   suggest(first, names, "one of: " + ", ".join(sorted(n for n in names if not n.startswith("_"))[:8]))))
    return out
