"""PaperBench rubrics: parsing (hand-made and the two real ones), validation, grading, aggregation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_helpers import RUBRICS, judging_responder, leaf_answer, make_session

from papercoder_nb.cli import main
from papercoder_nb.evaluate import (
    RubricError,
    aggregate,
    evaluate_session,
    evaluation_summary,
    latest_result,
    load_rubric,
    parse_rubric,
)
from papercoder_nb.evaluate.rubric import parse_leaf, write_rubric
from papercoder_nb.llm import registry
from papercoder_nb.llm.base import Request
from papercoder_nb.llm.scripted import ScriptedBackend


def leaf(id_: str, req: str, weight: float = 1, cat: str = "Code Development") -> dict:
    return {"id": id_, "requirements": req, "weight": weight, "sub_tasks": [], "task_category": cat}


def small_rubric() -> dict:
    """root = (3·A + 1·B) / 4, A = (a1 + a2) / 2 with a2 twice as heavy, B one leaf."""
    return {
        "id": "root", "requirements": "The paper is reproduced.", "weight": 1,
        "sub_tasks": [
            {"id": "A", "requirements": "The model is implemented.", "weight": 3, "sub_tasks": [
                leaf("a1", "Scaled dot-product attention is implemented."),
                leaf("a2", "The model is trained with Adam.", weight=2, cat="Code Execution"),
            ]},
            {"id": "B", "requirements": "Results are analysed.", "weight": 1, "sub_tasks": [
                leaf("b1", "Accuracy on the toy data set is reported.", cat="Result Analysis"),
            ]},
        ],
    }


def test_aggregation_by_weights_and_categories() -> None:
    root = parse_rubric(small_rubric())
    report = aggregate(root, {"a1": (1, "ok", None), "a2": (0, "not run", None), "b1": (1, "yes", None)})
    # A = (1·1 + 2·0)/3 = 1/3; root = (3·1/3 + 1·1)/4 = 0.5
    assert report.root.children[0].score == pytest.approx(1 / 3, abs=1e-6)
    assert report.score == pytest.approx(0.5)
    assert (report.leaves, report.passed, report.ungraded) == (3, 2, 0)
    cats = {c.category: c for c in report.categories}
    assert cats["Code Development"].score == 1.0 and cats["Code Execution"].score == 0.0
    assert cats["Result Analysis"].passed == 1
    leaf_a2 = report.root.children[0].children[1]
    assert leaf_a2.passed is False and leaf_a2.explanation == "not run"
    ungraded = aggregate(root, {"a1": (1, "", None), "b1": (None, "", "garbled")})
    assert ungraded.ungraded == 2  # a2 missing, b1 unusable: both count as 0
    assert ungraded.score == pytest.approx(3 / 4 * 1 / 3)


def test_the_two_real_paperbench_rubrics_parse_and_aggregate(tmp_path: Path) -> None:
    counts = {}
    for name in ("semantic-self-consistency", "mechanistic-understanding"):
        root = load_rubric(RUBRICS / f"{name}.rubric.json")
        leaves = root.leaves()
        counts[name] = len(leaves)
        assert {lf.task_category for lf in leaves} <= {"Code Development", "Code Execution", "Result Analysis"}
        assert aggregate(root, {lf.id: (1, "", None) for lf in leaves}).score == pytest.approx(1.0)
        assert aggregate(root, {lf.id: (0, "", None) for lf in leaves}).score == 0.0
        # written back in the same format, it reads the same
        write_rubric(root, tmp_path / f"{name}.json")
        again = load_rubric(tmp_path / f"{name}.json")
        assert again.model_dump() == root.model_dump()
        original = json.loads((RUBRICS / f"{name}.rubric.json").read_text())
        assert again.finegrained_task_category == original.get("finegrained_task_category")
    assert counts["semantic-self-consistency"] == 77
    assert counts["mechanistic-understanding"] == 96


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["sub_tasks"][0]["sub_tasks"][1].update(id="a1"), "id 'a1' is used twice"),
        (lambda r: r["sub_tasks"][1]["sub_tasks"][0].update(task_category="Vibes"), "'Vibes' is not one of"),
        (lambda r: r["sub_tasks"][1]["sub_tasks"][0].pop("task_category"), "has no task_category"),
        (lambda r: r["sub_tasks"][0].pop("weight"), r"sub_tasks\[0\]\.weight: Field required"),
        (lambda r: r["sub_tasks"][0].update(weight=-1), r"sub_tasks\[0\]\.weight"),
        (lambda r: [s.update(weight=0) for s in r["sub_tasks"]], "every sub-task of 'root' has weight 0"),
        (lambda r: r.update(requirements=""), "requirements"),
    ],
)
def test_invalid_rubrics_say_where(mutate, message: str, tmp_path: Path) -> None:
    data = small_rubric()
    mutate(data)
    p = tmp_path / "rubric.json"
    p.write_text(json.dumps(data))
    with pytest.raises(RubricError, match=message):
        load_rubric(p)


def test_unreadable_rubric_files(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="not found"):
        load_rubric(tmp_path / "none.json")
    p = tmp_path / "bad.json"
    p.write_text('{"id": "x",\n "requirements": }')
    with pytest.raises(RubricError, match="line 2"):
        load_rubric(p)


def test_leaf_answers_are_read_strictly() -> None:
    assert parse_leaf('{"explanation": "present in model.py", "score": 1}', None) == (1, "present in model.py")
    assert parse_leaf('```json\n{"passed": false, "reason": "absent"}\n```', None) == (0, "absent")
    assert parse_leaf("", {"score": "1", "explanation": "x"}) == (1, "x")
    for bad in ('{"score": 2}', '{"score": 0.5}', '{"explanation": "no score"}', "", "no json"):
        with pytest.raises(ValueError):
            parse_leaf(bad, None)


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("rubric")).root


@pytest.fixture
def session(session_dir: Path, tmp_path: Path):
    import shutil

    from papercoder_nb import Session

    shutil.copytree(session_dir, tmp_path / "s")
    return Session.open(tmp_path / "s")


def by_requirement(req: Request) -> str:
    text = req.messages[-1].text
    if "attention is implemented" in text:
        return leaf_answer(1, "model.py implements it")
    if "trained with Adam" in text:
        return leaf_answer(0, "no optimiser")
    return "I cannot tell."  # b1: unusable, so ungraded


def test_grading_a_session_against_a_rubric(session, tmp_path: Path) -> None:
    p = tmp_path / "rubric.json"
    p.write_text(json.dumps(small_rubric()))
    backend = ScriptedBackend("grader", responder=by_requirement)
    result = evaluate_session(session, backend, rubric=p, check_imports=False)
    assert result.kind == "rubric" and result.score_scale == "0-1"
    assert len(backend.requests) == 3 and all(r.kind == "eval.rubric" for r in backend.requests)
    assert "Requirement (Code Execution): The model is trained with Adam." in backend.requests[1].messages[-1].text
    rb = result.rubric
    assert (rb.passed, rb.ungraded, rb.leaves) == (1, 1, 3)
    assert result.score == pytest.approx(3 / 4 * 1 / 3)
    assert any("1 of 3 rubric leaves could not be graded" in n for n in result.notes)
    assert latest_result(session.root).rubric_path == str(p)
    summary = evaluation_summary(session.root)
    a = summary["rubric"]["children"][0]
    assert [c["status"] for c in a["children"]] == ["pass", "fail"]
    assert summary["rubric"]["children"][1]["children"][0]["status"] == "ungraded"
    assert summary["headline"].startswith("rubric 25%: 1/3 leaves passed, 1 ungraded")
    assert {c["category"] for c in summary["categories"]} == {"Code Development", "Code Execution", "Result Analysis"}


def test_no_gradable_leaf_is_an_error(session, tmp_path: Path) -> None:
    p = tmp_path / "rubric.json"
    p.write_text(json.dumps(small_rubric()))
    with pytest.raises(RubricError, match="no rubric leaf could be graded"):
        evaluate_session(session, ScriptedBackend("g", responder=lambda r: "{}"), rubric=p, check_imports=False)
    with pytest.raises(ValueError, match="separate modes"):
        evaluate_session(session, ScriptedBackend("g"), rubric=p, gold=tmp_path, check_imports=False)


def test_cli_eval_with_a_real_rubric(session, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setitem(registry._FACTORIES, "evaltest",
                        lambda model, **_: ScriptedBackend("evaltest", responder=judging_responder()))
    rubric = RUBRICS / "semantic-self-consistency.rubric.json"
    code = main(["eval", str(session.root), "--rubric", str(rubric), "--model", "evaltest:x", "--no-imports"])
    outp = capsys.readouterr()
    assert code == 0, outp.err
    assert "rubric score 100.0%: 77/77 leaves passed" in outp.out
    assert "Code Development" in outp.out
    bad = session.root / "bad.json"
    bad.write_text("[]")
    assert main(["eval", str(session.root), "--rubric", str(bad), "--model", "evaltest:x"]) == 1
    assert "bad.json" in capsys.readouterr().err
