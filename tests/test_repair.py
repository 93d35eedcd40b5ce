"""The repair loop: real smoke runs before and after, scripted fixes, approvals, bounds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from repair_helpers import (
    MAIN_BROKEN,
    MAIN_PY,
    NOT_MATCHING_FIX,
    SEARCH_REPLACE_FIX,
    UTIL_BROKEN,
    UTIL_FIXED,
    broken_session,
)

from papercoder_nb.llm.base import BackendError, CancelledError, CancelToken
from papercoder_nb.llm.limits import ModelLimits
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.paper.tokens import estimate_tokens
from papercoder_nb.session.graph import statuses
from papercoder_nb.verify.fixes import (
    FixError,
    apply_edits,
    apply_fix,
    fix_from_answer,
    parse_edits,
)
from papercoder_nb.verify.repair import REPAIRS_LOG, repair_loop, repairs, smoke_session
from papercoder_nb.verify.repair_request import (
    Target,
    build_repair_request,
    find_target,
    propose_fix,
)
from papercoder_nb.verify.sandbox import FileRecord, SmokeResult, bwrap_status

SMOKE = {"timeout_s": 60}


@pytest.fixture(scope="module", autouse=True)
def _bwrap() -> None:
    ok, reason = bwrap_status(sys.executable)
    assert ok, f"the repair tests smoke-run in bubblewrap: {reason}"


def _history_by(session, aid: str) -> list[str]:
    return [p.stem.rsplit("-", 1)[1] for p in session.history(aid)]


def test_search_replace_fix_is_shown_applied_recorded_and_the_rerun_passes(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    assert set(statuses(session).values()) == {"edited", "generated"}  # nothing stale yet
    before = smoke_session(session, **SMOKE)
    assert not before.ok and before.network_isolated
    assert (before.failing_file, before.error) == ("util.py", "NameError: name 'factor' is not defined")
    assert session.state.smoke["ok"] is False

    backend = ScriptedBackend("fixer", answers=[SEARCH_REPLACE_FIX])
    seen: list[str] = []
    events: list[str] = []
    report = repair_loop(
        session, backend, approve=lambda diff: seen.append(diff) or True,
        on_event=lambda e: events.append(e.kind), smoke_options=SMOKE,
    )
    assert report.ok and report.final.ok and not report.initial.ok
    assert [a.outcome for a in report.attempts] == ["applied"]
    assert session.read("code:util.py") == UTIL_FIXED
    # The user saw a unified diff of exactly the change.
    assert seen[0].startswith("--- a/util.py\n+++ b/util.py\n")
    assert "-    return [x * factor for x in xs]\n+    return [x * k for x in xs]\n" in seen[0]
    assert events == ["smoke", "target", "proposal", "applied"]
    # History keeps the broken version, then the fix, written by the model.
    assert _history_by(session, "code:util.py") == ["model", "model"]
    assert session.history("code:util.py")[0].read_text() == UTIL_BROKEN
    rec = session.record("code:util.py")
    assert rec.by == "model" and rec.model == "scripted:fixer"
    assert "NameError" in rec.feedback
    # The session holds the passing result, the attempt log and the model call.
    assert session.state.smoke["ok"] is True
    logged = repairs(session)
    assert [(r["outcome"], r["file"], r["smoke_ok"]) for r in logged] == [("applied", "util.py", True)]
    assert "+    return [x * k for x in xs]" in logged[0]["diff"]
    calls = session.calls()
    assert [c["kind"] for c in calls] == ["repair"] and calls[0]["artifact"] == "repair:util.py"
    # main.py reads util.py: the fix makes it (and only it) stale, and the report says so.
    assert report.stale == ["code:main.py"]
    assert statuses(session)["code:util.py"] == "generated"


def test_the_prompt_is_stable_first_and_labels_the_files(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s", util=UTIL_FIXED, main=MAIN_BROKEN)
    result = smoke_session(session, **SMOKE)
    assert result.failing_file == "main.py" and "TypeError" in result.error
    backend = ScriptedBackend("fixer", answers=["```python\n" + MAIN_PY + "```"])
    fix = propose_fix(session, backend, result)
    assert session.read("code:main.py") == MAIN_BROKEN  # proposing writes nothing
    request = backend.requests[0]
    assert request.messages[0].role == "system"
    text = request.messages[1].text
    order = [
        text.index("# The paper"),
        text.index("Reproduction plan (planning/plan.md)"),
        text.index("## Repository file util.py"),  # the file main.py imports, labelled
        text.index("## The failing file main.py"),
        text.index("# Your task"),
    ]
    assert order == sorted(order)
    assert "Time Domain Neural Audio Style Transfer" in text
    assert "TypeError: scale() missing 1 required positional argument: 'k'" in text
    assert 'File "/sandbox/repo/main.py"' in text  # the traceback itself
    # the static checker's findings on the files involved ride along
    assert "The static checker found these problems" in text
    assert "- main.py:11: call of scale missing argument(s) k" in text
    assert "<<<<<<< SEARCH" in text and "```python" in text  # both answer forms explained
    assert request.messages[1].parts[0].cache  # the paper ends a cacheable prefix
    # A whole-file answer is a fix too.
    assert (fix.file, fix.mode, fix.new_text) == ("main.py", "whole", MAIN_PY)
    assert "+    print(\"total\", sum(scale([1, 2, 3], 2)))" in fix.diff


def test_a_short_window_is_condensed_by_the_stages_prompt_builder(tmp_path: Path) -> None:
    """Repair budgets like a coding call: related files become outlines, the failing file
    stays whole, and the request fits the window with the answer's room."""
    helpers = "".join(f'\n\ndef helper_{i}(x):\n    """Helper {i}."""\n    y = x + {i}\n    return y * {i}\n'
                      for i in range(120))
    session = broken_session(tmp_path / "s", util=UTIL_FIXED + helpers, main=MAIN_BROKEN)
    target = Target("main.py", "TypeError: scale() missing 1 required positional argument: 'k'", "Traceback ...", 9)
    wide = build_repair_request(session, target, limits=ModelLimits(200_000, 32_000, small=False))
    assert "## Repository file util.py\n" in wide.messages[1].text and "y * 119" in wide.messages[1].text
    short = build_repair_request(session, target, limits=ModelLimits(6_000, 2_000, small=True))
    text = short.messages[1].text
    assert "## Repository file util.py (outline)" in text and "y * 119" not in text
    assert f"## The failing file main.py (current version)\n```python\n{MAIN_BROKEN.rstrip()}\n```" in text
    used = estimate_tokens(short.messages[0].text) + estimate_tokens(text)
    assert used + short.max_tokens <= 6_000
    assert (short.kind, short.artifact) == ("repair", "repair:main.py")


