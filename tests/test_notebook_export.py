"""Notebook export: nbformat v4.5, stable ids, and it rebuilds and runs the repo under nbclient."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from export_helpers import MAIN_PY, make_bundle
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from papercoder_nb.export import build_notebook, write_notebook, write_repo


def _ids(nb) -> list[str]:
    return [c["id"] for c in nb.cells]


def test_structure_and_stable_ids() -> None:
    nb = build_notebook(make_bundle(), repo_dir="repo")
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    ids = _ids(nb)
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)
    assert ids[:4] == ["title", "plan", "files-overview", "setup"]
    # per file, in task order: explanation then code
    file_ids = [i for i in ids if i.startswith("file-")]
    assert file_ids == [
        "file-data-py-md",
        "file-data-py-code",
        "file-models-init-py-md",
        "file-models-init-py-code",
        "file-models-linear-py-md",
        "file-models-linear-py-code",
        "file-main-py-md",
        "file-main-py-code",
    ]
    assert ids[-2:] == ["smoke-md", "smoke-run"]
    assert _ids(build_notebook(make_bundle(), repo_dir="repo")) == ids  # stable

    cells = {c["id"]: c for c in nb.cells}
    assert cells["file-main-py-code"].source == "%%writefile repo/main.py\n" + MAIN_PY
    md = cells["file-models-linear-py-md"].source
    assert "`eq-1`" in md and "`sec-2.1`" in md and "Implements Eq. (1)" in md
    assert "**Uses:**" in cells["file-main-py-md"].source
    assert "```" not in cells["file-data-py-md"].source  # analysis condensed: code dropped
    assert cells["config-code"].source.startswith("%%writefile repo/config.yaml\nlr: 0.5")
    assert "--steps" in cells["smoke-run"].source
    assert "https://arxiv.org/abs/0000.00000" in cells["title"].source


def test_colliding_paths_still_get_unique_ids() -> None:
    bundle = make_bundle()
    bundle.files.append(type(bundle.files[0])("data_py", "x = 1\n"))
    ids = _ids(build_notebook(bundle))
    assert len(set(ids)) == len(ids)
    assert any(i.startswith("file-data-py-code-") for i in ids)


def test_odd_paths_are_written_without_magics(tmp_path: Path) -> None:
    # IPython expands {expr} and $name in a magic's line: a crafted path must not run code.
    bundle = make_bundle(entry_point=None)
    odd = "x{__import__('os').mkdir('pwned')}.py"
    bundle.files = [
        type(bundle.files[0])(odd, "A = 1\n"),
        type(bundle.files[0])("with space.py", "B = 2\n"),
    ]
    nb = build_notebook(bundle, repo_dir="toy")
    assert not any(
        c.source.startswith("%%writefile") and "{" in c.source.splitlines()[0] for c in nb.cells
    )
    _execute(nb, tmp_path)
    assert not (tmp_path / "pwned").exists()
    assert (tmp_path / "toy" / odd).read_text() == "A = 1\n"
    assert (tmp_path / "toy" / "with space.py").read_text() == "B = 2\n"


def test_safety_flags_shown_before_the_run_cell() -> None:
    bundle = make_bundle()
    bundle.files.append(type(bundle.files[0])("net.py", "import socket\n"))
    nb = build_notebook(bundle)
    smoke_md = next(c for c in nb.cells if c["id"] == "smoke-md").source
    assert "`net.py:1` [network] imports socket" in smoke_md


def test_write_notebook_validates_and_writes(tmp_path: Path) -> None:
    path = write_notebook(make_bundle(), tmp_path / "out" / "toy.ipynb")
    data = json.loads(path.read_text())
    assert data["nbformat"] == 4 and data["metadata"]["kernelspec"]["name"] == "python3"
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def _execute(nb, cwd: Path) -> None:
    # "python3" resolves to the ipykernel of the interpreter running the tests (the venv's
    # own kernelspec, or ipykernel's built-in one): nothing is registered globally.
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()


def test_notebook_executes_and_rebuilds_the_repository(tmp_path: Path) -> None:
    bundle = make_bundle()
    nb = build_notebook(bundle, repo_dir="toy")
    _execute(nb, tmp_path)

    # the notebook wrote the same files the repository export writes
    exported = tmp_path / "exported"
    write_repo(bundle, exported)
    for entry in bundle.files:
        assert (tmp_path / "toy" / entry.path).read_bytes() == (exported / entry.path).read_bytes()
    assert (tmp_path / "toy" / "config.yaml").read_text() == bundle.config_yaml
    assert (tmp_path / "toy" / "requirements.txt").read_bytes() == (
        exported / "requirements.txt"
    ).read_bytes()

    run = next(c for c in nb.cells if c["id"] == "smoke-run")
    text = "".join(o.get("text", "") for o in run.outputs)
    assert "steps=3" in text and "smoke run finished: exit code 0" in text
    assert re.search(r"w=\d\.\d{3} b=\d\.\d{3}", text)


def test_failing_smoke_run_fails_the_notebook(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle.files[-1].code = MAIN_PY.replace("def main():", "def main():\n    1 / 0")
    nb = build_notebook(bundle, repo_dir="toy")
    with pytest.raises(CellExecutionError, match="smoke run failed"):
        _execute(nb, tmp_path)
