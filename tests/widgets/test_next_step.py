"""One obvious next step: a compact header, "Approve and continue", a Run button that names
the next useful action, and the clicks from paper to exported repo (counted, printed)."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as W
import pytest
from conftest import FILES
from papercoder_nb.widgets import Workbench
from papercoder_nb.widgets.next_step import next_action
from test_workbench import loaded, tree

PLANNED = {"plan": "approved", "architecture": "approved", "logic": "approved", "config": "approved"}


class Clicks:
    """Counts the user's clicks; waits for any job a click started, as a user would."""

    def __init__(self, wb: Workbench) -> None:
        self.wb, self.n = wb, 0
        self.log: list[str] = []

    def __call__(self, b: W.Button) -> None:
        assert not b.disabled, f"{b.description!r} is disabled"
        self.n += 1
        self.log.append(b.description)
        b.click()
        assert self.wb.wait_idle(60)


def test_next_action_follows_the_pipeline() -> None:
    files = list(FILES)
    assert next_action({}, [], None).label == "Run the plan"
    assert next_action({"plan": "generated"}, [], None).label == "Review the plan"
    assert next_action(PLANNED, files, None).label == "Run analysis (5 files)"
    analysed = {**PLANNED, **{f"analysis:{f}": "generated" for f in files}}
    assert next_action(analysed, files, None).label == "Review analysis (5 files)"
    coded = {**analysed, **{f"analysis:{f}": "approved" for f in files}, "code:main.py": "stale"}
    assert (a := next_action(coded, files, None)).label == "Run code (5 files)" and a.run and a.scope == "coding"
    done = {**coded, **{f"code:{f}": "approved" for f in files}}
    assert next_action(done, files, None).step == "Smoke" and next_action(done, files, True).step == "Export"


def test_after_the_config_is_approved_run_points_to_analysis(tmp_path: Path) -> None:
    wb = loaded(tmp_path, auto_approve=True)
    wb.run(until="planning")
    assert wb.wait_idle(30)
    wb.step_buttons["Config"].click()
    assert wb.run_button.description == "Run analysis (5 files)", "Run said nothing useful after planning"
    wb.run_button.click()
    assert wb.wait_idle(30)
    assert wb.step == "Analysis" and all(wb.statuses[f"analysis:{f}"] != "missing" for f in FILES)


def test_the_header_is_one_row_of_counts_with_badges_on_demand(tmp_path: Path) -> None:
    wb = loaded(tmp_path, auto_approve=True)
    wb.run(until="analysis")
    assert wb.wait_idle(30)
    counts = wb.header.counts.value
    assert "<b>Planning</b> 4/4 approved" in counts and "<b>Analysis</b> 5/5 approved" in counts
    assert "<b>Code</b> 0/5 approved · 5 missing" in counts
    assert wb.header.status_strip.layout.display == "none"  # 14 badges folded away
    wb.header.details.value = True
    assert wb.header.status_strip.layout.display is None and len(wb.header.badges) == 14


def test_no_button_label_is_cut(tmp_path: Path) -> None:
    wb = loaded(tmp_path)
    roots = [wb.widget, wb.view.widget, wb.file_box, wb.export_box.widget, wb.smoke_box.widget, wb.eval_box.widget]
    buttons = [w for r in roots for w in tree(r) if isinstance(w, W.Button)]
    assert len(buttons) > 25
    fixed = [b.description for b in buttons if b.layout.width not in ("auto", None)]
    assert not fixed, f"fixed-width buttons cut their labels: {fixed}"


def test_approve_and_continue_reviews_planning_without_scrolling(tmp_path: Path) -> None:
    wb = loaded(tmp_path)
    click = Clicks(wb)
    click(wb.run_button)
    for aid, nxt in (("plan", "architecture"), ("architecture", "logic"), ("logic", "config")):
        assert wb.view.aid == aid
        actions = wb.view.widget.children.index(next(c for c in wb.view.widget.children if "pc-actions" in c._dom_classes))
        assert actions < wb.view.widget.children.index(wb.view.view_box), "actions below the artifact"
        redo = next(c for c in wb.view.widget.children if wb.view.regen in getattr(c, "children", ()))
        assert wb.view.widget.children.index(redo) < wb.view.widget.children.index(wb.view.view_box), "Regenerate below it"
        click(wb.view.approve_next)
        assert wb.statuses[aid] == "approved" and wb.view.aid == nxt and wb.statuses[nxt] == "generated"
    assert wb.view.view_box.layout.max_height and wb.view.view_box.layout.overflow == "auto"


def test_clicks_from_paper_to_exported_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    wb = Workbench(workdir=tmp_path / "sessions", backend=loaded(tmp_path / "warm").backend)
    from conftest import TRANSFORMER_JSON

    wb.paper_box.path.value = str(TRANSFORMER_JSON)
    click = Clicks(wb)
    click(wb.paper_box.load)
    click(wb.run_button)  # "Run planning"
    for _aid in ("plan", "architecture", "logic", "config"):
        click(wb.view.approve_next)  # read it, approve, the next one is generated
    assert wb.step == "Analysis" and wb.approve_all_next.description == "Approve all and continue"
    click(wb.approve_all_next)  # the analyses: approved, the first code files generated
    assert wb.step == "Code"
    # Each code file waits for the files it imports to be approved: one click per dependency level.
    while not all(wb.statuses[f"code:{f}"] == "approved" for f in FILES):
        assert click.n < 20, wb.run_status.value
        click(wb.approve_all_next)
    click(wb.step_buttons["Export"])
    click(wb.export_box.repo)
    assert (wb.session.root / "export" / "repo" / "main.py").is_file()
    with_review, steps = click.n, click.log

    quick = Workbench(workdir=tmp_path / "batch", backend=wb.backend)
    quick.paper_box.path.value = str(TRANSFORMER_JSON)
    click = Clicks(quick)
    click(quick.paper_box.load)
    quick.auto_approve.value = True
    click.n += 1  # ticking auto-approve
    click(quick.step_buttons["Export"])
    click(quick.run_button)  # "Run everything"
    click(quick.export_box.repo)
    assert (quick.session.root / "export" / "repo" / "main.py").is_file()
    with capsys.disabled():
        print(f"\nclicks paper→exported repo: with review {with_review} (was 17), without review {click.n} (was 5)\n  {' → '.join(steps)}")
    assert with_review <= 14 and click.n <= 5  # 5 code files over 4 dependency levels: 5 of the 14


def test_run_says_it_waits_for_review_when_this_step_needs_approval(tmp_path: Path) -> None:
    wb = loaded(tmp_path, auto_approve=True)
    wb.run(until="planning")
    assert wb.wait_idle(30)
    wb.step_buttons["Config"].click()
    wb.view.mode.value = "Edit"
    wb.view.editor.value = wb.view.editor.value.replace("d_model: 512", "d_model: 256")
    wb.view.save.click()
    assert wb.run_button.description == "Waiting for your review here" and wb.run_button.disabled
    wb.view.approve.click()
    assert wb.run_button.description == "Run analysis (5 files)" and not wb.run_button.disabled
