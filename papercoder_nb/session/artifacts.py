"""Artifact kinds, the planning schemas, and the checks on model-proposed file names.

The models here carry no length bounds on text: a strong model's class diagram or logic
analysis is kept whole. Bounds that help a small grammar-constrained model are added to
the schema at request time, from the model's limits (``llm.limits``). Lists keep only
sanity caps (a "repository" of hundreds of files is a looping answer). Validation happens
twice on purpose: grammar-constrained models can't break the schema, but cloud models
and hand edits can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, StringConstraints, field_validator

from ..util.config_yaml import parse_config  # noqa: F401  (re-exported: the config's first check)
from ..util.errors import PapercoderError
from ..util.paths import check_smoke_arg, reserved_name_problem

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

FileName = Annotated[str, StringConstraints(max_length=200)]
MAX_FILES = 100  # sanity caps, not limits a real design meets
MAX_ITEMS = 200


class FileNameError(PapercoderError, ValueError):
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


# Sections of an imported design that have no field of their own, kept word for word.
OTHER = Field(default_factory=dict, description="other sections of an imported design, kept as written")


class Architecture(BaseModel):
    """The system design: how the paper becomes files and interfaces."""

    implementation_approach: str
    file_list: list[FileName] = Field(min_length=1, max_length=MAX_FILES)
    data_structures_and_interfaces: str = Field(description="a Mermaid classDiagram")
    program_call_flow: str = Field(description="a Mermaid sequenceDiagram")
    unclear: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    other_sections: dict[str, Any] = OTHER

    @field_validator("file_list")
    @classmethod
    def _files(cls, v: list[str]) -> list[str]:
        return check_file_list(v)


class FileLogic(BaseModel):
    file: FileName
    purpose: str
    depends_on: list[FileName] = Field(default_factory=list, max_length=MAX_FILES)
    paper_refs: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)

    # Every path-like field is checked like the task list: a model wrote it.
    _file = field_validator("file")(classmethod(lambda cls, v: check_file_name(v)))
    _deps = field_validator("depends_on")(classmethod(lambda cls, v: [check_file_name(d) for d in v]))


class Logic(BaseModel):
    """The logic design: packages, per-file logic, and the task list in dependency order."""

    required_packages: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    files: list[FileLogic] = Field(min_length=1, max_length=MAX_FILES)
    task_list: list[FileName] = Field(min_length=1, max_length=MAX_FILES)
    shared_knowledge: str = ""
    unclear: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    entry_point: FileName | None = None
    smoke_args: list[Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=list, max_length=32)
    other_sections: dict[str, Any] = OTHER

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
        return topological_order(self.task_list, self.dependencies())

    def dependencies(self) -> dict[str, list[str]]:
        tasks = set(self.task_list)
        out: dict[str, list[str]] = {f: [] for f in self.task_list}
        for fl in self.files:
            if fl.file in tasks:
                out[fl.file] = [d for d in dict.fromkeys(fl.depends_on) if d in tasks and d != fl.file]
        return out

    def file_logic(self, path: str) -> FileLogic | None:
        return next((f for f in self.files if f.file == path), None)


def topological_order(tasks: list[str], deps: dict[str, list[str]]) -> list[str]:
    """``tasks`` reordered so each file follows its dependencies, otherwise as given."""
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


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema for a planning model, with the file-name pattern attached.

    The pattern lets grammar-constrained backends produce only acceptable names.
    """
    schema = model.model_json_schema()
    # Imported designs only: a model is never asked to fill it.
    schema.get("properties", {}).pop("other_sections", None)

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
    """config.yaml as a small model writes it: flat, bounded entries with their sources.

    Only for small grammar-constrained models (strong models write the YAML itself, any
    depth): asking for entries lets a 135M model produce a valid file; the YAML is
    rendered here, each value commented with its source.
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
                lines.append(f"  {key}: {value}  # {_source_comment(e.source)}")
        return "\n".join(lines) + "\n"


def _source_comment(source: str) -> str:
    """An entry's source as a trace comment (see ``config_yaml``): 'paper: 3.2' or 'assumption'."""
    src = " ".join(source.split())
    if not src or src.lower().startswith("assum"):
        return src or "assumption (no source given)"
    return src if src.lower().startswith("paper") else f"paper: {src}"


def unclear_points(architecture: Architecture | None, logic: Logic | None, plan: str) -> list[str]:
    """The open questions a user can answer: from the designs and the plan's own section."""
    out: list[str] = []
    m = re.search(r"^#+\s*(open questions|unclear points?)\s*$(.*?)(?=^#|\Z)", plan, re.I | re.M | re.S)
    if m:
        for line in m.group(2).splitlines():
            line = re.sub(r"^\s*(?:[-*]|\d+[.)])\s*", "", line).strip()
            if line:
                out.append(line)
    for src in (architecture, logic):
        if src is not None:
            out.extend(src.unclear)
    return list(dict.fromkeys(out))
