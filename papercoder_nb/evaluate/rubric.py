"""PaperBench-style rubrics: a tree of weighted requirements, leaves graded 0 or 1.

The file format is PaperBench's ``rubric.json``: every node has ``id``, ``requirements``,
``weight`` and ``sub_tasks``; leaves carry a ``task_category`` (Code Development, Code
Execution, Result Analysis) and optionally a ``finegrained_task_category``. A parent's
score is the weighted mean of its children's. Users write or edit rubrics in the same
format; ``load_rubric`` checks them and says where a problem is.

Each leaf is graded by the judge model against the repository (and the session's smoke
result, if any). A leaf whose answer is unusable is *ungraded*: it counts as 0 and the
report says how many there were; a rubric with no graded leaf at all is an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..llm.base import (
    Backend,
    BackendError,
    CancelledError,
    CancelToken,
    Message,
    Part,
    Request,
    Usage,
    capabilities_of,
)
from ..llm.call import call_model
from ..session.store import Session
from ..util.errors import PapercoderError
from ..util.extract import ExtractError, extract_json
from .codebase import CodeFile, allocate, code_tokens, pack_code, rank_files
from .prompting import SAFETY_MARGIN, SMALL_WINDOW, counter, fit_paper, split_prompt

CATEGORIES = ("Code Development", "Code Execution", "Result Analysis")


class RubricError(PapercoderError, ValueError):
    """The rubric file is unreadable or breaks the format; the message says where."""


class RubricNode(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    requirements: str = Field(min_length=1, max_length=10_000)
    weight: float = Field(ge=0)
    sub_tasks: list[RubricNode] = Field(default_factory=list)
    task_category: str | None = None
    finegrained_task_category: str | None = None

    model_config = {"extra": "allow"}  # keep fields we do not use when a rubric is rewritten

    @property
    def is_leaf(self) -> bool:
        return not self.sub_tasks

    def walk(self, path: str = "") -> Iterator[tuple[str, RubricNode]]:
        yield path or "(root)", self
        for i, c in enumerate(self.sub_tasks):
            yield from c.walk(f"{path}.sub_tasks[{i}]" if path else f"sub_tasks[{i}]")

    def leaves(self) -> list[RubricNode]:
        return [n for _, n in self.walk() if n.is_leaf]


class GradedNode(BaseModel):
    id: str
    requirements: str
    weight: float
    task_category: str | None = None
    finegrained_task_category: str | None = None
    score: float = 0.0  # leaves 0 or 1; parents the weighted mean of their children
    passed: bool | None = None  # leaves only
    graded: bool = True  # False: the judge's answer for this leaf was unusable
    explanation: str = ""
    error: str | None = None
    children: list[GradedNode] = Field(default_factory=list)


class CategoryScore(BaseModel):
    category: str
    leaves: int
    passed: int
    ungraded: int
    score: float  # leaves' scores weighted by their share of the whole tree


class RubricReport(BaseModel):
    root: GradedNode
    score: float
    leaves: int
    passed: int
    ungraded: int
    categories: list[CategoryScore] = Field(default_factory=list)
    code_note: str = ""  # how the code was budgeted per leaf
    paper_note: str = ""
    usage: Usage = Field(default_factory=Usage)


# -- reading and checking ---------------------------------------------------------------
def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def parse_rubric(data: Any, source: str = "rubric") -> RubricNode:
    try:
        root = RubricNode.model_validate(data)
    except ValidationError as e:
        errs = e.errors()
        first = errs[0]
        more = f" (and {len(errs) - 1} more problems)" if len(errs) > 1 else ""
        raise RubricError(f"{source}: {_loc(first['loc'])}: {first['msg']}{more}") from None
    problems = check_rubric(root)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise RubricError(f"{source}: {problems[0]}{more}")
    return root


def check_rubric(root: RubricNode) -> list[str]:
    """Everything pydantic cannot see: unique ids, leaf categories, usable weights."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path, node in root.walk():
        if node.id in seen:
            problems.append(f"{path}: id {node.id!r} is used twice (also at {seen[node.id]})")
        seen.setdefault(node.id, path)
        if node.is_leaf:
            if node.task_category is None:
                problems.append(f"{path}: the leaf {node.id!r} has no task_category (one of {', '.join(CATEGORIES)})")
            elif node.task_category not in CATEGORIES:
                problems.append(f"{path}: task_category {node.task_category!r} is not one of {', '.join(CATEGORIES)}")
        elif sum(c.weight for c in node.sub_tasks) <= 0:
            problems.append(f"{path}: every sub-task of {node.id!r} has weight 0, so it cannot be scored")
    return problems


