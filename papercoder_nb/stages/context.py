"""Building a prompt that fits the model's window, stable content first.

Order: system text → paper → approved planning artifacts (and the user's answers) →
earlier repository files in coding order → the task. That order lets provider prefix
caches (and llama.cpp's KV cache) reuse everything up to the first part that differs;
coding calls run in order, so each one's files are the previous one's plus one.

Every size comes from the model's limits (``llm.limits``): the answer gets all the room
the window and the model's output limit allow, at least its reserve. When the window is
short, context is condensed in this stated order, never refused:
1. earlier files that are not dependencies become outlines, then are left out;
2. the code of dependency files becomes an outline (imports, signatures, docstrings);
3. the planning designs are re-serialised compactly, and the plan is cut;
4. the paper is condensed (references, then appendices, then every section cut evenly);
5. as a last resort the file's own analysis is cut.
For windows under 32k tokens the paper gets a fixed share, so it is the same text in
every call and the cached prefix survives.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..checks.hooks import findings_block
from ..llm.base import Message, Part, Request
from ..llm.limits import ModelLimits
from ..paper.tokens import estimate_tokens
from ..session.artifacts import PLANNING
from ..session.coding_context import outline
from ..session.graph import PLANNING_INPUTS, file_graph, load_logic
from ..session.store import Session
from ..util.templates import load_prompt, render
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
# How each earlier file is passed: whole, as an outline, or not at all.
FULL, OUTLINE, LEFT_OUT = "full", "outline", "left out"


@dataclass
class Built:
    request: Request
    notes: list[str] = field(default_factory=list)  # what was condensed, for the record


@dataclass
class RepoFiles:
    """The earlier files of a coding call, in coding order, each with how it is passed."""

    code: dict[str, str] = field(default_factory=dict)
    deps: set[str] = field(default_factory=set)
    form: dict[str, str] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)  # blocks passed whole, after the files

    def parts(self) -> list[str]:
        out = []
        for path, code in self.code.items():
            form = self.form[path]
            if form == LEFT_OUT:
                continue
            body = (outline(code) if form == OUTLINE else code).rstrip()
            # The same text in every call that passes the file the same way (no per-call
            # labels): consecutive coding calls then share the whole block as a prefix.
            label = "" if form == FULL else " (outline)"
            out.append(f"## Repository file {path}{label}\n```python\n{body}\n```\n\n")
        return out + self.pinned

    def degrade(self, which: str, to: str) -> bool:
        """Pass ``which`` files ("others" or "deps") one step smaller; False if nothing changed."""
        changed = False
        for path in self.code:
            if (path in self.deps) == (which == "deps") and self.form[path] != to and \
                    (to == LEFT_OUT or self.form[path] == FULL):
                self.form[path] = to
                changed = True
        return changed


def repo_files(session: Session, spec: ArtifactSpec) -> RepoFiles:
    """Every file coded before this one; all in full to start with."""
    if spec.kind != "code" or not spec.file:
        return RepoFiles()
    graph = file_graph(session)
    if graph is None:
        return RepoFiles()
    files = RepoFiles(deps=set(graph.deps.get(spec.file, [])))
    for g in graph.earlier(spec.file):
        text = session.read(f"code:{g}")
        if text is not None:
            files.code[g] = text
            files.form[g] = FULL
    return files


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


@dataclass
class Prompt:
    """What a request is made of, before it is fitted to the window: the stages and repair
    both build one, so both get the same order, cache breakpoints and condensing."""

    artifact: str
    kind: str
    system: str
    planning: dict[str, str]  # artifact id -> text, in prompt order
    answers: list[Any]  # the researcher's answers that flow into this call
    repo: RepoFiles
    task: str
    schema: dict[str, Any] | None = None
    repo_heading: str = "Code already written"


def build_request(
    session: Session,
    spec: ArtifactSpec,
    *,
    limits: ModelLimits,
    count: Callable[[str], int] = estimate_tokens,
    feedback: str | None = None,
    prompt_dir: str | None = None,
    reserve: int = 0,
) -> Built:
    """``reserve`` keeps room for what a repair request appends (the bad answer)."""
    planning = {a: session.read(a) or "" for a in planning_inputs(spec.id)}
    prompt = Prompt(
        artifact=spec.id,
        kind=spec.kind,
        system=load_prompt("system", prompt_dir).strip(),
        planning=planning,
        answers=answers_for(session, planning),
        repo=repo_files(session, spec),
        task=_task_text(session, spec, prompt_dir, feedback, limits.small),
        schema=spec.schema_for(limits.small),
    )
    return fit_request(session, prompt, limits=limits, count=count, reserve=reserve)


def answers_for(session: Session, planning: dict[str, str]) -> list[Any]:
    """Answers flow only downstream of the artifact that raised the question."""
    return [a for a in session.state.answers if a.source in planning]


def _planning_blocks(prompt: Prompt, compact: bool, plan_cap: int | None) -> list[str]:
    """One block per planning artifact, so each can end a cached prefix."""
    blocks = []
    for a, text in prompt.planning.items():
        body = _compact(a, text) if compact else text
        if a == "plan" and plan_cap is not None and len(body) > plan_cap:
            body = body[:plan_cap].rsplit("\n", 1)[0] + "\n[…plan cut to fit the context window]\n"
        head = "\n# Planning so far\n\n" if not blocks else "\n"
        blocks.append(f"{head}## {PLANNING_TITLES[a]}\n{body.strip()}\n")
    if prompt.answers:
        qa = "\n".join(f"- Q: {a.question}\n  A: {a.answer}" for a in prompt.answers)
        blocks.append(f"\n## The researcher's answers to open questions\n{qa}\n")
    return blocks


def fit_request(
    session: Session,
    prompt: Prompt,
    *,
    limits: ModelLimits,
    count: Callable[[str], int] = estimate_tokens,
    reserve: int = 0,
) -> Built:
    """The request for ``prompt``, condensed in the stated order until it fits."""
    notes: list[str] = []
    window = limits.context_window
    available = window - limits.answer_reserve(prompt.kind) - SAFETY_MARGIN - reserve
    system, repo, task = prompt.system, prompt.repo, prompt.task
    paper = session.selected_paper()
    full_paper = paper.to_prompt_text()
    paper_budget = int(window * PAPER_SHARE_SMALL) if window < SMALL_WINDOW else available
    paper_text = paper.to_prompt_text(max_tokens=paper_budget) if count(full_paper) > paper_budget else full_paper
    plan_blocks = _planning_blocks(prompt, False, None)

    def total() -> int:
        return sum(count(t) for t in (system, paper_text, *plan_blocks, *repo.parts(), task)) + 24

    for which, to, note in (("others", OUTLINE, "earlier files that are not dependencies passed as outlines"),
                            ("others", LEFT_OUT, "outlines of earlier files left out"),
                            ("deps", OUTLINE, "dependency code passed as outlines")):
        if total() > available and repo.degrade(which, to):
            notes.append(note)
    if total() > available and prompt.planning:
        rest = available - sum(count(t) for t in (system, paper_text, *repo.parts(), task))
        plan_blocks = _planning_blocks(prompt, True, max(800, rest * 2))
        notes.append("planning artifacts compacted")
    if total() > available:
        room = available - sum(count(t) for t in (system, *plan_blocks, *repo.parts(), task)) - 24
        paper_text = paper.to_prompt_text(max_tokens=max(200, room))
        notes.append("paper condensed")
    if total() > available:
        over = total() - available
        task = task[: max(400, len(task) - over * 4)] + "\n[…cut to fit]\n"
        notes.append("task material cut")
    if paper_text != full_paper and "paper condensed" not in notes:
        notes.append("paper condensed")
    return Built(_assemble(prompt, limits, paper_text, plan_blocks, repo.parts(), task, total() + reserve), notes)


def _assemble(prompt: Prompt, limits: ModelLimits, paper_text: str, plan_blocks: list[str],
              repo_parts: list[str], task: str, input_tokens: int) -> Request:
    parts = [Part(text=f"# The paper\n\n{paper_text}", cache=True)]
    for i, block in enumerate(plan_blocks):
        # Answers come last and change more often than the designs: no breakpoint there.
        is_answers = bool(prompt.answers) and i == len(plan_blocks) - 1
        parts.append(Part(text=block, cache=not is_answers))
    if repo_parts:
        # One part per file, a breakpoint after the last: the next coding call's files
        # are these plus one, so it reads all of them from the cache.
        parts.append(Part(text=f"\n# {prompt.repo_heading}\n\n"))
        parts += [Part(text=t) for t in repo_parts]
        parts[-1] = Part(text=parts[-1].text, cache=True)
    parts.append(Part(text=f"\n# Your task\n\n{task}"))
    return Request(
        messages=[Message.of("system", prompt.system), Message(role="user", parts=parts)],
        schema=limits.schema(prompt.schema),
        schema_name=prompt.kind,
        max_tokens=limits.max_tokens(prompt.kind, input_tokens, SAFETY_MARGIN),
        temperature=0.2,
        artifact=prompt.artifact,
        kind=prompt.kind,
    )


def _task_text(session: Session, spec: ArtifactSpec, prompt_dir: str | None, feedback: str | None,
               small: bool = False) -> str:
    template = load_prompt(spec.prompt_name(small), prompt_dir)
    values: dict[str, str] = {}
    if spec.file:
        graph = file_graph(session)
        logic = load_logic(session)
        fl = logic.file_logic(spec.file) if logic else None
        values = {
            "file": spec.file,
            "purpose": fl.purpose if fl else "(not described in the logic design)",
            "depends_on": ", ".join(graph.deps.get(spec.file, [])) if graph else "",
            "analysis": (session.read(f"analysis:{spec.file}") or "").strip() if spec.kind == "code" else "",
        }
        values["depends_on"] = values["depends_on"] or "none"
    text = render(template, **values).strip()
    if small:  # brevity keeps a tiny model from looping; strong models get the full request
        text += "\n\n" + load_prompt("small", prompt_dir).strip()
    if spec.kind == "code" and spec.file:
        found = findings_block(session, [spec.file], f"The static checker found these problems in "
                               f"the current {spec.file} (do not repeat them)")
        text += f"\n\n{found}" if found else ""
    if feedback:
        previous = session.read(spec.id)
        if previous:
            text += f"\n\n## Previous version\n{previous.strip()}\n"
        text += f"\n\n## The researcher's feedback (apply it)\n{feedback.strip()}\n"
    return text
