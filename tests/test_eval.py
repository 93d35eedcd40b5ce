"""The model judge: valid, malformed, out-of-range and empty answers; budgeting; static facts; CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_helpers import judgement, judging_responder, make_session

from papercoder_nb.cli import main
from papercoder_nb.evaluate import (
    EvalError,
    evaluate_session,
    evaluation_summary,
    latest_result,
    list_results,
    parse_judgement,
    static_facts,
)
from papercoder_nb.evaluate.codebase import CodeFile, allocate, pack_code, rank_files
from papercoder_nb.llm import registry
from papercoder_nb.llm.base import BackendError
from papercoder_nb.llm.scripted import ScriptedBackend


@pytest.fixture(scope="module")
def base_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("evalbase")).root


@pytest.fixture
def session(base_session: Path, tmp_path: Path):
    """A fresh copy of the generated session per test (cheaper than generating again)."""
    import shutil

    from papercoder_nb import Session

    dest = tmp_path / "session"
    shutil.copytree(base_session, dest)
    return Session.open(dest)


def judge(*answers) -> ScriptedBackend:
    return ScriptedBackend("judge", answers=list(answers))


def test_valid_samples_are_averaged_saved_and_summarised(session) -> None:
    backend = judge(judgement(4), judgement(5), judgement(3, [{"file": "nowhere.py", "function": "",
                                                               "severity": "medium", "text": "x"}]))
    result = evaluate_session(session, backend, samples=3, check_imports=False)
    assert result.kind == "reference_free"
    assert result.score == 4.0
    assert sorted(result.sample_scores) == [3, 4, 5]
    assert (result.valid_samples, result.invalid_samples) == (3, 0)
    # critiques sorted by severity, each remembers its sample
    assert [c.severity for c in result.critiques] == ["high", "high", "medium", "low", "low"]
    assert result.severity_counts == {"high": 2, "medium": 1, "low": 2}
    # the judge saw the paper and every file, in full
    req = backend.requests[0]
    prompt = req.messages[-1].text
    assert "Tiny Attention" in prompt and "### File model.py" in prompt
    assert req.kind == "eval.judge" and req.schema is not None
    assert not result.code.truncated and result.code.note == "all 5 generated code files shown in full"
    # stored as eval/<timestamp>-reference_free.json, valid JSON, and found again
    saved = list_results(session.root)
    assert len(saved) == 1 and saved[0].name.endswith("-reference_free.json")
    assert json.loads(saved[0].read_text())["score"] == 4.0
    assert latest_result(session.root).score == 4.0
    # judge calls are in the session's call log
    calls = [c for c in session.calls() if c["kind"] == "eval.judge"]
    assert len(calls) == 3
    summary = evaluation_summary(session.root)
    assert summary["has_result"] and summary["score"] == 4.0
    assert summary["critiques_by_file"]["model.py"]["exists"] is True
    assert summary["critiques_by_file"]["model.py"]["artifact"] == "code:model.py"
    assert summary["critiques_by_file"]["nowhere.py"]["exists"] is False
    assert summary["headline"].startswith("reference-free score 4.00/5")


def test_malformed_out_of_range_and_empty_answers_are_dropped_and_counted(session) -> None:
    backend = judge("I think it is fine.", judgement(7), "", judgement(0), judgement(3.5),
                    judgement("2"), BackendError("server said no"))
    result = evaluate_session(session, backend, samples=7, check_imports=False)
    assert result.valid_samples == 1 and result.invalid_samples == 6
    assert result.score == 2.0 and result.sample_scores == [2]
    errors = {s.index: s.error for s in result.samples if not s.valid}
    assert "no JSON object" in errors[0]
    assert "outside 1–5" in errors[1] and "outside 1–5" in errors[3]
    assert errors[2] == "empty answer"
    assert "whole number" in errors[4]
    assert "model call failed" in errors[6]
    assert any("6 of 7 judge answers were invalid" in n for n in result.notes)


def test_no_valid_sample_is_a_clear_error_and_nothing_is_saved(session) -> None:
    backend = judge("", "{not json", judgement(9))
    with pytest.raises(EvalError, match=r"no valid judge answer in 3 sample\(s\).*sample 1: empty answer"):
        evaluate_session(session, backend, samples=3, check_imports=False)
    assert list_results(session.root) == []


def test_papercoder_style_answers_are_read_leniently() -> None:
    text = """Here is my review:
