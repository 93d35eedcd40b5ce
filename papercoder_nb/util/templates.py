"""Prompt templates: shipped in ``papercoder_nb.prompts``, overridable per user.

Templates are read through ``importlib.resources`` (a path relative to this package
breaks in editable installs, where ``prompts/`` is not beside it). A user directory
given as ``prompt_dir`` (or ``PAPERCODER_PROMPTS``) wins file by file.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path


@lru_cache(maxsize=64)
def _shipped(name: str) -> str:
    return (files("papercoder_nb.prompts") / f"{name}.md").read_text(encoding="utf-8")


def load_prompt(name: str, prompt_dir: str | Path | None = None) -> str:
    prompt_dir = prompt_dir or os.environ.get("PAPERCODER_PROMPTS")
    if prompt_dir:
        custom = Path(prompt_dir) / f"{name}.md"
        if custom.is_file():
            return custom.read_text(encoding="utf-8")
    try:
        return _shipped(name)
    except FileNotFoundError as e:
        raise KeyError(f"no prompt template named {name!r}") from e


def render(template: str, **values: str) -> str:
    """Fill ``{{name}}`` slots; unknown slots stay visible rather than vanish."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values.get(m.group(1), m.group(0))), template)


def prompt_hash(names: tuple[str, ...], prompt_dir: str | Path | None = None) -> str:
    h = hashlib.sha256()
    for n in names:
        h.update(load_prompt(n, prompt_dir).encode())
    return h.hexdigest()[:16]
