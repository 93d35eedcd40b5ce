"""The engine end to end with a scripted model: run, gates, staleness, replay, repair."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import (
    FILES,
    TRANSFORMER_JSON,
    architecture,
    files_in_prompt,
    logic,
    scripted,
)

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import BackendError
from papercoder_nb.llm.registry import get_backend
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.graph import statuses, task_files


def new_session(tmp_path: Path, name: str = "s") -> Session:
    return Session.create(tmp_path / name, load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)


def full_run(tmp_path: Path, name: str = "s", backend=None, **kw) -> tuple[Session, ScriptedBackend]:
    session = new_session(tmp_path, name)
    backend = backend or scripted()
    result = Runner(session, backend, auto_approve=True, **kw).run()
    assert result.ok, result.failed
    return session, backend


def test_full_scripted_run_produces_every_artifact(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    st = statuses(session)
    files = list(FILES)
    assert task_files(session) == files
    expected = {"plan", "architecture", "logic", "config", *(f"analysis:{f}" for f in files), *(f"code:{f}" for f in files)}
    assert set(st) == expected
    assert set(st.values()) == {"approved"}
    assert len(backend.requests) == 4 + 2 * len(files)
    # the folder is what the design says
    for rel in ("session.json", "paper/paper.json", "planning/plan.md", "planning/architecture.json",
                "planning/logic.json", "planning/config.yaml", "analysis/model.py.md", "code/main.py", "calls.jsonl"):
        assert (session.root / rel).is_file(), rel
    calls = session.calls()
    assert len(calls) == len(backend.requests)
    assert all(c["request_hash"] and c["response"] for c in calls)
    assert json.loads((session.root / "session.json").read_text())["format_version"] == 1
    # history holds every version written
    assert len(session.history("plan")) == 1


def test_prompt_order_is_stable_first_and_code_holds_its_dependencies(tmp_path: Path) -> None:
    _, backend = full_run(tmp_path)
    by_artifact = {r.artifact: r for r in backend.requests}
    main = by_artifact["code:main.py"]
    # every file coded before it, in coding order; its dependencies marked as such
    assert files_in_prompt(main) == ["utils.py", "model.py", "data.py", "train.py"]
    assert "## Repository file utils.py\n" in main.messages[-1].text  # not a dependency, whole all the same
    assert "It depends on train.py, model.py, data.py." in main.messages[-1].text
    assert files_in_prompt(by_artifact["code:utils.py"]) == []
    # a cache breakpoint after the last file: the next coding call's files are these plus one
    file_parts = [p for p in main.messages[1].parts if p.text.startswith("## Repository file")]
    assert [p.cache for p in file_parts] == [False, False, False, True]
    # system first, then paper, then planning; the paper part is a cache breakpoint
    user = main.messages[1]
    assert main.messages[0].role == "system"
    assert user.parts[0].text.startswith("# The paper") and user.parts[0].cache
    assert user.parts[1].text.lstrip().startswith("# Planning so far") and user.parts[1].cache
    assert [p.cache for p in user.parts[1:5]] == [True] * 4  # one breakpoint per planning artifact
    # every call shares the same system+paper prefix
    prefixes = {r.messages[0].text + r.messages[1].parts[0].text for r in backend.requests}
    assert len(prefixes) == 1


def test_gates_stop_until_approval(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    backend = scripted()
    r = Runner(session, backend).run()
    assert r.generated == ["plan"] and r.waiting_for_approval == ["plan"]
    assert statuses(session)["architecture"] == "missing"
    session.approve("plan")
    r = Runner(session, backend).run()
    assert r.generated == ["architecture"]
    for a in ("architecture",):
        session.approve(a)
    Runner(session, backend).run()
    session.approve("logic")
    Runner(session, backend).run()
    session.approve("config")
    r = Runner(session, backend).run()
    # all analyses at once, no code until they are approved
    assert sorted(r.generated) == sorted(f"analysis:{f}" for f in FILES)
    assert all(a.startswith("analysis:") for a in r.waiting_for_approval)
    for f in FILES:
        session.approve(f"analysis:{f}")
    r = Runner(session, backend).run()
    # only files without repository dependencies can start before their deps are approved
    assert r.generated == ["code:utils.py"]


def test_hand_edit_makes_downstream_stale_and_only_that_is_regenerated(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    before = len(backend.requests)
    code_main = session.read("code:main.py")
    # a researcher fixes a hyper-parameter in config.yaml by hand
    cfg = session.path("config")
    cfg.write_text(cfg.read_text().replace("512", "256"))
    st = statuses(session)
    assert st["config"] == "edited"
    assert st["plan"] == st["logic"] == "approved"
    assert all(st[f"analysis:{f}"] == "stale" for f in FILES)
    assert all(st[f"code:{f}"] == "stale" for f in FILES)
    # the edit is in history, by the user
    versions = session.history("config")
    assert len(versions) == 2 and versions[-1].name.endswith("-user.yaml")
    session.approve("config")
    r = Runner(session, backend, auto_approve=True).run()
    assert r.ok
    regenerated = {x.artifact for x in backend.requests[before:]}
    assert regenerated == {f"analysis:{f}" for f in FILES} | {f"code:{f}" for f in FILES}
    assert "256" in session.read("config")
    assert session.read("code:main.py") == code_main
    assert set(statuses(session).values()) == {"approved"}


def test_editing_one_code_file_stales_only_its_dependents(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    p = session.path("code:data.py")
    p.write_text(p.read_text() + "\nEXTRA = 1\n")
    st = statuses(session)
    assert st["code:data.py"] == "edited"
    assert st["code:train.py"] == "stale" and st["code:main.py"] == "stale"
    assert st["code:model.py"] == "approved" and st["code:utils.py"] == "approved"
    session.approve("code:data.py")
    before = len(backend.requests)
    Runner(session, backend, auto_approve=True).run()
    assert {r.artifact for r in backend.requests[before:]} == {"code:train.py", "code:main.py"}
    assert "EXTRA = 1" in session.read("code:data.py")


def test_regenerate_with_feedback_keeps_the_old_version(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    old = session.read("plan")
    backend.enqueue("## Method\nA better model with feedback applied.\n")
    Runner(session, backend).generate("plan", feedback="Mention the warmup schedule.")
    req = backend.requests[-1]
    assert "Mention the warmup schedule." in req.messages[-1].text
    assert "## Previous version" in req.messages[-1].text
    assert session.read("plan") != old
    assert session.history("plan")[0].read_text() == old
    assert statuses(session)["architecture"] == "stale"
    assert session.record("plan").feedback == "Mention the warmup schedule."


def test_replay_reproduces_byte_for_byte_with_zero_model_calls(tmp_path: Path) -> None:
    original, _ = full_run(tmp_path, "orig")
    replay = get_backend(f"replay:{original.root / 'calls.jsonl'}")
    copy, _ = full_run(tmp_path, "copy", backend=replay)
    assert replay.calls == len(original.calls())
    for aid in statuses(original):
        assert copy.read(aid) == original.read(aid), aid
    # (the replay backend has no model behind it: all answers came from the cassette)
    assert copy.state.usage.input_tokens == 0


def test_replay_fails_loudly_on_an_unknown_request(tmp_path: Path) -> None:
    original, _ = full_run(tmp_path, "orig")
    other = Session.create(tmp_path / "other", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    other.set_dropped_sections(["1-introduction"])  # a different paper text → different prompts
    r = Runner(other, get_backend(f"replay:{original.root}"), auto_approve=True).run()
    assert "plan" in r.failed
    assert "replay: no recorded answer for plan" in r.failed["plan"]
    assert other.read("plan") is None


def test_interrupted_write_leaves_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, _ = full_run(tmp_path)
    before = session.read("plan")

    def boom(*a, **k):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        session.write("plan", "half", by="user")
    monkeypatch.undo()
    assert session.read("plan") == before
    assert not [p for p in session.path("plan").parent.iterdir() if p.name.endswith(".tmp")]
    assert Session.open(session.root).read("plan") == before


def test_malformed_json_gets_one_repair_request(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    backend = scripted()
    backend.enqueue(
        "## Method\nok plan text here\n",
        "I think the design is: {file_list: broken",  # not JSON
        json.dumps(architecture()),  # the repair
    )
    r = Runner(session, backend, auto_approve=True).run(until="architecture")
    assert r.ok
    repair = backend.requests[2]
    assert repair.messages[-2].role == "assistant"
    assert "could not be used" in repair.messages[-1].text
    assert "no JSON object" in repair.messages[-1].text
    assert session.record("architecture").calls == 2


def test_unusable_answer_after_repair_is_a_clear_error_and_session_intact(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    backend = ScriptedBackend("t", answers=["## Method\nfine plan content\n", "nope", "still nope"])
    r = Runner(session, backend, auto_approve=True).run()
    msg = r.failed["architecture"]
    assert "unusable after one repair" in msg and "history/rejected" in msg
    assert session.read("architecture") is None
    assert statuses(session)["plan"] == "approved"
    reopened = Session.open(session.root)
    assert reopened.record("architecture").error == msg
    rejected = list((session.root / "history" / "rejected").iterdir())
    assert rejected and rejected[0].read_text() == "still nope"


def test_looping_output_is_cut(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    loop = "## Method\nThe model.\n" + "The attention is attention.\n" * 200
    backend = ScriptedBackend("t", answers=[loop])
    Runner(session, backend).generate("plan")
    text = session.read("plan")
    assert text.count("The attention is attention.") <= 3
    assert "repeated itself" in session.record("plan").warnings[0]


def test_repetition_inside_an_answer_is_content_not_a_loop() -> None:
    from papercoder_nb.util.extract import trim_repetition

    code = "# " + "=" * 78 + "\nROWS = [\n" + "    [0, 0, 0],\n" * 6 + "]\n# " + "-" * 78 + "\nx = 1\n"
    assert trim_repetition(code) == (code, False)  # a separator and identical table rows are content
    looping = "def f():\n    return 1\n" + "    return 1\n" * 30
    assert trim_repetition(looping) == ("def f():\n    return 1\n    return 1\n    return 1", True)


@pytest.mark.parametrize(
    "bad, why",
    [
        ("../../x.py", "leaves the repository"),
        ("/etc/passwd.py", "absolute"),
        ("C:/win.py", "absolute"),
        ("a/../../b.py", "leaves the repository"),
        ("evil\x00.py", "control characters"),
        ("run.sh", "not a plain Python module path"),
        ("Model.py|model.py", "twice, differing only in case"),
    ],
)
def test_hostile_file_names_are_rejected(tmp_path: Path, bad: str, why: str) -> None:
    session = new_session(tmp_path)
    files = bad.split("|") if "|" in bad else [bad]
    arch = architecture() | {"file_list": ["main.py", *files]}
    backend = ScriptedBackend("t", answers=["## Method\nplan body text\n", json.dumps(arch), json.dumps(arch)])
    r = Runner(session, backend, auto_approve=True).run(until="architecture")
    assert why in r.failed["architecture"]
    assert session.read("architecture") is None
    outside = [p for p in tmp_path.rglob("*") if "s" not in p.relative_to(tmp_path).parts[:1]]
    assert outside == []


def test_dependency_cycle_is_refused_with_the_cycle_named(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    cyc = {"a.py": ["b.py"], "b.py": ["a.py"]}
    backend = ScriptedBackend("t", answers=[
        "## Method\nplan body text\n", json.dumps(architecture(cyc)), json.dumps(logic(cyc)), json.dumps(logic(cyc))])
    r = Runner(session, backend, auto_approve=True).run(until="logic")
    assert "cycle" in r.failed["logic"] and "a.py -> b.py -> a.py" in r.failed["logic"]


def test_concurrent_and_sequential_runs_give_identical_artifacts(tmp_path: Path) -> None:
    seq, seq_backend = full_run(tmp_path, "seq", concurrency=1)
    par, backend = full_run(tmp_path, "par", concurrency=4)
    for aid in statuses(seq):
        assert seq.read(aid) == par.read(aid)
    # The scripted answers ignore the prompts, so equal artifacts alone prove nothing:
    # each artifact's request (prompt, schema, limits) must be the same whatever the order.
    def by_artifact(requests: list) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in requests:
            out.setdefault(r.artifact, []).append(r.request_hash())
        return out

    seq_requests = by_artifact(seq_backend.requests)
    assert set(seq_requests) == set(statuses(seq))  # every artifact was asked for
    assert seq_requests == by_artifact(backend.requests)


def test_backend_errors_are_recorded_and_do_not_corrupt(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    backend = ScriptedBackend("t", answers=[BackendError("server said no")])
    r = Runner(session, backend, auto_approve=True).run()
    assert "server said no" in r.failed["plan"]
    assert session.calls()[0]["error"] == "server said no"
    assert statuses(session)["plan"] == "missing"


def test_section_selection_is_an_input_of_every_stage(tmp_path: Path) -> None:
    session, _ = full_run(tmp_path)
    session.set_dropped_sections(["2-background"])
    st = statuses(session)
    assert st["plan"] == "stale" and st["code:main.py"] == "stale"
    with pytest.raises(KeyError):
        session.set_dropped_sections(["no-such-section"])


def test_answers_flow_downstream_only(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    session.set_answer("Which optimiser settings?", "Adam, beta2=0.98", source="architecture")
    st = statuses(session)
    assert st["plan"] == "approved" and st["architecture"] == "approved"
    assert st["logic"] == "stale"
    before = len(backend.requests)
    Runner(session, backend, auto_approve=True).run()
    assert "Adam, beta2=0.98" in backend.requests[before].messages[-1].text


def test_small_context_window_condenses_instead_of_failing(tmp_path: Path) -> None:
    backend = scripted(context_window=4096)
    session, backend = full_run(tmp_path, backend=backend)
    for r in backend.requests:
        assert r.estimated_input_tokens() + r.max_tokens <= 4096
    assert "paper condensed" in session.record("plan").warnings


def test_config_is_rendered_from_entries_and_plain_yaml_is_accepted(tmp_path: Path) -> None:
    from papercoder_nb.session.artifacts import parse_config
    from papercoder_nb.stages import spec_for

    session, _ = full_run(tmp_path)
    cfg = parse_config(session.read("config"))
    assert cfg == {"model": {"d_model": 512}, "smoke": {"steps": 1}}
    assert "# assumption" in session.read("config")
    plain = spec_for("config").parse("Here:\n```yaml\nlr: 0.1\n```", None)
    assert parse_config(plain.content) == {"lr": 0.1}
    long = {"entries": [{"group": "data", "key": "note", "value": "a long value: " + "words # and more " * 5 + ".",
                         "source": "the_paper.py # odd"}]}
    assert parse_config(spec_for("config").parse(json.dumps(long), None).content)["data"]["note"].endswith(".")
    with pytest.raises(ValueError, match="not valid YAML"):
        spec_for("config").parse("a: b: c", None)
    with pytest.raises(ValueError, match="must be a mapping"):
        spec_for("config").parse("- just\n- a list", None)


def test_replay_of_a_small_window_session_uses_the_recorded_window(tmp_path: Path) -> None:
    original, _ = full_run(tmp_path, "orig", backend=scripted(context_window=8192))
    assert "paper condensed" in original.record("plan").warnings
    replay = get_backend(f"replay:{original.root}")
    assert replay.context_window == 8192
    copy, _ = full_run(tmp_path, "copy", backend=replay)
    assert all(copy.read(a) == original.read(a) for a in statuses(original))
    assert replay.calls == len(original.calls())


def test_a_rate_limit_storm_pauses_the_pool_and_the_run_completes(tmp_path: Path) -> None:
    import threading
    import time

    from papercoder_nb.llm.base import RetryableError

    inner = scripted()
    lock = threading.Lock()
    starts: list[float] = []
    limited: list[tuple[float, float]] = []  # (when, retry_after)

    class Storm:
        spec, context_window, concurrent = "storm:test", 200_000, True

        def execute(self, request, on_token=None, cancel=None):
            now = time.monotonic()
            with lock:
                starts.append(now)
                storm = request.kind in ("analysis", "code") and len(limited) < 6
                if storm:
                    limited.append((now, 0.05))
            if storm:
                raise RetryableError("429 rate limited", retry_after=0.05)
            return inner.execute(request, on_token, cancel)

    session = new_session(tmp_path)
    runner = Runner(session, Storm(), auto_approve=True, concurrency=4)
    result = runner.run()
    assert result.ok, result.failed
    assert set(statuses(session).values()) == {"approved"}
    assert runner.throttle.pauses >= 1
    assert len([c for c in session.calls() if c.get("error")]) == 6
    # each limited artifact was retried and then answered
    assert len(starts) == len(session.calls())


def test_throttle_blocks_every_caller_until_the_pause_ends_or_cancel() -> None:
    import threading

    from papercoder_nb.llm.base import CancelledError, CancelToken
    from papercoder_nb.llm.call import Throttle

    t = Throttle()
    t.wait()  # no pause: returns at once
    t.backoff(1000)
    cancel = CancelToken()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            t.wait(cancel)
        except CancelledError as e:
            errors.append(e)

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for th in threads:
        th.start()
    assert all(th.is_alive() for th in threads)  # all three are held
    cancel.cancel()
    for th in threads:
        th.join(5)
    assert len(errors) == 3 and t.pauses == 1


def test_a_user_prompt_directory_overrides_file_by_file_and_stales_what_it_makes(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    custom = tmp_path / "prompts"
    custom.mkdir()
    (custom / "analysis.md").write_text("Describe `{{file}}` in the house style. Purpose: {{purpose}}\n")
    st = statuses(session, prompt_dir=str(custom))
    assert st["plan"] == "approved" and st["config"] == "approved"  # their templates are unchanged
    assert all(st[f"analysis:{f}"] == "stale" for f in FILES)
    before = len(backend.requests)
    Runner(session, backend, auto_approve=True, prompt_dir=str(custom)).run()
    analysis_requests = [r for r in backend.requests[before:] if r.kind == "analysis"]
    assert len(analysis_requests) == len(FILES)
    assert any("in the house style. Purpose: implements utils" in r.messages[-1].text for r in analysis_requests)
    assert backend.requests[before].messages[0].text == backend.requests[0].messages[0].text  # system kept


def test_a_broken_hand_edit_of_the_logic_design_stops_the_run_loudly(tmp_path: Path) -> None:
    session, backend = full_run(tmp_path)
    session.path("logic").write_text('{"files": [], "task_list": ["../evil.py"]}')
    session.approve("logic")
    before = len(backend.requests)
    r = Runner(session, backend, auto_approve=True).run()
    assert "not a valid logic design" in r.failed["logic"]
    assert all(q.kind in ("config",) for q in backend.requests[before:])  # no file was generated
