"""Real browser (JupyterLab 4, Notebook 7, classic Notebook 6.5 + ipywidgets 7.7.1): live progress and Cancel, the window warning, one obvious next
step, reopening a session, and browsing / restoring an artifact's history.

The kernel talks to an OpenAI-compatible fake on 127.0.0.1 (``tests/faultserver.py``) that
streams a long plan in small pieces, so the panel shows a run while it happens. The model is
``openai:gpt-4`` — a served model whose window (8,192 tokens) is in the model table — so the
pre-flight estimate knows a real paper (the Transformer, ≈8.8k tokens) will not fit whole. One server per front end and one browser
serve the module; each test opens its own notebook and work folder. Screenshots go to
``test-output/screenshots/{,nb7-,nb6-}states-*.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import FILES, TRANSFORMER_JSON, scripted
from faultserver import FaultServer
from front_ends import (
    ARGS,
    CHROMIUM,
    FRONT_ENDS,
    check_stack,
    jupyter_server,
    kernel_execute,
    open_notebook,
    prefix,
    quiet_lab_settings,
    run_again,
    shutdown_kernel,
)
from panel_driver import SHOTS

from papercoder_nb import Runner, Session, load_paper

pytestmark = pytest.mark.browser

MODEL = "openai:gpt-4"  # a served model with a known 8,192-token window
STEPS_IN_PLAN = 160  # the fake's plan: ~10,000 characters, far taller than the artifact view
SLOW_PIECE_S = 0.08  # between 64-character pieces while the progress test watches (~12 s in all)
TALL = {"width": 1400, "height": 1800}  # room for the whole panel in a screenshot
LAPTOP = {"width": 1400, "height": 900}  # where "visible without scrolling" is checked


def long_plan() -> str:
    steps = "\n".join(f"{i}. Step {i} of the method: compute the layer's output and record the loss." for i in range(1, STEPS_IN_PLAN))
    return f"## Method\n{steps}\n\n## Open questions\n- What learning rate?\n"


@dataclass
class Lab:
    app: str
    root: Path
    base: str
    token: str
    fake: FaultServer
    browser: object


@pytest.fixture(scope="module", params=FRONT_ENDS)
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One fake model server, one Jupyter server of the front end and one chromium for its tests."""
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    app = request.param
    check_stack(app)
    from playwright.sync_api import sync_playwright

    quiet_lab_settings()
    tmp = tmp_path_factory.mktemp(f"states-{app}")
    root = tmp / "root"
    root.mkdir()
    with FaultServer() as fake, contextlib.ExitStack() as stack:
        answer = fake.answer
        fake.answer = lambda req: long_plan() if req.kind == "plan" else answer(req)
        env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
        env.update({"PAPERCODER_MODEL": MODEL, "OPENAI_BASE_URL": fake.base_url, "JUPYTER_RUNTIME_DIR": str(tmp / "rt"),
                    "PAPERCODER_CONFIG_DIR": str(tmp / "config"), "PAPERCODER_CACHE_DIR": str(tmp / "cache")})
        for attempt in range(2):  # one retry for a flaky first start; more would hide bugs
            try:
                url = stack.enter_context(jupyter_server(root, env, app))
                break
            except RuntimeError:
                if attempt:
                    raise
        base, token = url.split("|")
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        stack.callback(browser.close)
        yield Lab(app, root, base, token, fake, browser)


def notebook(lab: Lab, name: str, workdir: Path, paper: Path = TRANSFORMER_JSON) -> str:
    """The quickstart's cell for a paper (a real one, already parsed: quick to load) and a work folder."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells.append(nbformat.v4.new_code_cell(
        "from papercoder_nb import Workbench\n"
        f"wb = Workbench({str(paper)!r}, workdir={str(workdir)!r})\nwb"))
    nbformat.write(nb, lab.root / f"{name}.ipynb")
    return f"{name}.ipynb"


@contextlib.contextmanager
def opened(lab: Lab, name: str, workdir: Path, paper: Path = TRANSFORMER_JSON, viewport: dict = TALL) -> Iterator:
    page = lab.browser.new_page(viewport=viewport)
    try:
        open_notebook(page, lab.base, lab.token, notebook(lab, name, workdir, paper), lab.app)
        yield page
    except Exception:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{prefix(lab.app)}states-{name}-failure.png"), full_page=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            shutdown_kernel(page, lab.app)
        page.close()


def el(page, css: str):
    return page.locator(f".pc-panel {css}").first


def wait(page, css: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f".pc-panel {css}", timeout=timeout)


def wait_text(page, css: str, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "([css, text]) => { const e = document.querySelector('.pc-panel ' + css); return !!e && e.innerText.includes(text); }",
        arg=[css, text], timeout=timeout)


def shot(lab: Lab, page, name: str, at: str = "") -> Path:
    """states-NAME.png: the panel, or (``at``) what the screen shows with that element scrolled to."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{prefix(lab.app)}states-{name}.png"
    page.wait_for_timeout(300)  # let the last widget update paint
    if at:
        el(page, at).evaluate("e => e.scrollIntoView({block: 'center'})")
        page.screenshot(path=str(path))
    else:
        page.locator(".pc-panel").first.screenshot(path=str(path))
    assert path.stat().st_size > 5000
    return path


