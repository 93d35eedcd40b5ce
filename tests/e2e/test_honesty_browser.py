"""Points 0 (one set of rules), 4 (honest states) and 5 (export tells the truth) in a real
browser: JupyterLab 4, Notebook 7 and classic Notebook 6.5 with ipywidgets 7.7.1.

Sessions are built with the engine: a full auto-approved run in which ``model.py`` does
not compile (auto-approve leaves it "generated", the rest approved), one file edited by
hand and a failing smoke run; a session with planning only (no code yet); and one whose
architecture.json was cut short by hand (invalid; logic and config stale). The panel is
opened on them in a notebook written into the server's root. Screenshots (prefixed ``nb7-``
or ``nb6-`` outside JupyterLab): ``test-output/screenshots/honest-failing-code.png``,
``export-warns.png``, ``export-warns-no-code.png``, ``approve-refused-architecture.png``,
``approve-refused-logic.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from browser_run import run_in_browser
from conftest import EXAMPLE_PAPER, FILES, code_for, responder
from front_ends import FRONT_ENDS, prefix
from panel_driver import SHOTS, Panel
from test_look_browser import panel_notebook

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.graph import statuses
from papercoder_nb.verify.repair import smoke_session

pytestmark = pytest.mark.browser

EDITED = code_for("main.py", FILES["main.py"]) + "# checked by hand against Algorithm 1\n"  # nothing depends on main.py


def failing_session(folder: Path) -> Session:
    """Auto-approved full run; model.py has a syntax error; main.py edited by hand; smoke fails."""
    base = responder()
    backend = ScriptedBackend("scripted-test", responder=lambda r: "```python\ndef forward(:\n```"
                              if r.artifact == "code:model.py" else base(r))
    session = Session.create(folder, load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    Runner(session, backend, auto_approve=True).run()
    session.write("code:main.py", EDITED, by="user")
    session.approve("code:main.py")
    st = statuses(session)
    assert st["code:model.py"] == "generated" and st["code:main.py"] == "approved", st
    assert not smoke_session(session).ok
    return session


def planning_only(folder: Path) -> Session:
    session = Session.create(folder, load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    Runner(session, ScriptedBackend("scripted-test", responder=responder()), auto_approve=True).run(until="planning")
    return session


def cut_design(folder: Path) -> Session:
    """Planning done, then architecture.json cut short by hand (not valid): logic and config go stale."""
    session = planning_only(folder)
    session.write("architecture", '{"implementation_approach": "NumPy", "file_list": ["main.py"', by="user")
    st = statuses(session)
    assert st["architecture"] == "edited" and st["logic"] == "stale", st
    return session


def red(page, css: str, prop: str) -> bool:
    """The element's colour property is a red: red channel well above green and blue."""
    value = page.locator(f".pc-panel {css}").first.evaluate(f"e => getComputedStyle(e).{prop}")
    r, g, b = (int(x) for x in re.findall(r"\d+", value)[:3])
    return r > g + 60 and r > b + 60


