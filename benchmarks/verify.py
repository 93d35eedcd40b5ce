"""The static checker, measured twice in one run.

1. Seeded faults in the bundled example session: copies it once per fault, injects one,
   runs check_session and counts the faults caught; the clean copy must give no finding.
   Prints a per-kind table and `seeded: caught=X/N false_alarms=Y`.
2. Real code (``verify_real.py``): 16 working repositories nobody here wrote and 300
   mutations of the kinds models get wrong. Its last line is this script's last line:
   `caught=X/N false_alarms=Y/M repos_flagged=R/M`.
Run: python benchmarks/verify.py   (part 2 alone: python benchmarks/verify_real.py)
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from papercoder_nb.checks.check import check_session  # noqa: E402

EXAMPLE = ROOT / "examples/neural-audio-style-transfer/session"
REAL = Path("/work/shared/papers/transformer/papercoder-run-claude37")

Fault = tuple[str, str, Callable[[Path], None]]


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count))


def _importer(code: Path, module: str) -> Path:
    return next(p for p in sorted(code.glob("*.py"))
                if f"from {module} import" in p.read_text())


def _add_required_kwonly(path: Path, name: str) -> None:
    """The callee gains a required keyword-only parameter its callers don't pass."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            node.args.kwonlyargs.append(ast.arg("extra_required"))
            node.args.kw_defaults.append(None)
    path.write_text(ast.unparse(tree))


def _imported_names() -> list[tuple[str, str]]:
    """(module, name) pairs one example file imports from another."""
    code = EXAMPLE / "code"
    local = {p.stem for p in code.glob("*.py")}
    pairs = set()
    for p in code.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in local:
                pairs |= {(node.module, a.name) for a in node.names}
    return sorted(pairs)


def faults() -> list[Fault]:
    out: list[Fault] = []
    for mod, name in _imported_names():
        kw = "class" if name[0].isupper() else "def"
        out.append(("renamed_def", f"{mod}.{name}",
                    lambda c, m=mod, n=name, k=kw: _edit(c / f"{m}.py", f"{k} {n}", f"{k} {n}_v2")))
        if kw == "def":
            out.append(("wrong_arity", f"{mod}.{name}",
                        lambda c, m=mod, n=name: _add_required_kwonly(c / f"{m}.py", n)))
    main = (EXAMPLE / "code/main.py").read_text()
    for key in sorted(set(re.findall(r'cfg\["(\w+)"\]', main))):
        out.append(("missing_config_key", key,
                    lambda c, k=key: _edit(c / "main.py", f'cfg["{k}"]', f'cfg["{k}_x"]')))
    for mod in sorted({m for m, _ in _imported_names()}):
        out.append(("missing_module", mod,
                    lambda c, m=mod: _edit(_importer(c, m), f"from {m} import",
                                           f"from {m}_lib import")))
    for i, pkg in enumerate(["torch", "scipy", "pandas", "librosa", "sklearn"]):
        files = sorted((EXAMPLE / "code").glob("*.py"))
        target = files[i % len(files)].name
        out.append(("unrequired_package", f"{pkg} in {target}",
                    lambda c, p=pkg, t=target: _edit(c / t, "import numpy as np",
                                                     f"import numpy as np\nimport {p}")))
    out.append(("bad_entry_point", "entry_point",
                lambda c: _edit(c.parent / "planning/logic.json", '"entry_point": "main.py"',
                                '"entry_point": "run.py"')))
    out.append(("bad_smoke_args", "smoke_args",
                lambda c: _edit(c / "main.py", '"--smoke"', '"--quick"')))
    return out


def main() -> None:
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean"
        shutil.copytree(EXAMPLE, clean)
        false_alarms = check_session(clean)
        for i, (kind, label, inject) in enumerate(faults()):
            copy = Path(tmp) / f"f{i}"
            shutil.copytree(EXAMPLE, copy)
            inject(copy / "code")
            caught = bool(check_session(copy))
            per_kind[kind][0] += caught
            per_kind[kind][1] += 1
            if not caught:
                print(f"missed: {kind} {label}")
    print(f"{'kind':<22}{'caught':>8}{'seeded':>8}")
    for kind, (c, n) in sorted(per_kind.items()):
        print(f"{kind:<22}{c:>8}{n:>8}")
    total_c = sum(c for c, _ in per_kind.values())
    total_n = sum(n for _, n in per_kind.values())
    for f in false_alarms:
        print(f"false alarm: {f}")
    print(f"hand-written example: {len(false_alarms)} finding(s)")
    if (REAL / "code").is_dir():
        real = check_session(REAL)
        print(f"real PaperCoder run: {len(real)} finding(s)")
        for f in real:
            print(f"  {f}")
    else:
        print(f"real PaperCoder run: {REAL} holds no code folder (planning/analysis only); "
              "nothing to check")
    print(f"seeded: caught={total_c}/{total_n} false_alarms={len(false_alarms)}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from verify_real import main as real_code

    real_code()


if __name__ == "__main__":
    main()
