"""Pieces shared by the judge and the rubric grader: prompts, token counts, the paper."""

from __future__ import annotations

from collections.abc import Callable

from ..llm.base import Backend, capabilities_of
from ..paper import Paper
from ..paper.tokens import estimate_tokens
from ..util.templates import load_prompt, render

TASK_MARK = "<!-- task -->"
SMALL_WINDOW = 16_000  # below this the judge gets tighter output bounds
SAFETY_MARGIN = 200  # chat-template tokens and estimation error


def split_prompt(name: str, prompt_dir: str | None = None, **values: str) -> tuple[str, str]:
    """A judge prompt file is the system text, then ``<!-- task -->``, then the task that
    ends the user message (the task goes last so the long inputs before it can be cached)."""
    text = load_prompt(name, prompt_dir)
    system, mark, task = text.partition(TASK_MARK)
    if not mark:
        raise ValueError(f"prompt {name}.md has no '{TASK_MARK}' line separating the system text from the task")
    return system.strip(), render(task.strip(), **values)


def counter(backend: Backend) -> Callable[[str], int]:
    """The backend's own tokenizer when it has one (local models), else the estimate."""
    return capabilities_of(backend).count_tokens or estimate_tokens


def fit_paper(paper: Paper, budget: int, count: Callable[[str], int]) -> tuple[str, str]:
    """The paper within ``budget`` tokens of the judge's tokenizer, and a note on what was cut."""
    full = paper.to_prompt_text()
    if count(full) <= budget:
        return full, "paper shown in full"
    target = budget
    text = full
    for _ in range(4):  # the paper condenses by an estimate; correct it with the real count
        text = paper.to_prompt_text(max_tokens=max(100, target))
        n = count(text)
        if n <= budget:
            break
        target = int(target * budget / n * 0.95)
    if count(text) > budget:
        text = text[: max(200, budget * 3)]
    return text, f"paper condensed to about {count(text)} of {count(full)} tokens"
