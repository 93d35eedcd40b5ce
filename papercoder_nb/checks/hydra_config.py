"""The configuration a Hydra entry point runs with by default, composed from its files.

``@hydra.main(config_path="conf", config_name="train")`` reads ``conf/train.yaml`` and,
through its ``defaults:`` list, one file per config group (``model: default`` is
``conf/model/default.yaml``, placed under ``model``). The checker composes that default
so code reading ``cfg.model.lr`` can be checked against what the files define. Overrides
from the command line or experiment files can add keys, so callers grade misses softly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from .repo_model import Repo


def _kw(call: ast.Call, name: str, position: int) -> str | None:
    for k in call.keywords:
        if k.arg == name and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
            return k.value.value
    if len(call.args) > position and isinstance(call.args[position], ast.Constant):
        value = call.args[position].value
        return value if isinstance(value, str) else None
    return None


def hydra_entries(repo: Repo) -> list[tuple[Path, str]]:
    """(config folder, config name) of every ``@hydra.main`` in the repository."""
    out = []
    for module in repo.files.values():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for d in node.decorator_list:
                if isinstance(d, ast.Call) and ast.unparse(d.func).endswith("hydra.main"):
                    name = _kw(d, "config_name", 1)
                    folder = _kw(d, "config_path", 0)
                    if name:
                        found = _config_folder(repo, (repo.folder / module.rel).parent, folder, name)
                        if found is not None:
                            out.append((found, name.removesuffix(".yaml")))
    return out


def _config_folder(repo: Repo, here: Path, named: str | None, name: str) -> Path | None:
    """The folder the decorator names, else the one folder in the repository holding that file."""
    file = name if name.endswith(".yaml") else f"{name}.yaml"
    if named and (here / named / file).is_file():
        return here / named
    found = sorted({p.parent for p in repo.folder.rglob(file)})
    return found[0] if len(found) == 1 else None


def _load(path: Path) -> tuple[dict, str]:
    """A config file's mapping and its ``# @package`` header (if any)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}, ""
    header = next((ln.split("@package", 1)[1].strip() for ln in text.splitlines()[:5] if "@package" in ln), "")
    return (data if isinstance(data, dict) else {}), header


def _merge(into: dict, more: dict) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def compose(folder: Path, name: str, depth: int = 0) -> dict:
    """The default composition of ``<folder>/<name>.yaml``: its defaults list, then itself."""
    data, _ = _load(folder / f"{name}.yaml")
    out: dict = {}
    for entry in data.pop("defaults", None) or [] if depth < 8 else []:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        group, option = next(iter(entry.items()))
        group = str(group).replace("override ", "").replace("optional ", "").strip()
        if not isinstance(option, str) or group.startswith("hydra"):
            continue
        group_data, header = _load(folder / group / f"{option}.yaml")
        group_data.pop("defaults", None)
        target = out
        if header != "_global_":
            for part in group.split("/"):
                target = target.setdefault(part, {})
        _merge(target, group_data)
    _merge(out, data)
    return out
