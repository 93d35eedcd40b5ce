"""The workshop's shipped recording: it replays the whole pipeline, is rebuilt byte for byte,
starts from its stored parsed paper, and is credited to the hands that wrote its answers."""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from papercoder_nb import Runner
from papercoder_nb.export.session_export import artifact_credits, bundle_from_session
from papercoder_nb.llm.registry import get_backend
from papercoder_nb.session.graph import statuses
from papercoder_nb.session.recording import RecordingError, open_recording, session_from_recording
from papercoder_nb.session.store import Session
from papercoder_nb.stages import spec_for

RECORDED = ROOT / "examples" / "neural-audio-style-transfer" / "recorded"
EXAMPLE = RECORDED.parent / "session"
REBUILD = ("the prompts the pipeline builds changed since the workshop's recording was made: rebuild it with "
           "`python examples/build_example_recording.py` and commit examples/neural-audio-style-transfer/recorded/")
HAND = "replayed from a recording of answers written by hand (no model)"


def test_the_shipped_recording_replays_the_whole_pipeline_with_no_miss(tmp_path: Path) -> None:
    session = session_from_recording(RECORDED, tmp_path)
    replay = get_backend(session.state.model)
    result = Runner(session, replay, auto_approve=True).run()
    assert result.ok and not result.failed, f"{REBUILD} (replay misses: {result.failed})"
    example = Session.open(EXAMPLE)
    assert set(statuses(session).values()) == {"approved"}
    assert replay.calls == open_recording(RECORDED).answers == 14  # every stage, each file's analysis and code
    assert list(statuses(session)) == list(statuses(example))
    for aid in statuses(example):  # the hand-written artifacts, as the pipeline stores them
        assert session.read(aid) == spec_for(aid).parse(example.read(aid) or "", None).content, aid
    assert {c["model"] for c in session.calls()} == {replay.spec}  # zero live calls: every answer replayed


def test_rebuilding_the_recording_is_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    sys.modules.pop("build_example_recording", None)
    import build_example_recording

    out = build_example_recording.build(tmp_path / "recorded")
    cmp = filecmp.dircmp(out, RECORDED)
    differ: list[str] = []

    def walk(c: filecmp.dircmp, prefix: str = "") -> None:
        differ.extend(prefix + f for f in c.diff_files + c.left_only + c.right_only)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(cmp)
    assert not differ, f"{REBUILD} (differs: {', '.join(differ)})"


def test_a_session_from_a_recording_starts_from_its_parsed_paper_never_the_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papercoder_nb.paper as paper_pkg

    def no_parsing(*_a, **_k):
        raise AssertionError("the PDF was parsed again")

    monkeypatch.setattr(paper_pkg, "load_paper", no_parsing)
    first = session_from_recording(RECORDED, tmp_path)
    assert first.state.paper_hash == Session.open(RECORDED).state.paper_hash
    assert first.state.model == f"replay:{RECORDED.resolve()}"
    assert any("not parsed again" in n for n in first.state.notes)
    again = session_from_recording(RECORDED, tmp_path)  # a re-run cell reopens the work
    assert again.root == first.root
    other = session_from_recording(RECORDED, tmp_path, new=True)
    assert other.root != first.root


def test_a_folder_without_a_recording_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"no recorded session at .*papercoder run PAPER"):
        open_recording(tmp_path / "class-session")


def test_replayed_and_recorded_artifacts_are_credited_to_hand_written_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = Session.open(RECORDED)
    assert recorded.state.model == "hand-written" and "written by hand" in recorded.state.notes[0]
    assert "14 answers written by hand (no model)" in open_recording(RECORDED).describe()
    session = session_from_recording(RECORDED, tmp_path)
    Runner(session, get_backend(session.state.model), auto_approve=True).run(until="planning")
    credits = artifact_credits(session)
    assert list(credits) == [HAND] and credits[HAND] == ["plan", "architecture", "logic", "config"]
    from papercoder_nb.cli import main

    assert main(["status", str(session.root)]) == 0
    assert f"{HAND}: 4 artifact(s)" in " ".join(capsys.readouterr().out.split())
    bundle = bundle_from_session(session)
    assert bundle.model == ""  # no model wrote any of it: the README names none
    assert bundle.credits == [f"{HAND}: plan, architecture, logic, config"]


def replayed_then_edited(tmp_path: Path) -> Session:
    """The workshop's exercise: replay everything, then correct the config by hand and approve it."""
    session = session_from_recording(RECORDED, tmp_path)
    assert Runner(session, get_backend(session.state.model), auto_approve=True).run().ok
    path = session.path("config")
    path.write_text(path.read_text(encoding="utf-8").replace("iterations: 150", "iterations: 300"), encoding="utf-8")
    session.sync_edits()
    session.approve("config")
    return session


@pytest.mark.parametrize("quiet", [False, True])
def test_after_an_edit_the_cli_shows_the_replay_error_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], quiet: bool
) -> None:
    from papercoder_nb.cli import main

    session = replayed_then_edited(tmp_path)
    code = main(["resume", str(session.root), *(["--quiet"] if quiet else [])])
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert code != 0
    assert err.count("no recorded answer") == 1, err
    assert "use a live model to regenerate what changed" in err
    assert f"papercoder resume {session.root} --model PROVIDER:MODEL" in err
    analyses = [f"analysis:{f}" for f in ("audio.py", "network.py", "losses.py", "stylize.py", "main.py")]
    for aid in analyses:
        assert aid in err
    if quiet:  # nothing printed during the run: the summary holds it, once, with the artifacts it hit
        assert "(5 artifacts:" in err
    else:
        assert err.count("the same problem as analysis:") == 4 and "(the problem is shown above)" in err


def test_the_cli_replays_a_recording_into_a_session_of_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from papercoder_nb.cli import main

    assert main(["replay", str(RECORDED), "--work", str(tmp_path), "--auto-approve", "--quiet"]) == 0
    (root,) = [p.parent for p in tmp_path.glob("*/session.json")]
    assert set(statuses(Session.open(root)).values()) == {"approved"}
    assert main(["replay", str(RECORDED), "--work", str(tmp_path), "--quiet"]) == 0  # reopens: nothing to do
    assert [p.parent for p in tmp_path.glob("*/session.json")] == [root]
    assert main(["replay", str(tmp_path / "none"), "--work", str(tmp_path)]) != 0
    assert "no recorded session at" in " ".join(capsys.readouterr().err.split())
