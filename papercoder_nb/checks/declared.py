"""What a repository declares it needs: requirements files, pyproject, setup.cfg/py, conda.

Read from the files a user would install from, so the checker compares imports with
what ``pip install -r requirements.txt`` (or ``pip install .``, or ``conda env create``)
really installs. Only names matter here, not versions.
"""

from __future__ import annotations

import ast
import configparser
import re
import sys
from pathlib import Path

import yaml

from .distributions import normal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, before it joined the standard library
    import tomli as tomllib

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_names(lines: list[str]) -> set[str]:
    """Distribution names from requirement lines ('torch>=2', 'numpy # x', 'git+...#egg=x')."""
    names = set()
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", line)
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*@", line) or (egg if egg else None) or (
            None if "://" in line else _NAME.match(line))
        if m:
            names.add(normal(m.group(1)))
    return names


def _requirements_txt(path: Path, seen: set[Path]) -> set[str]:
    if path in seen or not path.is_file():
        return set()
    seen.add(path)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    names = requirement_names(lines)
    for line in lines:
        m = re.match(r"\s*(?:-r|--requirement)\s*(\S+)", line)
        if m:
            names |= _requirements_txt(path.parent / m.group(1), seen)
    return names


def read_toml(path: Path) -> dict:
    """A TOML file's data; {} when it does not parse (the other checks still run)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return {}


def _pyproject(path: Path) -> set[str]:
    data = read_toml(path)
    project = data.get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += list(extra)
    for group in data.get("dependency-groups", {}).values():
        lines += [g for g in group if isinstance(g, str)]
    poetry = data.get("tool", {}).get("poetry", {})
    names = {normal(k) for k in poetry.get("dependencies", {}) if k != "python"}
    for group in poetry.get("group", {}).values():
        names |= {normal(k) for k in group.get("dependencies", {})}
    return requirement_names(lines) | names


def setuptools_package_dirs(folder: Path) -> dict[str, str]:
    """``[tool.setuptools.package-dir]`` of the folder's pyproject: package -> folder."""
    path = Path(folder) / "pyproject.toml"
    data = read_toml(path) if path.is_file() else {}
    found = data.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _setup_cfg(path: Path) -> set[str]:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (configparser.Error, UnicodeDecodeError):
        return set()
    lines = parser.get("options", "install_requires", fallback="").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            lines += value.splitlines()
    return requirement_names(lines)


def _setup_py(path: Path) -> set[str]:
    """install_requires / extras_require given as literals (or names bound to literals)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return set()
    assigned = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}
    lines: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "extras_require", "requires"):
            value = assigned.get(node.value.id, node.value) if isinstance(node.value, ast.Name) else node.value
            lines += [c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return requirement_names(lines)


def _environment_yml(path: Path) -> set[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return set()
    lines: list[str] = []
    for dep in data.get("dependencies", []) if isinstance(data, dict) else []:
        if isinstance(dep, str):
            lines.append(dep.split("::")[-1].split("=")[0])
        elif isinstance(dep, dict):
            lines += [d for d in dep.get("pip", []) if isinstance(d, str)]
    return requirement_names(lines)


def declared_in(folder: Path) -> set[str] | None:
    """Every distribution the folder's install files name; None when it has none of them."""
    folder = Path(folder)
    found: set[str] = set()
    any_file = False
    seen: set[Path] = set()
    for path in sorted(folder.glob("requirements*.txt")) + sorted(folder.glob("requirements/*.txt")):
        any_file = True
        found |= _requirements_txt(path, seen)
    readers = {"pyproject.toml": _pyproject, "setup.cfg": _setup_cfg, "setup.py": _setup_py,
               "environment.yml": _environment_yml, "environment.yaml": _environment_yml}
    for name, read in readers.items():
        if (folder / name).is_file():
            any_file = True
            found |= read(folder / name)
    return found if any_file else None
