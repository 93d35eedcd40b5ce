"""The rooms keep their order (docs/ARCHITECTURE.md): no import circle, no upward import.

The order is the layers contract in pyproject.toml. import-linter checks it for everything
under papercoder_nb/; widgets/ and prompts/ are mapped into the package from outside that
folder, where import-linter does not look, so an AST reading of every file checks the same
list for them too. Imports inside functions and under TYPE_CHECKING count as imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "papercoder_nb"
# Where each package's files are (pyproject's [tool.setuptools.package-dir]).
FOLDERS = {PACKAGE: ROOT / PACKAGE, f"{PACKAGE}.widgets": ROOT / "widgets", f"{PACKAGE}.prompts": ROOT / "prompts"}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module: dotted name -> (file, is a package's __init__)."""
    out = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if package == PACKAGE and parts[0] in ("widgets", "prompts"):
                continue
            is_init = parts[-1] == "__init__"
            out[".".join([package, *(parts[:-1] if is_init else parts)])] = (path, is_init)
    return out


def _imports(modules: dict[str, tuple[Path, bool]]) -> dict[str, dict[str, int]]:
    """module -> {imported papercoder_nb module: line of the first import}."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_init) in modules.items():
        package = name if is_init else name.rpartition(".")[0]
        out = graph.setdefault(name, {})
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")
                    base = ".".join([*up[: len(up) - node.level + 1], *([base] if base else [])])
                # "from pkg import mod" imports the module pkg.mod; "from mod import name", mod
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                found = known(t) if t.split(".")[0] == PACKAGE else None
                if found and found != name:
                    out.setdefault(found, node.lineno)
    return graph


def _layers() -> list[list[str]]:
    """The contract's layers, bottom first, each a list of rooms (parentheses dropped)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    assert contract["containers"] == [PACKAGE]
    return [[r.strip().strip("()") for r in layer.split("|")] for layer in reversed(contract["layers"])]


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package's own __init__


def _upward(graph: dict[str, dict[str, int]], rank: dict[str, int]) -> list[str]:
    bad = []
    for importer, imported in graph.items():
        for target, line in imported.items():
            a, b = _room(importer), _room(target)
            if a is None or a == b:
                continue  # the package's __init__ re-exports from any room
            if b is None or rank[b] >= rank[a]:
                why = "the package's __init__" if b is None else "a room beside it" if rank[b] == rank[a] else "a room above it"
                bad.append(f"{importer} (line {line}) imports {target}: {why}")
    return bad


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_rooms_keep_their_order_by_import_linter() -> None:
    code = ("import sys\nfrom importlinter.cli import lint_imports\n"
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_the_rooms_keep_their_order_widgets_and_prompts_too() -> None:
    modules = _modules()
    layers = _layers()
    rank = {room: i for i, layer in enumerate(layers) for room in layer}
    rooms = {_room(m) for m in modules} - {None}
    assert not rooms - set(rank), f"rooms missing from the layers contract: {sorted(rooms - set(rank))}"
    upward = _upward(_imports(modules), rank)
    assert not upward, "\n".join(upward)


def test_no_import_circle() -> None:
    cycles = _cycles(_imports(_modules()))
    assert not cycles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_loose_module_at_the_top() -> None:
    loose = sorted(p.name for p in (ROOT / PACKAGE).glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules belong in a room (docs/ARCHITECTURE.md), not at the top: {loose}"


def test_the_checks_see_what_they_should() -> None:
    """The readers above find imports of every kind (a test of the test)."""
    graph = _imports(_modules())
    assert f"{PACKAGE}.session.store" in graph[f"{PACKAGE}.run.runner"]  # relative, at the top
    assert f"{PACKAGE}.util.fsutil" in graph[f"{PACKAGE}.run.runner"]  # also inside a function
    assert f"{PACKAGE}.session.history" in graph[f"{PACKAGE}.widgets.history_box"]  # from pkg import mod
    assert _cycles({"a": {"b": 1}, "b": {"a": 2}}) == [["a", "b"]]
    rank = {"low": 0, "high": 1, "side": 1}
    assert _upward({"p.low.x": {"p.high.y": 3}, "p.high.y": {"p.side.z": 4}, "p.high.z": {"p.low.x": 5}}, rank) == [
        "p.low.x (line 3) imports p.high.y: a room above it",
        "p.high.y (line 4) imports p.side.z: a room beside it",
    ]