def load_rubric(path: str | Path) -> RubricNode:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(f"rubric {path} not found") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RubricError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    return parse_rubric(data, str(path))


def write_rubric(root: RubricNode, path: str | Path) -> None:
    from ..util.fsutil import atomic_write_text

    atomic_write_text(Path(path), root.model_dump_json(indent=4, exclude_none=True) + "\n")


# -- aggregating ------------------------------------------------------------------------
Grade = tuple[int | None, str, str | None]  # (0/1 or None if ungraded, explanation, error)


def aggregate(root: RubricNode, grades: dict[str, Grade]) -> RubricReport:
    """Scores up the tree by weights; per-category scores weight each leaf by its share."""
    shares: dict[str, float] = {}

    def build(node: RubricNode, share: float) -> GradedNode:
        g = GradedNode(id=node.id, requirements=node.requirements, weight=node.weight,
                       task_category=node.task_category, finegrained_task_category=node.finegrained_task_category)
        if node.is_leaf:
            score, explanation, error = grades.get(node.id, (None, "", "not graded"))
            g.score = float(score or 0)
            g.passed = bool(score) if score is not None else False
            g.graded = score is not None
            g.explanation, g.error = explanation, error
            shares[node.id] = share
            return g
        total = sum(c.weight for c in node.sub_tasks)
        g.children = [build(c, share * c.weight / total) for c in node.sub_tasks]
        g.score = round(sum(c.weight * gc.score for c, gc in zip(node.sub_tasks, g.children, strict=True)) / total, 6)
        return g

    graded = build(root, 1.0)
    leaves = root.leaves()
    cats: list[CategoryScore] = []
    for cat in sorted({leaf.task_category or "uncategorised" for leaf in leaves}):
        mine = [leaf for leaf in leaves if (leaf.task_category or "uncategorised") == cat]
        weight = sum(shares[leaf.id] for leaf in mine)
        got = sum(shares[leaf.id] * (grades.get(leaf.id, (None,))[0] or 0) for leaf in mine)
        cats.append(CategoryScore(
            category=cat, leaves=len(mine),
            passed=sum(1 for leaf in mine if grades.get(leaf.id, (None,))[0] == 1),
            ungraded=sum(1 for leaf in mine if grades.get(leaf.id, (None,))[0] is None),
            score=round(got / weight, 6) if weight > 0 else 0.0,
        ))
    return RubricReport(
        root=graded, score=graded.score, leaves=len(leaves),
        passed=sum(1 for leaf in leaves if grades.get(leaf.id, (None,))[0] == 1),
        ungraded=sum(1 for leaf in leaves if grades.get(leaf.id, (None,))[0] is None),
        categories=cats,
    )


# -- grading ----------------------------------------------------------------------------
def leaf_schema(small: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "explanation": {"type": "string", "maxLength": 200 if small else 600},
            "score": {"type": "integer", "enum": [0, 1]},
        },
        "required": ["explanation", "score"],
    }


def parse_leaf(text: str, parsed: Any) -> tuple[int, str]:
    if not isinstance(parsed, dict):
        if not text.strip():
            raise ValueError("empty answer")
        try:
            parsed = extract_json(text)
        except ExtractError as e:
            raise ValueError(str(e)) from None
    value = parsed.get("score", parsed.get("passed", parsed.get("pass")))
    if isinstance(value, bool):
        value = int(value)
    elif isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", "yes", "no"):
        value = int(value.strip().lower() in ("1", "true", "yes"))
    elif isinstance(value, float) and value in (0.0, 1.0):
        value = int(value)
    if value not in (0, 1) or isinstance(value, float):
        raise ValueError(f"score {value!r} is not 0 or 1")
    explanation = str(parsed.get("explanation") or parsed.get("reason") or "").strip()
    return int(value), explanation[:2000]


def _smoke_text(smoke: dict[str, Any] | None) -> str:
    if not smoke:
        return "No smoke run has been recorded for this repository."
    keys = ("ok", "entry_point", "args", "ran", "returncode", "timed_out", "error", "stdout_tail")
    return "Smoke run: " + json.dumps({k: smoke[k] for k in keys if k in smoke})[:3000]


