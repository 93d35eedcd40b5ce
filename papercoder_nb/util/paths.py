"""Checks for the path-like and command-line fields a model writes into a design.

Kept apart from ``session/artifacts.py`` (the schemas) so the rules for what may reach the file
system or a command line live in one small place.
"""

from __future__ import annotations

import re

# Names Windows reserves in every folder, whatever the extension (``CON.py`` too).
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
# Characters a shell would act on; smoke arguments are plain flags and values.
_SHELL = re.compile(r"[;&|$`<>(){}!*?\[\]\\\n\r\x00'\"]")


def reserved_name_problem(name: str) -> str | None:
    """Why ``name`` can't be a file on Windows, or None."""
    for part in name.split("/"):
        if part.split(".", 1)[0].lower() in _RESERVED:
            return f"file name {name!r} uses {part.split('.', 1)[0]!r}, a name Windows reserves; pick another"
    return None


def check_smoke_arg(arg: str) -> str:
    """A smoke-run argument is a flag or a value, never shell syntax or a path outside."""
    if _SHELL.search(arg):
        raise ValueError(f"smoke argument {arg!r} holds shell syntax; use plain flags such as --smoke")
    value = arg.split("=", 1)[-1]
    if value.startswith(("/", "~")) or ".." in value.split("/"):
        raise ValueError(f"smoke argument {arg!r} points outside the repository; use a relative path")
    return arg
