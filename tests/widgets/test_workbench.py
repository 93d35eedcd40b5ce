"""The panel in pure Python: click buttons, set values, run with a scripted model, drain.

Runs under ipywidgets 8 and 7.7.1 (what Colab ships). No front end: the tests drain the
worker queue with ``wait_idle`` or by ticking the hidden Play widget as the browser would.
"""

from __future__ import annotations

import json
import sys
import time
import types
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import ipywidgets as W
import nbformat
import pytest
from conftest import FILES, TRANSFORMER_JSON, scripted
from papercoder_nb.widgets import Workbench, compat
from papercoder_nb.widgets.worker import Worker

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import CancelledError, CancelToken, Completion, Request, TokenCallback
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.graph import statuses

PLANNING = ("plan", "architecture", "logic", "config")


def loaded(tmp_path: Path, backend: ScriptedBackend | None = None, **kw) -> Workbench:
    wb = Workbench(workdir=tmp_path / "sessions", backend=backend or scripted(), **kw)
    wb.paper_box.path.value = str(TRANSFORMER_JSON)
    wb.paper_box.load.click()
    assert wb.wait_idle(20), "loading did not finish"
    assert wb.session is not None, wb.error.value
    return wb


def full_run(tmp_path: Path) -> Workbench:
    wb = loaded(tmp_path, auto_approve=True)
    wb.step_buttons["Export"].click()
    assert wb.run_button.description == "Run everything"
    wb.run_button.click()
    assert wb.wait_idle(60)
    assert set(wb.statuses.values()) == {"approved"}, wb.statuses
    return wb


def tree(w: W.Widget) -> list[W.Widget]:
    """Every widget in the panel (what the front end receives)."""
    out = [w]
    for c in getattr(w, "children", ()):
        out += tree(c)
    return out


def classes(w: W.Widget) -> set[str]:
    return set(w._dom_classes)


def test_load_shows_sections_with_tokens_and_dropping_one_is_stored(tmp_path: Path) -> None:
    wb = loaded(tmp_path)
    paper = load_paper(TRANSFORMER_JSON)
    assert wb.session.root.parent == tmp_path / "sessions"
    assert "Attention Is All You Need" in wb.paper_box.summary.value
    boxes = wb.paper_box.checkboxes
    assert list(boxes) == [s.id for s in paper.sections]
    first = paper.sections[0]
    assert f"({first.tokens:,} tokens)" in boxes[first.id].description
    assert "pc-section" in classes(boxes[first.id])
    before = wb.session.selected_paper().meta.token_estimate
    boxes["2-background"].value = False
    assert wb.session.state.dropped_sections == ["2-background"]
    assert Session.open(wb.session.root).state.dropped_sections == ["2-background"]
    assert wb.session.selected_paper().meta.token_estimate < before
    assert f"≈{wb.session.selected_paper().meta.token_estimate:,} tokens selected" in wb.paper_box.sections_help.value
    assert "Pre-flight estimate" in wb.model_box.estimate.value


