"""The Evaluate step: PaperCoder's model judge or a PaperBench rubric, with static facts.

``evaluate_session`` runs in the panel's worker (one judge call per sample, or one per
rubric leaf); what is shown is ``evaluation_summary(session_dir)``, read back from the
session's ``eval/`` folder, so an evaluation made with ``papercoder eval`` shows here too.
Critiques are grouped by file, each group with a button that opens the file's Code view.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

import ipywidgets as W

from papercoder_nb.run.runner import Event

from .errors import describe, hint_of
from .report_views import (
    categories_html,
    critiques_html,
    history_html,
    rubric_html,
    score_html,
    static_html,
)
from .smoke_box import Host as BaseHost
from .ui import box, button, css_id, html, set_class, text
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.llm.base import Backend, CancelToken

    from .worker import Emit, Finished

JUDGE_ENV = "PAPERCODER_JUDGE_MODEL"  # default judge; empty: the panel's model


class Host(BaseHost, Protocol):
    def select_artifact(self, aid: str) -> None: ...


class EvalBox:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.summary: dict[str, Any] = {"has_result": False}
        self.gold = text("pc-eval-gold", "optional: the authors' repository folder (reference-based)", width="60%")
        self.rubric = text("pc-eval-rubric", "optional: a PaperBench rubric.json (rubric mode)", width="60%")
        self.samples = W.BoundedIntText(value=1, min=1, max=16, description="samples")
        self.samples.add_class("pc-eval-samples-input")
        self.judge = text("pc-eval-judge", "judge model provider:model (empty: the model picked on the Paper step)",
                          value=os.environ.get(JUDGE_ENV, ""), width="60%")
        self.go = button("Evaluate", "pc-eval-run", style="primary", icon="balance-scale", width="auto")
        self.go.on_click(lambda _b: self.evaluate())
        self.status = html("pc-eval-status")
        self.score = html("pc-eval-score")
        self.critiques = box([], "pc-eval-critiques")
        self.rubric_tree = html("pc-eval-rubric-tree")
        self.static = html("pc-eval-static")
        self.open_buttons: dict[str, W.Button] = {}
        self.widget = box([
            html("pc-eval-help", "<p>A model judges the generated code against the paper (reference-free, "
                 "PaperCoder's protocol: a 1–5 score with critiques), against the authors' code too when you give "
                 "its folder, or grades a PaperBench rubric leaf by leaf. Static facts are measured, not judged.</p>"),
            self.judge, self.gold, self.rubric, box([self.samples, self.go], vertical=False),
            self.status, self.score, self.critiques, self.rubric_tree, self.static,
        ], "pc-eval")

    # -- running --------------------------------------------------------------------------
    def evaluate(self) -> bool:
        session = self.host.session
        if session is None:
            return False
        gold = self.gold.value.strip() or None
        rubric = self.rubric.value.strip() or None
        if gold and rubric:
            self._say("Give either a gold repository or a rubric: they are separate modes.", ok=False)
            return False
        samples, spec, host = int(self.samples.value), self.judge.value.strip(), self.host

        def job(token: CancelToken, emit: Emit) -> Any:
            from papercoder_nb.evaluate import evaluate_session

            backend = self._judge(spec)
            mode = "rubric" if rubric else "reference-based" if gold else "reference-free"
            emit(Event("info", "eval", f"{mode} evaluation by {backend.spec} …"))
            return evaluate_session(session, backend, gold=gold, rubric=rubric, samples=samples, cancel=token)

        started = host.start_job("evaluate", job, self._done, planned=1)
        if started:
            self._say("Evaluating … (static facts, then the judge)")
        return started

    def _judge(self, spec: str) -> Backend:
        if not spec:
            return self.host.get_backend()
        from papercoder_nb.session.backend import build_backend

        return build_backend(spec).backend

    def _done(self, item: Finished) -> None:
        if item.error is not None:
            self.host.show_error(describe(item.error), hint=hint_of(item.error))
            self._say(f"No evaluation: {esc(describe(item.error))}", ok=False)
            return
        self._say(f"Evaluated: the result is saved in <code>{esc(self.host.session.root if self.host.session else '')}/eval/</code>.")

    def _say(self, text_html: str, ok: bool = True) -> None:
        self.status.value = f"<p style='color:{'var(--pc-ok, #116329)' if ok else 'var(--pc-bad, #a40e26)'}'>{text_html}</p>"
        set_class(self.status, "pc-result", "ok" if ok else "error")

    # -- showing --------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.host.session
        self.go.disabled = session is None or self.host.busy
        if session is None:
            return
        from papercoder_nb.evaluate import evaluation_summary

        s = self.summary = evaluation_summary(session.root)
        self.score.value = score_html(s) + history_html(s.get("history", []))
        set_class(self.score, "pc-eval-state", s.get("kind", "none") if s.get("has_result") else "none")
        groups: list[W.Widget] = []
        self.open_buttons = {}
        by_file = s.get("critiques_by_file", {}) if s.get("has_result") else {}
        if by_file:
            groups.append(html("pc-eval-critiques-title", f"<h4>Critiques by file ({sum(len(e['critiques']) for e in by_file.values())})</h4>"))
        for entry in by_file.values():
            row: list[W.Widget] = [html("pc-critique-group", critiques_html(entry))]
            if entry.get("artifact") and entry.get("exists"):
                b = button(f"Open {entry['file']}", f"pc-eval-open-{css_id(entry['artifact'])}", icon="code", width="auto")
                b.add_class("pc-eval-open")
                b.on_click(lambda _b, aid=entry["artifact"]: self.host.select_artifact(aid))
                self.open_buttons[entry["file"]] = b
                row.append(box([b], vertical=False))
            groups.append(box(row, "pc-critique-row"))
        self.critiques.children = tuple(groups)
        self.rubric_tree.value = (rubric_html(s.get("rubric")) + categories_html(s.get("categories", []))) if s.get("has_result") else ""
        self.static.value = static_html(s.get("static")) if s.get("has_result") else ""
