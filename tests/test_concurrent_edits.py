"""A file edited by hand while a run is going: the edit wins, and is in history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import TRANSFORMER_JSON, responder

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import Request
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.graph import statuses
from papercoder_nb.session.history import versions

HAND_CONFIG = "# written by hand\nmodel:\n  d_model: 256  # 3-model-architecture\n"


def editing(session: Session, kind: str, write: Callable[[], None]) -> ScriptedBackend:
    """A model that, while answering a ``kind`` call, lets the user edit a file."""
    answer = responder()
    done: list[bool] = []

    def respond(req: Request) -> str:
        if req.kind == kind and not done:  # once: the user edits, then leaves the file alone
            done.append(True)
            write()
        return answer(req)

    return ScriptedBackend("t", responder=respond)


def new_session(tmp_path: Path) -> Session:
    return Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)


def test_a_file_created_by_hand_during_its_call_is_kept_and_built_on(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    path = session.path("config")
    backend = editing(session, "config", lambda: path.write_text(HAND_CONFIG))
    result = Runner(session, backend, auto_approve=True).run()
    assert result.ok, result.failed
    assert path.read_text() == HAND_CONFIG
    assert [v.by for v in versions(session, "config")] == ["user"]
    assert session.record("config").by == "user"
    rejected = list((session.root / "history" / "rejected").iterdir())
    assert len(rejected) == 1 and "d_model" in rejected[0].read_text()  # the model's answer, kept beside
    config_in_prompts = [r for r in backend.requests if r.kind == "analysis" and "d_model: 256" in r.messages[-1].text]
    assert config_in_prompts, "later stages read the hand edit"


def test_a_hand_edit_that_breaks_the_yaml_is_not_approved_or_built_on(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    path = session.path("config")
    backend = editing(session, "config", lambda: path.write_text("model: [unclosed\n  d: 1: 2\n"))
    result = Runner(session, backend, auto_approve=True).run()
    assert "your edit of" in result.failed["config"] and "not valid" in result.failed["config"]
    assert not any(r.kind == "analysis" for r in backend.requests)
    assert statuses(session)["config"] == "edited"


def test_an_upstream_edit_during_a_call_leaves_the_answer_stale_not_approved(tmp_path: Path) -> None:
    session = new_session(tmp_path)
    plan = session.path("plan")
    backend = editing(session, "architecture", lambda: plan.write_text(plan.read_text() + "\n## Data\nMine.\n"))
    runner = Runner(session, backend)
    runner.run()
    session.approve("plan")
    result = runner.run()
    assert "Mine." in plan.read_text() and [v.by for v in versions(session, "plan")] == ["model", "user"]
    st = statuses(session)
    assert st["plan"] == "edited" and st["architecture"] == "stale"
    assert result.waiting_for_approval and not any(r.kind == "logic" for r in backend.requests)
    # Approving the edit regenerates what was built on the old plan, from the edit.
    session.approve("plan")
    runner.run(until="architecture")
    arch = [r for r in backend.requests if r.kind == "architecture"]
    assert len(arch) == 2 and "Mine." in arch[1].messages[-1].text
