"""``requirements.txt`` from the logic design's package list, checked against the imports.

Models list packages loosely ("pytorch", "sklearn", "os", "numpy (>=1.20)") and forget
ones the code imports. The check reads every file's imports (AST; a line pattern when a
file does not parse), drops the standard library and the repository's own modules, maps
import names to distributions (``sklearn`` → ``scikit-learn``) and reports both kinds of
mismatch. Imported-but-unlisted packages are added (the code will not run otherwise);
listed-but-unimported ones are kept (they may be loaded indirectly) and reported.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from ..util.pyparse import parse_python

# Import name -> distribution name, where they differ (or where models often get it wrong).
IMPORT_TO_DIST: dict[str, str] = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "PIL": "Pillow",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "attr": "attrs",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "serial": "pyserial",
    "usb": "pyusb",
    "zmq": "pyzmq",
    "git": "GitPython",
    "fitz": "PyMuPDF",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "magic": "python-magic",
    "Levenshtein": "python-Levenshtein",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "hydra": "hydra-core",
    "faiss": "faiss-cpu",
    "absl": "absl-py",
    "google.protobuf": "protobuf",
    "tensorflow_datasets": "tensorflow-datasets",
    "tensorflow_hub": "tensorflow-hub",
    "torch_geometric": "torch-geometric",
    "pytorch_lightning": "pytorch-lightning",
    "rouge_score": "rouge-score",
    "sentence_transformers": "sentence-transformers",
    "umap": "umap-learn",
    "jose": "python-jose",
    "lightning": "lightning",
    "ruamel": "ruamel.yaml",
    "gym": "gym",
    "mpl_toolkits": "matplotlib",
    "pkg_resources": "setuptools",
}
# Names models write in package lists that are not the distribution's name.
DIST_ALIASES: dict[str, str] = {
    "pytorch": "torch",
    "sklearn": "scikit-learn",
    "yaml": "PyYAML",
    "pyyaml": "PyYAML",
    "cv2": "opencv-python",
    "opencv": "opencv-python",
    "pil": "Pillow",
    "tensorflow-gpu": "tensorflow",
    "tf": "tensorflow",
    "hydra": "hydra-core",
    "bs4": "beautifulsoup4",
}
# Distributions that provide an import name other than their own.
_EXTRA_PROVIDES: dict[str, set[str]] = {
    "opencv-python-headless": {"cv2"},
    "opencv-contrib-python": {"cv2"},
    "opencv-contrib-python-headless": {"cv2"},
    "faiss-gpu": {"faiss"},
    "pillow-simd": {"PIL"},
    "tf-nightly": {"tensorflow"},
    "torch-cpu": {"torch"},
    "matplotlib": {"mpl_toolkits", "pylab"},
}
_NOT_PACKAGES = {"python", "python3", "pip", "cuda", "cudnn", "nvidia-driver"}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_SPEC = re.compile(r"^(\s*(===|==|>=|<=|~=|!=|>|<)\s*[A-Za-z0-9.*+!_-]+\s*,?)+\s*(;.*)?$")
_STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class RequirementsReport:
    requirements: list[str] = field(default_factory=list)  # the lines written
    missing: list[str] = field(default_factory=list)  # imported, not listed: added
    unused: list[str] = field(default_factory=list)  # listed, not imported: kept
    optional: list[str] = field(default_factory=list)  # imported under try/except ImportError
    dropped: list[str] = field(default_factory=list)  # stdlib or not a package: removed
    renamed: list[list[str]] = field(default_factory=list)  # [as listed, written as]
    notes: list[str] = field(default_factory=list)
    imported_by: dict[str, list[str]] = field(default_factory=dict)  # distribution -> files

    @property
    def has_mismatches(self) -> bool:
        return bool(self.missing or self.unused or self.dropped or self.renamed)

    def to_dict(self) -> dict:
        return asdict(self)


def local_modules(paths: list[str]) -> set[str]:
    """Top-level names the repository itself provides (``model.py``, ``utils/``)."""
    names = set()
    for path in paths:
        parts = PurePosixPath(path).parts
        if len(parts) > 1:
            names.add(parts[0])
            if parts[0] in {"src", "lib"} and len(parts) > 2:
                names.add(parts[1])  # src-layout: code often imports the inner package
        elif path.endswith(".py"):
            names.add(PurePosixPath(path).stem)
    return names


def find_imports(files: dict[str, str]) -> dict[str, dict[str, bool]]:
    """``{dotted import: {file: optional}}`` for absolute imports in ``.py`` files."""
    found: dict[str, dict[str, bool]] = {}
    for path, source in files.items():
        if not path.endswith(".py"):
            continue
        for name, optional in _imports_of(source):
            per_file = found.setdefault(name, {})
            per_file[path] = per_file.get(path, True) and optional
    return found


def _imports_of(source: str) -> list[tuple[str, bool]]:
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError):
        pattern = re.compile(
            r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))"
        )
        return [
            (m.group(1) or m.group(2), False) for m in map(pattern.match, source.splitlines()) if m
        ]
    out: list[tuple[str, bool]] = []

    def visit(node: ast.AST, optional: bool) -> None:
        if isinstance(node, ast.Try):
            guarded = optional or any(_catches_import_error(h) for h in node.handlers)
            for child in node.body:
                visit(child, guarded)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, optional)
            return
        if isinstance(node, ast.Import):
            out.extend((alias.name, optional) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, optional))
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(tree, False)
    return out


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)}
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def dist_for_import(name: str) -> str:
    """The distribution that provides the dotted import ``name``."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        mapped = IMPORT_TO_DIST.get(".".join(parts[:i]))
        if mapped:
            return mapped
    return parts[0]