def grade_rubric(
    session: Session,
    backend: Backend,
    rubric: RubricNode,
    code: list[CodeFile],
    *,
    max_tokens: int | None = None,
    prompt_dir: str | None = None,
    cancel: CancelToken | None = None,
    concurrency: int = 4,
    on_leaf: Callable[[str, Grade], None] | None = None,
    max_attempts: int = 3,
) -> RubricReport:
    window = backend.context_window
    small = window < SMALL_WINDOW
    max_out = max_tokens or (300 if small else 1024)
    count = counter(backend)
    system, _ = split_prompt("rubric_leaf", prompt_dir, category="", requirement="")
    smoke = _smoke_text(session.state.smoke)
    context = "\n".join(session.read(a) or "" for a in ("plan", "architecture", "logic"))
    paper = session.selected_paper()
    longest_req = max((len(leaf.requirements) for leaf in rubric.leaves()), default=0)
    available = window - max_out - SAFETY_MARGIN - count(system) - count(smoke) - longest_req // 2 - 400
    if available < 300:
        raise RubricError(f"the judge's window ({window} tokens) is too small to grade a rubric leaf")
    needs = {"paper": count(paper.to_prompt_text()), "code": code_tokens(code, count)}
    alloc = allocate(needs, {"paper": 0.4, "code": 0.6}, available)
    # The same paper text in every leaf's prompt: a provider's prefix cache reuses it.
    paper_text, paper_note = fit_paper(paper, max(100, alloc["paper"]), count)
    usage = Usage()
    one = _LeafGrader(session, backend, code, count, system, smoke, context, paper_text, alloc["code"], small,
                      max_out, prompt_dir, cancel, max_attempts)
    workers = max(1, concurrency) if capabilities_of(backend).concurrent else 1
    grades: dict[str, Grade] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="papercoder-rubric") as pool:
        for leaf_id, grade, u in pool.map(one, rubric.leaves()):
            grades[leaf_id] = grade
            usage = usage + u
            if on_leaf:
                on_leaf(leaf_id, grade)
    if all(g[0] is None for g in grades.values()):
        first = next(iter(grades.values()))[2] if grades else "no leaves"
        raise RubricError(f"no rubric leaf could be graded by {backend.spec} (first problem: {first})")
    report = aggregate(rubric, grades)
    report.usage = usage
    report.paper_note = paper_note
    report.code_note = "; ".join(sorted(one.notes))
    return report


@dataclass
class _LeafGrader:
    """Grades one rubric leaf with one model call; what every leaf's prompt shares."""

    session: Session
    backend: Backend
    code: list[CodeFile]
    count: Callable[[str], int]
    system: str
    smoke: str
    context: str
    paper_text: str
    code_budget: int
    small: bool
    max_out: int
    prompt_dir: str | None
    cancel: CancelToken | None
    max_attempts: int
    notes: set[str] = field(default_factory=set)  # what the code packing left out, per leaf

    def __call__(self, leaf: RubricNode) -> tuple[str, Grade, Usage]:
        req = self._request(leaf)
        try:
            c = call_model(self.backend, req, record=self.session.log_call, cancel=self.cancel,
                           max_attempts=self.max_attempts)
        except CancelledError:
            raise
        except BackendError as e:
            return leaf.id, (None, "", f"model call failed: {e}"), Usage()
        try:
            score, explanation = parse_leaf(c.text, c.parsed)
        except ValueError as e:
            return leaf.id, (None, "", str(e)), c.usage
        return leaf.id, (score, explanation, None), c.usage

    def _request(self, leaf: RubricNode) -> Request:
        """The paper, the code ranked for this leaf's requirement, the smoke run, the task."""
        ranked = rank_files(self.code, leaf.requirements + "\n" + self.context)
        code_text, cov = pack_code(ranked, self.code_budget, self.count, "code")
        self.notes.add(cov.note)
        _, task = split_prompt("rubric_leaf", self.prompt_dir, category=leaf.task_category or "",
                               requirement=leaf.requirements)
        parts = [
            Part(text=f"# The paper\n\n{self.paper_text}", cache=True),
            Part(text=f"\n# The repository\n\n{code_text or '(no code files)'}\n{self.smoke}\n"),
            Part(text=f"\n# Your task\n\n{task}"),
        ]
        return Request(messages=[Message.of("system", self.system), Message(role="user", parts=parts)],
                       schema=leaf_schema(self.small), schema_name="grade", max_tokens=self.max_out,
                       temperature=0.0, artifact=f"eval:rubric:{leaf.id}", kind="eval.rubric")
