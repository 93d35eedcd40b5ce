"""One entry point: every static check over a session's code, or over any repository.

A session's checks read only its code folder, config.yaml and logic.json, so the last
result is reused while those are byte for byte the same: a run asks for the same findings
several times per written file (its record, its auto-approval, the next file's inputs),
and each full check parses every file again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from papercoder_nb.checks.checker import Finding, check_code, grade
from papercoder_nb.checks.config_keys import (
    check_config_keys,
    check_config_mapping,
    unread_config_keys,
)
from papercoder_nb.checks.console_scripts import check_console_scripts
from papercoder_nb.checks.declared import declared_in
from papercoder_nb.checks.entry_check import check_entry
from papercoder_nb.checks.hydra_config import compose, hydra_entries
from papercoder_nb.checks.repo_model import load_repo
from papercoder_nb.checks.requirements_check import check_requirements

_last: dict[Path, tuple[str, list[Finding]]] = {}  # session folder -> (inputs digest, findings)
_last_lock = threading.Lock()


def _inputs_digest(session_dir: Path) -> str:
    """Everything the checks read: the code folder's tree and files, config.yaml, logic.json."""
    h = hashlib.sha256()
    code = session_dir / "code"
    # dot files are writes in progress (written whole, then renamed) and come and go
    paths = sorted(p for p in code.rglob("*") if not p.name.startswith(".")) if code.is_dir() else []
    for p in [*paths, session_dir / "planning" / "config.yaml", session_dir / "planning" / "logic.json"]:
        h.update(str(p.relative_to(session_dir)).encode() + b"\0")
        try:
            h.update(hashlib.sha256(p.read_bytes()).digest())
        except IsADirectoryError:
            h.update(b"dir")
        except FileNotFoundError:  # gone since it was listed: the digest will differ next time
            h.update(b"absent")
    return h.hexdigest()


def check_session(session_dir: Path) -> list[Finding]:
    """Signatures, imports, config keys and requirements of <session>/code."""
    session_dir = Path(session_dir)
    key, digest = session_dir.resolve(), _inputs_digest(session_dir)
    with _last_lock:
        hit = _last.get(key)
    if hit is not None and hit[0] == digest:
        return list(hit[1])
    findings = _check_session(session_dir)
    if _inputs_digest(session_dir) == digest:  # kept only if nothing changed while checking
        with _last_lock:
            _last[key] = (digest, findings)
    return list(findings)


def _check_session(session_dir: Path) -> list[Finding]:
    code = session_dir / "code"
    repo = load_repo(code)
    findings = check_code(code, repo)
    config = session_dir / "planning" / "config.yaml"
    if config.exists():
        findings += check_config_keys(code, config)
    logic = session_dir / "planning" / "logic.json"
    if logic.exists():
        design = json.loads(logic.read_text(encoding="utf-8"))
        findings += check_requirements(code, list(design.get("required_packages", [])), repo,
                                       extra=declared_in(code))
        if design.get("entry_point"):
            findings += check_entry(code, design["entry_point"], list(design.get("smoke_args", [])))
    return grade(findings, repo)


def check_repository(folder: Path) -> list[Finding]:
    """Every check over a repository that is not a session: its own files say what it needs."""
    folder = Path(folder)
    repo = load_repo(folder)
    findings = check_code(folder, repo)
    findings += check_requirements(folder, None, repo, extra=declared_in(folder))
    findings += check_console_scripts(repo, folder)
    for config in _configs(folder):
        findings += check_config_keys(folder, config)
    for config_folder, name in hydra_entries(repo):
        composed = compose(config_folder, name)
        label = f"the default Hydra config ({config_folder.relative_to(folder)}/{name}.yaml and its defaults)"
        findings += check_config_mapping(folder, composed, label, softer=True)
    return grade(findings, repo)


def _configs(folder: Path) -> list[Path]:
    """A repository's own config file, where it has exactly one obvious one."""
    found = [p for p in (folder / "config.yaml", folder / "config.yml", folder / "configs" / "config.yaml")
             if p.is_file()]
    return found[:1]


def unread_config(session_dir: Path) -> list[str]:
    """Config values the paper states (config.yaml) that no code reads; notes, not faults."""
    session_dir = Path(session_dir)
    config = session_dir / "planning" / "config.yaml"
    code = session_dir / "code"
    if not config.exists() or not code.is_dir():
        return []
    return unread_config_keys(code, config)
