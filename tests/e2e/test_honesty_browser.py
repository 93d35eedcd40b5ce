"""Points 4 (honest states) and 5 (export tells the truth) in a real browser (JupyterLab 4).

Sessions are built with the engine: a full auto-approved run in which ``model.py`` does
not compile (auto-approve leaves it "generated", the rest approved), one file edited by
hand and a failing smoke run; and a session with planning only (no code yet). The panel is
opened on them in a notebook written into the server's root. Screenshots:
``test-output/screenshots/honest-failing-code.png``, ``export-warns.png``,
``export-warns-no-code.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_PAPER, FILES, code_for, responder
from test_browser import (
    ARGS,
    CHROMIUM,
    SHOTS,
    Panel,
    jupyter_lab,
    open_notebook,
    quiet_lab_settings,
)
from test_look_browser import panel_notebook

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.graph import statuses
from papercoder_nb.llm.scripted import ScriptedBackend
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


def red(page, css: str, prop: str) -> bool:
    """The element's colour property is a red: red channel well above green and blue."""
    value = page.locator(f".pc-panel {css}").first.evaluate(f"e => getComputedStyle(e).{prop}")
    r, g, b = (int(x) for x in re.findall(r"\d+", value)[:3])
    return r > g + 60 and r > b + 60


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.locator(".pc-panel").first.screenshot(path=str(SHOTS / name))


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
    shot(page, "honest-failing-code.png")


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
    shot(page, "export-warns.png")


def export_no_code(page, ui: Panel, other: Path) -> None:
    ui.step("paper")
    ui.el(".pc-path input").fill(str(other))
    ui.click(".pc-load")
    page.wait_for_function(f"document.querySelector('.pc-panel').innerText.includes({str(other)!r})")
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
    shot(page, "export-warns-no-code.png")


def test_failing_code_is_red_and_export_warns_in_jupyterlab(tmp_path: Path) -> None:
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    quiet_lab_settings()
    failing = failing_session(tmp_path / "failing").root
    empty = planning_only(tmp_path / "planning-only").root
    env = {**os.environ, "PAPERCODER_MODEL": "scripted", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    errors: list[str] = []
    for attempt in range(2):  # one retry for a flaky first start; more would hide bugs
        root = tmp_path / f"root{attempt}"
        root.mkdir()
        session_dir = shutil.copytree(failing, root / "sessions" / "failing")
        other = shutil.copytree(empty, root / "sessions" / "planning-only")
        notebook = panel_notebook(root, session_dir)
        try:
            with jupyter_lab(root, env, "lab") as url, sync_playwright() as p:
                base, token = url.split("|")
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1800})
                try:
                    open_notebook(page, base, token, notebook, "lab")
                    ui = Panel(page, "honest-")
                    honest_states(page, ui)
                    export_warns(page, ui, session_dir)
                    export_no_code(page, ui, other)
                finally:
                    browser.close()
            return
        except Exception as e:  # noqa: BLE001 - retried once, then reported
            errors.append(f"attempt {attempt + 1}: {type(e).__name__}: {e}")
    pytest.fail("\n\n".join(errors))
