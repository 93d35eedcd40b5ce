"""One entry point: every static check over a session folder's code."""

from __future__ import annotations

import json
from pathlib import Path

from papercoder_nb.verify.checker import Finding, check_code
from papercoder_nb.verify.config_keys import check_config_keys, unread_config_keys
from papercoder_nb.verify.entry_check import check_entry
from papercoder_nb.verify.requirements_check import check_requirements


def check_session(session_dir: Path) -> list[Finding]:
    """Signatures, imports, config keys and requirements of <session>/code."""
    session_dir = Path(session_dir)
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
