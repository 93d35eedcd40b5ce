"""Reopen, don't restart: the latest session for the same paper in a work folder is found."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TRANSFORMER_JSON

from papercoder_nb.paper import load_paper
from papercoder_nb.session.reopen import latest_session
from papercoder_nb.session.store import Session


def test_latest_session_for_the_same_paper(tmp_path: Path) -> None:
    paper = load_paper(TRANSFORMER_JSON)
    assert latest_session(tmp_path, paper) is None
    Session.create(tmp_path / "a", paper)
    Session.create(tmp_path / "b", paper)
    state = json.loads((tmp_path / "a" / "session.json").read_text())
    state["created_at"] = "2999-01-01T00:00:00Z"  # a is the newer one
    (tmp_path / "a" / "session.json").write_text(json.dumps(state))
    assert latest_session(tmp_path, paper) == tmp_path / "a"
    state["paper_hash"] = "other paper"
    (tmp_path / "a" / "session.json").write_text(json.dumps(state))
    assert latest_session(tmp_path, paper) == tmp_path / "b"