def sessions(workdir: Path) -> list[Path]:
    return sorted(p.parent for p in workdir.glob("*/session.json"))


def poll(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# -- points 2 and 3: progress you can trust, Cancel within 2 s, the window warning ---------------------

PROGRESS = re.compile(r"plan: (?P<phase>reading the prompt|writing)[^·]*· (?P<s>\d+)s · (?P<tokens>[\d,]+) tokens written"
                      r" · (?P<rate>[\d.]+) tokens/s")
STREAM_FOLLOWS = """() => {
  const box = document.querySelector('.pc-panel .pc-stream .pc-stream-scroll');
  if (!box) return null;
  const walk = document.createTreeWalker(box.querySelector('pre'), NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walk.nextNode()) nodes.push(walk.currentNode);
  const at = (node, i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                            return r.getBoundingClientRect(); };
  const last = nodes[nodes.length - 1], frame = box.getBoundingClientRect();
  const newest = at(last, last.length - 1), oldest = at(nodes[0], 0);
  return {overflow: box.scrollHeight - box.clientHeight,
          newestShown: newest.top >= frame.top - 1 && newest.bottom <= frame.bottom + 1,
          oldestShown: oldest.top >= frame.top - 1 && oldest.bottom <= frame.bottom + 1};
}"""


def progress_now(page) -> re.Match[str]:
    line = el(page, ".pc-progress-line").inner_text()
    m = PROGRESS.search(line)
    assert m, f"the progress line lacks phase, elapsed time, tokens or tokens/s: {line!r}"
    return m


def test_progress_is_live_and_cancel_stops_within_two_seconds(lab: Lab) -> None:
    workdir = lab.root / "progress-sessions"
    lab.fake.piece_delay = SLOW_PIECE_S
    with opened(lab, "progress", workdir) as page:
        # Pre-flight: the Transformer paper (≈8.8k tokens) and planning do not fit the 8k window; it says what is condensed
        warning = el(page, ".pc-estimate .pc-estimate-warning")
        warning.wait_for(state="visible")
        text = warning.inner_text()
        assert "8,192-token window of openai:gpt-4" in text and "condensed" in text, text
        shot(lab, page, "window-warning", at=".pc-estimate")

        el(page, ".pc-run").click()
        wait(page, ".pc-progress-line .pc-progress-item")
        page.wait_for_function("document.querySelector('.pc-panel .pc-progress-line').innerText.includes('tokens/s')",
                               timeout=20_000)
        first = progress_now(page)
        page.wait_for_timeout(2_500)
        second = progress_now(page)
        assert second["phase"] == "writing"
        assert int(second["s"]) > int(first["s"]), (first.group(0), second.group(0))  # elapsed time ticks
        tokens = int(second["tokens"].replace(",", ""))
        assert tokens > int(first["tokens"].replace(",", "")), (first.group(0), second.group(0))
        assert float(second["rate"]) > 0
        follows = page.evaluate(STREAM_FOLLOWS)
        assert follows and follows["overflow"] > 50, f"the stream should be longer than its box by now: {follows}"
        assert follows["newestShown"] and not follows["oldestShown"], f"the stream box does not follow its newest text: {follows}"
        shot(lab, page, "progress")

        # Cancel: the panel says so within 2 s, the stream is closed, nothing partial is stored
        assert lab.fake.streaming == 1
        started = time.monotonic()
        el(page, ".pc-cancel").click()
        wait_text(page, ".pc-run-status", "cancelled", timeout=2_000)
        page.wait_for_selector(".pc-panel.pc-busy-no", timeout=2_000)
        took = time.monotonic() - started
        print(f"\nbrowser cancel (click → panel shows cancelled, idle): {took:.2f} s")
        assert poll(lambda: lab.fake.streaming == 0), "the model's HTTP stream was not closed"
        (session,) = sessions(workdir)
        assert not (session / "planning" / "plan.md").exists(), "a half-written plan was stored"
        calls = [json.loads(line) for line in (session / "calls.jsonl").read_text().splitlines() if line.strip()]
        assert calls and calls[-1]["finish_reason"] == "cancelled" and calls[-1]["artifact"] == "plan", calls[-1:]
        wait(page, ".pc-step-plan.pc-state-missing")
        assert el(page, ".pc-progress-line").inner_text().strip() == ""
        assert not el(page, ".pc-run").is_disabled() and el(page, ".pc-cancel").is_disabled()
        shot(lab, page, "cancelled")


# -- point 6: one obvious next step -----------------------------------------------------------------------

def in_viewport(page, css: str) -> bool:
    box = page.locator(f".pc-panel {css}").first.bounding_box()
    assert box is not None, f"{css} is not shown"
    return box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"] and box["x"] + box["width"] <= LAPTOP["width"]


ACTIONS = (".pc-approve", ".pc-approve-next", ".pc-regenerate", ".pc-mode button:has-text('Edit')")


def test_the_next_step_is_one_obvious_click(lab: Lab) -> None:
    lab.fake.piece_delay = 0.0
    with opened(lab, "next-step", lab.root / "next-sessions", viewport=LAPTOP) as page:
        el(page, ".pc-run").click()
        wait(page, ".pc-step-plan.pc-state-generated")
        wait(page, ".pc-content.pc-showing-plan .pc-rendered h2")
        # A compact header: stage counts, the per-artifact badges only behind "Details"
        assert "Planning 0/4 approved · 1 generated · 3 missing" in el(page, ".pc-stage-counts").inner_text()
        assert el(page, ".pc-status-strip").is_hidden()
        assert page.locator(".pc-panel .pc-status:visible").count() == 0
        # The actions stay on screen next to a fixed-height view that scrolls the long plan
        el(page, ".pc-artifact").evaluate("e => e.scrollIntoView({block: 'start'})")
        view = el(page, ".pc-view").evaluate("e => ({client: e.clientHeight, scroll: e.scrollHeight})")
        assert view["scroll"] > view["client"] + 1000 and view["client"] <= 600, view
        off = [css for css in ACTIONS if not in_viewport(page, css)]
        assert not off, f"not visible without scrolling next to a {view['scroll']}-px plan: {off}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{prefix(lab.app)}states-next-step.png"))  # the screen as it is: nothing scrolled

        # "Approve and continue" through planning; after the config, Run names what comes next
        for aid, nxt in (("plan", "architecture"), ("architecture", "logic"), ("logic", "config")):
            el(page, ".pc-approve-next").click()
            wait(page, f".pc-step-{aid}.pc-state-approved")
            wait(page, f".pc-step-{nxt}.pc-state-generated")
            wait(page, f".pc-content.pc-showing-{nxt}")
            page.wait_for_selector(".pc-panel.pc-busy-no")
        el(page, ".pc-approve").click()
        wait(page, ".pc-step-config.pc-state-approved")
        wait_text(page, ".pc-run", f"Run analysis ({len(FILES)} files)")
        assert not el(page, ".pc-run").is_disabled()
        assert "Planning 4/4 approved" in el(page, ".pc-stage-counts").inner_text()
        assert f"Analysis 0/{len(FILES)} approved" in el(page, ".pc-stage-counts").inner_text()
        shot(lab, page, "next-step-run-analysis")


