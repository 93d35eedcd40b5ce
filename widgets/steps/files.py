"""The per-file steps (Analysis, Code) and the file tree they share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as W

from papercoder_nb.run import review

from ..findings_view import CodeFindings
from ..header import group_state
from ..palette import BAD, BAD_BG, WARN, WARN_BG
from ..ui import box, button, html, set_class, show
from .base import Step

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session

    from .base import StepHost


def file_tree_style(owner: int, states: list[str]) -> str:
    """CSS that colours the file tree's entries by state (an <option> takes no markup):
    red for failing files, the warning colour for stale ones. Scoped to one panel."""
    colour = {"failing": (BAD, BAD_BG), "failed": (BAD, BAD_BG), "stale": (WARN, WARN_BG)}
    rules = [f".pc-files-of-{owner} option:nth-child({n}) {{ color: {colour[s][0]}; font-weight: bold; }} "
             # the selected entry gets a tint of its state: the browser's grey highlight is too dark for it
             f".pc-files-of-{owner} option:nth-child({n}):checked {{ background-color: {colour[s][1]}; }}"
             for n, s in enumerate(states, 1) if s in colour]
    return f"<style>{' '.join(rules)}</style>" if rules else ""


class FileTree:
    """The analysis / code file list (task order) with its batch approvals: one per
    panel, so the selection and the editor stay put when switching Analysis ↔ Code."""

    def __init__(self, host: StepHost) -> None:
        self.host = host
        self.file_select = W.Select(options=[], rows=8)
        self.file_select.layout.width = "100%"
        self.file_select.add_class("pc-files")
        self.file_select.observe(self._file_chosen, names="value")
        self.code_findings = CodeFindings(self)  # red above the editor: the file's failing checks
        self._filling_files = False  # our own writes to the list are not the user's choice
        self.approve_all = button("Approve all generated files", "pc-approve-all", style="success", icon="check", width="auto")
        self.approve_all.on_click(lambda _b: host.approve_files())
        self.approve_all_next = button("Approve all and continue", "pc-approve-all-next", style="success", icon="forward")
        self.approve_all_next.on_click(lambda _b: host.approve_files() or host.nav.perform_next())
        self.files_style = html("pc-files-style")  # colours the failing / stale entries of the file tree
        self.widget = box([html("pc-files-help", "<b>Files</b> (task order)"), self.files_style, self.file_select,
                           box([self.approve_all, self.approve_all_next], vertical=False)], "pc-file-tree")

    @property
    def session(self) -> Session | None:  # CodeFindings reads the session and the selection from here
        return self.host.session

    def fill(self, kind: str) -> None:
        """List ``kind``'s files with their states, keep the selection, show the selected one."""
        host = self.host
        options = [(f"{f}  ·  {host.status_of(f'{kind}:{f}')}", f"{kind}:{f}") for f in host.files]
        current = self.file_select.value if self.file_select.value in [v for _, v in options] else None
        self._filling_files = True
        try:
            if list(self.file_select.options) != options:
                self.file_select.options = options
            self.file_select.value = current or (options[0][1] if options else None)
        finally:
            self._filling_files = False
        self.files_style.value = file_tree_style(id(host), [host.status_of(v) for _, v in options])
        set_class(self.file_select, "pc-files-of", str(id(host)))
        show(host.view.widget, bool(options))
        if not options:
            self.widget.children[0].value = "<p><i>The file list comes from the logic design: run and approve planning first.</i></p>"
        else:
            self.widget.children[0].value = f"<b>Files</b> in task order ({len(options)})"
        if self.file_select.value:
            host.view.show(self.file_select.value)
        self.approve_all.disabled = self.approve_all_next.disabled = host.busy or not any(
            host.statuses.get(v) in ("generated", "edited") for _, v in options
        )

    def select(self, aid: str) -> None:
        """Select ``aid`` when it is listed (the list is this kind's after ``fill``)."""
        if any(v == aid for _, v in self.file_select.options):
            self.file_select.value = aid

    def _file_chosen(self, change: dict[str, Any]) -> None:
        new = change["new"]
        if self._filling_files or not new:
            return
        view = self.host.view
        if new != view.aid and self.host.asked(f"open {new}", lambda: view.show(new), lambda: self._reselect(view.aid)):
            return
        view.show(new)

    def _reselect(self, aid: str) -> None:
        self._filling_files = True
        try:
            self.file_select.value = aid
        finally:
            self._filling_files = False

    def approve(self, kind: str) -> None:
        """Approve every approvable file of ``kind``; failing or stale ones stay for review."""
        host = self.host
        assert host.session is not None
        ready = set(review.approvable(host.session))
        ids = [f"{kind}:{f}" for f in host.files if f"{kind}:{f}" in ready]
        review.approve(host.session, ids)
        left = [f for f in host.files if host.status_of(f"{kind}:{f}") == "failing"]
        note = f"; left for your review (failing their checks): {', '.join(left)}" if left else ""
        host.after_change(f"approved {len(ids)} {kind} file(s){note}")


class FilesStep(Step):
    """A step over every file of the logic design's task list, one ``kind`` of artifact."""

    kind: ClassVar[str]  # the artifact kind: "analysis" for analysis:<file>

    @classmethod
    def shows(cls, aid: str) -> bool:
        return aid.partition(":")[0] == cls.kind

    @property
    def tree(self) -> FileTree:
        return self.host.file_tree

    def view(self) -> list[W.Widget]:
        children = [self.tree.widget, *self.extra(), self.host.view.widget]
        self.tree.fill(self.kind)
        return children

    def extra(self) -> list[W.Widget]:
        """Widgets between the file list and the editor."""
        return []

    def state(self) -> str:
        return group_state([self.host.status_of(f"{self.kind}:{f}") for f in self.host.files])

    def actions(self) -> list[W.Button]:
        return [self.tree.approve_all]

    def set_busy(self, busy: bool) -> None:
        # Back on when idle; ``FileTree.fill`` then turns it off again with nothing to approve.
        self.tree.approve_all.disabled = busy

    def focus(self, aid: str) -> None:
        if self.host.ask.asking:  # unsaved text: the user answers first
            return
        if aid.partition(":")[2]:
            self.tree.select(aid)


class AnalysisStep(FilesStep):
    name = "Analysis"
    kind = "analysis"
    run_until = "analysis"


class CodeStep(FilesStep):
    name = "Code"
    kind = "code"
    run_until = "coding"

    @property
    def run_label(self) -> str:
        return "Run code"  # not "Run coding"

    def extra(self) -> list[W.Widget]:
        return [self.tree.code_findings.update()]
