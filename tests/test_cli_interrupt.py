"""Ctrl-C in the CLI reaches the run at once, even while the work sits in one long call."""

from __future__ import annotations

import _thread
import threading

import pytest

from papercoder_nb.cli.interrupt import until_interrupted
from papercoder_nb.llm.base import CancelToken


def test_ctrl_c_sets_cancel_and_the_work_stops_at_its_next_check() -> None:
    cancel = CancelToken()
    started, stopped = threading.Event(), threading.Event()

    def work() -> str:
        # stands in for llama.cpp's decode: it only stops when the abort flag (cancel) is set
        started.set()
        while not cancel.cancelled:
            threading.Event().wait(0.01)
        stopped.set()
        return "stopped"

    threading.Thread(target=lambda: (started.wait(5), _thread.interrupt_main())).start()
    with pytest.raises(KeyboardInterrupt):
        until_interrupted(work, cancel)
    assert cancel.cancelled
    assert stopped.is_set()  # the main thread waited for the work to stop cleanly


def test_value_and_errors_pass_through_unchanged() -> None:
    assert until_interrupted(lambda: 42, CancelToken()) == 42

    def boom() -> None:
        raise ValueError("bad answer")

    with pytest.raises(ValueError, match="bad answer"):
        until_interrupted(boom, CancelToken())
