"""Faults against a loopback OpenAI-compatible server, and the CLI's one-line error contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON
from faultserver import FaultServer

from papercoder_nb.cli import main
from papercoder_nb.session.artifacts import Logic, check_file_name
from papercoder_nb.session.store import Session, SessionError


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries as the runner makes them, without real back-off waits (bounded suite)."""
    import functools

    from papercoder_nb.llm.call import call_model
    from papercoder_nb.run import artifact_calls

    monkeypatch.setattr(artifact_calls, "call_model", functools.partial(call_model, base_delay=0.01, max_delay=0.05))


@pytest.fixture()
def server():
    with FaultServer(slow_seconds=1.0) as s:
        yield s


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err + cap.out
    return code, cap.out, cap.err


def start(capsys, server: FaultServer, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake",
               "--base-url", server.base_url, "--auto-approve", "--quiet", *extra)


def test_a_run_survives_429s_5xx_cut_streams_and_bad_json(tmp_path: Path, capsys, server: FaultServer) -> None:
    server.faults.extend(["429", "503", "500", "cut", "architecture=schema", "logic=malformed"])
    code, out, err = start(capsys, server, tmp_path / "s")
    assert code == 0, err
    state = json.loads((tmp_path / "s" / "session.json").read_text())
    assert state["base_url"] == server.base_url and "key" not in json.dumps(state).lower().replace("keys", "")
    assert (tmp_path / "s" / "code" / "main.py").is_file()


def test_resume_and_regen_use_the_recorded_server(tmp_path: Path, capsys, server: FaultServer) -> None:
    s = tmp_path / "s"
    assert start(capsys, server, s, "--until", "planning")[0] == 0
    before = len(server.requests)
    # No --base-url and no key: the session's server is used, never the public endpoint.
    code, _, err = cli(capsys, "resume", str(s), "--quiet", "--auto-approve")
    assert code == 0, err
    assert len(server.requests) > before and (s / "code" / "main.py").is_file()
    n = len(server.requests)
    code, _, err = cli(capsys, "regen", str(s), "plan", "--feedback", "shorter", "--quiet",
                       "--model", "openai:fake", "--base-url", server.base_url)
    assert code == 0, err
    assert len(server.requests) == n + 1


def test_an_unreachable_server_is_named_in_one_line(tmp_path: Path, capsys, server: FaultServer) -> None:
    s = tmp_path / "s"
    assert start(capsys, server, s, "--until", "planning")[0] == 0
    state = json.loads((s / "session.json").read_text())
    state["base_url"] = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    (s / "session.json").write_text(json.dumps(state))
    code, _, err = cli(capsys, "resume", str(s), "--quiet", "--auto-approve", "--concurrency", "1")
    assert code == 1 and "127.0.0.1:9" in err


def test_an_endless_answer_is_cut_and_retried(tmp_path: Path, capsys, server: FaultServer) -> None:
    server.faults.append("endless")
    code, _, err = start(capsys, server, tmp_path / "s", "--until", "planning")
    assert code == 0, err
    calls = Session.open(tmp_path / "s").calls()
    assert any("far beyond" in (c.get("error") or "") for c in calls)


def test_run_with_an_unknown_section_leaves_nothing(tmp_path: Path, capsys, server: FaultServer) -> None:
    s = tmp_path / "s"
    code, _, err = start(capsys, server, s, "--drop", "NO-SUCH")
    assert code == 1 and "NO-SUCH" in err and len(err.strip().splitlines()) == 1
    assert not s.exists()
    assert start(capsys, server, s, "--until", "planning")[0] == 0


def test_markup_in_titles_and_messages_does_not_crash(tmp_path: Path, capsys) -> None:
    paper = tmp_path / "p.md"
    paper.write_text("# A [/bold] title [/]\n\n## Method [red]\n\nText about [/] things.\n")
    code, out, err = cli(capsys, "paper", str(paper))
    assert code == 0, err
    assert "[/bold]" in out
    code, _, err = cli(capsys, "status", str(tmp_path / "[/bold]"))
    assert code == 1 and "[/bold]" in err


def test_export_refuses_a_foreign_folder(tmp_path: Path, capsys, server: FaultServer) -> None:
    s = tmp_path / "s"
    assert start(capsys, server, s)[0] == 0
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    code, _, err = cli(capsys, "export", str(s), "--repo", str(foreign))
    assert code == 1 and "--force" in err and sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    repo = tmp_path / "repo"
    assert cli(capsys, "export", str(s), "--repo", str(repo))[0] == 0
    assert cli(capsys, "export", str(s), "--repo", str(repo))[0] == 0  # an earlier export: fine
    assert cli(capsys, "export", str(s), "--repo", str(foreign), "--force")[0] == 0


@pytest.mark.parametrize("args", [
    ["status", "/no/such/session"],
    ["approve", "{s}", "no-such-artifact"],
    ["regen", "{s}", "plan", "--model", "nosuchprovider:x"],
    ["resume", "{s}", "--model", "anthropic:claude-sonnet-4-6", "--quiet"],  # no key
    ["export", "{s}"],
    ["export", "{s}", "--repo", "/proc/forbidden"],
    ["answer", "/no/such", "q", "a"],
    ["estimate", "/no/such/paper.pdf"],
    ["paper", "/no/such/paper.pdf"],
])
def test_every_command_fails_in_one_line(tmp_path: Path, capsys, args: list[str]) -> None:
    s = tmp_path / "s"
    from conftest import scripted

    from papercoder_nb.paper import load_paper
    from papercoder_nb.run.runner import Runner

    Runner(Session.create(s, load_paper(str(TRANSFORMER_JSON)), str(TRANSFORMER_JSON)), scripted()).run(until="planning")
    code, _, err = cli(capsys, *[a.replace("{s}", str(s)) for a in args])
    assert code != 0
    assert err.count("error:") == 1 and len(err.strip().splitlines()) <= 3, err  # rich may wrap one line


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(SessionError):
        main(["--debug", "status", str(tmp_path / "none")])


@pytest.mark.parametrize("bad", [
    {"entry_point": "../../../tmp/evil_entry.py"},
    {"smoke_args": ["--x;touch /tmp/p"]},
    {"smoke_args": ["$(touch x)"]},
    {"files": [{"file": "../../etc/passwd.py", "purpose": "x"}]},
    {"files": [{"file": "a.py", "purpose": "x", "depends_on": ["/abs/x.py"]}]},
    {"task_list": ["CON.py"]},
])
def test_every_path_like_field_of_the_logic_design_is_checked(bad: dict) -> None:
    from conftest import logic

    Logic.model_validate(logic())
    with pytest.raises(ValueError):
        Logic.model_validate({**logic(), **bad})


def test_windows_reserved_names_are_refused() -> None:
    for name in ("CON.py", "nul.py", "pkg/aux.py", "com1.py"):
        with pytest.raises(ValueError, match="reserves"):
            check_file_name(name)
    assert check_file_name("console.py") == "console.py"


def test_hostile_file_names_from_the_server_end_cleanly(tmp_path: Path, capsys, server: FaultServer) -> None:
    server.hostile = ["../../x.py", "main.py"]
    code, _, err = start(capsys, server, tmp_path / "s", "--until", "architecture")
    assert code == 1 and "failed" in err
    assert not (tmp_path / "x.py").exists()