def shot(ui: Panel, name: str) -> None:
    """An unnumbered screenshot, prefixed by the front end (``ui.prefix``)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    ui.page.wait_for_timeout(300)
    ui.page.locator(".pc-panel").first.screenshot(path=str(SHOTS / f"{ui.prefix}{name}"))


def honest_states(page, ui: Panel) -> None:
    ui.click(".pc-status-details")
    ui.wait(".pc-status-code-model-py.pc-state-failing")
    assert page.locator(".pc-panel .pc-status-code-model-py.pc-state-approved").count() == 0
    assert "failing" in ui.el(".pc-status-code-model-py").inner_text()
    assert red(page, ".pc-status-code-model-py .pc-badge", "color")
    ui.wait(".pc-stage-chip.pc-chip-failing")  # "Code 4/5 approved · 1 failing", red
    assert "1 failing" in ui.el(".pc-chip-failing").inner_text()
    ui.wait(".pc-step-code.pc-state-failing")
    assert page.locator(".pc-panel .pc-step-code.mod-success").count() == 0  # never a green check
    assert red(page, ".pc-step-code", "backgroundColor")
    ui.wait(".pc-step-smoke.pc-state-failed")
    assert red(page, ".pc-step-smoke", "backgroundColor")
    ui.step("code")
    ui.el(".pc-files select").select_option(label="model.py  ·  failing")
    ui.wait(".pc-code-findings.pc-findings-state-failed")
    assert "syntax error" in ui.el(".pc-code-findings").inner_text().lower()
    assert red(page, ".pc-code-findings div[style*='border-left']", "color")
    options = [o.replace("\xa0", " ") for o in page.locator(".pc-panel .pc-files option").all_inner_texts()]
    assert "model.py  ·  failing" in options and "main.py  ·  approved" in options, options
    assert red(page, ".pc-files option:nth-child(2)", "color")  # the file tree shows model.py red
    assert not red(page, ".pc-files option:nth-child(1)", "color")
    shot(ui, "honest-failing-code.png")


def export_warns(page, ui: Panel, session_dir: Path) -> None:
    ui.step("export")
    ui.wait(".pc-export-status.pc-export-problems-yes")
    before = ui.el(".pc-export-status").inner_text()
    assert before.startswith("Before you export"), before
    assert "5 of 5 code files" in before and "failing their checks (model.py)" in before, before
    assert "smoke run failing" in before, before
    assert not (session_dir / "export").exists()  # warned before anything was written
    ui.click(".pc-export-repo")
    page.wait_for_function(
        "document.querySelector('.pc-panel .pc-export-message').innerText.includes('Exported the repo')")
    said = ui.el(".pc-export-message").inner_text()
    assert "with problems" in said and "smoke run failing" in said, said
    ui.wait(".pc-export-message .pc-warn")
    assert page.locator(".pc-panel .pc-export-message .pc-ok").count() == 0
    ui.wait(".pc-step-export.pc-state-failed")  # the step stays red, not green
    readme = (session_dir / "export" / "repo" / "README.md").read_text(encoding="utf-8")
    assert "generated by scripted:scripted-test: plan" in readme, readme
    assert re.search(r"edited by you: [^\n]*code:main\.py", readme), readme
    shot(ui, "export-warns.png")


def open_session(page, ui: Panel, folder: Path) -> None:
    """Open another session folder through the panel's path box."""
    ui.step("paper")
    ui.el(".pc-path input").fill(str(folder))
    ui.click(".pc-load")
    page.wait_for_function(f"document.querySelector('.pc-panel').innerText.includes({str(folder)!r})")


def approval_refused(page, ui: Panel, folder: Path) -> None:
    """Point 0: the panel refuses what `papercoder approve` refuses (the engine's rules): an
    invalid design and a stale artifact stay unapproved, and the panel says why, in red."""
    open_session(page, ui, folder)
    for aid, why in (("architecture", "architecture is not valid, so it can't be approved"),
                     ("logic", "logic is stale (something it reads changed)")):
        ui.step(aid)
        ui.click(".pc-approve")
        ui.wait_text(".pc-message", "Not approved")
        said = ui.el(".pc-message").inner_text()
        assert why in said, said
        assert red(page, ".pc-message p", "color")
        assert page.locator(f".pc-panel .pc-step-{aid}.pc-state-approved").count() == 0
        assert statuses(Session.open(folder))[aid] != "approved"
        shot(ui, f"approve-refused-{aid}.png")


def export_no_code(page, ui: Panel, other: Path) -> None:
    open_session(page, ui, other)
    ui.step("export")
    ui.wait(".pc-export-status.pc-export-problems-yes")
    assert f"0 of {len(FILES)} code files" in ui.el(".pc-export-status").inner_text()
    assert ui.el(".pc-export-message").inner_text().strip() == ""  # the other session's message is gone
    ui.click(".pc-export-repo")
    page.wait_for_function(
        "document.querySelector('.pc-panel .pc-export-message').innerText.includes('Exported the repo')")
    said = ui.el(".pc-export-message").inner_text()
    assert f"with problems): 0 of {len(FILES)} code files" in said, said
    hrefs = page.locator(".pc-panel .pc-export-links a").evaluate_all("a => a.map(x => x.getAttribute('href'))")
    assert hrefs and all(other.name in h for h in hrefs), hrefs  # only this session's outputs
    shot(ui, "export-warns-no-code.png")


def lay_out(root: Path, built: dict[str, Path]) -> str:
    for name, folder in built.items():
        shutil.copytree(folder, root / "sessions" / name)
    return panel_notebook(root, root / "sessions" / "failing")


def honesty_flow(page, app: str, root: Path) -> None:
    ui = Panel(page, prefix(app))
    honest_states(page, ui)
    export_warns(page, ui, root / "sessions" / "failing")
    export_no_code(page, ui, root / "sessions" / "planning-only")
    approval_refused(page, ui, root / "sessions" / "cut-design")


@pytest.mark.parametrize("app", FRONT_ENDS)
def test_failing_code_is_red_and_export_warns(tmp_path: Path, app: str) -> None:
    built = {"failing": failing_session(tmp_path / "failing").root,
             "planning-only": planning_only(tmp_path / "planning-only").root,
             "cut-design": cut_design(tmp_path / "cut-design").root}
    env = {**os.environ, "PAPERCODER_MODEL": "scripted", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    run_in_browser(tmp_path, env, lambda page, root: honesty_flow(page, app, root), "honest-", app,
                   prepare=lambda root: lay_out(root, built))
