"""History through the CLI: list versions, diff two, restore one (itself kept), unapprove."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, scripted

from papercoder_nb.cli import main
from papercoder_nb.llm import registry
from papercoder_nb.session.graph import statuses
from papercoder_nb.session.history import versions
from papercoder_nb.session.store import Session


@pytest.fixture(autouse=True)
def test_provider() -> None:
    registry.register("test", lambda model, **kw: scripted())


def test_history_diff_restore_unapprove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = tmp_path / "s"
    assert main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--quiet", "--until", "planning", "--auto-approve"]) == 0
    original = (s / "planning" / "plan.md").read_text()
    Session.open(s).write("plan", "my own plan\n", by="user")
    capsys.readouterr()
    assert main(["history", str(s), "plan"]) == 0
    out = capsys.readouterr().out
    assert "user" in out and len(out.strip().splitlines()) == 2
    assert main(["history", str(s), "plan", "--diff", "1", "2"]) == 0
    assert "+my own plan" in capsys.readouterr().out
    assert main(["restore", str(s), "plan", "1"]) == 0
    assert (s / "planning" / "plan.md").read_text() == original
    assert [v.by for v in versions(Session.open(s), "plan")][-1] == "user" and len(versions(Session.open(s), "plan")) == 3
    assert main(["approve", str(s), "plan"]) == 0 and statuses(Session.open(s))["plan"] == "approved"
    assert main(["unapprove", str(s), "plan"]) == 0 and statuses(Session.open(s))["plan"] != "approved"
    capsys.readouterr()
    assert main(["restore", str(s), "plan", "9"]) == 1
    assert "no version 9" in capsys.readouterr().err
