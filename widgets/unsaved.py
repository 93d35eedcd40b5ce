"""Never lose an edit: the unsaved-changes question, draft autosave and draft restore.

``AskBar`` is asked before anything would replace the editor's text (another step,
artifact or session): Save, Discard or Stay. ``DraftKeeper`` writes the editor's
unsaved text beside the session at most every ``interval`` seconds — and once more
``interval`` after the last change, so the end of a burst of typing is kept too — and
brings it back when the artifact is shown again (after a kernel restart too); if the file
on disk changed since the draft was started, it shows both and lets the user choose.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import drafts
from .ui import box, button, html, set_class, show
from .views import diff_html, esc

if TYPE_CHECKING:
    import ipywidgets as W

    from papercoder_nb.session.store import Session


def drafts_note(session: Session) -> str:
    """HTML telling the user which artifacts have an unsaved draft waiting (or "")."""
    found = [d.artifact for d in drafts.list_drafts(session)]
    if not found:
        return ""
    names = ", ".join(f"<code>{esc(a)}</code>" for a in found)
    return f"<br>You have an unsaved draft of {names}: open it to save or discard it."


class AskBar:
    """“You have unsaved changes in X”: Save / Discard / Stay, then the pending action."""

    def __init__(self, save: Callable[[], bool], discard: Callable[[], None]) -> None:
        self._save, self._discard = save, discard
        self._proceed: Callable[[], None] | None = None
        self._stay: Callable[[], None] | None = None
        self.text = html("pc-ask-text")
        self.save = button("Save and continue", "pc-ask-save", style="primary", icon="save", width="auto")
        self.discard = button("Discard my changes", "pc-ask-discard", style="danger", icon="trash", width="auto")
        self.stay = button("Stay here", "pc-ask-stay", icon="pencil", width="auto")
        self.save.on_click(lambda _b: self.answer("save"))
        self.discard.on_click(lambda _b: self.answer("discard"))
        self.stay.on_click(lambda _b: self.answer("stay"))
        self.widget = box([self.text, box([self.save, self.discard, self.stay], vertical=False)], "pc-ask")
        self.widget.layout.border = "2px solid #d4a72c"
        self.widget.layout.padding = "4px 8px"
        show(self.widget, False)

    @property
    def asking(self) -> bool:
        return self._proceed is not None

    def ask(self, artifact_id: str, what: str, proceed: Callable[[], None], stay: Callable[[], None] | None = None) -> None:
        self._proceed, self._stay = proceed, stay
        self.text.value = (f"<b>Unsaved changes in <code>{esc(artifact_id)}</code>.</b> "
                           f"Save them before you {esc(what)}? (A draft is kept meanwhile.)")
        show(self.widget, True)
        set_class(self.widget, "pc-asking", "yes")

    def answer(self, choice: str) -> None:
        proceed, stay = self._proceed, self._stay
        self._proceed = self._stay = None
        show(self.widget, False)
        set_class(self.widget, "pc-asking", "no")
        if choice == "save" and not self._save():
            return  # the save was refused (message shown by the view): stay with the text
        if choice == "discard":
            self._discard()
        if choice == "stay":
            if stay is not None:
                stay()
            return
        if proceed is not None:
            proceed()


class DraftKeeper:
    """Autosaves the editor of one ArtifactView and restores drafts when it shows an artifact."""

    def __init__(self, session: Callable[[], Session | None], editor: W.DOMWidget, interval: float = 2.0) -> None:
        self._session, self.editor, self.interval = session, editor, interval
        self.aid = ""
        self._last_write = 0.0
        # The newest text not yet written (a textarea syncs every key: most land inside the
        # interval) and the timer that writes it when the interval is up; both under _lock,
        # which also orders a late write before a drop (Save must not bring a draft back).
        self._later: tuple[Session, str, str, str | None] | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self.pending: drafts.Draft | None = None  # a draft whose base changed on disk: asking
        self.text = html("pc-draft-conflict-text")
        self.use_draft = button("Use my draft", "pc-draft-use", style="warning", icon="pencil", width="auto")
        self.use_disk = button("Keep the file on disk", "pc-draft-disk", icon="file", width="auto")
        self.widget = box([self.text, box([self.use_draft, self.use_disk], vertical=False)], "pc-draft-conflict")
        self.widget.layout.border = "2px solid #cf222e"
        self.widget.layout.padding = "4px 8px"
        show(self.widget, False)
        self.on_restore: Callable[[str], None] = lambda _text: None

        self.use_draft.on_click(lambda _b: self.resolve(True))
        self.use_disk.on_click(lambda _b: self.resolve(False))

    def autosave(self, text: str, base: str | None, force: bool = False) -> None:
        """Write the draft now if ``interval`` seconds passed since the last write (or
        ``force``); else write the newest text when the interval is up."""
        session = self._session()
        if session is None or not self.aid:
            return
        with self._lock:
            wait = self.interval - (time.monotonic() - self._last_write)
            if force or wait <= 0:
                self._write(session, self.aid, text, base)
                return
            self._later = (session, self.aid, text, base)
            if self._timer is None:
                self._timer = threading.Timer(wait, self._write_later)
                self._timer.daemon = True
                self._timer.start()

    def _write(self, session: Session, aid: str, text: str, base: str | None) -> None:
        """Under ``_lock``: the draft on disk becomes ``text`` (none when it is the saved text)."""
        self._later = None
        self._last_write = time.monotonic()
        if text == (base or ""):
            drafts.drop_draft(session, aid)
        else:
            drafts.save_draft(session, aid, text, base)

    def _write_later(self) -> None:
        with self._lock:
            self._timer = None
            if self._later is not None:
                self._write(*self._later)

    def _cancel_later(self) -> None:
        """Under ``_lock``: forget a write not yet made."""
        self._later = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def drop(self) -> None:
        session = self._session()
        with self._lock:
            self._cancel_later()
            if session is not None and self.aid:
                drafts.drop_draft(session, self.aid)
        self._hide()

    def restore(self, aid: str, disk_text: str | None) -> str | None:
        """The draft text to put in the editor, or None; on a disk conflict, ask instead."""
        self.aid = aid
        self._hide()
        session = self._session()
        draft = drafts.load_draft(session, aid) if session is not None else None
        if draft is None or draft.text == (disk_text or ""):
            return None
        if not drafts.disk_changed(draft, disk_text):
            return draft.text
        self.pending = draft
        self.text.value = (
            f"<b>Your unsaved draft of <code>{esc(aid)}</code> ({esc(draft.at)}) was started from an older "
            "version: the file changed on disk since.</b> Below, the changes from the file on disk to your "
            "draft. Which one do you want in the editor? (The other stays in history or in the draft.)"
            + diff_html(disk_text or "", draft.text, "")
        )
        show(self.widget, True)
        set_class(self.widget, "pc-conflict", "yes")
        return None

    def resolve(self, use_draft: bool) -> None:
        draft, self.pending = self.pending, None
        self._hide()
        session = self._session()
        if draft is None or session is None:
            return
        if use_draft:  # re-based on the current file, so saving it is an ordinary edit
            drafts.save_draft(session, draft.artifact, draft.text, session.read(draft.artifact))
            self.on_restore(draft.text)
        else:
            drafts.drop_draft(session, draft.artifact)

    def _hide(self) -> None:
        self.pending = None
        show(self.widget, False)
        set_class(self.widget, "pc-conflict", "no")