```json
{
  "critique_list": [
    {"file_name": "model.py", "func_name": "forward", "severity_level": "Critical", "critique": "no masking"},
    {"file_name": "data.py", "func_name": "", "severity_level": "whatever", "critique": "bad severity"},
    {"file_name": "x.py", "severity_level": "minor", "critique": ""},
  ],
  "score": "4", // a string, as PaperCoder's judges often write it
}
```"""
    score, critiques, dropped = parse_judgement(text)
    assert score == 4
    assert [(c.file, c.function, c.severity) for c in critiques] == [("model.py", "forward", "high")]
    assert dropped == 2
    with pytest.raises(ValueError, match="no score"):
        parse_judgement('{"critiques": []}')
    with pytest.raises(ValueError, match="not a list"):
        parse_judgement('{"critiques": "bad", "score": 3}')
    with pytest.raises(ValueError, match="not a number"):
        parse_judgement('{"critiques": [], "score": true}')


def test_code_is_budgeted_to_the_window_ranked_by_the_plan_and_truncation_stated(session) -> None:
    # Make the repository far larger than a small judge window.
    big = "\n".join(f"def helper_{i}(x):\n    return x * {i}  # filler line for size" for i in range(400))
    session.write("code:utils.py", big + "\n", by="user")
    session.write("code:extra_notes.py", big + "\n", by="user")
    backend = ScriptedBackend("judge", answers=[judgement(3)], context_window=3000)
    result = evaluate_session(session, backend, samples=1, max_tokens=300, check_imports=False)
    req = backend.requests[0]
    assert req.estimated_input_tokens() + req.max_tokens <= 3000
    assert result.code.truncated
    assert any("truncated to fit" in n for n in result.notes)
    left_out = set(result.code.outline + result.code.cut + result.code.omitted)
    assert "extra_notes.py" in left_out  # not in the plan or task list: ranked last
    assert "main.py" in result.code.full  # small and in the task list
    assert result.paper_note  # says whether the paper was condensed


def test_ranking_and_allocation_helpers() -> None:
    files = [CodeFile("misc.py", "def unrelated():\n    pass\n"),
             CodeFile("attention.py", "def scaled_attention(q, k, v):\n    pass\n"),
             CodeFile("train.py", "def fit():\n    pass\n")]
    ranked = rank_files(files, "We implement scaled_attention in attention.py.", task_order=["train.py"])
    assert [f.path for f in ranked][:2] == ["attention.py", "train.py"]
    assert allocate({"paper": 100, "code": 10_000}, {"paper": 0.4, "code": 0.6}, 1000) == {"paper": 100, "code": 900}
    text, cov = pack_code(ranked, 10**6)
    assert not cov.truncated and text.count("### File") == 3
    _, cov = pack_code(ranked, 0)
    assert cov.omitted == ["attention.py", "train.py", "misc.py"] and "left out" in cov.note


def test_reference_based_judging_reads_the_gold_repository(session, tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    (gold / "pkg").mkdir(parents=True)
    (gold / "pkg" / "attention.py").write_text("def official_attention(q, k, v):\n    return q\n")
    (gold / ".git").mkdir()
    (gold / ".git" / "junk.py").write_text("x = 1\n")
    backend = judge(judgement(2))
    result = evaluate_session(session, backend, gold=gold, check_imports=False)
    assert result.kind == "reference_based" and result.gold_path == str(gold)
    assert result.gold is not None and result.gold.full == ["pkg/attention.py"]
    prompt = backend.requests[0].messages[-1].text
    assert "official repository" in prompt and "official_attention" in prompt and "junk.py" not in prompt
    assert backend.requests[0].messages[0].text.startswith("You review research code")
    assert latest_result(session.root).kind == "reference_based"
    with pytest.raises(EvalError, match="not found"):
        evaluate_session(session, judge(judgement(2)), gold=tmp_path / "nope", check_imports=False)


def test_static_facts_compile_imports_and_config_keys(tmp_path: Path) -> None:
    code = [
        CodeFile("good.py", "import yaml\n\ndef load(cfg):\n    return cfg['model']['d_model'], cfg.get('lr')\n"
                            "\nclass Net:\n    def forward(self, config):\n        return config.training.epochs\n"),
        CodeFile("broken.py", "def oops(:\n    pass\n"),
        CodeFile("needs_pkg.py", "import surely_not_installed_pkg_xyz\n"),
    ]
    config = "model:\n  d_model: 512\n  n_heads: 8\ntraining:\n  epochs: 3\n"
    facts = static_facts(code, config_text=config, expected_files=["good.py", "missing.py"],
                         smoke={"ok": False, "error": "boom", "stdout_tail": "..."})
    by = {f.path: f for f in facts.files}
    assert by["good.py"].compiles and by["good.py"].functions == ["load", "Net.forward"]
    assert by["good.py"].classes == ["Net"]
    assert not by["broken.py"].compiles and "SyntaxError" in by["broken.py"].compile_error
    assert facts.missing_files == ["missing.py"]
    assert (facts.n_files, facts.n_compile, facts.n_functions) == (3, 2, 2)
    assert facts.import_check == "sandbox"
    assert by["good.py"].imports is True
    assert by["needs_pkg.py"].imports is False and "surely_not_installed_pkg_xyz" in by["needs_pkg.py"].import_error
    assert facts.n_import == 1
    assert facts.smoke == {"ok": False, "error": "boom"}
    cf = facts.config
    assert cf.defined == ["model.d_model", "model.n_heads", "training.epochs"]
    assert {"model", "d_model", "lr", "training", "epochs"} <= set(cf.used)
    assert cf.used_not_defined == ["lr"]
    assert cf.defined_not_used == ["model.n_heads"]
    off = static_facts(code, config_text="[1, 2]", check_imports=False)
    assert off.n_import is None and "turned off" in off.import_check
    assert off.config.error == "config.yaml is not a mapping"


# -- the command line -------------------------------------------------------------------
@pytest.fixture
def judge_provider(monkeypatch: pytest.MonkeyPatch):
    """``evaltest:<score>`` answers every judge request with that score."""

    def factory(model: str, **_):
        return ScriptedBackend(f"evaltest-{model}", responder=judging_responder(int(model or 4)))

    monkeypatch.setitem(registry._FACTORIES, "evaltest", factory)
    return "evaltest"


def test_cli_eval_shows_and_stores_the_result(session, judge_provider, capsys: pytest.CaptureFixture) -> None:
    code = main(["eval", str(session.root), "--model", "evaltest:5", "--samples", "2", "--no-imports"])
    outp = capsys.readouterr()
    assert code == 0, outp.err
    assert "reference-free score 5.00/5" in outp.out and "attention is not implemented" in outp.out
    assert "saved:" in outp.out and len(list_results(session.root)) == 1
    code = main(["eval", str(session.root), "--model", "evaltest:2", "--json", "--no-imports"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["score"] == 2.0 and data["static"]["n_files"] == 5
    assert len(list_results(session.root)) == 2


def test_cli_eval_errors_are_one_line(session, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["eval", str(tmp_path / "not-a-session"), "--model", "scripted:x"]) == 1
    err = capsys.readouterr().err
    assert "not a session folder" in err and len(err.strip().splitlines()) == 1
    # a scripted judge with no answers: every sample fails, which is an error, not a crash
    assert main(["eval", str(session.root), "--model", "scripted:empty", "--no-imports"]) == 1
    err = capsys.readouterr().err
    error_lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1 and "no valid judge answer" in error_lines[0]
    assert main(["eval", str(session.root), "--model", "scripted:x", "--samples", "0"]) == 1
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["eval", "batch", "import-papercoder"])
def test_cli_help(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    assert "usage:" in capsys.readouterr().out


# -- the real local model ---------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.real_model
def test_eval_with_the_local_model_as_judge(session) -> None:
    """Mechanics only: SmolLM2-135M's scores mean nothing, but the call, grammar,
    parsing, budgeting and storage are all real."""
    from papercoder_nb.llm.registry import get_backend

    backend = get_backend("local")
    result = evaluate_session(session, backend, samples=1, max_tokens=400, check_imports=False)
    assert result.model == "local"
    assert result.valid_samples == 1 and 1 <= result.score <= 5
    assert all(c.severity in ("high", "medium", "low") for c in result.critiques)
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert result.usage.input_tokens + 400 <= backend.context_window
    assert latest_result(session.root).model == "local"
    assert evaluation_summary(session.root)["has_result"]


@pytest.mark.slow
@pytest.mark.real_model
def test_eval_cli_on_the_example_session_with_the_local_judge(tmp_path, capsys) -> None:
    """`papercoder eval` end to end on the bundled example session (a copy), local judge."""
    import shutil

    from papercoder_nb.cli import main

    example = Path(__file__).resolve().parents[1] / "examples" / "neural-audio-style-transfer" / "session"
    copy = tmp_path / "session"
    shutil.copytree(example, copy)
    code = main(["eval", str(copy), "--model", "local", "--samples", "1", "--max-tokens", "400", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    data = json.loads(out[out.index("{"):])
    assert 1 <= data["score"] <= 5 and data["valid_samples"] == 1
    assert list((copy / "eval").glob("*.json"))
    assert not (example / "eval").exists()  # the shipped example is untouched
