"""Real browser, real JupyterHub: a class of two students (alice, bob) under one instructor's settings.

The hub (``tests/e2e/hub.py``) runs the configurable-http-proxy from npm, the
DummyAuthenticator with a password and SimpleLocalProcessSpawner; each student's
single-user server sees ``PAPERCODER_SETTINGS``, the instructor's TOML file: the class
model on the class's shared OpenAI-compatible server (``tests/faultserver.py`` on
127.0.0.1, reporting the prompt tokens a real server would), both locked, a daily token
budget per student and a folder for everyone's usage.

Each student, in a browser context of their own and side by side in two threads, logs in
through the hub's login form, follows the instructor's nbgitpuller link (the class
repository is a bare git repository on disk, pulled over ``file://``), and runs the workshop
notebook in JupyterLab with ``WORKSHOP_MODEL`` unset, so the instructor's model applies. The
panel says the model is locked by the instructor and why; Run planning is a paid call to the
class server; the rest of the run stops on the student's own daily budget. Afterwards
``papercoder usage`` lists both students with the tokens they spent.

Prints how long the two students took to replay the workshop side by side (``-s`` shows
it). Screenshots: ``test-output/screenshots/hub-alice-*.png`` and ``hub-bob-*.png``.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from faultserver import FaultServer
from front_ends import ARGS, CHROMIUM, quiet_lab_settings, run_opened_notebook
from hub import REPO_NAME, Hub, class_hub
from panel_driver import SHOTS, Panel

pytestmark = pytest.mark.browser

USERS = ["alice", "bob"]
PASSWORD = "papers-with-code"  # DummyAuthenticator: one password for the class
MODEL = "openai:class-model"
REASON = "Set by your instructor for the workshop"
# What one call costs against the fake class server with the bundled paper (measured: the
# plan's pre-flight estimate is about 4,500 tokens and it spends about 3,400; the
# architecture call is expected to add about 4,200 more): Run planning passes, and the rest
# of the run stops at the architecture (a pre-flight check) or the logic call (a check of
# what was spent) — either way before any analysis or code.
TOKENS_PER_DAY = 6000
OFF_MACHINE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")  # the browser asks nothing else


def settings_file(tmp: Path, base_url: str, usage_dir: Path) -> Path:
    """The hub admin's papercoder.toml."""
    path = tmp / "papercoder.toml"
    path.write_text(
        f'model = "{MODEL}"\n'
        f'base_url = "{base_url}"\n'
        f'allowed_models = ["{MODEL}", "replay"]\n'
        'locked = ["model", "base_url"]\n'
        f'reason = "{REASON}"\n'
        f"usage_dir = {json.dumps(str(usage_dir))}\n"
        "\n[budget]\n"
        f"tokens_per_day = {TOKENS_PER_DAY}\n", encoding="utf-8")
    return path


def selected_text(page, css: str) -> str:
    return page.evaluate("(css) => { const s = document.querySelector('.pc-panel ' + css);"
                         " return s && s.selectedOptions.length ? s.selectedOptions[0].textContent : ''; }", css)


