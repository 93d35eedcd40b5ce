"""Open questions: the unclear points of the plan and both designs, as a checklist.

Answers are stored in the session with the artifact that raised them; the engine folds
them into later prompts, so answering one makes what is downstream of its source stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as W

from papercoder_nb.session.artifacts import Architecture, unclear_points
from papercoder_nb.session.graph import load_logic

from .palette import MUTED
from .ui import box, button, html
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session


def open_questions(session: Session) -> list[tuple[str, str]]:
    """(question, source artifact) in the order the engine lists them."""
    logic = load_logic(session)
    arch = None
    try:
        arch = Architecture.model_validate_json(session.read("architecture") or "")
    except ValueError:
        pass
    out = []
    for q in unclear_points(arch, logic, session.read("plan") or ""):
        src = "plan"
        if logic is not None and q in logic.unclear:
            src = "logic"
        if arch is not None and q in arch.unclear:
            src = "architecture"
        out.append((q, src))
    return out


class QuestionsBox:
    def __init__(self, on_saved: Callable[[str], None]) -> None:
        self._on_saved = on_saved
        self.header = html("pc-questions-header")
        self.rows = box([], "pc-question-rows")
        self.answers: dict[str, tuple[str, W.Text, W.HTML]] = {}
        self.save = button("Save answers", "pc-save-answers", style="primary", icon="save")
        self.save.on_click(lambda _b: self.do_save())
        self.message = html("pc-questions-message")
        self.session: Session | None = None
        self.widget = box([self.header, self.rows, box([self.save, self.message], vertical=False)], "pc-questions")

    def refresh(self, session: Session | None) -> None:
        self.session = session
        questions = open_questions(session) if session else []
        answered = {a.question: a.answer for a in session.state.answers} if session else {}
        if [q for q, _ in questions] != list(self.answers):
            rows, self.answers = [], {}
            for q, src in questions:
                mark = html("pc-question")
                t = W.Text(value=answered.get(q, ""), placeholder="your answer (leave empty to let the model decide)")
                t.layout.width = "95%"
                t.add_class("pc-answer")
                self.answers[q] = (src, t, mark)
                rows.append(box([mark, t]))
            self.rows.children = tuple(rows)
        for q, (src, _t, mark) in self.answers.items():
            done = bool(answered.get(q))
            mark.value = f"{'☑' if done else '☐'} <b>{esc(q)}</b> <span style='color:{MUTED}'>(from {esc(src)})</span>"
        n_done = sum(1 for q in self.answers if answered.get(q))
        self.header.value = (
            f"<h4 style='margin:6px 0'>Open questions ({n_done}/{len(self.answers)} answered)</h4>"
            if self.answers else "<p><i>No open questions yet: they appear once the plan and designs exist.</i></p>"
        )
        self.save.disabled = not self.answers

    def do_save(self) -> None:
        if self.session is None:
            return
        before = {a.question: a.answer for a in self.session.state.answers}
        changed = 0
        for q, (src, t, _mark) in self.answers.items():
            if t.value.strip() != before.get(q, ""):
                self.session.set_answer(q, t.value, src)
                changed += 1
        self.message.value = (
            f"<span>Saved {changed} answer(s); they go into the prompts of what comes after their source.</span>"
            if changed else "<span>No changes.</span>"
        )
        self._on_saved(f"answered {changed} question(s)")
