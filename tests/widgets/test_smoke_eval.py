"""The Smoke and Evaluate steps in pure Python, under ipywidgets 8 and 7.7.1.

A tiny two-file repository fails its smoke run (a NameError in util.py); the scripted
model first answers with an edit that matches nothing, then with a search/replace fix
that the user rejects once and applies the second time. The judge is scripted too.
"""

from __future__ import annotations

import json
from pathlib import Path

import ipywidgets as W
import pytest
from eval_helpers import judgement, leaf_answer, make_session
from papercoder_nb.widgets import Workbench
from papercoder_nb.widgets.smoke_box import MAX_REPAIRS
from repair_helpers import (
    MAIN_BROKEN,
    MAIN_PY,
    NOT_MATCHING_FIX,
    SEARCH_REPLACE_FIX,
    UTIL_BROKEN,
    UTIL_FIXED,
    broken_session,
)

from papercoder_nb.llm.base import Request
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.verify.repair import repairs

# Reads a secret and the home directory at import time: the scan must flag both.
MAIN_NOSY = MAIN_PY.replace("import argparse\n", 'import argparse\nimport os\n\nTOKEN = os.environ.get("HF_TOKEN")\nHOME = os.path.expanduser("~")\n')


def classes(w: W.Widget) -> set[str]:
    return set(w._dom_classes)


def shown(w: W.Widget) -> bool:
    return w.layout.display != "none"


