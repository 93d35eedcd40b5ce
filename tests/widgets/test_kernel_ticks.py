"""ipywidgets 7 (Colab, classic Notebook): the kernel's event loop ticks the hidden Play.

7.x's Play starts its browser timer only when its own button is clicked, so setting
``_playing`` from the kernel left the panel "running" forever in classic Notebook 6.5
(found by tests/e2e's Notebook 6.5 flow). There the kernel's running event loop, on the
main thread, advances the ticker instead. These tests run the mechanism under a real
asyncio loop in both ipywidgets 7.7.1 and 8 (IS_W7 forced where it matters).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, scripted
from papercoder_nb.widgets import Workbench, compat


def test_the_loop_ticks_while_playing_once_per_interval_and_stops_with_it() -> None:
    ticks: list[int] = []
    play = compat.make_ticker(lambda: ticks.append(play.value), interval_ms=10)

    async def main() -> tuple[int, int, int]:
        compat.set_trait(play, "playing", True)
        compat.tick_from_kernel(play)
        compat.tick_from_kernel(play)  # a second start adds no second chain of ticks
        await asyncio.sleep(0.3)
        running = len(ticks)
        compat.set_playing(play, False)
        await asyncio.sleep(0.05)
        stopped = len(ticks)
        await asyncio.sleep(0.1)
        return running, stopped, len(ticks)

    running, stopped, after = asyncio.run(main())
    assert 2 <= running <= 31, running  # one chain: at most one tick per 10 ms
    assert after == stopped, "ticks went on after the ticker stopped"
    assert ticks == sorted(set(ticks)), "each tick advances the value"


def test_without_a_running_loop_nothing_ticks_and_nothing_fails() -> None:
    ticks: list[int] = []
    play = compat.make_ticker(lambda: ticks.append(1), interval_ms=10)
    compat.set_trait(play, "playing", True)
    compat.tick_from_kernel(play)
    assert ticks == [] and compat.is_playing(play)


def test_a_panel_job_reaches_the_widgets_by_kernel_ticks_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "IS_W7", True)
    wb = Workbench(workdir=tmp_path / "sessions", backend=scripted(), tick_ms=20)
    wb.paper_box.path.value = str(TRANSFORMER_JSON)
    wb.paper_box.load.click()
    assert wb.wait_idle(30) and wb.session is not None

    async def main() -> str:
        wb.run_button.click()  # as a click handler does: on the main thread, in the kernel's loop
        for _ in range(500):
            if not wb.busy:
                break
            await asyncio.sleep(0.02)  # no wait_idle, no manual tick: only the loop drains
        return wb.statuses["plan"]

    assert asyncio.run(main()) == "generated"
    assert not compat.is_playing(wb.ticker) and not wb.run_button.disabled
