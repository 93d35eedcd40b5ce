"""Static facts about a generated repository, shown next to the judge's opinion.

Files and functions generated, files that compile (``compile()`` parses, nothing runs),
modules that import (through the one smoke path, ``verify.smoke.smoke_checked``: safety
scan, no high-risk code without isolation unless allowed, contained subprocesses; when it
cannot run, compile-only and the result says why), the session's smoke-run result if it has one, and the config keys the code reads versus those config.yaml defines.
"""

from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from ..session.graph import load_logic, task_files
from ..session.store import Session
from ..util.pyparse import compile_python, parse_python
from ..verify.smoke import SmokeRefused, smoke_checked
from .codebase import CodeFile

# Names of variables that usually hold configuration (cfg, config, hparams, settings, ...).
_CONFIG_NAME = re.compile(r"conf|cfg|param|setting|hp\b|hparam|opt(ion)?s?\b", re.I)
_SMOKE_KEYS = ("ok", "ran", "returncode", "error", "timed_out", "entry_point", "args",
               "failing_file", "failing_line", "summary", "duration_s", "network_isolated")


class FileFacts(BaseModel):
    path: str
    lines: int = 0
    classes: list[str] = Field(default_factory=list)
    functions: list[str] = Field(default_factory=list)  # top-level and Class.method
    compiles: bool = False
    compile_error: str | None = None
    imports: bool | None = None  # None: not checked
    import_error: str | None = None


class ConfigFacts(BaseModel):
    """Matched by key name: code reads ``cfg["training"]["lr"]``, the YAML defines ``training.lr``."""

    defined: list[str] = Field(default_factory=list)  # dotted paths of config.yaml's leaves
    used: list[str] = Field(default_factory=list)  # key names the code reads from config-like objects
    used_and_defined: list[str] = Field(default_factory=list)
    used_not_defined: list[str] = Field(default_factory=list)
    defined_not_used: list[str] = Field(default_factory=list)
    error: str | None = None  # config.yaml missing or unparsable


class StaticFacts(BaseModel):
    files: list[FileFacts] = Field(default_factory=list)
    expected_files: list[str] = Field(default_factory=list)  # the task list
    missing_files: list[str] = Field(default_factory=list)
    n_files: int = 0
    n_functions: int = 0
    n_compile: int = 0
    n_import: int | None = None  # None: imports not checked
    import_check: str = "py_compile only"  # "sandbox" or "py_compile only (...why)"
    smoke: dict[str, Any] | None = None
    config: ConfigFacts = Field(default_factory=ConfigFacts)
    notes: list[str] = Field(default_factory=list)


def session_code(session: Session) -> list[CodeFile]:
    """Every code artifact on disk (generated, imported or dropped in by hand)."""
    out = []
    for aid in session.artifact_ids_on_disk():
        if aid.startswith("code:"):
            text = session.read(aid)
            if text is not None:
                out.append(CodeFile(aid.split(":", 1)[1], text))
    return out


