"""The shipped notebooks execute headless (nbclient) and leave a panel with widget state.

This proves the cells run and the widget models exist on this ipywidgets version; the
browser tests prove the front-end side.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import EXAMPLE_PAPER, ROOT, scripted
from nbclient import NotebookClient

from papercoder_nb import Runner, Session, load_paper

SHIPPED = (ROOT / "examples" / "neural-audio-style-transfer" / "recorded").resolve()


def execute(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", folder)
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def panel_state(nb: nbformat.NotebookNode) -> list[dict]:
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return [m["state"] for m in state.values()]


@pytest.mark.parametrize("name", ["quickstart", "workshop"])
def test_notebook_is_valid_and_executes_to_a_panel(name: str, tmp_path: Path) -> None:
    nb = execute(name, tmp_path)  # no environment variable: the workshop replays the shipped recording
    nbformat.validate(nb)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    states = panel_state(nb)
    classes = {c for s in states for c in s.get("_dom_classes", [])}
    for cls in ("pc-panel", "pc-run", "pc-load", "pc-status-plan", "pc-ticker", "pc-section"):
        assert cls in classes, cls
    summary = next(s["value"] for s in states if "pc-paper-summary" in s.get("_dom_classes", []))
    assert "Time Domain Neural Audio Style Transfer" in summary
    if name == "workshop":
        printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        assert f"Replaying the recorded session {SHIPPED}: 14 answers written by hand (no model)" in printed
        model = next(s["value"] for s in states if "pc-model" in s.get("_dom_classes", []))
        assert model == str(SHIPPED)
        keys = next(s["value"] for s in states if "pc-keys" in s.get("_dom_classes", []))
        assert "Replays the recorded session" in keys and "written by hand (no model)" in keys
        assert json.dumps(nb.cells[-1].outputs)  # the last cell showed the session folder
        assert "-replay" in json.dumps(nb.cells[-1].outputs)  # a session seeded from the recording


def test_the_workshop_replays_an_instructors_own_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = Session.create(tmp_path / "class-session", load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    Runner(recorded, scripted(), auto_approve=True).run(until="planning")
    monkeypatch.setenv("WORKSHOP_RECORDED", str(recorded.root))
    nb = execute("workshop", tmp_path)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert f"Replaying the recorded session {recorded.root}: 4 scripted:test answers" in printed
    model = next(s["value"] for s in panel_state(nb) if "pc-model" in s.get("_dom_classes", []))
    assert model == str(recorded.root)
