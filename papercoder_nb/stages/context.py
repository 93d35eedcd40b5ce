"""Building a prompt that fits the model's window, stable content first.

Order: system text → paper → approved planning artifacts (and the user's answers) →
per-file material → the task. That order lets provider prefix caches (and llama.cpp's
KV cache) reuse everything up to the first part that differs.

When the window is short, context is condensed in this stated order, never refused:
1. the code of dependency files becomes an outline (imports, signatures, docstrings);
2. the planning designs are re-serialised compactly, and the plan is cut;
3. the paper is condensed (references, then appendices, then every section cut evenly);
4. as a last resort the file's own analysis is cut.
For windows under 32k tokens the paper gets a fixed share, so it is the same text in
every call and the cached prefix survives.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ..artifacts import PLANNING
from ..graph import PLANNING_INPUTS, load_logic
from ..llm.base import Message, Part, Request
from ..paper.tokens import estimate_tokens
from ..store import Session
from ..templates import load_prompt, render
from .specs import ArtifactSpec

PLANNING_TITLES = {
    "plan": "Reproduction plan (planning/plan.md)",
    "architecture": "Architecture design (planning/architecture.json)",
    "logic": "Logic design and task list (planning/logic.json)",
    "config": "Configuration (config.yaml)",
}
SMALL_WINDOW = 32_000
PAPER_SHARE_SMALL = 0.38
SAFETY_MARGIN = 160  # chat-template tokens and estimation error


@dataclass
class Built:
    request: Request
    notes: list[str] = field(default_factory=list)  # what was condensed, for the record


def outline(code: str) -> str:
    """Imports, class and function signatures with first docstring lines."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "\n".join(code.splitlines()[:40]) + "\n# … (cut)\n"
    lines = code.splitlines()
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node in tree.body:
            out.append(ast.get_source_segment(code, node) or "")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append(lines[node.lineno - 1])
            doc = ast.get_docstring(node)
            if doc:
                out.append(f'    """{doc.splitlines()[0]}"""')
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                        out.append(lines[sub.lineno - 1])
            out.append("    ...")
        elif isinstance(node, ast.Assign) and node.col_offset == 0:
            out.append(lines[node.lineno - 1][:160])
    return "\n".join(out) + "\n"


def _compact(artifact_id: str, text: str) -> str:
    if artifact_id in ("architecture", "logic"):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            return text
    return text


def planning_inputs(artifact_id: str) -> list[str]:
    kind = artifact_id.split(":")[0]
    if kind in PLANNING_INPUTS:
        return PLANNING_INPUTS[kind]
    return list(PLANNING)