def test_a_search_that_does_not_match_changes_nothing_and_costs_an_attempt(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    backend = ScriptedBackend("fixer", answers=[NOT_MATCHING_FIX, SEARCH_REPLACE_FIX])
    report = repair_loop(session, backend, auto_approve=True, smoke_options=SMOKE)
    assert [a.outcome for a in report.attempts] == ["invalid", "applied"]
    assert "SEARCH block 1 of 1 matches nothing in util.py" in report.attempts[0].detail
    assert report.ok
    # The second request tells the model why its first answer was unusable.
    assert "could not be used" not in backend.requests[0].messages[-1].text
    assert "matches nothing in util.py" in backend.requests[1].messages[-1].text
    assert [r["outcome"] for r in repairs(session)] == ["invalid", "applied"]
    assert _history_by(session, "code:util.py") == ["model", "model"]  # only the real fix


def test_a_refused_fix_leaves_the_file_alone_and_ends_the_loop(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    backend = ScriptedBackend("fixer", answers=[SEARCH_REPLACE_FIX, SEARCH_REPLACE_FIX])
    report = repair_loop(session, backend, approve=lambda diff: False, smoke_options=SMOKE)
    assert not report.ok
    assert [a.outcome for a in report.attempts] == ["refused"]
    assert len(backend.requests) == 1
    assert session.read("code:util.py") == UTIL_BROKEN
    assert len(session.history("code:util.py")) == 1
    assert session.state.smoke["ok"] is False
    assert repairs(session)[0]["outcome"] == "refused"


def test_attempts_are_bounded(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    counter = iter(range(100))

    def useless(_req) -> str:  # a different comment each time: applies, fixes nothing
        n = next(counter)
        return f"Add a note.\n\n```python\n# note {n}\n{UTIL_BROKEN}```"

    backend = ScriptedBackend("fixer", responder=useless)
    report = repair_loop(session, backend, max_attempts=2, auto_approve=True, smoke_options=SMOKE)
    assert len(backend.requests) == 2
    assert [(a.outcome, a.smoke_ok) for a in report.attempts] == [("applied", False), ("applied", False)]
    assert not report.ok and "still fails" in report.summary()
    assert len(session.history("code:util.py")) == 3

    junk = ScriptedBackend("fixer", responder=lambda req: "I am not sure what to do.")
    report = repair_loop(session, junk, max_attempts=3, auto_approve=True, smoke_options=SMOKE)
    assert len(junk.requests) == 3
    assert [a.outcome for a in report.attempts] == ["invalid"] * 3
    assert "neither SEARCH/REPLACE blocks nor a ```python block" in report.attempts[0].detail


def test_a_passing_run_asks_nothing_and_a_backend_error_is_recorded(tmp_path: Path) -> None:
    good = broken_session(tmp_path / "good", util=UTIL_FIXED)
    silent = ScriptedBackend("fixer")
    report = repair_loop(good, silent, auto_approve=True, smoke_options=SMOKE)
    assert report.ok and report.attempts == [] and silent.requests == []
    assert report.summary() == "the smoke run passed; nothing to repair"

    bad = broken_session(tmp_path / "bad")
    failing = ScriptedBackend("fixer", answers=[BackendError("rate limited for good")])
    report = repair_loop(bad, failing, auto_approve=True, smoke_options=SMOKE)
    assert [a.outcome for a in report.attempts] == ["error"]
    assert "rate limited for good" in report.attempts[0].detail
    assert bad.read("code:util.py") == UTIL_BROKEN

    with pytest.raises(ValueError, match="approve"):
        repair_loop(bad, failing)


def test_a_cancel_is_recorded_as_a_cancel_not_an_error(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    token = CancelToken()

    def press_cancel(_req) -> str:  # the user presses Cancel while the answer streams
        token.cancel()
        return SEARCH_REPLACE_FIX

    backend = ScriptedBackend("fixer", responder=press_cancel)
    report = repair_loop(session, backend, auto_approve=True, smoke_options=SMOKE, cancel=token)
    assert [(a.outcome, a.detail) for a in report.attempts] == [("cancelled", "cancelled by the user; nothing changed")]
    assert [r["outcome"] for r in repairs(session)] == ["cancelled"]
    calls = [json.loads(line) for line in (session.root / "calls.jsonl").read_text().splitlines()]
    repair_calls = [c for c in calls if c.get("kind") == "repair"]
    assert [(c.get("finish_reason"), c.get("error")) for c in repair_calls] == [("cancelled", None)]  # not a failure
    assert session.read("code:util.py") == UTIL_BROKEN

    # Cancel while the diff waits for review: cancelled too, the file untouched
    def cancel_review(_diff: str) -> bool:
        raise CancelledError("cancelled by the user")

    events = []
    fixer = ScriptedBackend("fixer", answers=[SEARCH_REPLACE_FIX])
    report = repair_loop(session, fixer, approve=cancel_review, smoke_options=SMOKE, on_event=events.append)
    assert [a.outcome for a in report.attempts] == ["cancelled"] and report.attempts[0].diff
    assert [e.kind for e in events][-2:] == ["proposal", "cancelled"]
    assert [r["outcome"] for r in repairs(session)] == ["cancelled", "cancelled"]
    assert session.read("code:util.py") == UTIL_BROKEN and len(session.history("code:util.py")) == 1


def test_edits_apply_in_order_and_must_match_exactly_once() -> None:
    text = "a = 1\nb = 2\nb = 2\n"
    answer = (
        "<<<<<<< SEARCH\na = 1\n=======\na = 10\n>>>>>>> REPLACE\n"
        "then\n<<<<<<< SEARCH\na = 10\nb = 2\n=======\na = 11\n>>>>>>> REPLACE\n"
    )
    edits = parse_edits(answer)
    assert edits == [("a = 1\n", "a = 10\n"), ("a = 10\nb = 2\n", "a = 11\n")]
    assert apply_edits(text, edits) == "a = 11\nb = 2\n"  # the second edit sees the first
    with pytest.raises(FixError, match="matches 2 places"):
        apply_edits(text, [("b = 2\n", "b = 3\n")], "x.py")
    with pytest.raises(FixError, match="empty"):
        apply_edits(text, [("\n", "")], "x.py")
    # An empty REPLACE deletes.
    deleted = parse_edits("<<<<<<< SEARCH\nb = 2\nb = 2\n=======\n>>>>>>> REPLACE")
    assert apply_edits(text, deleted) == "a = 1\n"


def test_fixes_that_would_break_the_file_are_refused() -> None:
    old = "def f():\n    return 1\n"
    with pytest.raises(FixError, match="would not compile"):
        fix_from_answer("<<<<<<< SEARCH\n    return 1\n=======\n    return (\n>>>>>>> REPLACE", "f.py", old)
    with pytest.raises(FixError, match="unchanged"):
        fix_from_answer("```python\ndef f():\n    return 1\n```", "f.py", old)
    fix = fix_from_answer(
        "Return two.\n<<<<<<< SEARCH\n    return 1\n=======\n    return 2\n>>>>>>> REPLACE\n", "f.py", old
    )
    assert fix.explanation == "Return two." and fix.new_text == "def f():\n    return 2\n"


def test_a_fix_is_not_applied_over_a_newer_edit(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    fix = fix_from_answer(SEARCH_REPLACE_FIX, "util.py", UTIL_BROKEN)
    session.path("code:util.py").write_text(UTIL_BROKEN + "# edited by hand\n")
    with pytest.raises(FixError, match="changed since"):
        apply_fix(session, fix)
    assert session.read("code:util.py").endswith("# edited by hand\n")


def test_the_target_is_the_file_where_the_error_is() -> None:
    files = ["util.py", "model.py", "main.py"]
    tb = (
        'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        '  File "/tmp/papercoder-smoke-x/repo/model.py", line 2, in <module>\n    import util\n'
        '  File "/tmp/papercoder-smoke-x/repo/util.py", line 7, in <module>\n    X = 1 / 0\n'
        "ZeroDivisionError: division by zero\n"
    )
    result = SmokeResult(
        repo_dir="r", entry_point="main.py", ran=False, error="ImportError",
        files=[
            FileRecord("util.py", "util", compiled=True, imported=False, error="ZeroDivisionError: division by zero", traceback=tb),
            FileRecord("model.py", "model", compiled=True, imported=False, error="ZeroDivisionError: division by zero", traceback=tb),
            FileRecord("main.py", "main", compiled=True, imported=True),
        ],
    )
    target = find_target(result, files)
    assert (target.file, target.line) == ("util.py", 7)
    result.files[2] = FileRecord("main.py", "main", compiled=False, error="SyntaxError: bad", traceback="SyntaxError")
    assert find_target(result, files).file == "main.py"  # what does not compile comes first
    result.failing_file, result.error = "model.py", "ValueError: shape"
    assert find_target(result, files).file == "model.py"  # the run's own traceback wins
    ok = SmokeResult(repo_dir="r", entry_point=None, files=[FileRecord("main.py", "main", True, True)])
    assert find_target(ok, files) is None


def test_the_repairs_log_is_one_json_object_a_line(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s")
    repair_loop(session, ScriptedBackend("f", answers=["nothing useful"]), max_attempts=1,
                auto_approve=True, smoke_options=SMOKE)
    lines = (session.root / REPAIRS_LOG).read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert {"at", "attempt", "file", "outcome", "detail", "error", "diff"} <= set(entry)
    assert entry["error"] == "NameError: name 'factor' is not defined"


SEAM_FIX = """main.py calls scale without k; give k a default and pass it explicitly.

<<<<<<< SEARCH
    print("total", sum(scale([1, 2, 3])))
=======
    print("total", sum(scale([1, 2, 3], 2)))
>>>>>>> REPLACE

FILE: util.py
<<<<<<< SEARCH
def scale(xs, k):
=======
def scale(xs, k=1):
>>>>>>> REPLACE
"""


def test_a_fix_at_a_seam_changes_caller_and_callee_each_approved_on_its_own(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s", util=UTIL_FIXED, main=MAIN_BROKEN)
    backend = ScriptedBackend("fixer", answers=[SEAM_FIX])
    asked: list[str] = []

    def only_main(diff: str) -> bool:
        asked.append(diff)
        return "b/main.py" in diff

    report = repair_loop(session, backend, approve=only_main, smoke_options=SMOKE)
    assert [d.splitlines()[1] for d in asked] == ["+++ b/main.py", "+++ b/util.py"]  # one diff a file
    assert "def scale(xs, k=1):" in asked[1] and "scale([1, 2, 3], 2)" not in asked[1]
    assert report.ok and session.read("code:main.py") == MAIN_PY
    assert session.read("code:util.py") == UTIL_FIXED  # its change was not approved
    [attempt] = report.attempts
    assert attempt.files == ["main.py"] and "not approved: util.py" in attempt.detail
    assert len(session.history("code:main.py")) == 2 and len(session.history("code:util.py")) == 1


def test_an_approved_seam_fix_writes_every_file_and_keeps_each_version(tmp_path: Path) -> None:
    session = broken_session(tmp_path / "s", util=UTIL_FIXED, main=MAIN_BROKEN)
    backend = ScriptedBackend("fixer", answers=[SEAM_FIX])
    report = repair_loop(session, backend, auto_approve=True, smoke_options=SMOKE)
    assert report.ok and report.attempts[0].files == ["main.py", "util.py"]
    assert "def scale(xs, k=1):" in session.read("code:util.py")
    assert _history_by(session, "code:util.py") == ["model", "model"]
    assert _history_by(session, "code:main.py") == ["model", "model"]
    assert session.record("code:main.py").calls == 1 and session.record("code:util.py").calls == 0
    assert repairs(session)[0]["files"] == ["main.py", "util.py"]
    # the whole fix's diff shows both files (a caller applying it all shows all of it)
    fix = fix_from_answer(SEAM_FIX, "main.py", MAIN_BROKEN, {"util.py": UTIL_FIXED})
    assert "+++ b/main.py" in fix.diff and "+++ b/util.py" in fix.diff
    assert [c.file for c in fix.all_changes()] == ["main.py", "util.py"]
    # an edit of a file the model was not shown changes nothing
    with pytest.raises(FixError, match="not among the files shown"):
        fix_from_answer(SEAM_FIX.replace("FILE: util.py", "FILE: data.py"), "main.py", MAIN_BROKEN,
                        {"util.py": UTIL_FIXED})
