"""One entry point: every static check over a session folder's code.

The checks read only the session's code folder, config.yaml and logic.json, so the last
result is reused while those are byte for byte the same: a run asks for the same
findings several times per written file (its record, its auto-approval, the next
file's inputs), and each full check parses every file again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from papercoder_nb.verify.checker import Finding, check_code
from papercoder_nb.verify.config_keys import check_config_keys, unread_config_keys
from papercoder_nb.verify.entry_check import check_entry
from papercoder_nb.verify.requirements_check import check_requirements

_last: dict[Path, tuple[str, list[Finding]]] = {}  # session folder -> (inputs digest, findings)
_last_lock = threading.Lock()


def _inputs_digest(session_dir: Path) -> str:
    """Everything the checks read: the code folder's tree and files, config.yaml, logic.json."""
    h = hashlib.sha256()
    code = session_dir / "code"
    paths = sorted(code.rglob("*")) if code.is_dir() else []
    for p in [*paths, session_dir / "planning" / "config.yaml", session_dir / "planning" / "logic.json"]:
        h.update(str(p.relative_to(session_dir)).encode() + b"\0")
        if p.is_file():
            h.update(hashlib.sha256(p.read_bytes()).digest())
        else:
            h.update(b"dir" if p.is_dir() else b"absent")
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
    findings = check_code(code)
    config = session_dir / "planning" / "config.yaml"
    if config.exists():
        findings += check_config_keys(code, config)
    logic = session_dir / "planning" / "logic.json"
    if logic.exists():
        design = json.loads(logic.read_text(encoding="utf-8"))
        findings += check_requirements(code, list(design.get("required_packages", [])))
        if design.get("entry_point"):
            findings += check_entry(code, design["entry_point"], list(design.get("smoke_args", [])))
    return findings


def unread_config(session_dir: Path) -> list[str]:
    """Config values the paper states (config.yaml) that no code reads; notes, not faults."""
    session_dir = Path(session_dir)
    config = session_dir / "planning" / "config.yaml"
    code = session_dir / "code"
    if not config.exists() or not code.is_dir():
        return []
    return unread_config_keys(code, config)
