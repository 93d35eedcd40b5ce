"""Third-party imports versus the declared requirements (AST only).

One finding per package, not per import line: what fixes it is one line in the
requirements. A package is covered when a declared distribution provides its import name
(``yaml`` by PyYAML) or comes with one (``numpy`` with torchvision). Undeclared packages
are warnings: the code may work where they happen to be installed. An import that is
neither in the repository nor provided by anything, but is close to a local module's
name, is an error pointing at the local module: a misspelt import, not a missing package.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import sys
from pathlib import Path

from ..util.pyparse import derived
from .distributions import PROVIDERS, providers, with_dependencies
from .findings import Finding
from .repo_model import Repo, load_repo, optional_imports

_TOOLING = {"setuptools", "pkg_resources", "distutils", "pip", "wheel", "pytest", "_pytest", "__future__"}


def declared(requirements: list[str]) -> set[str]:
    """Distribution names from requirement lines ('torch>=2', 'numpy # x')."""
    from .declared import requirement_names

    return requirement_names(requirements)


def _is_support_file(rel: str) -> bool:
    """Tests, docs and packaging scripts: their imports are development tools, not the code's needs."""
    parts = rel.split("/")
    name = parts[-1]
    return name in ("setup.py", "conftest.py", "noxfile.py", "tasks.py") or name.startswith("test_") \
        or any(p in ("tests", "test", "docs", "doc", "examples") for p in parts[:-1])


def third_party_imports(repo: Repo, support: bool = False) -> dict[str, list[tuple[str, int]]]:
    """Top-level import name -> where it is imported, for names outside the repository
    (in tests, docs and packaging scripts too when ``support``)."""
    local = repo.top_names()
    out: dict[str, list[tuple[str, int]]] = {}
    for rel, module in sorted(repo.files.items()):
        if _is_support_file(rel) and not support:
            continue
        for dotted, line in derived("imports", module.tree, _absolute_imports):
            top = dotted.split(".")[0]
            if top in sys.stdlib_module_names or top in local or top in _TOOLING:
                continue
            key = "google.protobuf" if dotted.startswith("google.protobuf") else top
            out.setdefault(key, []).append((rel, line))
    return out


def _absolute_imports(tree: ast.Module) -> list[tuple[str, int]]:
    """(dotted name, line) of every absolute import not guarded by ``except ImportError``."""
    skip = optional_imports(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.append((node.module, node.lineno))
    return out


def check_requirements(code_dir: Path, requirements: list[str] | None, repo: Repo | None = None,
                       extra: set[str] | None = None) -> list[Finding]:
    """``requirements``: lines from the design (None: read the folder's install files)."""
    repo = repo or load_repo(Path(code_dir))
    have = declared(requirements) if requirements is not None else None
    if extra is not None:
        have = (have or set()) | extra
    covered = with_dependencies(have) if have is not None else set()
    out: list[Finding] = []
    undeclared: dict[str, list[tuple[str, int]]] = {}
    misspelt_names: set[str] = set()
    for name, where in third_party_imports(repo, support=True).items():
        misspelt = None if any(d in covered for d in providers(name)) else _misspelt_local(repo, name)
        if misspelt is not None:
            misspelt_names.add(name)
            out += [Finding(rel, line, f"no module {name!r}: it is not in the repository and no declared "
                            "or installed package provides it", f"the local module {misspelt!r}?")
                    for rel, line in where]
    for name, where in third_party_imports(repo).items():
        if name not in misspelt_names and not any(d in covered for d in providers(name)):
            undeclared[name] = where
    if have is None and undeclared:
        rel, line = next(iter(undeclared.values()))[0]
        names = ", ".join(_dist(n) for n in sorted(undeclared))
        return out + [Finding(rel, line, f"no requirements are declared; the code imports {names}",
                              "a requirements.txt naming them", "warning")]
    for name, where in sorted(undeclared.items()):
        rel, line = where[0]
        more = f" (and {len(where) - 1} more import(s) in {len({r for r, _ in where})} file(s))" if len(where) > 1 else ""
        out.append(Finding(rel, line, f"package {_dist(name)!r} is imported but not declared{more}",
                           "a line in requirements / the logic design's packages", "warning"))
    return out


def _dist(import_name: str) -> str:
    return PROVIDERS.get(import_name, (import_name,))[0]


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _misspelt_local(repo: Repo, name: str) -> str | None:
    """The local module a non-existent import most likely meant, if it is one."""
    if name in PROVIDERS or _installed(name):
        return None
    candidates = sorted({m.split(".")[-1] for m in repo.modules} | repo.top_names())
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    if not close:
        return None
    full = sorted((m for m in repo.modules if m.split(".")[-1] == close[0]), key=len)
    return full[0] if full else close[0]

