"""The wheel carries the widgets and the prompts, and the engine needs no ipywidgets."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# One worker builds the wheel: setuptools builds in the source tree's build/, and two
# builds at once there collide ("File exists: build/bdist…/dist-info").
pytestmark = pytest.mark.xdist_group("packaging")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (whl,) = out.glob("papercoder_nb-*.whl")
    return whl


def test_wheel_contains_widgets_and_prompts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "papercoder_nb/widgets/__init__.py" in names
    assert "papercoder_nb/widgets/steps/registry.py" in names  # a subpackage: listed in pyproject
    prompts = {n for n in names if n.startswith("papercoder_nb/prompts/") and n.endswith(".md")}
    shipped = {f"papercoder_nb/prompts/{p.name}" for p in (ROOT / "prompts").glob("*.md")}
    assert shipped and shipped <= prompts
    assert any(n.endswith("entry_points.txt") for n in names)


def test_every_room_is_in_the_packages_list() -> None:
    """pyproject names each package; setuptools still packs one left out, with a warning that
    it soon will not."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "papercoder_nb").rglob("__init__.py")}
    assert not found - listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_wheel_ships_the_built_editor_bundle_not_its_npm_sources(wheel: Path) -> None:
    whl = zipfile.ZipFile(wheel)
    names = set(whl.namelist())
    folder = "papercoder_nb/widgets/code_editor/"
    for built in ("__init__.py", "editor.js", "editor.css"):
        assert folder + built in names, sorted(n for n in names if n.startswith(folder))
        assert whl.read(folder + built) == (ROOT / "widgets" / "code_editor" / built).read_bytes()
    assert not any(n.startswith(folder) and ("node_modules" in n or "/src/" in n or n.endswith(".json"))
                   for n in names)


def test_wheel_installs_and_reads_prompts_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True)
    deps = sysconfig.get_paths()["purelib"]  # this venv's dependencies, without its editable finder
    code = (
        "import papercoder_nb, papercoder_nb.prompts, importlib.resources as r, sys;"
        "assert 'site' in papercoder_nb.__file__, papercoder_nb.__file__;"
        "print(r.files('papercoder_nb.prompts').joinpath('plan.md').read_text()[:30]);"
        "print('ipywidgets' in sys.modules);"
        "import importlib.util as u; assert 'site' in u.find_spec('papercoder_nb.widgets').origin"
    )
    env = {"PYTHONPATH": f"{target}:{deps}", "PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"}
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "reproduction plan" in r.stdout
    (console,) = [ln for ln in r.stdout.splitlines() if ln in ("True", "False")]
    assert console == "False"  # importing the engine never imports ipywidgets


def test_engine_runs_without_ipywidgets(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['ipywidgets'] = None;"  # any import of it would raise
        "import papercoder_nb, papercoder_nb.cli, papercoder_nb.run.runner, papercoder_nb.session.graph;"
        "print('ok')"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
