"""SIGKILL a run the instant each artifact first appears, then resume against a healthy server."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultkill import KILL_POINTS, MOMENT_KILLS, kill_at, kill_when, resume_and_check
from faultserver import FaultServer

QUICK = ("paper/paper.json", "session.json", "planning/logic.json", "code/main.py")
POINTS = [p if p in QUICK else pytest.param(p, marks=pytest.mark.slow) for p in KILL_POINTS]


@pytest.mark.parametrize("point", POINTS)
def test_killed_when_a_file_appears_the_run_resumes_and_loses_nothing(tmp_path: Path, point: str) -> None:
    with FaultServer() as server:
        server.delay = 0.02
        out = tmp_path / "s"
        kill_at(server, out, point)
        calls_before = len(server.requests)
        result = resume_and_check(server, out)
        assert result["misattributed"] == 0 and result["wrong_exit"] == 0, result
        assert result["completed"], result["stderr"]
        assert result["lost"] == 0 and result["tracebacks"] == 0
        # A full run is 14 calls; the resume asks only for what was not paid for.
        assert len(server.requests) - calls_before <= 14


MOMENTS = [m if i % 3 == 0 else pytest.param(m, marks=pytest.mark.slow) for i, m in enumerate(MOMENT_KILLS)]


@pytest.mark.parametrize("moment", MOMENTS)
def test_killed_mid_stream_or_between_calls_the_run_resumes(tmp_path: Path, moment: str) -> None:
    with FaultServer() as server:
        server.delay = 0.02
        out = tmp_path / "s"
        assert kill_when(server, out, MOMENT_KILLS[moment](server)), "the run ended before the kill"
        answered = server.answered
        server.piece_delay = 0.0
        calls_before = len(server.requests)
        result = resume_and_check(server, out)
        assert result["completed"], result["stderr"]
        assert result["lost"] == 0 and result["tracebacks"] == 0
        # Answers already paid for are replayed from calls.jsonl, not asked again
        # (an answer the kill cut before it was recorded may be asked once more).
        assert len(server.requests) - calls_before <= 14 - answered + 2