def student(hub: Hub, user: str, ready: threading.Barrier, times: dict[str, float], at: dict[str, str]) -> None:
    """One student's session, in a Playwright and a chromium of their own (this thread's).

    ``at[user]`` names the step under way, so a failure says where it happened."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        context.route(OFF_MACHINE, lambda route: route.abort())  # e.g. the notebook's Colab badge
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        ui = Panel(page, f"hub-{user}-")
        try:
            started = time.monotonic()
            at[user] = "log in, spawn, pull, open the notebook"
            # The hub's real login form; then the nbgitpuller link: spawn, clone, open the notebook
            page.goto(hub.login_url(hub.pull_link()))
            page.fill("#username_input", user)
            page.fill("#password_input", PASSWORD)
            page.click("#login_submit")
            page.wait_for_url(re.compile(rf"/user/{user}/lab/tree/{REPO_NAME}/notebooks/workshop\.ipynb"),
                              timeout=150_000)
            run_opened_notebook(page, "lab")
            times[f"{user} open"] = time.monotonic() - started

            at[user] = "the panel's locked note (.pc-locked-note) and the disabled provider"
            ui.wait_text(".pc-locked-note", "Locked by your instructor")
            note = ui.el(".pc-locked-note").inner_text()
            assert REASON in note, note
            assert ui.el(".pc-provider select").is_disabled()
            assert selected_text(page, ".pc-provider select").startswith("openai"), selected_text(page, ".pc-provider select")
            ui.shot("locked-by-instructor")
            ui.click(".pc-status-details")  # the per-artifact badges live behind "Details"

            at[user] = "waiting for the other student"
            ready.wait()  # both panels are up: the two students replay the workshop side by side
            t0 = time.monotonic()
            at[user] = "Run planning"
            ui.click(".pc-run")  # Run planning: a paid call to the class server
            ui.wait(".pc-status-plan.pc-state-generated", timeout=90_000)
            ui.wait(".pc-content.pc-showing-plan .pc-rendered h2")
            assert ui.el(".pc-error").inner_text().strip() == ""
            ui.shot("plan-from-class-server")

            at[user] = "the rest of the run, until 'Daily budget reached' in .pc-error"
            ui.click(".pc-auto-approve input")  # the rest in one batch, until the day's budget stops it
            ui.step("code")
            ui.click(".pc-run")
            ui.wait_text(".pc-error", "Daily budget reached", timeout=90_000)
            page.wait_for_selector(".pc-panel.pc-busy-no", timeout=30_000)
            times[user] = time.monotonic() - t0
            ui.shot("daily-budget-reached")
        except BaseException:
            ready.abort()  # the other student does not wait for this one
            SHOTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(SHOTS / f"hub-{user}-failure.png"), full_page=True)
            (SHOTS / f"hub-{user}-failure-console.txt").write_text("\n".join(console), encoding="utf-8")
            raise
        finally:
            browser.close()


def test_two_students_on_a_hub(tmp_path: Path) -> None:
    assert Path(CHROMIUM).is_file(), "install chromium: apt-get install -y chromium"
    quiet_lab_settings()
    usage_dir = tmp_path / "usage"
    usage_dir.mkdir()
    with FaultServer() as fake:
        fake.count_prompt = True  # spending tracks the prompts, as on a real server
        settings = settings_file(tmp_path, fake.base_url, usage_dir)
        with class_hub(tmp_path / "hub", USERS, PASSWORD, {"PAPERCODER_SETTINGS": str(settings)}) as hub:
            ready = threading.Barrier(len(USERS), timeout=240)
            times: dict[str, float] = {}
            errors: dict[str, BaseException] = {}
            at: dict[str, str] = {}

            def run(user: str) -> None:
                try:
                    student(hub, user, ready, times, at)
                except BaseException as e:  # noqa: BLE001 - reported below, per student
                    errors[user] = e

            threads = [threading.Thread(target=run, args=(u,), name=f"student-{u}") for u in USERS]
            for t in threads:
                t.start()
            for t in threads:
                t.join(420)
            assert not any(t.is_alive() for t in threads), "a student's browser still runs after 7 minutes"
            if errors:
                pytest.fail("\n\n".join(f"{u}, at {at.get(u)}: {type(e).__name__}: {e}" for u, e in errors.items()))
            for user in USERS:  # the class material came through the nbgitpuller link
                assert (hub.home(user) / REPO_NAME / "notebooks" / "workshop.ipynb").is_file()
        assert not hub.strays, f"processes left after the hub stopped: {hub.strays}"

    side_by_side = max(times[u] for u in USERS)
    print(f"\nhub: two students replayed the workshop side by side in {side_by_side:.1f} s "
          f"(alice {times['alice']:.1f} s, bob {times['bob']:.1f} s; login, spawn, pull and open: "
          f"alice {times['alice open']:.1f} s, bob {times['bob open']:.1f} s)")

    # Each paid for their own plan; the budget stopped both runs before any analysis or code
    assert fake.requests.count("plan") == len(USERS), fake.requests
    assert not [r for r in fake.requests if r.startswith(("analysis:", "code:"))], fake.requests

    for user in USERS:
        assert (usage_dir / f"{user}.jsonl").is_file(), sorted(p.name for p in usage_dir.iterdir())
    shown = subprocess.run([sys.executable, "-m", "papercoder_nb.cli", "usage", str(usage_dir)],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    for user in USERS:
        rows = [line for line in shown.stdout.splitlines() if re.search(rf"\b{user}\b", line)]
        assert len(rows) == 1, shown.stdout
        tokens = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", rows[0])]
        assert tokens and max(tokens) > 0, rows[0]
