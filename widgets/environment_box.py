"""The Smoke step's answer to an environment problem: a missing package or data file.

The engine sorts a failing run into environment problems and code faults
(``verify.environment``); an environment problem is never sent to the model as a code
bug. This box names each problem with its exact fix and, for packages the logic design
lists, asks before installing them into the session's own environment
(``<session>/.venv``, ``verify.session_env``) — the panel's form of ``--install``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from papercoder_nb.verify.repair import environment_of

from .ui import box, button, html, show
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session
    from papercoder_nb.verify.environment import EnvProblem
    from papercoder_nb.verify.sandbox import SmokeResult


def problems_html(problems: list[EnvProblem], python: str) -> str:
    items = "".join(f"<li>{esc(p.describe(python))}</li>" for p in problems)
    return (
        "<div style='border-left:4px solid var(--pc-warn, #7d4e00);padding:4px 8px'>"
        "<p style='margin:2px 0'><b>Environment, not code:</b> the run needs something this machine does "
        "not have. Repair will not ask the model to change code for it.</p>"
        f"<ul style='margin:2px 0'>{items}</ul></div>"
    )


class EnvironmentBox:
    """Hidden unless the last smoke run failed for want of a package or data file;
    ``on_install(requirements)`` starts the install-and-re-run job (the user's yes)."""

    def __init__(self, on_install: Callable[[list[str]], object]) -> None:
        self.installable: list[str] = []
        self.text = html("pc-environment-text")
        self.install = button("Install into this session's environment", "pc-environment-install",
                              style="warning", icon="download",
                              tooltip="pip install the listed packages into <session>/.venv, then re-run the smoke test")
        self.install.on_click(lambda _b: on_install(list(self.installable)))
        self.widget = box([self.text, self.install], "pc-environment")
        show(self.widget, False)

    def update(self, session: Session | None, result: SmokeResult | None, busy: bool) -> list[EnvProblem]:
        found = environment_of(session, result) if session is not None and result is not None and not result.ok else []
        self.installable = [p.requirement for p in found if p.kind == "package" and p.declared]
        self.text.value = problems_html(found, result.python if result else "") if found else ""
        show(self.widget, bool(found))
        show(self.install, bool(self.installable))
        self.install.disabled = busy
        return found
