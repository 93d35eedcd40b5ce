"""The panel's estimate asks a served model's server for its window without blocking,
then shows the fit warning; an answer for a model chosen earlier never overwrites a newer one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON
from faultserver import FaultServer
from papercoder_nb.widgets import Workbench

from papercoder_nb import Session, load_paper
from papercoder_nb.run import served_window as sw

SPEC = "openai:small-served"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    # Generous deadlines: this is about the panel's hand-over, not the lookup's timeout.
    monkeypatch.setattr(sw, "REQUEST_SECONDS", 30.0)
    monkeypatch.setattr(sw, "LOOKUP_SECONDS", 30.0)
    sw._answers.clear()
    sw._misses.clear()
    with FaultServer() as s:
        s.models = [{"id": "small-served", "object": "model", "max_model_len": 4096}]
        s.gets_open.clear()  # the server holds its answer until the test lets it go
        yield s
        s.gets_open.set()
    sw._answers.clear()
    sw._misses.clear()


def panel(tmp_path: Path, server: FaultServer) -> Workbench:
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON,
                             model=SPEC, base_url=server.base_url)
    return Workbench(session.root)


def test_the_estimate_shows_at_once_and_gains_the_warning_when_the_server_answers(
        tmp_path: Path, server: FaultServer) -> None:
    wb = panel(tmp_path, server)
    shown = wb.model_box.estimate.value
    assert "Pre-flight estimate" in shown and "asking the server at 127.0.0.1" in shown.lower()
    assert "pc-estimate-warning" not in shown  # nothing guessed meanwhile
    server.gets_open.set()
    assert wb.model_box.windows.wait(20)
    shown = wb.model_box.estimate.value
    assert "do not fit whole in the 4,096-token window of openai:small-served" in shown
    assert "asking the server" not in shown.lower()


def test_an_answer_for_a_model_changed_meanwhile_does_not_overwrite_the_estimate(
        tmp_path: Path, server: FaultServer) -> None:
    wb = panel(tmp_path, server)
    assert "asking the server" in wb.model_box.estimate.value.lower()
    wb.model_box.set_spec("openai:gpt-4.1")  # a 1M window from the table: nothing to ask
    assert "gpt-4.1" in wb.model_box.estimate.value and "asking" not in wb.model_box.estimate.value.lower()
    server.gets_open.set()
    assert wb.model_box.windows.wait(20)
    shown = wb.model_box.estimate.value
    assert "openai:gpt-4.1" in shown and "4,096" not in shown and "pc-estimate-warning" not in shown
    wb.model_box.set_spec(SPEC)  # and back: the kept answer shows without asking again
    asked = len(server.gets)
    assert "4,096-token window" in wb.model_box.estimate.value and len(server.gets) == asked


def test_a_silent_server_gets_a_one_line_note(tmp_path: Path, server: FaultServer) -> None:
    server.models = [{"id": "small-served", "object": "model"}]  # no window field anywhere
    wb = panel(tmp_path, server)
    server.gets_open.set()
    assert wb.model_box.windows.wait(20)
    shown = wb.model_box.estimate.value
    assert "did not say its context window" in shown and "pc-estimate-warning" not in shown
