"""The bundled example session: hand-written and honest about it, reproducible from its
sources, its repository passes the smoke run, and its exported notebook executes."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

from papercoder_nb.export import write_notebook, write_repo
from papercoder_nb.export.session_export import bundle_from_session
from papercoder_nb.session.artifacts import Architecture, Logic, parse_config
from papercoder_nb.session.graph import statuses
from papercoder_nb.session.store import Session
from papercoder_nb.verify.repair import smoke_session

EXAMPLE = ROOT / "examples" / "neural-audio-style-transfer"
SESSION = EXAMPLE / "session"


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def session(tmp_path: Path) -> Session:
    """A copy: tests never touch the shipped session."""
    shutil.copytree(SESSION, tmp_path / "session")
    return Session.open(tmp_path / "session")


def test_the_session_says_plainly_that_it_was_written_by_hand() -> None:
    data = json.loads((SESSION / "session.json").read_text())
    assert data["model"] == "hand-written"
    assert any("written by hand" in n and "not" in n and "model" in n for n in data["notes"])
    assert data["artifacts"] and all(r["by"] == "user" for r in data["artifacts"].values())
    assert all(r["calls"] == 0 for r in data["artifacts"].values())
    assert not (SESSION / "calls.jsonl").exists()
    readme = (EXAMPLE / "README.md").read_text()
    assert "**Every artifact in `session/` was written by hand**" in readme
    assert "None of it was produced by a model" in readme


def test_every_artifact_is_valid_and_approved(session: Session) -> None:
    Architecture.model_validate_json(session.read("architecture"))
    logic = Logic.model_validate_json(session.read("logic"))
    assert logic.ordered_files() == ["audio.py", "network.py", "losses.py", "stylize.py", "main.py"]
    assert logic.entry_point == "main.py" and logic.smoke_args == ["--smoke"]
    assert {"audio", "network", "optimization", "smoke"} <= set(parse_config(session.read("config")))
    st = statuses(session)
    assert len(st) == 4 + 2 * 5 and set(st.values()) == {"approved"}
    assert session.paper.title == "Time Domain Neural Audio Style Transfer"


def test_the_build_script_reproduces_the_shipped_session(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_example_session", ROOT / "examples" / "build_example_session.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path / "rebuilt")
    assert _tree(tmp_path / "rebuilt") == _tree(SESSION)
    # A rebuild from an edited copy keeps the edit and starts history afresh.
    copy = tmp_path / "copy"
    shutil.copytree(SESSION, copy)
    (copy / "code" / "main.py").write_text((copy / "code" / "main.py").read_text() + "# edited\n")
    module.build(copy, source=copy)
    assert (copy / "code" / "main.py").read_text().endswith("# edited\n")
    assert len(list((copy / "history" / "code_main.py").iterdir())) == 1


def test_the_exported_repository_passes_its_smoke_run(session: Session, tmp_path: Path) -> None:
    bundle = bundle_from_session(session)
    report = write_repo(bundle, tmp_path / "repo")
    assert not report.messages  # requirements agree with the imports, nothing to warn about
    reqs = (tmp_path / "repo" / "requirements.txt").read_text().splitlines()
    assert [r for r in reqs if r and not r.startswith("#")] == ["numpy>=1.24", "PyYAML>=6"]
    assert "- written by hand (no model): plan, " in (tmp_path / "repo" / "README.md").read_text()

    result = smoke_session(session, timeout_s=120)
    assert result.ok, result.summary() + "\n" + result.stderr_tail
    assert result.network_isolated and result.safety_flags == []
    assert [f.path for f in result.files if f.compiled and f.imported] == [
        "audio.py", "losses.py", "main.py", "network.py", "stylize.py"
    ]
    loss_line = next(line for line in result.stdout_tail.splitlines() if line.startswith("loss "))
    first, last = (float(v) for v in loss_line.split()[1:4:2])
    assert last < 0.8 * first  # the optimisation genuinely makes progress
    assert Session.open(session.root).state.smoke["ok"] is True


def test_the_gradients_are_exact(session: Session, tmp_path: Path) -> None:
    """The hand-written backward pass matches finite differences (run in a subprocess)."""
    write_repo(bundle_from_session(session), tmp_path / "repo")
    check = """
import numpy as np
from audio import synth_content, synth_style
from network import TimeDomainNetwork
from stylize import compute_targets, loss_and_grad
net = TimeDomainNetwork(64, 16, 3, 8, seed=0)
content, style = synth_content(2000, 0.1), synth_style(2000, 0.1)
targets = compute_targets(net, content, style)
x = 0.1 * np.random.default_rng(0).standard_normal(len(content))
_, _, grad = loss_and_grad(net, x, targets, 0.01)
worst = 0.0
for i in (3, 40, 77, 150, 190):
    e = np.zeros_like(x); e[i] = 1e-5
    num = (loss_and_grad(net, x + e, targets, 0.01)[0] - loss_and_grad(net, x - e, targets, 0.01)[0]) / 2e-5
    worst = max(worst, abs(num - grad[i]) / max(abs(num), 1e-9))
print(worst)
"""
    out = subprocess.run([sys.executable, "-c", check], cwd=tmp_path / "repo", capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) < 1e-6


def test_the_exported_notebook_executes_end_to_end(session: Session, tmp_path: Path) -> None:
    bundle = bundle_from_session(session)
    path = write_notebook(bundle, tmp_path / "nb" / "example.ipynb", repo_dir="repo")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path / "nb")}}
    ).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "smoke run finished: exit code 0" in last and "Adam steps" in last
    # The notebook rebuilt the repository: the same code as the session, and the result.
    for f in ("audio.py", "network.py", "losses.py", "stylize.py", "main.py"):
        assert (tmp_path / "nb" / "repo" / f).read_text() == session.read(f"code:{f}")
    assert (tmp_path / "nb" / "repo" / "output" / "stylized.wav").stat().st_size > 1000
