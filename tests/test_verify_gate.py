"""High-risk code does not run without isolation unless --allow-unsandboxed."""

import shutil
from pathlib import Path

import pytest

from papercoder_nb.checks.gate import unsandboxed_refusal
from papercoder_nb.cli import main
from papercoder_nb.verify import smoke, smoke_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples/neural-audio-style-transfer/session"
RISKY = 'import os\nopen(os.path.expanduser("~/.ssh/id_rsa")).read()\n'


def test_gate_rules():
    from papercoder_nb.checks.safety import scan_code
    flags = scan_code({"x.py": RISKY})
    assert any(f.severity == "high" for f in flags)
    assert "--allow-unsandboxed" in unsandboxed_refusal(flags, isolated=False, allow=False)
    assert unsandboxed_refusal(flags, isolated=True, allow=False) is None
    assert unsandboxed_refusal(flags, isolated=False, allow=True) is None
    assert unsandboxed_refusal([], isolated=False, allow=False) is None


@pytest.fixture
def no_isolation(monkeypatch):
    """bubblewrap missing: for the engine's decision and for what the CLI prints."""
    monkeypatch.setattr(smoke, "bwrap_status", lambda *_: (False, "bwrap not installed"))
    monkeypatch.setattr(smoke_cli, "bwrap_status", lambda *_: (False, "bwrap not installed"))


@pytest.fixture
def risky_session(tmp_path, no_isolation):
    session = tmp_path / "s"
    shutil.copytree(EXAMPLE, session)
    main_py = session / "code" / "main.py"
    # never executed (the run is refused or replaced), but the scan sees a home-secret read
    main_py.write_text(main_py.read_text() + "\n\ndef _leak():\n    import os\n"
                       "    return open(os.path.expanduser('~/.ssh/id_rsa')).read()\n")
    return session


def _no_run(*_a, **_k):
    raise AssertionError("the code must not run")


def test_smoke_refuses_without_isolation(risky_session, monkeypatch, capsys):
    monkeypatch.setattr(smoke, "smoke_run", _no_run)
    assert main(["smoke", str(risky_session)]) == 1
    err = capsys.readouterr().err
    assert "--allow-unsandboxed" in err and "Traceback" not in err


def test_smoke_runs_when_allowed(risky_session, monkeypatch):
    ran = []
    monkeypatch.setattr(smoke, "smoke_run", lambda *a, **k: ran.append(1) or (_ for _ in ()).throw(SystemExit(7)))
    with pytest.raises(SystemExit):
        main(["smoke", str(risky_session), "--allow-unsandboxed"])
    assert ran == [1]


def test_every_caller_goes_through_the_gate(risky_session, monkeypatch):
    """Batch's smoke stage and the evaluation's import check use the one engine path."""
    from papercoder_nb.evaluate.batch import _stage_smoke
    from papercoder_nb.evaluate.static import session_static_facts
    from papercoder_nb.session.store import Session

    monkeypatch.setattr(smoke, "smoke_run", _no_run)
    session = Session.open(risky_session)
    stage = _stage_smoke(session, timeout_s=30, allow_unsandboxed=False)
    assert stage["ok"] is None and "--allow-unsandboxed" in stage["skipped"]
    facts = session_static_facts(session)
    assert facts.import_check.startswith("py_compile only (not running: 1 high-risk")
    assert facts.n_import is None


def test_smoke_checked_scans_and_keeps_the_flags(tmp_path, no_isolation):
    code = {"leak.py": "import os\n\n\ndef leak():\n    return open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"}
    for name, text in code.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(smoke.SmokeRefused, match="leak.py"):
        smoke.smoke_checked(tmp_path, code, entry_point=None, use_bwrap=False, timeout_s=30)
    result = smoke.smoke_checked(tmp_path, code, entry_point=None, use_bwrap=False, timeout_s=30,
                                 allow_unsandboxed=True)
    assert result.files[0].imported is True  # importing defines leak() but never calls it
    assert any(f["severity"] == "high" and f["file"] == "leak.py" for f in result.safety_flags)
