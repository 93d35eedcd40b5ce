"""The ``papercoder`` command: run → status → approve → resume → export, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FILES, TRANSFORMER_JSON, scripted

from papercoder_nb.cli import main
from papercoder_nb.llm import registry


@pytest.fixture(autouse=True)
def test_provider() -> None:
    registry.register("test", lambda model, **kw: scripted())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_run_status_export_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = tmp_path / "s"
    code, out, err = run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--auto-approve", "--quiet")
    assert code == 0, err
    assert f"session: {s}" in out
    code, out, _ = run(capsys, "status", str(s), "--json")
    data = json.loads(out)
    statuses = {a["artifact"]: a["status"] for a in data["artifacts"]}
    assert set(statuses.values()) == {"approved"}
    assert {f"code:{f}" for f in FILES} <= set(statuses)
    assert all(a["output_tokens"] > 0 for a in data["artifacts"])
    repo = tmp_path / "repo"
    code, out, err = run(capsys, "export", str(s), "--repo", str(repo))
    assert code == 0, err
    for f in FILES:
        assert (repo / f).read_text() == (s / "code" / f).read_text()
    assert (repo / "config.yaml").read_text() == (s / "planning" / "config.yaml").read_text()


def test_stepwise_review_with_approve_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = tmp_path / "s"
    code, out, _ = run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--quiet", "--until", "planning")
    assert code == 0 and "waiting for review: plan" in out
    code, out, _ = run(capsys, "approve", str(s), "plan")
    assert code == 0 and "approved: plan" in out
    code, out, _ = run(capsys, "resume", str(s), "--model", "test", "--quiet", "--until", "architecture")
    assert code == 0 and (s / "planning" / "architecture.json").is_file()
    assert not (s / "planning" / "logic.json").exists()
    code, out, _ = run(capsys, "approve", str(s), "--all")
    assert "architecture" in out
    code, _, _ = run(capsys, "resume", str(s), "--model", "test", "--quiet", "--auto-approve")
    assert code == 0 and (s / "code" / "main.py").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["paper", "no/such/file.pdf"], "no such file or folder"),
        (["status", "/nonexistent/session"], "not a session folder"),
        (["run", str(TRANSFORMER_JSON), "--out", "{tmp}/x", "--model", "nosuch:model"], "unknown model provider 'nosuch'"),
        (["approve", "{session}", "code:nope.py"], "unknown artifact"),
    ],
)
def test_errors_are_one_line_with_non_zero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    s = tmp_path / "s"
    run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--quiet", "--until", "plan")
    args = [a.replace("{tmp}", str(tmp_path)).replace("{session}", str(s)) for a in args]
    code, out, err = run(capsys, *args)
    assert code == 1
    assert message in err
    assert len([ln for ln in err.strip().splitlines() if ln.startswith("error:")]) == 1


def test_missing_key_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(tmp_path / "k"), "--model", "anthropic:claude-sonnet-4-5")
    assert code == 1 and "ANTHROPIC_API_KEY" in err
    assert not (tmp_path / "k").exists()


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from papercoder_nb.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in sub.choices:
        with pytest.raises(SystemExit) as e:
            main([name, "--help"])
        assert e.value.code == 0
        assert "usage: papercoder" in capsys.readouterr().out


def test_paper_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "paper", str(TRANSFORMER_JSON), "--json")
    data = json.loads(out)
    assert {"title", "abstract", "sections", "equations", "figures", "tables", "references", "meta"} <= set(data)
    assert {"id", "title", "level", "text"} <= set(data["sections"][0])
    assert data["meta"]["token_estimate"] > 1000 and data["meta"]["source_type"] == "s2orc"


def test_export_zip_notebook_and_refusal_to_overwrite_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s, repo = tmp_path / "s", tmp_path / "repo"
    run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--auto-approve", "--quiet")
    code, out, err = run(capsys, "export", str(s), "--repo", str(repo), "--zip", "--notebook", str(tmp_path / "nb.ipynb"))
    assert code == 0, err
    assert (tmp_path / "repo.zip").is_file() and (tmp_path / "nb.ipynb").is_file()
    assert {"README.md", "requirements.txt", "reproduce.sh", "config.yaml"} <= {p.name for p in repo.iterdir()}
    (repo / "mine.txt").write_text("a file the user added")
    (repo / "main.py").write_text("# edited by the user\n")
    code, _, err = run(capsys, "export", str(s), "--repo", str(repo))
    assert code == 1 and "refusing to overwrite" in err and "main.py" in err and "--force" in err
    assert (repo / "main.py").read_text() == "# edited by the user\n"
    code, _, err = run(capsys, "export", str(s), "--repo", str(repo), "--force")
    assert code == 0, err
    assert (repo / "mine.txt").read_text() == "a file the user added"
    assert (repo / "main.py").read_text() == (s / "code" / "main.py").read_text()


def test_estimate_per_stage_and_in_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "estimate", str(TRANSFORMER_JSON), "--model", "anthropic:claude-3-7-sonnet-20250219")
    assert code == 0
    lines = {ln.split(":")[0].strip(): ln for ln in out.splitlines() if ":" in ln}
    assert {"planning", "analysis", "coding", "total"} <= set(lines)
    assert "18 calls" in lines["total"] and "with caching" in lines["total"] and "$" in lines["total"]
    code, out, _ = run(capsys, "estimate", str(TRANSFORMER_JSON), "--model", "openai:some-new-model")
    assert "cost unknown" in out
    s = tmp_path / "s"
    code, _, err = run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--auto-approve")
    assert code == 0 and "estimate for a full run" in err
    code, out, _ = run(capsys, "estimate", str(s), "--model", "anthropic:claude-3-7-sonnet-20250219")
    assert f"{4 + 2 * len(FILES)} calls" in out  # the session's own file count


def test_status_shows_safety_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = tmp_path / "s"
    run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--auto-approve", "--quiet")
    p = s / "code" / "utils.py"
    p.write_text(p.read_text() + "\nimport os, socket\nKEY = os.environ['OPENAI_API_KEY']\nsocket.create_connection(('x', 1))\n")
    code, out, _ = run(capsys, "status", str(s), "--json")
    cats = {f["category"] for f in json.loads(out)["safety_flags"]}
    assert {"network", "secrets"} <= cats
    code, out, _ = run(capsys, "status", str(s))
    assert "safety scan:" in out and "utils.py" in out


def test_approve_refuses_an_invalid_design(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = tmp_path / "s"
    run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--auto-approve", "--quiet", "--until", "architecture")
    (s / "planning" / "architecture.json").write_text('{"file_list": ["/etc/x.py"]}')
    code, _, err = run(capsys, "approve", str(s), "architecture")
    assert code == 1 and "can't be approved" in err


def test_estimate_and_run_ask_a_served_model_for_its_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from faultserver import FaultServer

    with FaultServer() as server:
        server.models = [{"id": "small-served", "object": "model", "max_model_len": 4096}]
        code, out, _ = run(capsys, "estimate", str(TRANSFORMER_JSON), "--model", "openai:small-served",
                           "--base-url", server.base_url)
        assert code == 0 and "4,096-token window of openai:small-served" in out
        s = tmp_path / "s"
        code, _, err = run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "openai:small-served",
                           "--base-url", server.base_url, "--until", "plan")
        assert "warning:" in err and "4,096-token window" in err
    code, out, err = run(capsys, "estimate", str(TRANSFORMER_JSON), "--model", "openai:gone",
                         "--base-url", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    assert code == 0 and "window" not in out and "did not say its context window" in err


def test_an_invalid_hand_made_logic_design_is_named_by_smoke_and_export(tmp_path, capsys) -> None:
    """Not "no code yet" and not an export of nothing with exit 0: the bad file and the fix."""
    s = tmp_path / "s"
    code, _, _ = run(capsys, "run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "test", "--auto-approve", "--quiet")
    assert code == 0
    (s / "planning" / "logic.json").write_text('{"files": [], "task_list": ["nowhere.py"]', encoding="utf-8")
    for args in (["smoke", str(s)], ["export", str(s), "--repo", str(tmp_path / "repo")]):
        code, _, err = run(capsys, *args)
        assert code == 1, (args, err)
        assert "logic.json" in err and "not a valid logic design" in err and "regen" in err, err
    assert not (tmp_path / "repo").exists()