def build_request(
    session: Session,
    spec: ArtifactSpec,
    *,
    context_window: int,
    count: Callable[[str], int] = estimate_tokens,
    feedback: str | None = None,
    prompt_dir: str | None = None,
    reserve: int = 0,
) -> Built:
    """``reserve`` keeps room for what a repair request appends (the bad answer)."""
    notes: list[str] = []
    max_out = spec.max_tokens_for(context_window)
    available = context_window - max_out - SAFETY_MARGIN - reserve

    system = load_prompt("system", prompt_dir).strip()
    planning = {a: session.read(a) or "" for a in planning_inputs(spec.id)}
    # Answers flow only downstream of the artifact that raised the question.
    answers = [a for a in session.state.answers if a.source in planning]
    task = _task_text(session, spec, prompt_dir, feedback)
    deps: dict[str, str] = {}
    if spec.kind == "code" and spec.file:
        logic = load_logic(session)
        for d in (logic.dependencies().get(spec.file, []) if logic else []):
            deps[d] = session.read(f"code:{d}") or ""

    def planning_blocks(compact: bool, plan_cap: int | None) -> list[str]:
        """One block per planning artifact, so each can end a cached prefix."""
        blocks = []
        for a, text in planning.items():
            body = _compact(a, text) if compact else text
            if a == "plan" and plan_cap is not None and len(body) > plan_cap:
                body = body[:plan_cap].rsplit("\n", 1)[0] + "\n[…plan cut to fit the context window]\n"
            head = "\n# Planning so far\n\n" if not blocks else "\n"
            blocks.append(f"{head}## {PLANNING_TITLES[a]}\n{body.strip()}\n")
        if answers:
            qa = "\n".join(f"- Q: {a.question}\n  A: {a.answer}" for a in answers)
            blocks.append(f"\n## The researcher's answers to open questions\n{qa}\n")
        return blocks

    def deps_text(as_outline: bool) -> str:
        return "".join(
            f"## Repository file {path}{' (outline)' if as_outline else ''}\n```python\n"
            f"{(outline(code) if as_outline else code).rstrip()}\n```\n\n"
            for path, code in deps.items()
        )

    paper = session.selected_paper()
    full_paper = paper.to_prompt_text()
    if context_window < SMALL_WINDOW:
        paper_budget = int(context_window * PAPER_SHARE_SMALL)
    else:
        paper_budget = available
    paper_text = paper.to_prompt_text(max_tokens=paper_budget) if count(full_paper) > paper_budget else full_paper

    plan_blocks = planning_blocks(False, None)
    deps_block = deps_text(False)

    def total() -> int:
        return sum(count(t) for t in (system, paper_text, *plan_blocks, deps_block, task)) + 24

    if total() > available and deps:
        deps_block = deps_text(True)
        notes.append("dependency code passed as outlines")
    if total() > available and planning:
        rest = available - sum(count(t) for t in (system, paper_text, deps_block, task))
        plan_blocks = planning_blocks(True, max(800, rest * 2))
        notes.append("planning artifacts compacted")
    if total() > available:
        room = available - sum(count(t) for t in (system, *plan_blocks, deps_block, task)) - 24
        paper_text = paper.to_prompt_text(max_tokens=max(200, room))
        notes.append("paper condensed")
    if total() > available:
        over = total() - available
        task = task[: max(400, len(task) - over * 4)] + "\n[…cut to fit]\n"
        notes.append("task material cut")
    if paper_text != full_paper and "paper condensed" not in notes:
        notes.append("paper condensed")

    parts = [Part(text=f"# The paper\n\n{paper_text}", cache=True)]
    for i, block in enumerate(plan_blocks):
        # Answers come last and change more often than the designs: no breakpoint there.
        is_answers = answers and i == len(plan_blocks) - 1
        parts.append(Part(text=block, cache=not is_answers))
    if deps_block:
        parts.append(Part(text=f"\n# Code already written\n\n{deps_block}"))
    parts.append(Part(text=f"\n# Your task\n\n{task}"))
    request = Request(
        messages=[Message.of("system", system), Message(role="user", parts=parts)],
        schema=spec.schema,
        schema_name=spec.kind,
        max_tokens=max_out,
        temperature=0.2,
        artifact=spec.id,
        kind=spec.kind,
    )
    return Built(request, notes)


def _task_text(session: Session, spec: ArtifactSpec, prompt_dir: str | None, feedback: str | None) -> str:
    template = load_prompt(spec.kind, prompt_dir)
    values: dict[str, str] = {}
    if spec.file:
        logic = load_logic(session)
        fl = logic.file_logic(spec.file) if logic else None
        values = {
            "file": spec.file,
            "purpose": fl.purpose if fl else "(not described in the logic design)",
            "depends_on": ", ".join(logic.dependencies().get(spec.file, [])) if logic else "",
            "analysis": (session.read(f"analysis:{spec.file}") or "").strip() if spec.kind == "code" else "",
        }
        values["depends_on"] = values["depends_on"] or "none"
    text = render(template, **values).strip()
    if feedback:
        previous = session.read(spec.id)
        if previous:
            text += f"\n\n## Previous version\n{previous.strip()}\n"
        text += f"\n\n## The researcher's feedback (apply it)\n{feedback.strip()}\n"
    return text
