"""``papercoder smoke`` and ``papercoder repair`` through an argparse parser, as the CLI package wires them."""

from __future__ import annotations

import argparse
import builtins
import json
import sys
from pathlib import Path

import pytest
from repair_helpers import SEARCH_REPLACE_FIX, UTIL_BROKEN, UTIL_FIXED, broken_session

from papercoder_nb.llm import registry
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.store import Session
from papercoder_nb.util.errors import CliError
from papercoder_nb.verify.repair import repairs
from papercoder_nb.verify.smoke_cli import add_commands

HOSTILE_MAIN = '''"""Reads a key and opens a socket: the scan must say so before anything runs."""
import os
import socket


def main():
    key = os.environ.get("OPENAI_API_KEY")
    print("key seen:", key is not None)
    socket.create_connection(("example.com", 80), timeout=2)


if __name__ == "__main__":
    main()
'''


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="papercoder")
    add_commands(parser.add_subparsers(dest="command", required=True))
    a = parser.parse_args(argv)
    return a.fn(a)


@pytest.fixture
def fixer(monkeypatch: pytest.MonkeyPatch) -> ScriptedBackend:
    """``--model fixer:x`` resolves to this scripted backend (a registered provider)."""
    backend = ScriptedBackend("fixer", answers=[SEARCH_REPLACE_FIX])
    monkeypatch.setitem(registry._FACTORIES, "fixer", lambda model, **kw: backend)
    return backend


def test_smoke_prints_each_file_and_stores_the_result(tmp_path: Path, capsys) -> None:
    session = broken_session(tmp_path / "s", util=UTIL_FIXED)
    assert run(["smoke", str(session.root), "--timeout", "60"]) == 0
    text = capsys.readouterr().out
    assert text.index("safety scan: no network") < text.index("compiled")
    assert "sandbox: bubblewrap; network isolated" in text
    assert "util.py" in text and "main.py" in text
    assert "run: python main.py --smoke: ran (exit 0)" in text
    assert "total 12" in text  # the tail of the run's output
    stored = Session.open(session.root).state.smoke
    assert stored["ok"] is True and stored["network_isolated"] is True


def test_a_failing_smoke_exits_1_with_the_error_and_traceback(tmp_path: Path, capsys) -> None:
    session = broken_session(tmp_path / "s")
    assert run(["smoke", str(session.root), "--timeout", "60", "--memory-mb", "1024"]) == 1
    captured = capsys.readouterr()
    assert "error at util.py:6: NameError: name 'factor' is not defined" in captured.err
    assert 'File "/sandbox/repo/util.py", line 6, in scale' in captured.err
    assert "failed: " in captured.out
    assert Session.open(session.root).state.smoke["failing_file"] == "util.py"


def test_safety_flags_come_before_the_run_and_the_hostile_code_is_contained(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    session = broken_session(tmp_path / "s", util=UTIL_FIXED, main=HOSTILE_MAIN)
    assert run(["smoke", str(session.root), "--timeout", "30"]) == 1
    captured = capsys.readouterr()
    out = captured.out
    assert out.index("safety scan:") < out.index("compiled") < out.index("run: python main.py")
    assert "network" in out[: out.index("compiled")] and "secrets" in out[: out.index("compiled")]
    smoke = Session.open(session.root).state.smoke
    assert "key seen: False" in smoke["stdout_tail"]  # the key never reached the code
    assert smoke["ran"] is False and smoke["network_isolated"] is True
    assert "sk-test-secret-value" not in captured.out + captured.err


def test_smoke_json_and_help(tmp_path: Path, capsys) -> None:
    session = broken_session(tmp_path / "s", util=UTIL_FIXED)
    assert run(["smoke", str(session.root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and [f["path"] for f in data["files"]] == ["main.py", "util.py"]
    with pytest.raises(SystemExit) as e:
        run(["smoke", "--help"])
    assert e.value.code == 0
    assert "--memory-mb" in capsys.readouterr().out


def test_smoke_without_code_is_a_clear_error(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    empty = Session.create(tmp_path / "empty", session.paper)
    with pytest.raises(CliError, match="has no code yet"):
        run(["smoke", str(empty.root)])


def test_repair_without_a_terminal_refuses_before_doing_anything(
    tmp_path: Path, fixer: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = broken_session(tmp_path / "s")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(CliError, match="pass --auto-approve"):
        run(["repair", str(session.root), "--model", "fixer:x"])
    assert fixer.requests == [] and Session.open(session.root).state.smoke is None


def test_repair_auto_approve_shows_the_diff_and_fixes(tmp_path: Path, fixer: ScriptedBackend, capsys) -> None:
    session = broken_session(tmp_path / "s")
    assert run(["repair", str(session.root), "--model", "fixer:x", "--auto-approve", "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert out.index("safety scan") < out.index("smoke: failed")
    assert "-    return [x * factor for x in xs]" in out and "+    return [x * k for x in xs]" in out
    assert "1 attempt(s), 1 fix(es) applied; the smoke run now passes" in out
    reopened = Session.open(session.root)
    assert reopened.read("code:util.py") == UTIL_FIXED and reopened.state.smoke["ok"] is True


@pytest.mark.parametrize("answer, code, expected", [("n", 1, UTIL_BROKEN), ("y", 0, UTIL_FIXED)])
def test_repair_asks_on_a_terminal(
    tmp_path: Path, fixer: ScriptedBackend, monkeypatch: pytest.MonkeyPatch, capsys,
    answer: str, code: int, expected: str,
) -> None:
    session = broken_session(tmp_path / "s")
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(builtins, "input", lambda prompt: asked.append(prompt) or answer)
    assert run(["repair", str(session.root), "--model", "fixer:x", "--attempts", "2", "--timeout", "60"]) == code
    assert asked == ["apply the change to util.py? [y/N] "]
    assert "+    return [x * k for x in xs]" in capsys.readouterr().out  # shown before asking
    assert Session.open(session.root).read("code:util.py") == expected
    assert repairs(session)[0]["outcome"] == ("refused" if answer == "n" else "applied")


def test_repair_rejects_zero_attempts(tmp_path: Path, fixer: ScriptedBackend) -> None:
    session = broken_session(tmp_path / "s")
    with pytest.raises(CliError, match="--attempts"):
        run(["repair", str(session.root), "--auto-approve", "--attempts", "0", "--model", "fixer:x"])