def test_smoke_shows_flags_first_then_repair_proposes_rejects_and_applies(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s", main=MAIN_NOSY)
    backend = ScriptedBackend("fixer", answers=[NOT_MATCHING_FIX, SEARCH_REPLACE_FIX, SEARCH_REPLACE_FIX])
    wb = Workbench(session, backend=backend)
    wb.step_buttons["Smoke"].click()
    box = wb.smoke_box
    assert wb.content.children == (box.widget,) and "pc-showing-smoke" in classes(wb.content)
    assert "pc-state-missing" in classes(wb.step_buttons["Smoke"])
    # The flags are there before anything ran
    assert session.state.smoke is None and "Not run yet" in box.report.value
    assert "pc-flags-3" in classes(box.safety), box.safety.value
    assert "reads environment variable &#x27;HF_TOKEN&#x27;" in box.safety.value and "expanduser" in box.safety.value
    assert box.safety.value.index("main.py:5") < box.safety.value.index("main.py:6")
    assert not shown(box.repair) and not shown(box.fix_box)

    box.run_smoke.click()
    assert wb.busy and box.run_smoke.disabled
    assert wb.wait_idle(90)
    assert "smoke run: finished" in wb.run_status.value
    html = box.report.value
    assert "pc-smoke-state-failed" in classes(box.report)
    assert "Smoke run failed" in html and "NameError: name &#x27;factor&#x27; is not defined" in html
    assert "at <code>util.py:6</code>" in html and "Traceback (most recent call last)" in html
    assert html.count('class="pc-smoke-file"') == 2  # util.py and main.py
    assert "<code>main.py --smoke</code>" in html
    assert ("Network isolated: <span class=\"pc-mark-yes\"" in html) == wb.session.state.smoke["network_isolated"]
    assert wb.session.state.smoke["ok"] is False
    assert "pc-state-failed" in classes(wb.step_buttons["Smoke"])
    assert shown(box.repair) and not box.repair.disabled

    # 1: the engine's loop: an edit that matches nothing is retried with the reason, then a
    # good fix waits as a diff for review; rejected, nothing changes and the loop ends
    box.repair.click()
    assert box.wait_for_proposal(30) and wb.busy
    assert [r.kind for r in backend.requests] == ["repair", "repair"]
    assert backend.requests[0].artifact == "repair:util.py"
    assert "matches nothing" in backend.requests[-1].messages[-1].text
    assert shown(box.fix_box) and box.repair.disabled and not box.apply.disabled
    diff = box.fix_diff.value
    assert "-    return [x * factor for x in xs]" in diff and "+    return [x * k for x in xs]" in diff
    assert "name &#x27;factor&#x27; is not defined" in box.fix_title.value
    box.reject.click()
    assert wb.wait_idle(30)
    assert not shown(box.fix_box) and session.read("code:util.py") == UTIL_BROKEN
    assert "Rejected" in box.status.value
    assert [a["outcome"] for a in repairs(session)] == ["invalid", "refused"]

    # 2: the same fix, applied: written through history, smoke re-run by the loop and passing
    box.repair.click()
    assert box.wait_for_proposal(30)
    box.apply.click()
    assert wb.wait_idle(90)
    assert session.read("code:util.py") == UTIL_FIXED
    assert session.previous_version("code:util.py") == UTIL_BROKEN
    assert "pc-smoke-state-ok" in classes(box.report) and "Smoke run passed" in box.report.value
    assert "after the fix to <code>util.py</code>" in box.status.value
    assert not shown(box.repair) and not shown(box.fix_box)
    assert "pc-state-approved" in classes(wb.step_buttons["Smoke"])
    log = repairs(session)
    assert [a["outcome"] for a in log] == ["invalid", "refused", "applied"]
    assert log[-1]["smoke_ok"] is True and log[-1]["file"] == "util.py"
    # A reopened panel shows the stored result
    wb2 = Workbench(session.root, backend=backend)
    wb2.step_buttons["Smoke"].click()
    assert "pc-smoke-state-ok" in classes(wb2.smoke_box.report)


def test_repair_attempts_are_bounded_and_a_cancel_is_recorded_as_a_cancel(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    backend = ScriptedBackend("fixer", answers=[NOT_MATCHING_FIX] * 3 + [SEARCH_REPLACE_FIX])
    wb = Workbench(session, backend=backend)
    wb.step_buttons["Smoke"].click()
    box = wb.smoke_box
    box.run_smoke.click()
    assert wb.wait_idle(90)
    box.repair.click()  # one press: the loop's attempts, each retried with the reason
    assert not box.wait_for_proposal(30) and wb.wait_idle(30)
    assert len(backend.requests) == MAX_REPAIRS == 3
    assert "after 3 attempt(s)" in box.status.value and "matches nothing" in box.status.value
    assert [a["outcome"] for a in repairs(session)] == ["invalid"] * 3
    assert not box.repair.disabled  # another press is another loop, like `papercoder repair`

    # Cancel while the diff waits: a cancel in the log, not an error; nothing changed
    box.repair.click()
    assert box.wait_for_proposal(30)
    wb.cancel_button.click()
    assert wb.wait_idle(30)
    assert [a["outcome"] for a in repairs(session)][-1] == "cancelled"
    assert "Cancelled" in box.status.value and "pc-has-error-yes" not in classes(wb.error)
    assert session.read("code:util.py") == UTIL_BROKEN and not shown(box.fix_box)
    assert box.do_apply() is False  # nothing waits any more


def test_without_bubblewrap_high_risk_code_runs_only_after_an_explicit_confirm_for_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papercoder_nb.verify import sandbox, smoke

    def no_bwrap(_python: str = "") -> tuple[bool, str]:
        return False, "bwrap not installed"

    monkeypatch.setattr(smoke, "bwrap_status", no_bwrap)
    monkeypatch.setattr(sandbox, "bwrap_status", no_bwrap)
    session = broken_session(tmp_path / "s", main=MAIN_NOSY)
    wb = Workbench(session, backend=ScriptedBackend("fixer"))
    wb.step_buttons["Smoke"].click()
    box = wb.smoke_box
    assert not shown(box.unsandboxed.widget)

    box.run_smoke.click()
    assert wb.wait_idle(60)
    assert session.state.smoke is None and "Not run yet" in box.report.value  # nothing ran
    assert shown(box.unsandboxed.widget) and not box.unsandboxed.confirm.disabled
    text = box.unsandboxed.text.value
    assert "2 high-risk safety flag(s)" in text and "bubblewrap missing" in text
    assert "Install bubblewrap" in text and "apt install bubblewrap" in text
    assert "unsandboxed, this once, at your own risk" in text
    assert "Nothing ran" in box.status.value and "pc-has-error-yes" not in classes(wb.error)

    box.unsandboxed.dismiss.click()  # "Don't run": still nothing
    assert not shown(box.unsandboxed.widget) and session.state.smoke is None

    box.run_smoke.click()
    assert wb.wait_idle(60) and shown(box.unsandboxed.widget)
    box.unsandboxed.confirm.click()  # the explicit yes, for this run
    assert "without isolation" in box.status.value
    assert wb.wait_idle(90)
    assert session.state.smoke is not None and session.state.smoke["network_isolated"] is False
    assert "NameError" in box.report.value and not shown(box.unsandboxed.widget)

    # A repair's re-run of the fixed code asks again too: the fix is written, not run
    wb.backend = ScriptedBackend("fixer", answers=[SEARCH_REPLACE_FIX])
    box.repair.click()
    assert box.wait_for_proposal(30)
    box.apply.click()
    assert wb.wait_idle(60)
    assert session.read("code:util.py") == UTIL_FIXED and shown(box.unsandboxed.widget)
    assert "not re-run" in repairs(session)[-1]["detail"]
    box.unsandboxed.confirm.click()
    assert wb.wait_idle(90) and "pc-smoke-state-ok" in classes(box.report)

    box.run_smoke.click()  # the consent was for one run: the next one asks again
    assert wb.wait_idle(60) and shown(box.unsandboxed.widget)


def test_failing_checks_show_red_in_the_smoke_and_code_steps(tmp_path: Path) -> None:
    # scale() called without k; util.py itself is right
    session = broken_session(tmp_path / "s", util=UTIL_FIXED, main=MAIN_BROKEN)
    wb = Workbench(session, backend=ScriptedBackend("fixer"))
    wb.step_buttons["Smoke"].click()
    box = wb.smoke_box
    # The checker's finding shows before anything runs
    assert "pc-findings-state-failed" in classes(box.checks)
    assert "main.py:11" in box.checks.value and "missing argument(s) k" in box.checks.value
    assert "static check" in box.checks.value and "smoke run</b>" not in box.checks.value
    box.run_smoke.click()
    assert wb.wait_idle(90)
    assert "smoke run</b>: the run failed here: TypeError" in box.checks.value, box.checks.value

    wb.step_buttons["Code"].click()
    findings = wb.code_findings.widget
    assert findings in wb.content.children
    wb.file_select.value = "code:main.py"
    assert "pc-findings-state-failed" in classes(findings) and "missing argument(s) k" in findings.value
    wb.file_select.value = "code:util.py"  # nothing fails in util.py
    assert "pc-findings-state-ok" in classes(findings) and "No failing checks in util.py" in findings.value

    session.write("code:main.py", MAIN_PY, by="user")  # fixed by hand: the checker clears
    wb.file_select.value = "code:main.py"
    wb.after_change()
    assert "missing argument" not in findings.value and "smoke run" in findings.value  # the old run still failed
    wb.step_buttons["Analysis"].click()
    assert findings not in wb.content.children


def critique_answer(scores: list[int]):
    it = iter(scores)

    def answer(_req: Request) -> str:
        return judgement(next(it), [
            {"file": "model.py", "function": "run", "severity": "high", "text": "attention is not implemented"},
            {"file": "model.py", "function": "", "severity": "low", "text": "no docstring on the <b>class</b>"},
            {"file": "ghost.py", "function": "", "severity": "medium", "text": "the optimiser file is missing"},
        ])

    return answer


def test_evaluate_reference_free_shows_score_samples_critiques_by_file_and_static_facts(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    judge = ScriptedBackend("judge", responder=critique_answer([4, 4, 2]))
    wb = Workbench(session, backend=judge)
    wb.step_buttons["Evaluate"].click()
    ev = wb.eval_box
    assert "Not evaluated yet" in ev.score.value and "pc-state-missing" in classes(wb.step_buttons["Evaluate"])
    ev.samples.value = 3
    ev.go.click()
    assert wb.wait_idle(60)
    assert [r.kind for r in judge.requests] == ["eval.judge"] * 3
    assert "reference-free score 3.33/5 from 3/3 valid samples" in ev.score.value
    assert "Per-sample scores: <b>" in ev.score.value
    assert sorted(int(x) for x in ev.score.value.split("Per-sample scores: <b>")[1].split("</b>")[0].split(", ")) == [2, 4, 4]
    assert "pc-eval-state-reference_free" in classes(ev.score)
    assert "pc-state-generated" in classes(wb.step_buttons["Evaluate"])
    groups = "".join(c.children[0].value for c in ev.critiques.children[1:])
    assert groups.count("pc-critique-high") == 3 and "&lt;b&gt;class&lt;/b&gt;" in groups
    assert "(no such file in the session)" in groups  # ghost.py: listed, no button
    assert list(ev.open_buttons) == ["model.py"]
    assert "pc-eval-open-code-model-py" in classes(ev.open_buttons["model.py"])
    assert "5 files" in ev.static.value and "5/5 compile" in ev.static.value
    assert ev.rubric_tree.value == ""
    ev.open_buttons["model.py"].click()
    assert wb.step == "Code" and wb.view.aid == "code:model.py" and wb.file_select.value == "code:model.py"


def test_evaluate_with_a_rubric_shows_pass_fail_per_leaf_and_categories(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    rubric = {
        "id": "root", "requirements": "Reproduce Tiny Attention", "weight": 1, "sub_tasks": [
            {"id": "model", "requirements": "The model", "weight": 3, "sub_tasks": [
                {"id": "attn", "requirements": "Scaled dot-product attention is implemented", "weight": 1,
                 "sub_tasks": [], "task_category": "Code Development"},
                {"id": "dim", "requirements": "d_model is 512", "weight": 1, "sub_tasks": [],
                 "task_category": "Code Development"},
            ]},
            {"id": "run", "requirements": "Training runs for one step", "weight": 1, "sub_tasks": [],
             "task_category": "Code Execution"},
        ],
    }
    path = tmp_path / "rubric.json"
    path.write_text(json.dumps(rubric))

    def leaf(req: Request) -> str:
        passed = "d_model is 512" in req.messages[-1].text
        return leaf_answer(int(passed), "config defines it" if passed else "not found in model.py")

    judge = ScriptedBackend("judge", responder=leaf)
    wb = Workbench(session, backend=judge)
    wb.step_buttons["Evaluate"].click()
    ev = wb.eval_box
    ev.gold.value, ev.rubric.value = str(tmp_path), str(path)
    ev.go.click()
    assert "separate modes" in ev.status.value and not wb.busy
    ev.gold.value = ""
    ev.go.click()
    assert wb.wait_idle(60)
    tree = ev.rubric_tree.value
    assert tree.count("pc-rubric-leaf") == 3
    assert tree.count("pc-rubric-pass") == 1 and tree.count("pc-rubric-fail") == 2
    assert "not found in model.py" in tree and "score 50%" in tree  # the model node: 1 of 2 leaves
    assert "rubric 38%: 1/3 leaves passed" in ev.score.value  # 3/4 · 1/2
    assert "pc-eval-categories" in tree and "Code Execution" in tree
    assert ev.critiques.children == ()


def test_evaluate_failures_show_in_the_panel(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    wb = Workbench(session, backend=ScriptedBackend("judge", answers=["not json at all"]))
    wb.step_buttons["Evaluate"].click()
    wb.eval_box.go.click()
    assert wb.wait_idle(30)
    assert "no valid judge answer" in wb.error.value and "pc-has-error-yes" in classes(wb.error)
    assert "No evaluation" in wb.eval_box.status.value and "Not evaluated yet" in wb.eval_box.score.value



def test_a_fix_at_a_seam_shows_each_file_and_applies_only_the_ticked_ones(tmp_path: Path) -> None:
    from repair_helpers import MAIN_BROKEN
    from test_repair import SEAM_FIX

    session = broken_session(tmp_path / "s", util=UTIL_FIXED, main=MAIN_BROKEN)
    wb = Workbench(session, backend=ScriptedBackend("fixer", answers=[SEAM_FIX]))
    wb.step_buttons["Smoke"].click()
    box = wb.smoke_box
    box.run_smoke.click()
    assert wb.wait_idle(90) and "pc-smoke-state-failed" in classes(box.report)
    box.repair.click()
    assert box.wait_for_proposal(30)
    ticks = box.fix_files.children
    assert [t.description for t in ticks] == ["apply the change to main.py", "apply the change to util.py"]
    assert all(t.value for t in ticks)
    assert "+++ b/main.py" in box.fix_diff.value and "+++ b/util.py" in box.fix_diff.value
    ticks[1].value = False  # the reviewer keeps util.py as it is
    box.apply.click()
    assert wb.wait_idle(90)
    assert session.read("code:main.py") == MAIN_PY and session.read("code:util.py") == UTIL_FIXED
    [attempt] = repairs(session)
    assert attempt["files"] == ["main.py"] and "not approved: util.py" in attempt["detail"]
    assert "pc-smoke-state-ok" in classes(box.report)


def test_a_missing_package_is_shown_as_environment_and_installed_only_on_the_users_yes(tmp_path: Path) -> None:
    from test_environment import PKG as pkg
    from test_environment import _wheel

    from papercoder_nb.verify.session_env import InstallResult, install

    session = broken_session(tmp_path / "s", util=f"import {pkg}\n\n" + UTIL_FIXED)
    logic = json.loads(session.read("logic"))
    logic["required_packages"] = [pkg]
    session.write("logic", json.dumps(logic), by="user")
    backend = ScriptedBackend("fixer")
    wb = Workbench(session, backend=backend)
    wb.step_buttons["Smoke"].click()
    box = wb.smoke_box
    asked: list[list[str]] = []
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels)  # a real pip install into <session>/.venv, from a local wheel (no network)

    def local_install(root: Path, reqs: list[str]) -> InstallResult:
        asked.append(reqs)
        return install(root, reqs, extra_args=["--no-index", "--find-links", str(wheels)])

    box.installer = local_install
    box.run_smoke.click()
    assert wb.wait_idle(90) and "pc-smoke-state-failed" in classes(box.report)
    env = box.environment
    assert shown(env.widget) and shown(env.install) and asked == []  # nothing installed unasked
    assert f"missing package &#x27;{pkg}&#x27;" in env.text.value and "not code" in env.text.value
    assert env.installable == [pkg]
    box.repair.click()  # repair never turns it into a code change
    assert wb.wait_idle(30) and backend.requests == []
    env.install.click()
    assert wb.wait_idle(90)
    assert asked == [[pkg]]
    assert "pc-smoke-state-ok" in classes(box.report) and not shown(env.widget)
    assert "Installed; the smoke run passes" in box.status.value
