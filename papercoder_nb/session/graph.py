"""The artifact graph: what each artifact reads, its input hash, and its status.

An artifact's input hash covers the selected paper, the content of every artifact it
reads, the prompt templates that make it, and the user's answers to questions raised
upstream of it. Status is derived, never stored: comparing the recorded input hash
with the current one tells whether anything upstream changed since generation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from ..util.fsutil import sha256_text
from ..util.templates import prompt_hash
from .artifacts import PLANNING, Logic
from .coding_context import DependencyGraph, dependency_graph, outline
from .store import Session

Status = Literal["missing", "generated", "edited", "approved", "stale"]

PLANNING_INPUTS: dict[str, list[str]] = {
    "plan": [],
    "architecture": ["plan"],
    "logic": ["plan", "architecture"],
    "config": ["plan", "architecture", "logic"],
}
PROMPTS_FOR = {
    "plan": ("system", "plan", "small"),
    "architecture": ("system", "architecture", "small"),
    "logic": ("system", "logic", "small"),
    "config": ("system", "config", "config_small", "small"),
    "analysis": ("system", "analysis", "small"),
    "code": ("system", "code", "small", "continue"),
}


@dataclass
class Node:
    id: str
    inputs: list[str]  # artifact ids (the paper is implicit)
    # Inputs that count by their outline (earlier files a code file does not depend on):
    # editing a function body there changes nothing for this artifact.
    outline: frozenset[str] = frozenset()


def load_logic(session: Session) -> Logic | None:
    text = session.read("logic")
    if text is None:
        return None
    try:
        return Logic.model_validate_json(text)
    except (ValidationError, ValueError):
        return None


def logic_problem(session: Session) -> str | None:
    """Why the logic design on disk gives no file list (it does not parse, or its task list
    is not an order of its files), naming the file; None when it is fine or not written yet.
    Without this, a broken hand edit reads as "no code yet" and an export of nothing."""
    text = session.read("logic")
    if text is None:
        return None
    try:
        Logic.model_validate_json(text).ordered_files()
    except (ValidationError, ValueError) as e:
        why = " ".join(str(e).split())[:300]
        return (f"{session.path('logic')} is not a valid logic design ({why}); fix it by hand "
                f"or `papercoder regen {session.root} logic`")
    return None


def file_graph(session: Session) -> DependencyGraph | None:
    """Declared dependencies plus the imports written so far, or None without a valid logic design."""
    logic = load_logic(session)
    if logic is None:
        return None
    try:
        logic.ordered_files()
    except ValueError:
        return None
    code = {f: text for f in logic.task_list if (text := session.read(f"code:{f}")) is not None}
    return dependency_graph(logic, code)


def task_files(session: Session) -> list[str]:
    """The repository files in coding order, or [] while the logic design is missing or invalid."""
    graph = file_graph(session)
    return graph.order if graph else []


def code_files(session: Session) -> dict[str, str]:
    """The session's code: each task-list file that has code, path -> text, in coding order.

    The one definition every front end uses (smoke, repair, export, the panel's Smoke and
    Code steps), so the safety scan reads exactly the files the smoke run executes.
    """
    out = {}
    for f in task_files(session):
        text = session.read(f"code:{f}")
        if text is not None:
            out[f] = text
    return out


def nodes(session: Session) -> list[Node]:
    """Every artifact in a topological order.

    A file's code reads the code of every file before it in the coding order: its
    dependencies in full, the others by their outline (see ``coding_context``)."""
    out = [Node(a, list(PLANNING_INPUTS[a])) for a in PLANNING]
    graph = file_graph(session)
    if graph is None:
        return out
    for f in graph.order:
        out.append(Node(f"analysis:{f}", list(PLANNING)))
    for f in graph.order:
        deps = graph.deps.get(f, [])
        others = [g for g in graph.earlier(f) if g not in deps]
        out.append(Node(f"code:{f}", [*PLANNING, f"analysis:{f}", *(f"code:{d}" for d in deps),
                                      *(f"code:{g}" for g in others)],
                        frozenset(f"code:{g}" for g in others)))
    return out


def upstream(node_id: str, by_id: dict[str, Node]) -> set[str]:
    seen: set[str] = set()
    stack = list(by_id[node_id].inputs) if node_id in by_id else []
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(by_id[n].inputs if n in by_id else [])
    return seen


def input_hash(session: Session, node: Node, by_id: dict[str, Node], prompt_dir: str | None = None) -> str:
    kind = node.id.split(":")[0]
    ups = upstream(node.id, by_id)
    answers = sorted((a.question, a.answer) for a in session.state.answers if a.source in ups)
    payload = {
        "id": node.id,
        "paper": session.selected_paper_hash(),
        "inputs": {
            i: sha256_text(outline(text) if i in node.outline else text)
            for i in node.inputs
            for text in [session.read(i) or ""]
        },
        "prompts": prompt_hash(PROMPTS_FOR[kind], prompt_dir),
        "answers": answers,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def statuses(session: Session, prompt_dir: str | None = None) -> dict[str, Status]:
    """Status of every artifact, staleness propagated downstream."""
    with session.lock:
        return _statuses(session, prompt_dir)


def _statuses(session: Session, prompt_dir: str | None) -> dict[str, Status]:
    session.sync_edits()
    graph = nodes(session)
    by_id = {n.id: n for n in graph}
    out: dict[str, Status] = {}
    for n in graph:
        rec = session.record(n.id)
        content = session.read(n.id)
        if content is None:
            out[n.id] = "missing"
            continue
        upstream_bad = any(out.get(i) in ("stale", "missing") for i in n.inputs)
        if rec is None:
            out[n.id] = "stale" if upstream_bad else "edited"
            continue
        # A file written wholly by hand has no input hash: it is stale only if what it
        # builds on is. An edited generation keeps the input hash it was made from.
        changed = upstream_bad or (
            rec.input_hash is not None and rec.input_hash != input_hash(session, n, by_id, prompt_dir)
        )
        if changed:
            out[n.id] = "stale"
        elif rec.approved_hash and rec.approved_hash == rec.content_hash:
            out[n.id] = "approved"
        elif rec.by == "user":
            out[n.id] = "edited"
        else:
            out[n.id] = "generated"
    return out
