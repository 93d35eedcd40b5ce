"""One artifact: rendered view, editor, diff with the previous version, and its actions.

One instance is reused for every artifact (the panel swaps which artifact it shows),
so the widget count stays small — a Box swap rather than Tab/Accordion, which misbehave
under Colab's widget manager. An unsaved edit is never overwritten by a refresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import ipywidgets as W

from papercoder_nb.checks.hooks import PREFIX as CHECK_PREFIX
from papercoder_nb.llm.pricing import format_cost
from papercoder_nb.run import review
from papercoder_nb.session.credits import credit
from papercoder_nb.session.store import artifact_path

from . import compat
from .history_box import HistoryBox
from .palette import BAD, OK
from .ui import (
    box,
    button,
    code_editor,
    css_id,
    html,
    set_class,
    set_editor_language,
    show,
    textarea,
)
from .unsaved import DraftKeeper
from .views import badge, esc, render_artifact

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session

MODES = ["View", "Edit", "Diff"]



class Host(Protocol):
    session: Session | None

    @property
    def busy(self) -> bool: ...

    def status_of(self, aid: str) -> str: ...

    @property
    def failing(self) -> dict[str, list[str]]: ...

    @property
    def statuses(self) -> dict[str, str]: ...

    def after_change(self, message: str = "") -> None: ...

    def regenerate(self, aid: str, feedback: str) -> None: ...

    def go_next(self, aid: str) -> None: ...


class ArtifactView:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.aid = ""
        self.loaded = ""  # the text the editor was filled with
        self.versions = 0  # how many versions of the shown artifact history holds
        self.title = html("pc-artifact-title")
        self.mode = W.ToggleButtons(options=MODES, value="View")
        self.mode.add_class("pc-mode")
        self.mode.observe(lambda _c: self._show_mode(), names="value")
        self.rendered = html("pc-rendered")
        self.diagrams = W.Output()
        self.diagrams.add_class("pc-diagrams")
        self.editor = code_editor("pc-editor", rows=22)
        self.save = button("Save edit", "pc-save", style="primary", icon="save")
        self.revert = button("Discard changes", "pc-revert", icon="undo")
        self.history = HistoryBox(self.do_restore)
        self.diff = self.history.diff
        self.validate = button("Validate", "pc-validate", icon="check-square")
        self.approve = button("Approve", "pc-approve", style="success", icon="check")
        self.approve_next = button("Approve and continue", "pc-approve-next", style="success", icon="forward")
        self.approve_next.on_click(lambda _b: self.do_approve() and self.host.go_next(self.aid))
        self.unapprove = button("Unapprove", "pc-unapprove", icon="times")
        self.feedback = textarea("pc-feedback", "What should change? (e.g. “use the paper's warm-up of 4000 steps”)", rows=2)
        self.regen = button("Regenerate with feedback", "pc-regenerate", style="warning", icon="refresh", width="auto")
        self.message = html("pc-message")
        self.marker = html("pc-unsaved-marker")
        self._quiet = False  # True while the panel itself fills the editor (not a user edit)
        self.drafts = DraftKeeper(lambda: self.host.session, self.editor)
        self.drafts.on_restore = self._put_draft
        self.editor.observe(self._edited, names="value")
        self.save.on_click(lambda _b: self.do_save())
        self.revert.on_click(lambda _b: self.do_revert())
        self.validate.on_click(lambda _b: self.do_validate())
        self.approve.on_click(lambda _b: self.do_approve())
        self.unapprove.on_click(lambda _b: self.do_unapprove())
        self.regen.on_click(lambda _b: self.host.regenerate(self.aid, self.feedback.value))
        self.view_box = box([self.rendered, self.diagrams], "pc-view")
        self.edit_box = box([self.editor, box([self.save, self.revert], vertical=False)], "pc-edit")
        self.diff_box = box([self.history.widget], "pc-diff-box")
        # The actions sit above a fixed-height scrolling view: Approve is never 7,000 px away.
        self.view_box.layout.max_height = self.diff_box.layout.max_height = "560px"
        self.view_box.layout.overflow = self.diff_box.layout.overflow = "auto"
        actions = box([self.mode, self.validate, self.approve, self.approve_next, self.unapprove], "pc-actions", vertical=False)
        actions.layout.flex_flow = "row wrap"
        # Regenerate sits with the other actions too: below the view it was off a laptop screen.
        self.feedback.layout.width = "auto"
        self.feedback.layout.flex = "1 1 auto"
        redo = box([self.feedback, self.regen], "pc-regenerate-row", vertical=False)
        redo.layout.align_items = "center"
        self.widget = box([
            self.title, self.marker, self.drafts.widget, actions, redo, self.message, self.view_box, self.edit_box,
            self.diff_box,
        ], "pc-artifact")
        self._show_mode()

    # -- showing -------------------------------------------------------------------
    def show(self, aid: str) -> None:
        if aid != self.aid:
            if self.dirty:  # the panel asks first; this keeps the text even if a caller did not
                self.drafts.autosave(self.editor.value, self.loaded or None, force=True)
            self.aid = aid
            self.message.value = ""
            self.feedback.value = ""
            self.loaded = ""
            self._set_editor("")
            set_editor_language(self.editor, artifact_path(aid))
            set_class(self.widget, "pc-artifact-id", css_id(aid))
            self.refresh()
            if self.mode.value == "Diff" and self.versions < 2:  # nothing to compare: don't open on an empty diff
                self.mode.value = "View"
            draft = self.drafts.restore(aid, self.host.session.read(aid) if self.host.session else None)
            if draft is not None:
                self._put_draft(draft)
            return
        self.refresh()

    def _set_editor(self, text: str) -> None:
        self._quiet = True
        try:
            self.editor.value = text
        finally:
            self._quiet = False
        self._mark()

    def _put_draft(self, text: str) -> None:
        self._set_editor(text)
        self.mode.value = "Edit"
        self._say("Restored your unsaved draft: Save it, or Discard changes to go back to the saved version.")

    def _edited(self, _change: dict) -> None:
        self._mark()
        if not self._quiet:
            self.drafts.autosave(self.editor.value, self.loaded)

    def _mark(self) -> None:
        dirty = self.dirty
        self.marker.value = ("<span class='pc-unsaved' style='color:#9a6700;font-weight:bold'>● Unsaved changes "
                             "(a draft is kept beside the session; Save to make it a version)</span>") if dirty else ""
        set_class(self.widget, "pc-dirty", "yes" if dirty else "no")

    @property
    def dirty(self) -> bool:
        return self.editor.value != self.loaded

    def refresh(self) -> None:
        session = self.host.session
        if session is None or not self.aid:
            return
        text = session.read(self.aid)
        if not self.dirty:
            self.loaded = text or ""
            self._set_editor(self.loaded)
        status = self.host.status_of(self.aid)
        rec = session.record(self.aid)
        info = []
        if rec is not None and text is not None:
            info.append(credit(rec, session.state.model))  # the export's wording: a replay names its recording
            if rec.usage.input_tokens or rec.usage.output_tokens:
                info.append(f"{rec.usage.input_tokens:,} in / {rec.usage.output_tokens:,} out tokens, {format_cost(rec.cost_usd)}")
            info.append(f"{len(session.history(self.aid))} version(s) in history")
        fails = self.host.failing.get(self.aid, [])
        approved = self.host.statuses.get(self.aid) == "approved"
        checks = ("<div class='pc-check-failures' style='color:#a40e26'><b>Fails its checks"
                  + (" — approved by you anyway" if approved else "") + ":</b><ul>"
                  + "".join(f"<li>{esc(f)}</li>" for f in fails) + "</ul></div>") if fails else ""
        # the live check list replaces the findings recorded when the file was written
        warnings = "".join(f"<li>{esc(w)}</li>" for w in (rec.warnings if rec else []) if not w.startswith(CHECK_PREFIX))
        error = f"<p class='pc-error'>Last attempt failed: {esc(rec.error)}</p>" if rec and rec.error else ""
        hint = {
            "stale": "Something it was made from changed since: press Run to regenerate it (your edits stay in history).",
            "generated": "Read it, edit if needed, then Approve so the next stage can start.",
            "edited": "Your edit is saved; Approve it when it is right.",
            "missing": "Not generated yet: press Run.",
            "failing": "Fix it in the editor or regenerate it with feedback; auto-approve leaves it for you.",
        }.get(status, "")
        self.title.value = (
            f"<h3 style='margin:4px 0'><code>{esc(self.aid)}</code> {badge('status', status)}</h3>"
            f"<p class='pc-muted' style='margin:2px 0'>{esc(' · '.join(info))}</p>"
            + (f"<p style='margin:2px 0'><i>{esc(hint)}</i></p>" if hint else "")
            + checks + (f"<ul>{warnings}</ul>" if warnings else "") + error
        )
        set_class(self.title, "pc-state", status)
        body, diagrams = render_artifact(self.aid, text)
        self.rendered.value = body
        compat.set_outputs(self.diagrams, [{"text/markdown": d} for d in diagrams])
        show(self.diagrams, bool(diagrams))
        self.versions = self.history.refresh(session, self.aid) if text is not None else 0
        if text is None:
            self.diff.value = ""
        busy = self.host.busy
        exists = text is not None
        self.approve.disabled = busy or not exists or approved
        self.approve.description = ("Approved (failing)" if approved and fails else "Approved" if approved
                                    else "Approve anyway" if fails else "Approve")
        self.approve.button_style = "warning" if fails else "success"
        self.approve_next.disabled = busy or not exists
        self.approve_next.description = "Continue" if approved else "Approve anyway and continue" if fails else "Approve and continue"
        show(self.unapprove, approved)
        self.unapprove.disabled = busy
        self.save.disabled = busy
        self.regen.disabled = busy
        self.validate.disabled = not (exists or self.editor.value)

    def _show_mode(self) -> None:
        show(self.view_box, self.mode.value == "View")
        show(self.edit_box, self.mode.value == "Edit")
        show(self.diff_box, self.mode.value == "Diff")

    def _say(self, html_text: str, ok: bool = True) -> None:
        colour = OK if ok else BAD  # the theme's colours: a fixed dark red is unreadable on a dark background
        self.message.value = f"<p style='color:{colour}'>{html_text}</p>"
        set_class(self.message, "pc-result", "ok" if ok else "error")

    # -- actions -------------------------------------------------------------------
    def do_save(self) -> bool:
        session = self.host.session
        if session is None or not self.aid:
            return False
        text = self.editor.value
        if text == (session.read(self.aid) or ""):
            self.loaded = text
            self.drafts.drop()
            self._mark()
            self._say("No changes to save.")
            return True
        session.write(self.aid, text, by="user")
        self.loaded = text
        self.drafts.drop()
        self._mark()
        self._say(f"Saved your edit of <code>{esc(self.aid)}</code>; the previous version is in history. "
                  "Anything built from it is now stale.")
        self.host.after_change(f"edited {self.aid}")
        return True

    def do_revert(self) -> None:
        self.drafts.drop()
        self.loaded = ""
        self._set_editor("")
        self.refresh()
        self._say("Editor reset to the saved version.")

    def do_validate(self) -> None:
        from papercoder_nb.stages.specs import spec_for

        text = self.editor.value if self.mode.value == "Edit" or self.dirty else (self.host.session.read(self.aid) if self.host.session else "")
        try:
            parsed = spec_for(self.aid).parse(text or "", None)
        except (ValueError, KeyError) as e:
            self._say(f"Not valid: {esc(e)}", ok=False)
            return
        warn = f" Warnings: {esc('; '.join(parsed.warnings))}" if parsed.warnings else ""
        self._say(f"Valid ✓ — later stages can read this {esc(self.aid.split(':')[0])}.{warn}")

    def do_approve(self) -> bool:
        session = self.host.session
        if session is None:
            return False
        if self.dirty:
            self._say("Save or discard your edit first: approval applies to the saved version.", ok=False)
            return False
        if self.host.statuses.get(self.aid) == "approved":
            return True  # "Approve and continue" on an approved artifact just continues
        try:  # the engine's rules, the same ones `papercoder approve` applies
            review.approve(session, [self.aid])
        except review.ApprovalError as e:
            self._say(f"Not approved: {esc(e)}", ok=False)
            return False
        self._say(f"Approved <code>{esc(self.aid)}</code>.")
        self.host.after_change(f"approved {self.aid}")
        return True

    def do_restore(self, number: int) -> None:
        session = self.host.session
        if session is None or not self.aid:
            return
        if self.dirty:
            self._say("Save or discard your edit first: restoring replaces the saved version.", ok=False)
            return
        from papercoder_nb.session import history

        new = history.restore(session, self.aid, number)
        self._say(f"Restored v{number} of <code>{esc(self.aid)}</code> as v{new} (kept in history like any edit).")
        self.host.after_change(f"restored {self.aid} v{number}")

    def do_unapprove(self) -> None:
        if self.host.session is not None:
            self.host.session.unapprove(self.aid)
            self._say(f"<code>{esc(self.aid)}</code> is no longer approved.")
            self.host.after_change(f"unapproved {self.aid}")
