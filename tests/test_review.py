"""The approval rules live in the engine; the engine and the CLI refuse the same things."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, scripted

from papercoder_nb.cli import main
from papercoder_nb.llm import registry
from papercoder_nb.run.review import ApprovalError, approvable, approval_problem, approve
from papercoder_nb.session.graph import statuses
from papercoder_nb.session.store import Session


@pytest.fixture(autouse=True)
def test_provider() -> None:
    registry.register("test", lambda model, **kw: scripted())


def _session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    s = tmp_path / "s"
    assert main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--quiet", "--until", "architecture"]) == 0
    capsys.readouterr()
    return s


def _cli_approve(capsys: pytest.CaptureFixture[str], s: Path, aid: str) -> tuple[int, str]:
    code = main(["approve", str(s), aid])
    return code, capsys.readouterr().err


def test_invalid_design_is_refused_by_engine_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = _session(tmp_path, capsys)
    main(["approve", str(s), "plan"])
    capsys.readouterr()
    (s / "planning" / "architecture.json").write_text('{"file_list": ["/etc/x.py"]}')
    session = Session.open(s)
    with pytest.raises(ApprovalError, match="can't be approved"):
        approve(session, ["architecture"])
    assert "architecture" not in approvable(session)
    code, err = _cli_approve(capsys, s, "architecture")
    assert code == 1 and "can't be approved" in err
    assert statuses(Session.open(s))["architecture"] != "approved"


def test_stale_and_unknown_are_refused_by_engine_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = _session(tmp_path, capsys)
    session = Session.open(s)
    st = dict(statuses(session))
    st["architecture"] = "stale"  # the rule reads the status it is given
    assert "stale" in (approval_problem(session, "architecture", st) or "")
    with pytest.raises(ApprovalError, match="unknown artifact"):
        approve(session, ["code:nope.py"])
    code, err = _cli_approve(capsys, s, "code:nope.py")
    assert code == 1 and "unknown artifact" in err


def test_a_refusal_approves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = _session(tmp_path, capsys)
    session = Session.open(s)
    with pytest.raises(ApprovalError):
        approve(session, ["plan", "code:nope.py"])
    assert statuses(Session.open(s))["plan"] != "approved"
    assert approve(session, ["plan"]) == ["plan"] and statuses(Session.open(s))["plan"] == "approved"


def test_auto_approve_and_approve_all_leave_failing_code_for_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import responder

    from papercoder_nb import Runner, load_paper
    from papercoder_nb.llm.scripted import ScriptedBackend
    from papercoder_nb.run.review import auto_approve, check_failures

    base = responder()
    broken = ScriptedBackend("test", responder=lambda r: "```python\ndef f(:\n```" if r.artifact == "code:model.py" else base(r))
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), str(TRANSFORMER_JSON))
    result = Runner(session, broken, auto_approve=True).run()
    st = statuses(session)
    assert st["code:model.py"] == "generated" and "code:model.py" in result.waiting_for_approval
    assert st["code:main.py"] == "approved"  # the batch went on without approving the failing file
    assert "syntax error" in check_failures(session)["code:model.py"][0]
    assert "fails its checks" in (auto_approve(session, "code:model.py") or "")
    session.unapprove("code:utils.py")
    assert main(["approve", str(session.root), "--all"]) == 0
    st = statuses(Session.open(session.root))
    assert st["code:utils.py"] == "approved" and st["code:model.py"] == "generated"
    assert main(["approve", str(session.root), "code:model.py"]) == 0  # by name, after reading it
