"""The Smoke step's question when high-risk code would run without isolation.

The engine refuses (``verify.smoke.SmokeRefused``); this box explains the two ways on —
install bubblewrap, or run this once without isolation at the user's own risk — and the
confirm button is the only thing that passes ``allow_unsandboxed=True``, for one run.
"""

from __future__ import annotations

from collections.abc import Callable

from .ui import box, button, html, show
from .views import esc

INSTALL = ("<code>sudo apt install bubblewrap</code> (Debian/Ubuntu), <code>sudo dnf install bubblewrap</code> "
           "(Fedora); on macOS, Windows or a container that forbids namespaces use a Linux VM")


def refusal_html(reason: str) -> str:
    """The engine's one-line refusal, then the options in plain words."""
    return (
        "<div style='border-left:4px solid var(--pc-bad, #a40e26);padding:4px 8px'>"
        f"<p style='color:var(--pc-bad, #a40e26);margin:2px 0'><b>Not run:</b> {esc(reason)}</p>"
        "<p style='margin:2px 0'>The safety flags above are high-risk and this machine has no isolation "
        "(bubblewrap is missing or cannot create a sandbox here). Your options:</p><ol style='margin:2px 0'>"
        f"<li><b>Install bubblewrap</b> — {INSTALL} — then press <b>Smoke run</b> again: the code runs "
        "without network and without your home folder.</li>"
        "<li><b>Run it unsandboxed, this once, at your own risk</b>: the code runs as you — it can read your "
        "home folder and keys, use the network and write outside its folder. Read the flags first.</li></ol></div>"
    )


class UnsandboxedConfirm:
    """Hidden until a refusal; ``on_confirm`` runs the smoke run once with consent."""

    def __init__(self, on_confirm: Callable[[], object]) -> None:
        self.reason = ""
        self.text = html("pc-unsandboxed-text")
        self.confirm = button("Run unsandboxed this once", "pc-unsandboxed-confirm", style="danger",
                              icon="exclamation-triangle", width="auto",
                              tooltip="Runs the code as you, without isolation, for this one smoke run")
        self.dismiss = button("Don't run", "pc-unsandboxed-dismiss")
        self.confirm.on_click(lambda _b: self._confirmed(on_confirm))
        self.dismiss.on_click(lambda _b: self.clear())
        self.widget = box([self.text, box([self.confirm, self.dismiss], vertical=False)], "pc-unsandboxed")
        show(self.widget, False)

    @property
    def asking(self) -> bool:
        return bool(self.reason)

    def ask(self, reason: str) -> None:
        self.reason = reason
        self.text.value = refusal_html(reason)
        show(self.widget, True)

    def clear(self) -> None:
        self.reason = ""
        self.text.value = ""
        show(self.widget, False)

    def _confirmed(self, on_confirm: Callable[[], object]) -> None:
        self.clear()  # consent is for this run only: the next refusal asks again
        on_confirm()
