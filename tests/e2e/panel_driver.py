"""Drives the panel in a real browser by its ``pc-*`` CSS classes and saves numbered screenshots."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT

SHOTS = ROOT / "test-output" / "screenshots"


class Panel:
    """Clicks and waits on the panel by its CSS classes; saves numbered screenshots."""

    def __init__(self, page, prefix: str) -> None:
        self.page = page
        self.prefix = prefix
        self.n = 0

    def el(self, css: str):
        return self.page.locator(f".pc-panel {css}").first

    def click(self, css: str) -> None:
        self.el(css).click()

    def wait(self, css: str, timeout: float = 30_000) -> None:
        self.page.wait_for_selector(f".pc-panel {css}", timeout=timeout)

    def wait_text(self, css: str, text: str, timeout: float = 30_000) -> None:
        """Until the first element matching ``css`` shows ``text``."""
        self.page.wait_for_function(
            "([css, text]) => { const e = document.querySelector('.pc-panel ' + css);"
            " return !!e && e.innerText.includes(text); }", arg=[css, text], timeout=timeout)

    def run_auto_approved(self, n_files: int, step: str = "code") -> None:
        """Tick auto-approve, Run from ``step``, and wait until all of planning, analysis and
        code (4 + 2 per file) are approved and the panel is idle."""
        self.click(".pc-auto-approve input")
        self.step(step)
        self.click(".pc-run")
        self.page.wait_for_function(
            f"document.querySelectorAll('.pc-panel .pc-status.pc-state-approved').length === {4 + 2 * n_files}",
            timeout=90_000)
        self.page.wait_for_selector(".pc-panel.pc-busy-no", timeout=30_000)

    def shot(self, name: str) -> Path:
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.prefix}{self.n:02d}-{name}.png"
        self.page.wait_for_timeout(300)  # let the last widget update paint
        self.page.locator(".pc-panel").first.screenshot(path=str(path))
        assert path.stat().st_size > 5000
        return path

    def step(self, name: str) -> None:
        self.click(f".pc-step-{name}")
        self.wait(f".pc-content.pc-showing-{name}")
