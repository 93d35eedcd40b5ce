"""Per-kind output rules: planning (plan, architecture, logic, config), analysis, coding."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..artifacts import Architecture, ConfigDesign, Logic, parse_config, schema_for
from ..extract import extract_code, extract_json, extract_markdown, extract_yaml, trim_repetition

# Output limits for models with room, and for small windows (under 32k tokens), where
# every output token is taken from the context and small models tend to loop.
MAX_TOKENS = {"plan": 3000, "architecture": 3000, "logic": 3000, "config": 1500, "analysis": 2500, "code": 6000}
SMALL_MAX_TOKENS = {"plan": 800, "architecture": 700, "logic": 900, "config": 400, "analysis": 600, "code": 1100}


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

    def max_tokens_for(self, context_window: int) -> int:
        if context_window < 32_000:
            return min(SMALL_MAX_TOKENS[self.kind], max(256, context_window // 6))
        return MAX_TOKENS[self.kind]


def _markdown(text: str, _parsed: Any) -> Parsed:
    body, looped = trim_repetition(extract_markdown(text))
    if len(body.strip()) < 20:
        raise ValueError("the answer is empty or too short to be the requested Markdown document")
    return Parsed(body, ["the model repeated itself; the repeated tail was cut"] if looped else [])


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
    """Entries as JSON (the schema asked for) become YAML; plain YAML is accepted too."""
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
    return Parsed(body)


def _code(text: str, _parsed: Any) -> Parsed:
    code = extract_code(text)
    if not code.strip():
        raise ValueError("the answer holds no code")
    code, looped = trim_repetition(code)
    warnings = ["the model repeated itself; the repeated tail was cut"] if looped else []
    try:
        ast.parse(code)
    except SyntaxError as e:
        # Kept, not refused: the user or the repair loop can fix code, and the smoke run
        # reports it precisely. Planning artifacts, which later stages parse, are refused.
        warnings.append(f"does not compile: {e.msg} (line {e.lineno})")
    return Parsed(code if code.endswith("\n") else code + "\n", warnings)


def spec_for(artifact_id: str) -> ArtifactSpec:
    kind, _, file = artifact_id.partition(":")
    if kind == "plan":
        return ArtifactSpec(artifact_id, kind, None, None, _markdown)
    if kind == "architecture":
        return ArtifactSpec(artifact_id, kind, None, schema_for(Architecture), _design(Architecture))
    if kind == "logic":
        return ArtifactSpec(artifact_id, kind, None, schema_for(Logic), _design(Logic))
    if kind == "config":
        return ArtifactSpec(artifact_id, kind, None, schema_for(ConfigDesign), _config)
    if kind == "analysis" and file:
        return ArtifactSpec(artifact_id, kind, file, None, _markdown)
    if kind == "code" and file:
        return ArtifactSpec(artifact_id, kind, file, None, _code)
    raise KeyError(f"unknown artifact {artifact_id!r}")


def code_needs_repair(parsed: Parsed) -> str | None:
    """The compile error that earns code one repair request, if any."""
    return next((w for w in parsed.warnings if w.startswith("does not compile")), None)
