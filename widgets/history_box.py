"""Browse an artifact's history: every version (who, when, which model), the diff of any
two, the text of one, and restore — through the engine's ``history`` module, the same
one `papercoder history` / `restore` use, so the panel holds no ability the CLI lacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as W

from papercoder_nb.session import history

from .ui import box, button, html, show
from .views import PRE, diff_html, esc

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session


def version_label(v: history.Version) -> str:
    who = {"user": "you", "import": "imported", "model": v.model or "a model"}.get(v.by, v.by or "?")
    if who.startswith("replay:"):  # a replay's spec is a long path: the kind of source is what matters
        who = "replay"
    who = who if len(who) <= 40 else who[:39] + "…"
    return f"v{v.number} · {who} · {v.at[:16].replace('T', ' ')}"


class HistoryBox:
    def __init__(self, on_restore: Callable[[int], None]) -> None:
        self.old = W.Dropdown(description="from", options=[])
        self.new = W.Dropdown(description="to", options=[])
        for d, cls in ((self.old, "pc-history-from"), (self.new, "pc-history-to")):
            d.layout.width = "auto"
            d.add_class(cls)
            d.observe(lambda _c: self._render(), names="value")
        self.show_text = W.ToggleButtons(options=["Diff", "Text of “to”"], value="Diff")
        self.show_text.add_class("pc-history-show")
        self.show_text.observe(lambda _c: self._render(), names="value")
        self.restore = button("Restore “to” as the current version", "pc-history-restore", icon="undo")
        self.restore.on_click(lambda _b: on_restore(self.new.value) if self.new.value else None)
        self.diff = html("pc-diff")
        self.count = html("pc-history-count")
        bar = box([self.old, self.new, self.show_text, self.restore], "pc-history-bar", vertical=False)
        bar.layout.flex_flow = "row wrap"  # in one row Restore ran off the panel's right edge
        self.widget = box([self.count, bar, self.diff], "pc-history")
        self.session: Session | None = None
        self.aid = ""
        self._filling = False
        self._shown: tuple[str, int] = ("", 0)

    def refresh(self, session: Session, aid: str) -> int:
        """Fill the pickers (previous → current by default); returns the number of versions."""
        self.session, self.aid = session, aid
        found = history.versions(session, aid)
        options = [(version_label(v), v.number) for v in reversed(found)]  # newest first
        numbers = [n for _, n in options]
        fresh = (aid, len(numbers)) != self._shown  # another artifact or a new version: previous → current
        keep = self.old.value, self.new.value
        self._shown = (aid, len(numbers))
        self._filling = True
        try:
            self.old.options = self.new.options = options
            newest, previous = (numbers[0], numbers[1 if len(numbers) > 1 else 0]) if numbers else (None, None)
            self.new.value, self.old.value = (newest, previous) if fresh else keep
        finally:
            self._filling = False
        self.count.value = f"<p class='pc-muted'>{len(found)} version(s) of <code>{esc(aid)}</code>, newest first.</p>"
        show(self.restore, len(found) > 1)
        self._render()
        return len(found)

    def _render(self) -> None:
        if self._filling or self.session is None:
            return
        if not self.new.value:
            self.diff.value = diff_html(None, None)
            return
        self.restore.disabled = self.new.value == max(n for _, n in self.new.options)
        new = history.version_text(self.session, self.aid, self.new.value)
        if self.show_text.value != "Diff":
            self.diff.value = f'<pre class="pc-version-text" style="{PRE}">{esc(new)}</pre>'
            return
        old = history.version_text(self.session, self.aid, self.old.value) if self.old.value != self.new.value else None
        head = f"<p>Changes in <code>{esc(self.aid)}</code> from v{self.old.value} to v{self.new.value}:</p>" if old else ""
        self.diff.value = head + diff_html(old, new)