def test_a_session_folder_reopens_where_it_left_off(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "cli-session", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    Runner(session, scripted(), auto_approve=True).run(until="architecture")
    wb = Workbench(workdir=tmp_path / "sessions", backend=scripted())
    wb.paper_box.path.value = str(session.root)
    wb.paper_box.load.click()  # a session folder opens at once, no worker needed
    assert wb.session is not None and wb.session.root == session.root
    assert wb.statuses["plan"] == "approved" and wb.statuses["architecture"] == "approved"
    assert wb.statuses["logic"] == "missing"
    assert "pc-state-approved" in classes(wb.step_buttons["Architecture"])
    assert "pc-state-approved" in classes(wb.header.badges["plan"])
    # also by constructor, as the CLI's session
    wb2 = Workbench(session.root, backend=scripted())
    assert wb2.session.root == session.root and wb2.statuses["architecture"] == "approved"


def test_planning_step_by_step_with_views_and_approval_gates(tmp_path: Path) -> None:
    wb = loaded(tmp_path)
    assert wb.run_button.description == "Run planning"
    wb.run_button.click()
    assert wb.wait_idle(20)
    assert wb.statuses["plan"] == "generated" and wb.statuses["architecture"] == "missing"
    assert wb.step == "Plan"  # the panel jumps to what waits for review
    assert "waiting for your approval of plan" in wb.run_status.value
    assert "<h2>Method</h2>" in wb.view.rendered.value
    assert "pc-state-generated" in classes(wb.header.badges["plan"])
    assert wb.progress.value == 1
    # Run again without approving: the gate holds, nothing is generated
    wb.run_button.click()
    assert wb.wait_idle(20)
    assert wb.last_result.generated == [] and wb.last_result.waiting_for_approval == ["plan"]

    for aid, step in (("plan", "Plan"), ("architecture", "Architecture"), ("logic", "Logic")):
        assert wb.step == step and wb.view.aid == aid
        wb.view.approve.click()
        assert wb.statuses[aid] == "approved"
        assert wb.view.approve.disabled and wb.view.approve.description == "Approved"
        wb.run_button.click()
        assert wb.wait_idle(20)
        if aid == "plan":
            assert wb.step == "Architecture"
            assert "Mermaid source" in wb.view.rendered.value and "classDiagram" in wb.view.rendered.value
            md = [o["data"]["text/markdown"] for o in wb.view.diagrams.outputs]
            assert len(md) == 2 and md[0].count("```mermaid") == 1 and "sequenceDiagram" in md[1]
        if aid == "architecture":
            html = wb.view.rendered.value
            assert 'class="pc-task-table"' in html
            positions = [html.index(f"<code>{f}</code>") for f in FILES]
            assert positions == sorted(positions), "task list not in dependency order"
    assert wb.step == "Config" and wb.statuses["config"] == "generated"
    assert "pc-lang-yaml" in wb.view.rendered.value and "d_model" in wb.view.rendered.value
    assert wb.view.diagrams.layout.display == "none"


def test_editing_config_in_the_editor_makes_dependents_stale_visibly(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Config"].click()
    wb.view.mode.value = "Edit"
    assert wb.view.edit_box.layout.display is None and wb.view.view_box.layout.display == "none"
    assert "d_model: 512" in wb.view.editor.value
    wb.view.editor.value = wb.view.editor.value.replace("512", "256")
    wb.view.approve.click()  # unsaved edit: refused with a reason
    assert "Save or discard" in wb.view.message.value
    wb.view.save.click()
    assert wb.session.read("config").count("256") == 1
    assert wb.statuses["config"] == "edited"
    files = [a for a in wb.statuses if ":" in a]
    assert files and all(wb.statuses[a] == "stale" for a in files)
    assert all(wb.statuses[a] == "approved" for a in ("plan", "architecture", "logic"))
    assert "pc-state-stale" in classes(wb.header.badges["code:main.py"])
    assert "pc-state-stale" in classes(wb.step_buttons["Code"]) and wb.step_buttons["Code"].button_style == "warning"
    assert "stale now:" in wb.run_status.value
    wb.view.mode.value = "Diff"
    assert "-  d_model: 512" in wb.view.diff.value and "+  d_model: 256" in wb.view.diff.value
    wb.view.approve.click()
    assert wb.statuses["config"] == "approved"
    assert wb.view.unapprove.layout.display is None
    # regenerating only what went stale
    wb.step_buttons["Code"].click()
    wb.run_button.click()
    assert wb.wait_idle(60)
    assert sorted(wb.last_result.generated) == sorted(files)
    assert set(wb.statuses.values()) == {"approved"}


def test_validate_reports_errors_and_passes_valid_text(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Config"].click()
    wb.view.mode.value = "Edit"
    wb.view.editor.value = "model: [1, 2"
    wb.view.validate.click()
    assert "Not valid" in wb.view.message.value and "pc-result-error" in classes(wb.view.message)
    wb.view.revert.click()
    wb.view.validate.click()
    assert "Valid ✓" in wb.view.message.value
    wb.step_buttons["Logic"].click()
    wb.view.mode.value = "Edit"
    wb.view.editor.value = wb.view.editor.value.replace('"task_list"', '"tasks"')
    wb.view.validate.click()
    assert "Not valid" in wb.view.message.value and "task_list" in wb.view.message.value


def test_regenerate_with_feedback_sends_it_and_keeps_history(tmp_path: Path) -> None:
    backend = scripted()
    wb = loaded(tmp_path, backend)
    wb.run_button.click()
    assert wb.wait_idle(20)
    wb.view.feedback.value = "Use the paper's warm-up of 4000 steps."
    wb.view.regen.click()
    assert wb.busy and wb.cancel_button.disabled is False
    assert wb.wait_idle(20)
    assert "Use the paper's warm-up of 4000 steps." in backend.requests[-1].messages[-1].text
    assert len(wb.session.history("plan")) == 2
    assert wb.session.record("plan").feedback == "Use the paper's warm-up of 4000 steps."
    assert "Regenerated" in wb.run_status.value and wb.view.feedback.value == ""
    wb.view.mode.value = "Diff"
    assert "identical to the previous one" in wb.view.diff.value


def test_open_questions_are_answered_and_make_downstream_stale(tmp_path: Path) -> None:
    wb = loaded(tmp_path, auto_approve=True)
    wb.step_buttons["Config"].click()
    wb.run_button.click()
    assert wb.wait_idle(20)
    wb.step_buttons["Plan"].click()
    qs = wb.questions.answers
    assert list(qs) == ["What learning rate?", "Which optimiser settings?", "Batch size for the smoke run?"]
    assert [src for src, _, _ in qs.values()] == ["plan", "architecture", "logic"]
    assert "0/3 answered" in wb.questions.header.value
    qs["Which optimiser settings?"][1].value = "Adam, beta2 0.98, eps 1e-9"
    wb.questions.save.click()
    assert [(a.question, a.answer, a.source) for a in wb.session.state.answers] == [
        ("Which optimiser settings?", "Adam, beta2 0.98, eps 1e-9", "architecture")
    ]
    assert "1/3 answered" in wb.questions.header.value
    assert "☑" in qs["Which optimiser settings?"][2].value
    assert wb.statuses["architecture"] == "approved"
    assert wb.statuses["logic"] == "stale" and wb.statuses["config"] == "stale"


class SlowBackend(ScriptedBackend):
    """Streams a token every 10 ms for 10 s unless cancelled."""

    def execute(self, request: Request, on_token: TokenCallback | None = None,
                cancel: CancelToken | None = None) -> Completion:
        for _ in range(1000):
            if cancel is not None and cancel.wait(0.01):
                raise CancelledError("cancelled by the user")
            if on_token:
                on_token("word ")
        return super().execute(request, on_token, cancel)


def test_cancel_stops_within_a_second_and_leaves_a_consistent_session(tmp_path: Path) -> None:
    wb = loaded(tmp_path, SlowBackend("slow", responder=scripted().responder))
    wb.run_button.click()
    deadline = time.monotonic() + 5
    while "word word" not in wb.stream_text and time.monotonic() < deadline:
        time.sleep(0.05)
        wb.pump()
    assert "word word" in wb.stream_text and "word" in wb.stream.value
    assert wb.status_of("plan") == "running" and "pc-state-running" in classes(wb.header.badges["plan"])
    t0 = time.monotonic()
    wb.cancel_button.click()
    assert wb.wait_idle(1.0), "cancel took more than a second"
    assert time.monotonic() - t0 < 1.0
    assert wb.last_result.cancelled and "cancelled" in wb.run_status.value
    assert wb.statuses["plan"] == "missing" and wb.session.read("plan") is None
    assert statuses(Session.open(wb.session.root))["plan"] == "missing"
    assert not wb.run_button.disabled and wb.cancel_button.disabled


def test_the_ticker_drains_on_the_main_thread_and_stops_when_done(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    wb = loaded(tmp_path)
    capsys.readouterr()
    wb.run_button.click()
    assert compat.is_playing(wb.ticker)
    assert wb.worker.join(10)
    assert wb.statuses["plan"] == "missing"  # nothing reaches the widgets until a tick
    wb.ticker.value += 1  # what the browser's Play timer does
    assert wb.statuses["plan"] == "generated" and not compat.is_playing(wb.ticker)
    assert wb.ticker.layout.display == "none"
    out = capsys.readouterr()
    assert out.out == "" and out.err == "", "the worker printed"


def test_worker_joins_streamed_tokens_into_one_update() -> None:
    from papercoder_nb.run.runner import Event

    w = Worker()

    def job(_token: CancelToken, emit) -> int:
        for ch in "abc":
            emit(Event("token", "plan", ch))
        emit(Event("done", "plan"))
        emit(Event("token", "config", "x"))
        return 7

    w.start("t", job)
    assert w.join(5)
    items = w.drain()
    assert [(i.kind, i.text) for i in items[:3]] == [("token", "abc"), ("done", ""), ("token", "x")]
    assert items[3].result == 7 and items[3].error is None


def test_analysis_and_code_show_a_file_tree(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Analysis"].click()
    assert [v for _, v in wb.file_select.options] == [f"analysis:{f}" for f in FILES]
    assert all("approved" in label for label, _ in wb.file_select.options)
    wb.file_select.value = "analysis:model.py"
    assert wb.view.aid == "analysis:model.py" and "Design of model.py" in wb.view.rendered.value
    wb.step_buttons["Code"].click()
    wb.file_select.value = "code:train.py"
    assert "pc-lang-python" in wb.view.rendered.value and "train.py" in wb.view.editor.value
    wb.view.unapprove.click()
    assert wb.statuses["code:train.py"] == "generated"
    assert not wb.approve_all.disabled
    wb.approve_all.click()
    assert wb.statuses["code:train.py"] == "approved" and wb.approve_all.disabled


def test_export_buttons_write_repo_zip_and_notebook_with_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wb = full_run(tmp_path)
    wb.step_buttons["Export"].click()
    assert wb.content.children == (wb.export_box.widget,)
    wb.export_box.repo.click()
    repo = wb.session.root / "export" / "repo"
    assert (repo / "README.md").is_file() and (repo / "main.py").is_file(), wb.export_box.message.value
    wb.export_box.zip.click()
    zips = list((wb.session.root / "export").glob("*.zip"))
    assert len(zips) == 1 and any(n.endswith("main.py") for n in zipfile.ZipFile(zips[0]).namelist())
    wb.export_box.notebook.click()
    nb_path = wb.session.root / "export" / "reproduction.ipynb"
    nbformat.validate(nbformat.read(nb_path, as_version=4))
    links = wb.export_box.links.outputs[0]["data"]["text/html"]
    for target in ("repo", "README.md", ".zip", "reproduction.ipynb"):
        assert target in links
    assert 'href="sessions/' in links  # relative to the notebook's folder
    # an edited exported file is not overwritten without consent
    (repo / "main.py").write_text("# mine\n")
    wb.export_box.repo.click()
    assert "Export stopped" in wb.export_box.message.value and (repo / "main.py").read_text() == "# mine\n"
    wb.export_box.force.value = True
    wb.export_box.repo.click()
    assert "Exported" in wb.export_box.message.value and (repo / "main.py").read_text() != "# mine\n"


def test_export_without_the_exporter_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wb = loaded(tmp_path)
    monkeypatch.setitem(sys.modules, "papercoder_nb.export", None)
    wb.step_buttons["Export"].click()
    wb.export_box.repo.click()
    assert "exporter is not available" in wb.export_box.message.value


def test_a_missing_key_is_an_error_in_the_panel_with_what_to_do(tmp_path: Path) -> None:
    wb = Workbench(TRANSFORMER_JSON, workdir=tmp_path / "s")
    assert wb.session is not None
    wb.model_box.provider.value = "anthropic"
    assert wb.model_box.spec == "anthropic:claude-sonnet-4-6"  # the CLI's default (registry.default_spec)
    assert "$" in wb.model_box.estimate.value and "cost unknown" not in wb.model_box.estimate.value
    wb.run_button.click()
    assert wb.wait_idle(60)  # importing the SDK alone can take 10 s on a loaded machine
    # no key (or, in a venv without the SDK, no anthropic package): either way, the panel says what to do
    assert ("ANTHROPIC_API_KEY" in wb.error.value or "anthropic package" in wb.error.value) and "What to do next" in wb.error.value
    assert "local" in wb.error.value and "pc-has-error-yes" in classes(wb.error)
    assert wb.statuses["plan"] == "missing"


def test_key_status_shows_presence_never_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-very-secret-123")
    wb = Workbench(workdir=tmp_path)
    assert "<code>ANTHROPIC_API_KEY</code> set ✓" in wb.model_box.keys.value
    assert "<code>OPENAI_API_KEY</code> not set" in wb.model_box.keys.value
    state = json.dumps([w.get_state() for w in tree(wb.widget)], default=str)
    assert "very-secret" not in state and "very-secret" not in wb.model_box.keys.value
    labels = [label for label, _ in wb.model_box.provider.options]
    assert labels[0].startswith("local") and "no key" in labels[0]


def test_replay_backend_from_the_picker_reproduces_a_recorded_session(tmp_path: Path) -> None:
    recorded = Session.create(tmp_path / "recorded", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    Runner(recorded, scripted(), auto_approve=True).run(until="planning")
    wb = Workbench(TRANSFORMER_JSON, workdir=tmp_path / "s", auto_approve=True)
    wb.model_box.provider.value = "replay"
    wb.model_box.model.value = str(recorded.root)
    assert wb.model_box.spec == f"replay:{recorded.root}"
    assert "$0.00" in wb.model_box.estimate.value
    wb.run_button.click()
    assert wb.wait_idle(20)
    for aid in PLANNING:
        assert wb.session.read(aid) == recorded.read(aid)


def test_colab_uses_its_own_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    colab = types.ModuleType("google.colab")
    files = types.ModuleType("google.colab.files")
    files.upload = lambda: {"tiny.md": b"# A Tiny Paper\n\n## Method\nWe add one.\n"}  # type: ignore[attr-defined]
    colab.files = files  # type: ignore[attr-defined]
    google = types.ModuleType("google")
    google.colab = colab  # type: ignore[attr-defined]
    for name, mod in (("google", google), ("google.colab", colab), ("google.colab.files", files),
                      ("google.colab.output", types.ModuleType("google.colab.output"))):
        monkeypatch.setitem(sys.modules, name, mod)
    assert compat.in_colab()
    wb = Workbench(workdir=tmp_path, backend=scripted())
    assert "pc-colab-upload" in classes(wb.paper_box.upload)
    assert not isinstance(wb.paper_box.upload, W.FileUpload)
    wb.paper_box.upload.click()
    assert wb.wait_idle(10)
    assert wb.session is not None and wb.session.paper.title == "A Tiny Paper"
    assert (tmp_path / "uploads" / "tiny.md").is_file()


def test_file_upload_widget_value_in_this_ipywidgets_version(tmp_path: Path) -> None:
    content = b"# Uploaded Paper\n\n## Method\nSomething.\n"
    wb = Workbench(workdir=tmp_path, backend=scripted())
    up = wb.paper_box.upload
    assert isinstance(up, W.FileUpload) and "pc-upload" in classes(up)
    if compat.IS_W7:
        # what 7.x's front end does: metadata and data, then a counter bump
        up.metadata = [{"name": "up.md", "size": len(content), "type": "text/markdown"}]
        up.data = [content]
        up._counter += 1
    else:
        up.value = ({"name": "up.md", "type": "text/markdown", "size": len(content),
                     "content": memoryview(content), "last_modified": datetime.now(timezone.utc)},)
    assert wb.wait_idle(10)
    assert wb.session is not None and wb.session.paper.title == "Uploaded Paper"


def test_uploaded_files_reads_both_value_shapes() -> None:
    v7 = {"a.pdf": {"metadata": {"name": "a.pdf"}, "content": b"%PDF"}}
    v8 = ({"name": "a.pdf", "content": memoryview(b"%PDF")},)
    assert compat.uploaded_files(v7) == compat.uploaded_files(v8) == [("a.pdf", b"%PDF")]


def test_displays_through_ipython_display_not_repr_mimebundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    wb = Workbench(workdir=tmp_path)
    assert not hasattr(wb, "_repr_mimebundle_")
    wb._ipython_display_()
    assert shown == [wb.widget] and isinstance(wb.widget, W.VBox)
    assert wb.ticker in wb.widget.children and isinstance(wb.ticker, W.Play)
    assert wb.runbar.layout.display == "none"  # nothing to run before a paper is loaded
    wb.step_buttons["Plan"].click()
    assert "Load a paper first" in wb.content.children[0].value


def test_load_errors_are_shown_with_advice(tmp_path: Path) -> None:
    wb = Workbench(workdir=tmp_path, backend=scripted())
    wb.paper_box.path.value = str(tmp_path / "nope.pdf")
    wb.paper_box.load.click()
    assert wb.wait_idle(10)
    assert wb.session is None
    assert "no such file" in wb.error.value and "Check the path" in wb.error.value


def test_panel_approve_uses_the_engine_rules_and_shows_the_refusal(tmp_path: Path) -> None:
    wb = full_run(tmp_path)
    wb.step_buttons["Architecture"].click()
    wb.view.unapprove.click()
    wb.session.write("architecture", "{not json", by="user")
    wb.after_change("edited architecture")
    wb.step_buttons["Architecture"].click()
    wb.view.approve.click()
    assert "Not approved" in wb.view.message.value and "not valid" in wb.view.message.value
    assert wb.statuses["architecture"] != "approved"
    # a stale artifact is refused too (the rule `papercoder approve` applies)
    stale = [a for a, s in wb.statuses.items() if s == "stale"]
    assert stale
    wb.step_buttons["Code"].click()
    wb.approve_files()
    assert all(wb.statuses[a] != "approved" for a in stale)


def test_the_same_paper_in_the_same_work_folder_reopens_the_latest_session(tmp_path: Path) -> None:
    first = loaded(tmp_path)
    first.session.write("plan", "my plan", by="user")
    again = loaded(tmp_path)
    assert again.session.root == first.session.root and again.session.read("plan") == "my plan"
    again.new_session = True  # what a "New session" choice sets
    fresh = again._create_session(str(TRANSFORMER_JSON), lambda _e: None)
    assert fresh.root != first.session.root and not again.new_session


def test_the_reasoning_picker_reaches_the_backend_and_calls_jsonl(tmp_path: Path) -> None:
    from papercoder_nb.llm import registry

    made: list[dict] = []

    def factory(model: str, **options: object) -> ScriptedBackend:
        made.append(options)
        backend = scripted()
        backend.reasoning = options.get("reasoning")  # as the Anthropic and OpenAI backends keep it
        return backend

    registry.register("thinker", factory)
    wb = Workbench(TRANSFORMER_JSON, workdir=tmp_path / "s")
    wb.model_box.set_spec("thinker:deep")
    assert [v for _, v in wb.model_box.reasoning.options] == ["", "low", "medium", "high"]
    wb.model_box.reasoning.value = "high"
    wb.run_button.click()
    assert wb.wait_idle(20)
    assert made == [{"reasoning": "high"}]
    assert wb.session.calls()[0]["reasoning"] == "high"


def test_the_panel_talks_to_the_server_the_session_recorded(tmp_path: Path) -> None:
    from papercoder_nb.llm import registry

    made: list[dict] = []

    def factory(model: str, **options: object) -> ScriptedBackend:
        made.append(options)
        backend = scripted()
        backend.spec = f"served:{model}"
        return backend

    registry.register("served", factory)
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON,
                             model="served:m", base_url="http://127.0.0.1:8080/v1")
    wb = Workbench(session.root)
    wb.model_box.set_spec("served:m")
    wb.run_button.click()
    assert wb.wait_idle(20)
    assert made and made[0].get("base_url") == "http://127.0.0.1:8080/v1"


def test_a_session_another_process_writes_is_read_only_in_the_panel(tmp_path: Path) -> None:
    """A `papercoder resume` holds the session: the panel refuses to run, naming it."""
    import subprocess

    wb = loaded(tmp_path)
    hold = ("import sys, time\nfrom papercoder_nb.session.writer_lock import session_writer\n"
            "with session_writer(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(wb.session.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        calls = len(wb.session.calls())
        assert wb.run() is False
        assert "busy" in wb.error.value and f"pid {proc.pid}" in wb.error.value and "read-only" in wb.error.value
        assert not wb.busy and len(wb.session.calls()) == calls
    finally:
        proc.kill()
        proc.wait()
    assert wb.run() is True  # the holder is gone: the panel writes again
    assert wb.wait_idle(60)
