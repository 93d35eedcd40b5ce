"""High-risk code does not run without isolation unless --allow-unsandboxed."""

import shutil
from pathlib import Path

import pytest

from papercoder_nb.cli import main
from papercoder_nb.verify import smoke_cli
from papercoder_nb.verify.gate import unsandboxed_refusal

EXAMPLE = Path(__file__).resolve().parents[1] / "examples/neural-audio-style-transfer/session"
RISKY = 'import os\nopen(os.path.expanduser("~/.ssh/id_rsa")).read()\n'


def test_gate_rules():
    from papercoder_nb.verify.safety import scan_code
    flags = scan_code({"x.py": RISKY})
    assert any(f.severity == "high" for f in flags)
    assert "--allow-unsandboxed" in unsandboxed_refusal(flags, isolated=False, allow=False)
    assert unsandboxed_refusal(flags, isolated=True, allow=False) is None
    assert unsandboxed_refusal(flags, isolated=False, allow=True) is None
    assert unsandboxed_refusal([], isolated=False, allow=False) is None


@pytest.fixture
def risky_session(tmp_path, monkeypatch):
    session = tmp_path / "s"
    shutil.copytree(EXAMPLE, session)
    main_py = session / "code" / "main.py"
    # never executed (the smoke path is replaced), but the scan sees a home-secret read
    main_py.write_text(main_py.read_text() + "\n\ndef _leak():\n    import os\n"
                       "    return open(os.path.expanduser('~/.ssh/id_rsa')).read()\n")
    monkeypatch.setattr(smoke_cli, "bwrap_status", lambda *_: (False, "bwrap not installed"))
    return session


def test_smoke_refuses_without_isolation(risky_session, capsys):
    def no_run(*_a, **_k):
        raise AssertionError("the code must not run")
    smoke_cli.smoke_session, saved = no_run, smoke_cli.smoke_session
    try:
        assert main(["smoke", str(risky_session)]) == 1
    finally:
        smoke_cli.smoke_session = saved
    assert "--allow-unsandboxed" in capsys.readouterr().err


def test_smoke_runs_when_allowed(risky_session, monkeypatch):
    ran = []
    monkeypatch.setattr(smoke_cli, "smoke_session", lambda *a, **k: ran.append(1) or (_ for _ in ()).throw(SystemExit(7)))
    with pytest.raises(SystemExit):
        main(["smoke", str(risky_session), "--allow-unsandboxed"])
    assert ran == [1]