def file_facts(f: CodeFile) -> FileFacts:
    facts = FileFacts(path=f.path, lines=len(f.text.splitlines()))
    try:
        tree = parse_python(f.text, filename=f.path)
        compile_python(tree, f.path)
        facts.compiles = True
    except (SyntaxError, ValueError) as e:
        facts.compile_error = f"{type(e).__name__}: {e}"
        return facts
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            facts.functions.append(node.name)
        elif isinstance(node, ast.ClassDef):
            facts.classes.append(node.name)
            facts.functions += [f"{node.name}.{s.name}" for s in node.body
                                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
    return facts


# -- config keys ------------------------------------------------------------------------
def _flatten(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict) and data:
        out: list[str] = []
        for k, v in data.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [prefix] if prefix else []


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Subscript | ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and _CONFIG_NAME.search(node.attr):
            return node.attr
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def config_keys_used(code: list[CodeFile]) -> set[str]:
    """Key names read from config-like objects: ``cfg["a"]``, ``cfg.get("a")``, ``cfg.a.b``."""
    used: set[str] = set()
    for f in code:
        try:
            tree = parse_python(f.text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.slice.value, str):
                root = _root_name(node.value)
                if root and _CONFIG_NAME.search(root):
                    used.add(node.slice.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                root = _root_name(node.func.value)
                if root and _CONFIG_NAME.search(root):
                    used.add(node.args[0].value)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
                root = _root_name(node.value)
                if root and _CONFIG_NAME.search(root) and not node.attr.startswith("_") \
                        and node.attr not in _NOT_KEYS:
                    used.add(node.attr)
    return used


_NOT_KEYS = {"get", "items", "keys", "values", "update", "copy", "pop", "setdefault", "to_dict",
             "dict", "add_argument", "parse_args", "lower", "upper", "format", "append"}


def config_facts(config_text: str | None, code: list[CodeFile]) -> ConfigFacts:
    facts = ConfigFacts()
    used = config_keys_used(code)
    facts.used = sorted(used)
    if config_text is None:
        facts.error = "no config.yaml"
        facts.used_not_defined = sorted(used)
        return facts
    try:
        data = yaml.safe_load(config_text)
    except yaml.YAMLError as e:
        facts.error = f"config.yaml is not valid YAML: {str(e).splitlines()[0]}"
        return facts
    if not isinstance(data, dict):
        facts.error = "config.yaml is not a mapping"
        return facts
    facts.defined = sorted(_flatten(data))
    names: set[str] = set()
    for path in facts.defined:
        names.update(path.split("."))
    facts.used_and_defined = sorted(used & names)
    facts.used_not_defined = sorted(used - names)
    all_code = "\n".join(f.text for f in code)
    facts.defined_not_used = [
        p for p in facts.defined
        if p.split(".")[-1] not in used and not re.search(rf"\b{re.escape(p.split('.')[-1])}\b", all_code)
    ]
    return facts


# -- imports ----------------------------------------------------------------------------
def _sandbox_imports(
    code: list[CodeFile], config_text: str | None, timeout_s: float, allow_unsandboxed: bool = False,
) -> dict[str, tuple[bool | None, str | None]]:
    with tempfile.TemporaryDirectory(prefix="papercoder-eval-") as tmp:
        root = Path(tmp)
        for f in code:
            p = root / f.path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f.text, encoding="utf-8")
        if config_text is not None and not (root / "config.yaml").exists():
            (root / "config.yaml").write_text(config_text, encoding="utf-8")
        result = smoke_checked(root, {f.path: f.text for f in code}, entry_point=None,
                               allow_unsandboxed=allow_unsandboxed, timeout_s=timeout_s)
    return {rec.path: (rec.imported, rec.error or rec.note) for rec in result.files}


def static_facts(
    code: list[CodeFile],
    *,
    config_text: str | None = None,
    expected_files: list[str] | None = None,
    smoke: dict[str, Any] | None = None,
    check_imports: bool = True,
    import_timeout_s: float = 60,
    allow_unsandboxed: bool = False,
) -> StaticFacts:
    py = [f for f in code if f.path.endswith(".py")]
    facts = StaticFacts(files=[file_facts(f) for f in py])
    facts.expected_files = list(expected_files or [])
    have = {f.path for f in code}
    facts.missing_files = [f for f in facts.expected_files if f not in have]
    facts.n_files = len(py)
    facts.n_functions = sum(len(f.functions) for f in facts.files)
    facts.n_compile = sum(f.compiles for f in facts.files)
    if not check_imports:
        facts.import_check = "py_compile only (import check turned off)"
    elif not py:
        facts.import_check = "py_compile only (no Python files)"
    else:
        try:
            imported = _sandbox_imports(code, config_text, import_timeout_s, allow_unsandboxed)
        except SmokeRefused as e:
            facts.import_check = f"py_compile only ({e})"
        except Exception as e:  # a fault of the sandbox itself (no Python there...) is a note here
            facts.import_check = f"py_compile only (the sandbox failed: {type(e).__name__}: {e})"
        else:
            facts.import_check = "sandbox"
            for ff in facts.files:
                ok, err = imported.get(ff.path, (None, "not checked by the sandbox"))
                ff.imports = ok
                ff.import_error = None if ok else err
            facts.n_import = sum(1 for ff in facts.files if ff.imports)
            skipped = [ff.path for ff in facts.files if ff.imports is None and ff.compiles]
            if skipped:
                facts.notes.append(f"not imported (e.g. an entry point without a __main__ guard): {', '.join(skipped)}")
    if smoke:
        facts.smoke = {k: smoke[k] for k in _SMOKE_KEYS if k in smoke}
    facts.config = config_facts(config_text, code)
    return facts


def session_static_facts(session: Session, check_imports: bool = True, allow_unsandboxed: bool = False) -> StaticFacts:
    code = session_code(session)
    expected = task_files(session)
    facts = static_facts(code, config_text=session.read("config"), expected_files=expected,
                         smoke=session.state.smoke, check_imports=check_imports,
                         allow_unsandboxed=allow_unsandboxed)
    logic = load_logic(session)
    if logic is None and session.read("logic") is not None:
        facts.notes.append("the logic design does not validate: expected files unknown")
    return facts