def _provides(dist: str) -> set[str]:
    """Canonical names of what a listed distribution lets the code import."""
    c = canonical(dist)
    names = {c} | {
        canonical(i.split(".")[0]) for i, d in IMPORT_TO_DIST.items() if canonical(d) == c
    }
    names |= {canonical(i) for i in _EXTRA_PROVIDES.get(c, set())}
    return names


def check_requirements(packages: list[str], files: dict[str, str]) -> RequirementsReport:
    report = RequirementsReport()
    locals_ = local_modules(list(files))
    listed: list[tuple[str, str]] = []  # (distribution, spec line)
    for entry in packages:
        line = _clean_entry(entry, report)
        if line is not None:
            listed.append(line)

    needed: dict[str, dict[str, bool]] = {}  # distribution -> {file: optional}
    tops: dict[str, set[str]] = {}  # distribution -> top-level import names
    for name, per_file in find_imports(files).items():
        top = name.split(".")[0]
        if top in _STDLIB or top in locals_:
            continue
        dist = dist_for_import(name)
        tops.setdefault(dist, set()).add(top)
        slot = needed.setdefault(dist, {})
        for path, optional in per_file.items():
            slot[path] = slot.get(path, True) and optional
    report.imported_by = {d: sorted(f) for d, f in sorted(needed.items())}

    provided: dict[str, str] = {}  # canonical dist or import name -> listed distribution
    for dist, _ in listed:
        for name in _provides(dist):
            provided.setdefault(name, dist)
    used_listed: set[str] = set()
    lines = [line for _, line in listed]
    for dist, per_file in sorted(needed.items(), key=lambda kv: canonical(kv[0])):
        candidates = [canonical(dist)] + sorted(canonical(t) for t in tops[dist])
        match = next((provided[c] for c in candidates if c in provided), None)
        if match:
            used_listed.add(canonical(match))
        elif all(per_file.values()):
            report.optional.append(dist)
        else:
            report.missing.append(dist)
            lines.append(dist)
    report.unused = [d for d, _ in listed if canonical(d) not in used_listed]
    report.requirements = _dedupe(lines)
    return report


def _clean_entry(entry: str, report: RequirementsReport) -> tuple[str, str] | None:
    text = entry.split("#", 1)[0].strip().replace("(", "").replace(")", "")
    m = _NAME.match(text)
    if not m or canonical(m.group(1)) in _NOT_PACKAGES:
        if entry.strip():
            report.dropped.append(entry.strip())
        return None
    name, extras, spec = m.group(1), m.group(2) or "", m.group(3).strip()
    if name in _STDLIB or name.lower() in _STDLIB:
        report.dropped.append(entry.strip())
        return None
    alias = DIST_ALIASES.get(canonical(name)) or DIST_ALIASES.get(name.lower())
    if alias and canonical(alias) != canonical(name):
        report.renamed.append([name, alias])
        name = alias
    if spec and not _SPEC.match(spec):
        report.notes.append(
            f"{entry.strip()!r}: version text {spec!r} is not a valid specifier and was left out"
        )
        spec = ""
    return name, f"{name}{extras}{spec.replace(' ', '')}"


def _dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for line in lines:
        key = canonical(_NAME.match(line).group(1)) if _NAME.match(line) else line
        if key not in seen:
            seen.add(key)
            out.append(line)
    return out


def render_requirements(report: RequirementsReport) -> str:
    """The requirements.txt text; additions are marked so a reader knows where they came from."""
    lines = ["# Generated by papercoder-nb from the logic design, checked against the imports."]
    added = {canonical(d) for d in report.missing}
    for line in report.requirements:
        m = _NAME.match(line)
        if m and canonical(m.group(1)) in added:
            users = ", ".join(report.imported_by.get(m.group(1), []))
            lines.append(f"{line}  # added: imported by {users}, not in the logic design")
        else:
            lines.append(line)
    for dist in report.optional:
        lines.append(f"# {dist}  # optional: imported under try/except ImportError")
    return "\n".join(lines) + "\n"
