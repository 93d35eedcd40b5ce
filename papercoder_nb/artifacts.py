"""Artifact kinds, the planning schemas, and the checks on model-proposed file names.

The schemas bound every string and list: small models otherwise run a string or a list
to the token limit. Validation happens twice on purpose: grammar-constrained models
can't break the schema, but cloud models and hand edits can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, StringConstraints, field_validator

from .paths import check_smoke_arg, reserved_name_problem

PLANNING = ("plan", "architecture", "logic", "config")

# Where each artifact lives in the session folder.
PLANNING_FILES = {
    "plan": "planning/plan.md",
    "architecture": "planning/architecture.json",
    "logic": "planning/logic.json",
    "config": "planning/config.yaml",
}

FILE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,40}(/[A-Za-z_][A-Za-z0-9_]{0,40}){0,3}[.]py$"
_FILE_RE = re.compile(FILE_NAME_PATTERN)

Short = Annotated[str, StringConstraints(max_length=200)]
Medium = Annotated[str, StringConstraints(max_length=600)]
Long = Annotated[str, StringConstraints(max_length=4000)]
FileName = Annotated[str, StringConstraints(max_length=120)]


class FileNameError(ValueError):
    pass


def check_file_name(name: str) -> str:
    """A model-proposed path is accepted only if it stays inside the repository."""
    raw = name
    name = name.strip()
    if not name:
        raise FileNameError("empty file name")
    if "\x00" in name or any(ord(c) < 32 for c in name):
        raise FileNameError(f"file name {raw!r} contains control characters")
    if name.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", name):
        raise FileNameError(f"file name {raw!r} is absolute; use a path relative to the repository")
    if "\\" in name:
        raise FileNameError(f"file name {raw!r} uses backslashes; use '/'")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise FileNameError(f"file name {raw!r} leaves the repository or has empty parts ('..', '.', '//')")
    reserved = reserved_name_problem(name)
    if reserved:
        raise FileNameError(reserved)
    if not _FILE_RE.match(name):
        raise FileNameError(
            f"file name {raw!r} is not a plain Python module path "
            "(letters, digits, '_' and '/', ending in .py, at most 4 levels)"
        )
    return name


def check_file_list(names: Iterable[str]) -> list[str]:
    """Every name checked; an exact repeat is dropped (small models repeat list items),
    two names differing only in case are refused (they collide on some file systems)."""
    seen: dict[str, str] = {}
    out = []
    for n in names:
        n = check_file_name(n)
        low = n.lower()
        if low in seen:
            if seen[low] == n:
                continue
            raise FileNameError(f"file name {n!r} is listed twice, differing only in case ({seen[low]!r})")
        seen[low] = n
        out.append(n)
    return out


class Architecture(BaseModel):
    """The system design: how the paper becomes files and interfaces."""

    implementation_approach: Long
    file_list: list[FileName] = Field(min_length=1, max_length=16)
    data_structures_and_interfaces: Long = Field(description="a Mermaid classDiagram")
    program_call_flow: Long = Field(description="a Mermaid sequenceDiagram")
    unclear: list[Medium] = Field(default_factory=list, max_length=8)

    @field_validator("file_list")
    @classmethod
    def _files(cls, v: list[str]) -> list[str]:
        return check_file_list(v)


class FileLogic(BaseModel):
    file: FileName
    purpose: Medium
    depends_on: list[FileName] = Field(default_factory=list, max_length=12)
    paper_refs: list[Short] = Field(default_factory=list, max_length=8)

    # Every path-like field is checked like the task list: a model wrote it.
    _file = field_validator("file")(classmethod(lambda cls, v: check_file_name(v)))
    _deps = field_validator("depends_on")(classmethod(lambda cls, v: [check_file_name(d) for d in v]))


class Logic(BaseModel):
    """The logic design: packages, per-file logic, and the task list in dependency order."""

    required_packages: list[Short] = Field(default_factory=list, max_length=20)
    files: list[FileLogic] = Field(min_length=1, max_length=16)
    task_list: list[FileName] = Field(min_length=1, max_length=16)
    shared_knowledge: Long = ""
    unclear: list[Medium] = Field(default_factory=list, max_length=8)
    entry_point: FileName | None = None
    smoke_args: list[Short] = Field(default_factory=list, max_length=8)

    @field_validator("task_list")
    @classmethod
    def _tasks(cls, v: list[str]) -> list[str]:
        return check_file_list(v)

    _entry = field_validator("entry_point")(classmethod(lambda cls, v: v if v is None else check_file_name(v)))
    _args = field_validator("smoke_args")(classmethod(lambda cls, v: [check_smoke_arg(a) for a in v]))

    def ordered_files(self) -> list[str]:
        """The task list made a true topological order of the dependency graph.

        The task list decides order where the graph allows; a dependency on a file not
        in the task list is dropped (it can't be generated); a cycle is an error.
        """
        tasks = self.task_list
        deps = self.dependencies()
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(f: str, path: tuple[str, ...]) -> None:
            if state.get(f) == 2:
                return
            if state.get(f) == 1:
                cycle = " -> ".join((*path[path.index(f):], f))
                raise ValueError(f"the logic design's file dependencies form a cycle: {cycle}")
            state[f] = 1
            for d in deps.get(f, []):
                visit(d, (*path, f))
            state[f] = 2
            order.append(f)

        for f in tasks:
            visit(f, ())
        return order

    def dependencies(self) -> dict[str, list[str]]:
        tasks = set(self.task_list)
        out: dict[str, list[str]] = {f: [] for f in self.task_list}
        for fl in self.files:
            if fl.file in tasks:
                out[fl.file] = [d for d in dict.fromkeys(fl.depends_on) if d in tasks and d != fl.file]
        return out

    def file_logic(self, path: str) -> FileLogic | None:
        return next((f for f in self.files if f.file == path), None)


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema for a planning model, with the file-name pattern attached.

    The pattern lets grammar-constrained backends produce only acceptable names.
    """
    schema = model.model_json_schema()

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and key in ("file", "file_list", "task_list", "depends_on", "entry_point"):
                node["pattern"] = FILE_NAME_PATTERN
            for k, v in node.items():
                walk(v, k if k not in ("items", "anyOf") else key)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk(schema)
    return schema


ConfigValue = Annotated[str, StringConstraints(max_length=120)] | float | int | bool


class ConfigEntry(BaseModel):
    group: Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,30}$")]
    key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")]
    value: ConfigValue
    source: Annotated[str, StringConstraints(max_length=120)] = Field(
        description="the paper section id or equation the value comes from, or 'assumption'"
    )


