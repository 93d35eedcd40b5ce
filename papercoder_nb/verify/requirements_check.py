"""Third-party imports versus the declared requirements (AST only)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from papercoder_nb.verify.checker import Finding

from ..pyparse import parse_shared

# import name -> distribution name, where they differ (common ML stack only)
_DIST = {"yaml": "pyyaml", "sklearn": "scikit-learn", "cv2": "opencv-python",
         "PIL": "pillow", "skimage": "scikit-image", "bs4": "beautifulsoup4"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> set[str]:
    """Distribution names from requirement lines ('torch>=2', 'numpy # x')."""
    names = set()
    for line in requirements:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if m:
            names.add(_norm(m.group(1)))
    return names


def check_requirements(code_dir: Path, requirements: list[str]) -> list[Finding]:
    code_dir = Path(code_dir)
    local = {p.stem for p in code_dir.rglob("*.py")} | {
        p.name for p in code_dir.rglob("*") if p.is_dir()}
    have = declared(requirements)
    out: list[Finding] = []
    for path in sorted(code_dir.rglob("*.py")):
        rel = path.relative_to(code_dir).as_posix()
        try:
            tree = parse_shared(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top in local or top == "__future__":
                    continue
                dist = _DIST.get(top, top)
                if _norm(dist) not in have:
                    out.append(Finding(rel, node.lineno,
                                       f"third-party package {dist!r} is imported but not required",
                                       "a line in requirements / the logic design's packages"))
    return out
