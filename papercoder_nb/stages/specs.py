"""Per-kind output rules: planning (plan, architecture, logic, config), analysis, coding."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..session.artifacts import Architecture, ConfigDesign, Logic, parse_config, schema_for
from ..util.config_yaml import trace_problem
from ..util.extract import (
    extract_code,
    extract_json,
    extract_markdown,
    extract_yaml,
    trim_repetition,
)
from ..util.pyparse import parse_python

# Warnings that earn an answer one repair request (it is kept if the repair fails too).
REPAIRABLE = ("does not compile", "untraced config values")


@dataclass
class Parsed:
    content: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class ArtifactSpec:
    id: str
    kind: str  # plan | architecture | logic | config | analysis | code
    file: str | None  # the repository file, for analysis and code
    schema: dict[str, Any] | None
    parse: Callable[[str, Any], Parsed]
    # The schema in small-model mode, where it differs (config: flat entries, not YAML).
    small_schema: dict[str, Any] | None = None

    def schema_for(self, small: bool) -> dict[str, Any] | None:
        return self.small_schema if small and self.small_schema is not None else self.schema

    def prompt_name(self, small: bool) -> str:
        """The task template: the kind's own, or its small-model form where one exists."""
        return f"{self.kind}_small" if small and self.small_schema is not None else self.kind


def _markdown(text: str, _parsed: Any) -> Parsed:
    body, looped = trim_repetition(extract_markdown(text))
    if len(body.strip()) < 20:
        raise ValueError("the answer is empty or too short to be the requested Markdown document")
    return Parsed(body, ["the model repeated itself; the repeated tail was cut"] if looped else [])


# The plan's sections (prompts/plan.md). A plan must keep at least one as a heading: a
# looping answer trimmed to its first lines, or a repair that lost the document, is not a plan.
PLAN_SECTIONS = ("Method", "Data", "Hyper-parameters", "Training", "Evaluation", "Smoke configuration",
                 "Open questions")


def plan_sections(body: str) -> list[str]:
    """The plan sections present as Markdown headings (any level, any case)."""
    heads = [m.group(1).strip().lower() for m in re.finditer(r"^#{1,6}\s+(.+)$", body, re.M)]
    return [s for s in PLAN_SECTIONS if any(s.lower().replace("-", "") in h.replace("-", "") for h in heads)]


def _plan(text: str, parsed: Any) -> Parsed:
    result = _markdown(text, parsed)
    found = plan_sections(result.content)
    if not found:
        cut = " after its repeated tail was cut" if result.warnings else ""
        raise ValueError(f"the plan has none of its required sections{cut} "
                         f"(headings {', '.join('## ' + s for s in PLAN_SECTIONS)})")
    missing = [s for s in PLAN_SECTIONS if s not in found]
    if missing:
        result.warnings.append(f"the plan lacks the sections {', '.join(missing)}")
    return result


def _design(model: type[BaseModel]) -> Callable[[str, Any], Parsed]:
    def parse(text: str, parsed: Any) -> Parsed:
        data = parsed if isinstance(parsed, dict) else extract_json(text)
        try:
            obj = model.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'object'}: {err['msg']}" for err in e.errors()[:6]
            )
            raise ValueError(f"the JSON does not match the {model.__name__} schema: {problems}") from e
        if isinstance(obj, Logic):
            obj.ordered_files()  # raises on a dependency cycle
        return Parsed(json.dumps(obj.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")

    return parse


def _config(text: str, parsed: Any) -> Parsed:
    """YAML as written (any depth), or a small model's entries (JSON) rendered as YAML.

    It must parse to a mapping (else refused); a value without a source comment is a
    warning that earns one repair request."""
    data: Any = parsed
    if not isinstance(data, dict):
        try:
            data = extract_json(text)
        except ValueError:
            data = None
    if isinstance(data, dict) and "entries" in data:
        try:
            body = ConfigDesign.model_validate(data).to_yaml()
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:6])
            raise ValueError(f"the JSON does not match the config schema: {problems}") from e
    else:
        body = extract_yaml(text)
    parse_config(body)
    problem = trace_problem(body)
    return Parsed(body if body.endswith("\n") else body + "\n", [problem] if problem else [])


def _code(text: str, _parsed: Any) -> Parsed:
    code = extract_code(text)
    if not code.strip():
        raise ValueError("the answer holds no code")
    code, looped = trim_repetition(code)
    warnings = ["the model repeated itself; the repeated tail was cut"] if looped else []
    try:
        parse_python(code)
    except SyntaxError as e:
        # Kept, not refused: the user or the repair loop can fix code, and the smoke run
        # reports it precisely. Planning artifacts, which later stages parse, are refused.
        warnings.append(f"does not compile: {e.msg} (line {e.lineno})")
    return Parsed(code if code.endswith("\n") else code + "\n", warnings)


def spec_for(artifact_id: str) -> ArtifactSpec:
    kind, _, file = artifact_id.partition(":")
    if kind == "plan":
        return ArtifactSpec(artifact_id, kind, None, None, _plan)
    if kind == "architecture":
        return ArtifactSpec(artifact_id, kind, None, schema_for(Architecture), _design(Architecture))
    if kind == "logic":
        return ArtifactSpec(artifact_id, kind, None, schema_for(Logic), _design(Logic))
    if kind == "config":
        return ArtifactSpec(artifact_id, kind, None, None, _config, small_schema=schema_for(ConfigDesign))
    if kind == "analysis" and file:
        return ArtifactSpec(artifact_id, kind, file, None, _markdown)
    if kind == "code" and file:
        return ArtifactSpec(artifact_id, kind, file, None, _code)
    raise KeyError(f"unknown artifact {artifact_id!r}")


def code_needs_repair(parsed: Parsed) -> str | None:
    """The problem that earns an answer one repair request, if any: code that does not
    compile, config values with no source."""
    return next((w for w in parsed.warnings if w.startswith(REPAIRABLE)), None)
