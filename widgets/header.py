"""The compact header: the stepper, one row of stage counts, per-artifact badges on demand.

One badge per artifact (18 for a 7-file paper) wrapped over four rows and pushed the
content down; the row of counts says the same in one line ("Code 4/7 approved · 1
failing"), and "Details" shows the badges for whoever wants them.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W

from papercoder_nb.session.artifacts import PLANNING

from .ui import box, button, css_id, html, set_class, show
from .views import STATUS_STYLE, badge, esc

STATE_STYLE = {"approved": "success", "stale": "warning", "running": "info", "failed": "danger", "failing": "danger"}
STATE_ICON = {"approved": "check", "stale": "exclamation-triangle", "running": "spinner", "edited": "pencil",
              "generated": "circle", "failed": "times", "failing": "times-circle"}
# Which state a group shows first when its members differ: the one that needs attention.
PRECEDENCE = ("running", "failed", "failing", "stale")


def group_state(states: list[str]) -> str:
    if not states:
        return "missing"
    for s in PRECEDENCE:
        if s in states:
            return s
    if all(s == "approved" for s in states):
        return "approved"
    return "generated" if any(s != "missing" for s in states) else "missing"


def stage_counts(label: str, states: list[str]) -> str:
    """One chip: "Code 4/7 approved · 1 failing · 2 missing", coloured by the group's state."""
    if not states:
        return ""
    approved = states.count("approved")
    rest = {s: states.count(s) for s in dict.fromkeys(states) if s != "approved"}
    extra = "".join(f" · {n} {esc(s)}" for s, n in rest.items())
    fg, bg = STATUS_STYLE.get(group_state(states), ("#333", "#eee"))
    return (f'<span class="pc-stage-chip pc-chip-{esc(group_state(states))}" style="color:{fg};background:{bg};'
            f'border-radius:10px;padding:1px 8px;margin-right:6px;font-size:12px;white-space:nowrap">'
            f"<b>{esc(label)}</b> {approved}/{len(states)} approved{extra}</span>")


class Header:
    def __init__(self, steps: list[str], select: Callable[[str], None]) -> None:
        self.step_buttons: dict[str, W.Button] = {}
        for name in steps:
            b = button(name, f"pc-step-{name.lower()}", width="auto")
            b.add_class("pc-step")
            b.on_click(lambda _b, n=name: select(n))
            self.step_buttons[name] = b
        self.stepper = box(list(self.step_buttons.values()), "pc-stepper", vertical=False)
        self.stepper.layout.flex_flow = "row wrap"
        self.counts = html("pc-stage-counts")
        self.details = W.ToggleButton(value=False, description="Details", icon="list", tooltip="every artifact's state")
        self.details.layout.width = "auto"
        self.details.add_class("pc-status-details")
        self.details.observe(lambda _c: show(self.status_strip, self.details.value), names="value")
        self.status_strip = box([], "pc-status-strip", vertical=False)
        self.status_strip.layout.flex_flow = "row wrap"
        show(self.status_strip, False)
        self.badges: dict[str, W.HTML] = {}
        row = box([self.counts, self.details], "pc-summary-row", vertical=False)
        row.layout.align_items = "center"
        self.widget = box([self.stepper, row, self.status_strip], "pc-header")

    def render(self, status_of: Callable[[str], str], ids: list[str], files: list[str],
               step_state: Callable[[str], str], current: str) -> None:
        if list(self.badges) != ids:
            self.badges = {}
            for aid in ids:
                h = html(f"pc-status-{css_id(aid)}")
                h.add_class("pc-status")
                self.badges[aid] = h
            self.status_strip.children = tuple(self.badges.values())
        for aid, h in self.badges.items():
            st = status_of(aid)
            h.value = badge(aid, st)
            set_class(h, "pc-state", st)
        groups = [("Planning", [status_of(a) for a in PLANNING if a in ids]),
                  ("Analysis", [status_of(f"analysis:{f}") for f in files]),
                  ("Code", [status_of(f"code:{f}") for f in files])]
        self.counts.value = "".join(stage_counts(label, states) for label, states in groups)
        for name, b in self.step_buttons.items():
            st = step_state(name)
            b.button_style = STATE_STYLE.get(st, "")
            b.icon = STATE_ICON.get(st, "")
            set_class(b, "pc-state", st)
            if name == current:
                b.add_class("pc-step-current")
            else:
                b.remove_class("pc-step-current")
