"""A full disk (a real, small tmpfs) at many points of a run: one clean line, then resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultdisk import DISK_POINTS, can_mount, full_disk_run
from faultserver import FaultServer

from papercoder_nb.session.store import read_jsonl
from papercoder_nb.util.fsutil import append_line

MOUNT = pytest.mark.skipif(not can_mount(), reason="mounting a tmpfs needs root or CAP_SYS_ADMIN")
QUICK = (DISK_POINTS[0], DISK_POINTS[4])
POINTS = [p if p in QUICK else pytest.param(p, marks=pytest.mark.slow) for p in DISK_POINTS]


@MOUNT
@pytest.mark.parametrize("size_kb", POINTS)
def test_a_full_disk_ends_cleanly_and_the_session_resumes_and_replays(size_kb: int) -> None:
    with FaultServer() as server:
        result = full_disk_run(server, size_kb)
    assert result["first_error"] == [] or "No space left on device" in result["first_error"][0] and "free some space" in result["first_error"][0]
    assert result["advice_ok"], result["first_error"]  # the command it names works from there
    assert result["completed"] and result["replayed"], result["stderr"]
    assert result["clean"] and result["lost"] == 0 and result["tracebacks"] == 0


def test_a_record_cut_by_a_full_disk_never_glues_to_the_next(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    append_line(log, '{"a": 1}')
    with log.open("a") as f:  # a record torn by a kill
        f.write('{"b": 2, "cut')
    append_line(log, '{"c": 3}')
    assert read_jsonl(log) == [{"a": 1}, {"c": 3}]