class ConfigDesign(BaseModel):
    """config.yaml as the model writes it: flat, bounded entries with their sources.

    Asking for entries rather than free YAML lets every backend (a 135M model included)
    produce a valid file; the YAML is rendered here, each value commented with its source.
    """

    entries: list[ConfigEntry] = Field(min_length=1, max_length=40)

    def to_yaml(self) -> str:
        groups: dict[str, dict[str, ConfigEntry]] = {}
        for e in self.entries:
            groups.setdefault(e.group, {})[e.key] = e  # a repeated key: the last one wins
        lines = ["# config.yaml: values as stated in the paper; '# assumption' marks the rest"]
        for group, entries in groups.items():
            lines.append(f"{group}:")
            for key, e in entries.items():
                value = yaml.safe_dump(e.value, default_flow_style=True, allow_unicode=True, width=1_000_000).strip()
                value = value.removesuffix("\n...").strip()
                src = " ".join(e.source.split())
                lines.append(f"  {key}: {value}" + (f"  # {src}" if src else ""))
        return "\n".join(lines) + "\n"


def parse_config(text: str) -> dict[str, Any]:
    """config.yaml must parse to a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"config.yaml is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"config.yaml must be a mapping of keys to values, got {type(data).__name__}")
    return data


def unclear_points(architecture: Architecture | None, logic: Logic | None, plan: str) -> list[str]:
    """The open questions a user can answer: from the designs and the plan's own section."""
    out: list[str] = []
    m = re.search(r"^#+\s*(open questions|unclear points?)\s*$(.*?)(?=^#|\Z)", plan, re.I | re.M | re.S)
    if m:
        for line in m.group(2).splitlines():
            line = re.sub(r"^\s*(?:[-*]|\d+[.)])\s*", "", line).strip()
            if line:
                out.append(line[:600])
    for src in (architecture, logic):
        if src is not None:
            out.extend(src.unclear)
    return list(dict.fromkeys(out))
