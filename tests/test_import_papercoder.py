"""Importing PaperCoder output folders: the real rendered run and the raw [CONTENT] JSON form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_helpers import PAPERCODER_RUN, judgement

from papercoder_nb import Session
from papercoder_nb.cli import main
from papercoder_nb.evaluate import evaluate_session
from papercoder_nb.evaluate.papercoder_import import (
    ImportError_,
    import_losses,
    import_papercoder,
    read_design,
    reflow_mermaid,
)
from papercoder_nb.evaluate.papercoder_text import numbered_items
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.artifacts import Architecture, Logic, parse_config
from papercoder_nb.session.graph import statuses, task_files

TASKS = ["config.py", "utils.py", "data_processing.py", "model.py", "train.py", "evaluate.py", "main.py"]


def test_importing_the_real_papercoder_run(tmp_path: Path) -> None:
    report = import_papercoder(PAPERCODER_RUN, tmp_path / "s")
    session = Session.open(tmp_path / "s")
    assert session.paper.title.startswith("Attention Is All You Need")  # found beside the output
    assert "Transformer_cleaned.json" in report.paper
    assert task_files(session) == TASKS
    st = statuses(session)
    for aid in ("plan", "architecture", "logic", "config", *(f"analysis:{f}" for f in TASKS)):
        assert st[aid] == "generated", aid
        assert session.record(aid).by == "import"
    # no code files in this run: they come in as missing
    assert report.missing == [f"code:{f}" for f in TASKS]
    assert all(st[f"code:{f}"] == "missing" for f in TASKS)
    arch = Architecture.model_validate_json(session.read("architecture"))
    assert set(arch.file_list) == set(TASKS)
    assert arch.implementation_approach.startswith("We will implement the Transformer")
    assert "\n  class Config {\n    +int d_model" in arch.data_structures_and_interfaces  # reflowed
    assert "\n  Main->>Cfg: config = Config('base')\n" in arch.program_call_flow
    assert len(arch.unclear) == 4 and arch.unclear[0].startswith("The exact format of WMT14")
    logic = Logic.model_validate_json(session.read("logic"))
    assert logic.required_packages[0] == "torch>=1.7.0" and len(logic.required_packages) == 8
    assert logic.entry_point == "main.py"
    deps = logic.dependencies()
    assert deps["config.py"] == [] and "train.py" in deps["main.py"] and "model.py" in deps["train.py"]
    assert logic.shared_knowledge.startswith("Several components")
    # nothing is cut: the whole class diagram, every file's whole logic analysis, every other section
    assert len(arch.data_structures_and_interfaces) == 4411
    assert "TransformerModel --> MultiHeadAttention" in arch.data_structures_and_interfaces
    model = logic.file_logic("model.py").purpose
    assert len(model) == 1755 and model.endswith("- utils (for mask creation)")
    assert logic.other_sections == {"required other language third-party packages":
                                    ["No third-party dependencies required"]}
    assert "kept 1183 of 1183 content lines of the run (nothing lost)" in report.notes
    losses = import_losses(PAPERCODER_RUN, session)
    assert losses.total == losses.kept == 1183 and losses.lost == []
    assert session.read("config").lstrip().startswith("## config.yaml")
    assert "Positional Encoding" in session.read("analysis:model.py")
    assert any("imported from PaperCoder output" in n for n in session.state.notes)


def test_an_imported_session_records_input_hashes_so_edits_stale_dependants(tmp_path: Path) -> None:
    import_papercoder(PAPERCODER_RUN, tmp_path / "s", approve=True)
    session = Session.open(tmp_path / "s")
    assert all(session.record(a).input_hash for a in ("plan", "architecture", "logic", "config", "analysis:model.py"))
    assert statuses(session)["analysis:model.py"] == "approved"
    cfg = session.path("config")
    cfg.write_text(cfg.read_text().replace("warmup_steps: 4000", "warmup_steps: 8000"))
    st = statuses(session)
    assert st["config"] == "edited" and st["plan"] == st["logic"] == "approved"
    assert all(st[f"analysis:{f}"] == "stale" for f in TASKS)
    # a lost line is found and named
    session.path("analysis:model.py").write_text("rewritten by hand\n")
    losses = import_losses(PAPERCODER_RUN, session)
    assert losses.lost[0] == "planning_artifacts/1.4_config.yaml:33"  # the edited warmup line
    assert losses.lost[1:] and all(x.startswith("analyzing_artifacts/model.py") for x in losses.lost[1:])


def write_raw_run(root: Path, *, with_repo: bool = True) -> Path:
    """A PaperCoder output in its raw form: JSON in [CONTENT] tags with comments and trailing commas."""
    out = root / "MyPaper"
    (out / "planning_artifacts").mkdir(parents=True)
    (out / "analyzing_artifacts").mkdir()
    (out / "coding_artifacts").mkdir()
    (out / "planning_artifacts" / "1.1_overall_plan.txt").write_text("# Reproduction Plan for \"My Paper\"\n\nDo it.\n")
    (out / "planning_artifacts" / "1.2_arch_design.txt").write_text("""[CONTENT]
{
    "Implementation approach": "%s",
    "File list": ["main.py", "model.py", "../evil.py", "README.md",],  // the model listed extras
    "Data structures and interfaces": "classDiagram\\n  class Model",
    "Program call flow": "sequenceDiagram\\n  main->>Model: fit()",
    "Anything UNCLEAR": "Nothing.",
}
[/CONTENT]""" % ("x" * 5000))
    (out / "planning_artifacts" / "1.3_logic_design.txt").write_text("""Here it is:
[CONTENT]
{
    "Required packages": ["numpy==1.26",],
    "Required Other language third-party packages": ["No third-party dependencies required"],
    "Logic Analysis": [
        ["model.py", "The model. Imports: numpy"],
        ["main.py", "Entry point. Imports:\\n- model (Model)"],
    ],
    "Task list": ["model.py", "main.py"],
    "Full API spec": "",
    "Shared Knowledge": "none", /* block comment */
    "Anything UNCLEAR": ["Which seed?", "Which data?"],
}
[/CONTENT]""")
    (out / "planning_artifacts" / "1.4_config.yaml").write_text("```yaml\nseed: 1\n```\n")
    (out / "analyzing_artifacts" / "model.py_simple_analysis.txt").write_text("Model analysis.\n")
    (out / "coding_artifacts" / "main.py_coding.txt").write_text(
        "Sure:\n```python\nimport model\n\nprint(model.Model())\n```\n")
    if with_repo:
        (root / "MyPaper_repo").mkdir()
        (root / "MyPaper_repo" / "model.py").write_text("class Model:\n    pass\n")
    return out


def test_importing_the_raw_json_form_with_code(tmp_path: Path) -> None:
    out = write_raw_run(tmp_path)
    paper = tmp_path / "paper.md"
    paper.write_text("# My Paper\n\n## Method\nA model.\n")
    report = import_papercoder(out, tmp_path / "s", paper=paper, approve=True)
    session = Session.open(tmp_path / "s")
    assert session.paper.title == "My Paper"
    arch = Architecture.model_validate_json(session.read("architecture"))
    assert arch.file_list == ["main.py", "model.py"]
    assert len(arch.implementation_approach) == 5000  # nothing cut
    notes = " ".join(report.notes)
    assert "'../evil.py'" in notes and "'README.md'" in notes
    # not used as repository files, but kept as written; so is the model's comment
    assert arch.other_sections == {"file list: not Python modules": ["../evil.py", "README.md"],
                                   "comments in the design": ["// the model listed extras"]}
    logic = Logic.model_validate_json(session.read("logic"))
    assert logic.other_sections["text around the design"] == "Here it is:"
    assert logic.other_sections["comments in the design"] == ["/* block comment */"]
    losses = import_losses(out, session)
    assert losses.lost == [] and losses.total == losses.kept == 29
    assert logic.task_list == ["model.py", "main.py"] and logic.required_packages == ["numpy==1.26"]
    assert logic.dependencies() == {"model.py": [], "main.py": ["model.py"]}
    assert logic.unclear == ["Which seed?", "Which data?"]
    assert session.read("config") == "seed: 1\n"
    # code from the sibling _repo folder and from coding_artifacts/
    assert session.read("code:model.py") == "class Model:\n    pass\n"
    assert session.read("code:main.py").startswith("import model\n")
    assert report.missing == ["analysis:main.py"]
    st = statuses(session)
    assert st["plan"] == "approved" and st["code:model.py"] == "approved" and st["analysis:main.py"] == "missing"
    assert st["code:main.py"] == "stale"  # what it was written from (its analysis) is missing
    # an imported session can be judged like any other
    result = evaluate_session(session, ScriptedBackend("j", answers=[judgement(3)]), check_imports=False)
    assert result.score == 3.0 and set(result.code.full) == {"model.py", "main.py"}
    assert result.static.n_files == 2 and result.static.missing_files == []


def test_design_readers_and_mermaid_reflow() -> None:
    rendered = "[Task list]\n- a.py\n- b.py\n\n----------------------------------------\n[Shared Knowledge]\ntext\n"
    assert read_design(rendered) == {"task list": ["a.py", "b.py"], "shared knowledge": "text"}
    with pytest.raises(ImportError_):
        read_design("just prose")
    flat = "classDiagramclass A {+int x+run() -> None}class B {+A a}B --> A"
    assert reflow_mermaid(flat) == "classDiagram\n  class A {\n    +int x\n    +run() -> None\n  }\n  class B {\n    +A a\n  }\n  B --> A"
    assert reflow_mermaid("classDiagram\n  class A") == "classDiagram\n  class A"  # already fine


def test_bad_folders_and_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ImportError_, match="not a PaperCoder output folder"):
        import_papercoder(tmp_path, tmp_path / "s")
    assert not (tmp_path / "s").exists()
    assert main(["import-papercoder", str(tmp_path / "nothing"), "--out", str(tmp_path / "s2")]) == 1
    assert "not a PaperCoder output folder" in capsys.readouterr().err
    out = write_raw_run(tmp_path / "run", with_repo=False)
    code = main(["import-papercoder", str(out), "--out", str(tmp_path / "s3")])
    outp = capsys.readouterr()
    assert code == 0, outp.err
    assert "missing (generate them with `papercoder resume" in outp.out and "code:model.py" in outp.out
    assert "paper: not found; a placeholder was used" in outp.err
    session = Session.open(tmp_path / "s3")
    assert session.paper.meta.source_type == "papercoder-import" and session.paper.title == "My Paper"
    result = evaluate_session(session, ScriptedBackend("j", answers=[judgement(2)]), check_imports=False)
    assert any("holds no paper" in n for n in result.notes) and result.code.full == ["main.py"]
    data = json.loads((tmp_path / "s3" / "session.json").read_text())
    assert data["artifacts"]["plan"]["by"] == "import"
    # importing into an existing session is refused
    assert main(["import-papercoder", str(out), "--out", str(tmp_path / "s3")]) == 1


def write_rendered_run(root: Path) -> Path:
    """A PaperCoder output in the rendered form, saying things the sections alone do not hold:
    a sentence before the first heading, a heading written twice, a file analysed twice, a
    number ending a sentence inside a numbered item, and a config answer with prose around
    its fenced YAML."""
    out = root / "Tiny"
    (out / "planning_artifacts").mkdir(parents=True)
    (out / "analyzing_artifacts").mkdir()
    sep = "-" * 40
    (out / "planning_artifacts" / "1.1_overall_plan.txt").write_text(
        '# Reproduction Plan for "Tiny"\n\nTrain it with\nseed: 1\n')
    (out / "planning_artifacts" / "1.2_arch_design.txt").write_text(
        f"Here is the design, as asked.\n{sep}\n[Implementation approach]\nA tiny model.\n\n"
        f"{sep}\n[File list]\n- model.py\n- main.py\n\n"
        f"{sep}\n[Data structures and interfaces]\nclassDiagram\n  class Model\n\n"
        f"{sep}\n[Program call flow]\nsequenceDiagram\n  main->>Model: fit()\n\n"
        f"{sep}\n[Anything UNCLEAR]\n1. Which seed? 2. The paper trains on 8. Then it stops. 3. Which data?\n")
    (out / "planning_artifacts" / "1.3_logic_design.txt").write_text(
        f"{sep}\n[Required packages]\n- numpy==1.26\n\n"
        f"{sep}\n[Logic Analysis]\n- ['model.py', 'The model.']\n- ['main.py', 'Entry point. Imports: model']\n"
        f"- ['model.py', 'Also: a save() method.']\n\n"
        f"{sep}\n[Task list]\n- model.py\n- main.py\n\n"
        f"{sep}\n[Shared Knowledge]\nSeeds are shared.\n\n"
        f"{sep}\n[Shared Knowledge]\nPaths are relative to the repository.\n")
    (out / "planning_artifacts" / "1.4_config.yaml").write_text(
        "## config.yaml\n```yaml\nseed: 1  # from the paper\nlr: 0.1\n```\nSet `seed` as the paper says.\n")
    for f in ("model.py", "main.py"):
        (out / "analyzing_artifacts" / f"{f}_simple_analysis.txt").write_text(f"Analysis of {f}.\n")
    return out


def test_importing_keeps_what_the_sections_alone_do_not_hold(tmp_path: Path) -> None:
    out = write_rendered_run(tmp_path)
    report = import_papercoder(out, tmp_path / "s")
    session = Session.open(tmp_path / "s")
    losses = import_losses(out, session)
    assert losses.lost == [] and losses.total == losses.kept == 26
    assert "kept 26 of 26 content lines of the run (nothing lost)" in report.notes
    arch = Architecture.model_validate_json(session.read("architecture"))
    assert arch.other_sections == {"text before the first heading": "Here is the design, as asked."}
    # "8." ends a sentence: only 1., 2., 3. are the list's markers
    assert arch.unclear == ["Which seed?", "The paper trains on 8. Then it stops.", "Which data?"]
    logic = Logic.model_validate_json(session.read("logic"))
    assert logic.file_logic("model.py").purpose == "The model.\n\nAlso: a save() method."
    assert logic.shared_knowledge == "Seeds are shared."
    assert logic.other_sections == {"shared knowledge (2)": "Paths are relative to the repository."}
    # the YAML as YAML, the rest of the answer as comments where it stood
    config = session.read("config")
    assert config == "# ## config.yaml\nseed: 1  # from the paper\nlr: 0.1\n# Set `seed` as the paper says.\n"
    assert parse_config(config) == {"seed": 1, "lr": 0.1}


def test_a_lost_line_is_found_even_where_another_artifact_or_line_says_the_same(tmp_path: Path) -> None:
    out = write_rendered_run(tmp_path)
    (out / "analyzing_artifacts" / "extra.py_simple_analysis.txt").write_text("A file no task lists.\n")
    report = import_papercoder(out, tmp_path / "s")
    session = Session.open(tmp_path / "s")
    assert any("not imported" in n and "extra.py_simple_analysis.txt" in n for n in report.notes)
    assert import_losses(out, session).lost == ["analyzing_artifacts/extra.py_simple_analysis.txt:1"]
    # "seed: 1" is in the plan too: a config without it has still lost it
    session.path("config").write_text("lr: 0.1\n")
    assert "planning_artifacts/1.4_config.yaml:3" in import_losses(out, session).lost
    # an analysis that says a line twice keeps it twice
    (out / "analyzing_artifacts" / "main.py_simple_analysis.txt").write_text("Same.\nSame.\n")
    session.path("analysis:main.py").write_text("Same.\n")
    assert import_losses(out, session).lost[-1] == "analyzing_artifacts/main.py_simple_analysis.txt:2"


def test_numbered_items_split_only_at_the_next_number() -> None:
    assert numbered_items("1. a 2. b on 8. GPUs 3. c") == ["a", "b on 8. GPUs", "c"]
    assert numbered_items("Before: 1. a\n2. b") == ["Before:", "a", "b"]
    assert numbered_items("4. d 5. e", first=4) == ["d", "e"]
    assert numbered_items("no list here") == ["no list here"]