# -- point 7: reopen, don't restart ---------------------------------------------------------------------------

def test_running_the_cell_again_reopens_the_session(lab: Lab) -> None:
    workdir = lab.root / "reopen-sessions"
    earlier = Session.create(workdir / "earlier-work", load_paper(TRANSFORMER_JSON), str(TRANSFORMER_JSON))
    Runner(earlier, scripted(), auto_approve=True).run(until="planning")
    with opened(lab, "reopen", workdir) as page:
        for _ in range(2):  # the first run of the cell, then running it again
            wait_text(page, ".pc-run-status", str(earlier.root))
            assert "Planning 4/4 approved" in el(page, ".pc-stage-counts").inner_text()
            assert sessions(workdir) == [earlier.root]
            run_again(page, lab.app)
        wait_text(page, ".pc-run-status", str(earlier.root))
        el(page, ".pc-step-plan").click()
        wait(page, ".pc-content.pc-showing-plan .pc-rendered h2")
        assert sessions(workdir) == [earlier.root]
        shot(lab, page, "reopened")

        # "New session for this paper" starts another; running the cell then reopens that one, the latest
        el(page, ".pc-step-paper").click()
        el(page, ".pc-new-session").click()
        assert poll(lambda: len(sessions(workdir)) == 2, timeout=30), sessions(workdir)
        (new,) = [s for s in sessions(workdir) if s != earlier.root]
        wait_text(page, ".pc-run-status", str(new))
        assert "Planning 0/4 approved · 4 missing" in el(page, ".pc-stage-counts").inner_text()
        shot(lab, page, "new-session")
        run_again(page, lab.app)
        wait_text(page, ".pc-run-status", str(new))
        assert len(sessions(workdir)) == 2


