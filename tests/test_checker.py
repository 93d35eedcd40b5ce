"""Static checker: cross-file imports and call signatures."""

import shutil
from pathlib import Path

from papercoder_nb.checks.checker import check_code

EXAMPLE = Path(__file__).resolve().parents[1] / "examples/neural-audio-style-transfer/session/code"


def _write(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_clean_example_has_no_findings():
    assert check_code(EXAMPLE) == []


def test_renamed_function_is_found_with_suggestion(tmp_path):
    _write(tmp_path, {"a.py": "def load_audio(path):\n    return path\n",
                      "b.py": "from a import load_audio_file\n"})
    [f] = check_code(tmp_path)
    assert (f.file, f.line) == ("b.py", 1)
    assert "load_audio_file" in f.problem and "load_audio" in f.expected


def test_wrong_arity_and_unknown_keyword(tmp_path):
    _write(tmp_path, {"a.py": "def f(x, y=1, *, z):\n    pass\nclass C:\n"
                              "    def __init__(self, n):\n        pass\n",
                      "b.py": "import a\nfrom a import f, C\nf(1, z=2)\nf(1, 2, 3, z=1)\n"
                              "f(1, w=2, z=1)\nC()\nC(1)\na.f(1)\nf(*[1], **{})\n"})
    lines = sorted((f.line, f.problem) for f in check_code(tmp_path))
    assert [ln for ln, _ in lines] == [4, 5, 6, 8]
    assert "at most 2 positional" in lines[0][1]
    assert "'w'" in lines[1][1]
    assert "missing argument(s) n" in lines[2][1]
    assert "missing argument(s) z" in lines[3][1]


def test_seeded_rename_in_example_copy(tmp_path):
    code = tmp_path / "code"
    shutil.copytree(EXAMPLE, code)
    audio = code / "audio.py"
    audio.write_text(audio.read_text().replace("def overlap_add(", "def overlap_sum("))
    [f] = check_code(code)
    assert (f.file, f.line) == ("network.py", 18)
    assert "'overlap_add'" in f.problem and "overlap_sum" in f.expected


def test_config_key_paths(tmp_path):
    from papercoder_nb.checks.config_keys import check_config_keys
    (tmp_path / "config.yaml").write_text("train:\n  lr: 0.1\n  epochs: 2\nseed: 0\n")
    _write(tmp_path, {"m.py": 'cfg["train"]["lr"]\ncfg.get("train", {}).get("epocs")\n'
                              'cfg["seed"]\ncfg["model"]["dim"]\n'})
    found = sorted((f.line, f.problem, f.expected)
                   for f in check_config_keys(tmp_path, tmp_path / "config.yaml"))
    assert [x[0] for x in found] == [2, 4]
    assert "'train.epocs'" in found[0][1] and "epochs" in found[0][2]
    assert "'model'" in found[1][1]


def test_unrequired_package(tmp_path):
    from papercoder_nb.checks.requirements_check import check_requirements
    _write(tmp_path, {"m.py": "import os\nimport numpy as np\nimport yaml\nimport torch\n"
                              "import helper\n", "helper.py": ""})
    [f] = check_requirements(tmp_path, ["numpy>=1.24", "PyYAML>=6"])
    assert (f.file, f.line) == ("m.py", 4) and "'torch'" in f.problem


def test_session_check_clean_example():
    from papercoder_nb.checks.check import check_session
    assert check_session(EXAMPLE.parent) == []


def test_session_check_follows_every_change_to_what_it_reads(tmp_path):
    """The last result is reused only while the code, config.yaml and logic.json are unchanged."""
    from papercoder_nb.checks.check import check_session
    code = tmp_path / "code"
    code.mkdir()
    _write(code, {"a.py": "def f(x):\n    return x\n", "b.py": "from a import f\nf(1)\n"})
    assert check_session(tmp_path) == [] and check_session(tmp_path) == []
    (code / "a.py").write_text("def f(x, y):\n    return x\n")  # a hand edit of the callee
    [f] = check_session(tmp_path)
    assert (f.file, f.line) == ("b.py", 2) and "missing argument(s) y" in f.problem
    (code / "a.py").write_text("def f(x):\n    return x\n")  # and back
    assert check_session(tmp_path) == []
    (code / "c.py").write_text("import torch\n")  # a new file, then the design's packages
    (tmp_path / "planning").mkdir()
    (tmp_path / "planning" / "logic.json").write_text('{"required_packages": ["numpy"]}')
    assert [f.file for f in check_session(tmp_path)] == ["c.py"]
    (tmp_path / "planning" / "logic.json").write_text('{"required_packages": ["torch"]}')
    assert check_session(tmp_path) == []


def test_cli_check(tmp_path, capsys):
    from papercoder_nb.cli import main
    session = tmp_path / "s"
    shutil.copytree(EXAMPLE.parent, session)
    assert main(["check", str(session)]) == 0
    audio = session / "code" / "audio.py"
    audio.write_text(audio.read_text().replace("def overlap_add(", "def overlap_sum("))
    assert main(["check", str(session)]) == 1
    assert "network.py:18:" in capsys.readouterr().out


def _example_session(tmp_path):
    """A copy of the example session; its code artifact ids by file name."""
    from papercoder_nb.session.store import Session
    root = tmp_path / "s"
    shutil.copytree(EXAMPLE.parent, root)
    session = Session.open(root)
    return session, {session.path(a).name: a for a in session.artifact_ids_on_disk()}


def test_hook_marks_code_record(tmp_path):
    from papercoder_nb.checks.hooks import findings_by_artifact, record_check_findings
    from papercoder_nb.session.store import Session
    session, ids = _example_session(tmp_path)
    root = session.root
    aid = ids["network.py"]
    text = session.read(aid).replace("overlap_add", "overlap_addd")
    session.write(aid, text, by="model", warnings=["check: an old-style finding", "kept"])
    found = record_check_findings(session, aid)
    assert found and "overlap_addd" in found[0]
    rec = Session.open(root).record(aid)
    assert rec.check_findings == found and rec.warnings == ["kept"]
    assert list(findings_by_artifact(session)) == [aid]
    session.write(aid, text.replace("overlap_addd", "overlap_add"), by="model")
    assert record_check_findings(session, aid) == []
    assert Session.open(root).record(aid).check_findings == []


def test_a_callee_change_marks_the_caller(tmp_path):
    """Renaming in audio.py breaks network.py: the caller's record fails its checks."""
    from papercoder_nb.checks.hooks import record_check_findings
    from papercoder_nb.session.store import Session
    session, ids = _example_session(tmp_path)
    root = session.root
    audio = ids["audio.py"]
    session.write(audio, session.read(audio).replace("def overlap_add(", "def overlap_sum("),
                  by="model")
    assert record_check_findings(session, audio) == []  # audio.py itself is fine
    caller = Session.open(root).record(ids["network.py"]).check_findings
    assert len(caller) == 1 and "network.py:18:" in caller[0]


def test_unread_config_values_are_listed(tmp_path):
    from papercoder_nb.checks.config_keys import unread_config_keys
    (tmp_path / "config.yaml").write_text(
        "train:\n  lr: 0.1\n  epochs: 2\n  warmup: 5\nmodel:\n  dim: 8\n  depth: 2\n"
        "optim:\n  beta1: 0.9\nseed: 0\n")
    _write(tmp_path, {"m.py": 'cfg = load()\nlr = cfg["train"]["lr"]\nn = cfg.train.epochs\n'
                              'for k, v in cfg["optim"].items():\n    pass\n'})
    assert unread_config_keys(tmp_path, tmp_path / "config.yaml") == [
        "train.warmup", "model.dim", "model.depth", "seed"]
    # a group splatted into a call of a repository class: its parameters read the values
    (tmp_path / "n.py").write_text("class Net:\n    def __init__(self, dim, depth=1):\n"
                                   "        pass\nnet = Net(**cfg['model'])\n")
    assert unread_config_keys(tmp_path, tmp_path / "config.yaml") == ["train.warmup", "seed"]


def test_cli_check_lists_unread_config(tmp_path, capsys):
    import json

    from papercoder_nb.cli import main
    session = tmp_path / "s"
    shutil.copytree(EXAMPLE.parent, session)
    config = session / "planning" / "config.yaml"
    config.write_text(config.read_text() + "unused_knob: 3\n")
    assert main(["check", str(session)]) == 0  # a note, not a failure
    assert "no code reads (1): unused_knob" in capsys.readouterr().out
    assert main(["check", "--json", str(session)]) == 0
    assert json.loads(capsys.readouterr().out)["unread_config"] == ["unused_knob"]


def test_entry_point_and_smoke_args(tmp_path):
    from papercoder_nb.checks.entry_check import check_entry
    _write(tmp_path, {"main.py": "import argparse\np = argparse.ArgumentParser()\n"
                                 "p.add_argument('--smoke', action='store_true')\n"
                                 "p.add_argument('--epochs', type=int)\n"})
    assert check_entry(tmp_path, "main.py", ["--smoke", "--epo", "1"]) == []
    [f] = check_entry(tmp_path, "main.py", ["--smok-test"])
    assert "'--smok-test'" in f.problem
    [g] = check_entry(tmp_path, "mian.py", [])
    assert "does not exist" in g.problem and "main.py" in g.expected


def test_coding_call_marks_failing_file_in_status_and_export(tmp_path, capsys):
    """The runner checks after a coding call; status, the record and the export say so."""
    import json
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import TRANSFORMER_JSON, scripted

    from papercoder_nb import Runner, Session, load_paper
    from papercoder_nb.cli import main
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    backend = scripted()
    assert Runner(session, backend, auto_approve=True).run().ok
    assert all(not r.check_findings for r in session.state.artifacts.values())
    backend.enqueue("```python\nfrom utils import runn\n\n\ndef run():\n    return runn()\n```")
    events = []
    Runner(session, backend, on_event=events.append).generate("code:model.py")
    [finding] = Session.open(session.root).record("code:model.py").check_findings
    assert finding.startswith("model.py:1:") and "did you mean 'run'?" in finding
    assert any("fails 1 static check" in e.text for e in events if e.kind == "info")
    assert main(["status", "--json", str(session.root)]) == 0
    rows = {r["artifact"]: r for r in json.loads(capsys.readouterr().out)["artifacts"]}
    assert rows["code:model.py"]["check_findings"] == [finding]
    assert rows["code:utils.py"]["check_findings"] == []
    assert main(["export", str(session.root), "--repo", str(tmp_path / "repo")]) == 0
    readme = (tmp_path / "repo" / "README.md").read_text()
    assert "## Static check" in readme and "in 1 file(s) (`model.py`)" in readme
    assert "static check: findings in model.py" in capsys.readouterr().err
    # regenerating the failing file tells the model what the checker found
    backend.enqueue("```python\nfrom utils import run as base\n\n\ndef run():\n    return base()\n```")
    Runner(session, backend).generate("code:model.py")
    task = backend.requests[-1].messages[-1].text.split("# Your task", 1)[1]
    assert "static checker found these problems in the current model.py" in task
    assert f"- {finding}" in task
    assert Session.open(session.root).record("code:model.py").check_findings == []
