"""Environment versus code: a missing package or data file is never sent to the model."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import pytest
from repair_helpers import MAIN_PY, UTIL_FIXED, broken_session

from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.verify import session_env
from papercoder_nb.verify.environment import environment_problems
from papercoder_nb.verify.fixes import EnvironmentFault
from papercoder_nb.verify.repair import repair_loop, smoke_session
from papercoder_nb.verify.repair_request import propose_fix
from papercoder_nb.verify.sandbox import FileRecord, SmokeResult
from papercoder_nb.verify.session_env import InstallResult

SMOKE = {"timeout_s": 60}
PKG = "tinypkg_pc"
UTIL_NEEDS_PKG = f"import {PKG}\n\n" + UTIL_FIXED


def _declared(session):
    """The logic design lists the package (what --install is allowed to install)."""
    logic = json.loads(session.read("logic"))
    logic["required_packages"] = [PKG]
    session.write("logic", json.dumps(logic), by="user")
    return session


def _failed(error: str, traceback: str = "", path: str = "main.py") -> SmokeResult:
    return SmokeResult("r", "main.py", files=[FileRecord(path, compiled=True, imported=False,
                                                         error=error, traceback=traceback)])


def test_missing_package_versus_missing_repo_module() -> None:
    files = ["main.py", "models/net.py"]
    [p] = environment_problems(_failed("ModuleNotFoundError: No module named 'sklearn.linear_model'"),
                               files, ["scikit-learn>=1.3", "numpy"])
    assert (p.kind, p.name, p.requirement) == ("package", "sklearn.linear_model", "scikit-learn>=1.3")
    assert "`/usr/bin/python3 -m pip install 'scikit-learn>=1.3'`" in p.describe("/usr/bin/python3")
    # a module the repository should define is the code's fault
    assert environment_problems(_failed("ModuleNotFoundError: No module named 'models.nett'"), files) == []
    assert environment_problems(_failed("ModuleNotFoundError: No module named 'utils'"),
                                [*files, "utils.py"]) == []
    # src/models/... imported as ``models`` after a sys.path change: not a package to install
    assert environment_problems(_failed("ModuleNotFoundError: No module named 'models'"),
                                ["src/models/net.py"]) == []
    # a mistyped repository module is the code's fault, unless the design lists the package
    for wrong in ("net_lib", "nett", "model_utils"):
        assert environment_problems(_failed(f"ModuleNotFoundError: No module named '{wrong}'"),
                                    ["main.py", "net.py", "model.py"]) == [], wrong
    [listed] = environment_problems(_failed("ModuleNotFoundError: No module named 'nett'"),
                                    ["main.py", "net.py"], ["nett>=1"])
    assert listed.declared and listed.requirement == "nett>=1"
    [q] = environment_problems(_failed("ModuleNotFoundError: No module named 'torchaudio_utils'"),
                               files, ["torch"])
    assert not q.declared and "leaves it to you: check the name" in q.describe("python")


def test_missing_data_read_versus_write() -> None:
    read = ('  File "/sandbox/repo/data.py", line 4, in load\n    with open(path) as fh:\n'
            "FileNotFoundError: [Errno 2] No such file or directory: 'data/train.csv'")
    [p] = environment_problems(_failed(read.splitlines()[-1], read), ["main.py", "data.py"])
    assert (p.kind, p.name) == ("data", "data/train.csv") and "not a code fault" in p.describe("py")
    write = read.replace("open(path)", 'open(path, "w")')
    assert environment_problems(_failed(write.splitlines()[-1], write), ["main.py"]) == []
    other = _failed("TypeError: scale() missing 1 required positional argument: 'k'")
    assert environment_problems(other, ["main.py"]) == []


def test_a_missing_package_never_reaches_the_model(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s", util=UTIL_NEEDS_PKG)
    # not listed in the logic design: --install does not install it
    never = repair_loop(session, ScriptedBackend("x"), auto_approve=True, smoke_options=SMOKE,
                       install=lambda reqs: pytest.fail(f"installed an undeclared {reqs}"))
    assert [p.declared for p in never.environment] == [False]
    _declared(session)
    backend = ScriptedBackend("fixer", answers=["```python\n" + UTIL_FIXED + "```"])
    events = []
    report = repair_loop(session, backend, auto_approve=True, smoke_options=SMOKE, on_event=events.append)
    assert backend.requests == [] and report.attempts == []
    assert [p.name for p in report.environment] == [PKG]
    assert "environment problem" in report.summary()
    assert any(e.kind == "environment" and f"pip install {PKG}" in e.text for e in events)
    assert session.read("code:util.py") == UTIL_NEEDS_PKG
    with pytest.raises(EnvironmentFault, match="missing package"):
        propose_fix(session, backend, report.final)
    # allowed to install: the installer is asked for the package; a failed install stops it
    asked = []

    def refuse(reqs: list[str]) -> InstallResult:
        asked.append(reqs)
        return InstallResult(reqs, "pip install " + " ".join(reqs), False, "no such package")

    report = repair_loop(session, backend, auto_approve=True, smoke_options=SMOKE, install=refuse)
    assert asked == [[PKG]] and backend.requests == [] and report.environment


def _wheel(dest: Path) -> Path:
    """A tiny pure-Python wheel built by hand (no build backend, no network)."""
    info = f"{PKG}-0.1.dist-info"
    files = {f"{PKG}/__init__.py": "VALUE = 42\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PKG}\nVersion: 0.1\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{k},,\n" for k in files) + f"{info}/RECORD,,\n"
    whl = dest / f"{PKG}-0.1-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return whl


def test_smoke_install_puts_the_package_in_the_session_env(tmp_path: Path, capsys,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from papercoder_nb.verify.smoke_cli import add_commands

    def run(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(prog="papercoder")
        add_commands(parser.add_subparsers(dest="command", required=True))
        a = parser.parse_args(argv)
        return a.fn(a)

    session = _declared(broken_session(tmp_path / "s", util=UTIL_NEEDS_PKG, main=MAIN_PY))
    assert run(["smoke", str(session.root), "--timeout", "60"]) == 1
    err = capsys.readouterr().err
    assert f"missing package '{PKG}'" in err and f"-m pip install {PKG}`" in err
    assert not (session.root / ".venv").exists()  # nothing installed without --install
    assert run(["smoke", str(session.root), "--timeout", "60", "--json"]) == 1
    [env] = json.loads(capsys.readouterr().out)["environment"]
    assert (env["kind"], env["name"], env["requirement"]) == ("package", PKG, PKG)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels)
    real = session_env.install
    monkeypatch.setattr(session_env, "install", lambda root, reqs: real(
        root, reqs, extra_args=["--no-index", "--find-links", str(wheels)]))
    assert run(["smoke", str(session.root), "--timeout", "60", "--install"]) == 0
    assert "installed tinypkg_pc" in capsys.readouterr().err
    own = session_env.existing_env_python(session.root)
    assert own and (session.root / ".venv").is_dir()
    # later smoke runs use the session's environment without being told
    result = smoke_session(session, **SMOKE)
    assert result.ok and result.python == own