# -- point 8: history ------------------------------------------------------------------------------------------

FIRST, SECOND = "A first reviewer's note.", "A second reviewer's note."
QUESTIONS = "\n\n## Open questions"  # each note goes in as a paragraph before this heading
WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def edit_in_panel(lab: Lab, page, change: str) -> None:
    """Put new text in the panel's editor from the kernel (whatever the editor's front end), Save in the browser."""
    out = kernel_execute(page, lab.app, f"wb.view.mode.value = 'Edit'\nwb.view.editor.value = {change}\nprint(wb.view.dirty)")
    assert out.strip() == "True", out
    wait(page, ".pc-unsaved")
    el(page, ".pc-save").click()
    page.wait_for_selector(".pc-panel .pc-unsaved", state="detached")


def options(page, css: str, count: int | None = None) -> list[str]:
    """A dropdown's labels as shown (ipywidgets draws their spaces as no-break spaces), once
    ``count`` are drawn: a front end may draw the count's text before the options (seen with
    ipywidgets 7 in classic Notebook)."""
    if count is not None:
        page.wait_for_function(f"() => document.querySelectorAll('.pc-panel {css} select option').length === {count}",
                               timeout=15_000)
    return page.locator(f".pc-panel {css} select option").all_inner_texts()


def plain(label: str) -> str:
    return label.replace("\xa0", " ")


def test_history_lists_diffs_and_restores_versions(lab: Lab) -> None:
    lab.fake.piece_delay = 0.0
    workdir = lab.root / "history-sessions"
    with opened(lab, "history", workdir) as page:
        el(page, ".pc-run").click()
        wait(page, ".pc-step-plan.pc-state-generated")
        edit_in_panel(lab, page, f"wb.view.editor.value.replace('## Open questions', {FIRST + QUESTIONS!r})")
        edit_in_panel(lab, page, f"wb.view.editor.value.replace('Step 3 of the method', 'Step 3, rewritten,')"
                            f".replace('## Open questions', {SECOND + QUESTIONS!r})")
        wait(page, ".pc-step-plan.pc-state-edited")
        (session,) = sessions(workdir)
        plan = session / "planning" / "plan.md"
        assert FIRST in plan.read_text(encoding="utf-8") and SECOND in plan.read_text(encoding="utf-8")

        # Every version, newest first, with who, which model and when
        page.locator(".pc-panel .pc-mode button", has_text="Diff").first.click()
        wait_text(page, ".pc-history-count", "3 version(s)")
        labels = options(page, ".pc-history-from", count=3)
        assert len(labels) == 3 and labels == options(page, ".pc-history-to", count=3), labels
        for label, (n, who) in zip(labels, ((3, "you"), (2, "you"), (1, MODEL)), strict=True):
            assert re.fullmatch(rf"v{n} · {re.escape(who)} · {WHEN}", plain(label)), labels

        # Any two versions: the first against the newest shows both edits
        el(page, ".pc-history-from select").select_option(label=labels[2])
        el(page, ".pc-history-to select").select_option(label=labels[0])
        wait_text(page, ".pc-diff", "from v1 to v3")
        panel, restore = page.locator(".pc-panel").first.bounding_box(), el(page, ".pc-history-restore").bounding_box()
        assert restore["x"] + restore["width"] <= panel["x"] + panel["width"], "Restore runs off the panel"
        diff = el(page, ".pc-diff").inner_text()
        assert FIRST in diff and SECOND in diff and "Step 3, rewritten," in diff, diff
        shot(lab, page, "history")

        # Restore v2: a new version (v4, by you) whose text is v2's; v3 stays in history
        el(page, ".pc-history-to select").select_option(label=labels[1])
        wait_text(page, ".pc-diff", "to v2")
        el(page, ".pc-history-restore").click()
        wait_text(page, ".pc-history-count", "4 version(s)")
        text = plan.read_text(encoding="utf-8")
        assert FIRST in text and SECOND not in text and "Step 3, rewritten," not in text
        log = [json.loads(line) for line in (session / "history" / "log.jsonl").read_text().splitlines() if line.strip()]
        mine = [e for e in log if e.get("artifact") == "plan"]
        assert [e["version"] for e in mine] == [1, 2, 3, 4] and mine[-1]["by"] == "user"
        assert re.fullmatch(rf"v4 · you · {WHEN}", plain(options(page, ".pc-history-to", count=4)[0]))
        wait_text(page, ".pc-message", "Restored v2")
        shot(lab, page, "history-restored")

