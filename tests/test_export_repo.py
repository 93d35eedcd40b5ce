"""Repository export: layout, requirements check, README, re-export safety, zip."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from export_helpers import MAIN_PY, make_bundle

from papercoder_nb.export import ExportConflict, ExportError, FileEntry, write_repo
from papercoder_nb.export.repo import MANIFEST, sha256
from papercoder_nb.export.requirements import check_requirements, render_requirements


def test_writes_the_repository(tmp_path: Path) -> None:
    dest = tmp_path / "repo"
    report = write_repo(make_bundle(), dest)

    assert (dest / "main.py").read_text() == MAIN_PY
    assert (dest / "models" / "linear.py").is_file()
    assert (dest / "models" / "__init__.py").read_text() == ""
    assert (dest / "config.yaml").read_text().startswith("lr: 0.5")
    assert sorted(report.written) == sorted(
        [
            "data.py",
            "models/__init__.py",
            "models/linear.py",
            "main.py",
            "requirements.txt",
            "README.md",
            "reproduce.sh",
            "config.yaml",
        ]
    )
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["files"]["main.py"] == sha256(MAIN_PY.encode())
    assert report.user_files == []


def test_requirements_checked_against_imports(tmp_path: Path) -> None:
    report = write_repo(make_bundle(), tmp_path / "r")
    req = report.requirements
    # "pyyaml" is listed and `import yaml` is used; numpy is listed and never imported;
    # argparse is standard library; data/models are local modules, never requirements.
    assert req.missing == []
    assert req.unused == ["numpy"]
    assert req.dropped == ["argparse"]
    assert req.renamed == []  # pyyaml and PyYAML are the same distribution
    lines = (tmp_path / "r" / "requirements.txt").read_text().splitlines()
    assert "pyyaml" in lines and "numpy>=1.20" in lines
    assert not any(line.startswith(("argparse", "data", "models")) for line in lines)
    assert any("never imported" in m and "numpy" in m for m in report.messages)


def test_imported_but_unlisted_package_is_added_and_reported() -> None:
    files = {
        "train.py": "import pandas as pd\nfrom sklearn.metrics import f1_score\nimport cv2\n"
        "import utils.io\nfrom . import sibling\nimport json, os.path\n"
        "try:\n    import wandb\nexcept ImportError:\n    wandb = None\n",
        "utils/io.py": "import torch.nn as nn\n",
        "broken.py": "import scipy\ndef f(:\n",
    }
    report = check_requirements(["torch==2.1", "opencv-python-headless", "PIL"], files)
    assert report.missing == ["pandas", "scikit-learn", "scipy"]
    assert report.optional == ["wandb"]
    assert report.unused == ["Pillow"]  # "PIL" listed: renamed, and nothing imports it
    assert report.imported_by["scipy"] == ["broken.py"]  # found by the fallback pattern
    text = render_requirements(report)
    assert "torch==2.1\n" in text
    assert "pandas  # added: imported by train.py" in text
    assert "# wandb  # optional" in text
    assert "utils" not in text and "json" not in text


@pytest.mark.parametrize(
    "bad",
    [
        "../evil.py",
        "/tmp/evil.py",
        "a/../../evil.py",
        "C:/evil.py",
        "~/evil.py",
        "a\\..\\evil.py",
        ".papercoder-export.json",
        ".git/hooks/post-checkout",
        "",
    ],
)
def test_unsafe_paths_are_refused(tmp_path: Path, bad: str) -> None:
    dest = tmp_path / "deep" / "repo"
    bundle = make_bundle(files=[FileEntry(bad, "print('pwned')\n")], entry_point=None)
    with pytest.raises(ExportError):
        write_repo(bundle, dest)
    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path / "deep" / "evil.py").exists()
    assert not dest.exists() or not any(dest.iterdir())


def test_unsafe_entry_point_and_hostile_title(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="entry point"):
        write_repo(make_bundle(entry_point="../run.py"), tmp_path / "a")
    write_repo(make_bundle(title='Evil"\nrm -rf ~ #'), tmp_path / "b")
    script = (tmp_path / "b" / "reproduce.sh").read_text().splitlines()
    assert not any(line.startswith("rm ") for line in script)
    assert script[1] == '# Reproduce "Evil" rm -rf ~ #": make a virtual environment, install the'


def test_symlink_inside_destination_is_not_followed(tmp_path: Path) -> None:
    dest = tmp_path / "repo"
    outside = tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "models").symlink_to(outside)
    with pytest.raises(ExportError, match="symlink"):
        write_repo(make_bundle(), dest)
    assert list(outside.iterdir()) == []


def test_readme_explains_the_reproduction(tmp_path: Path) -> None:
    hostile = FileEntry("leak.py", "import os\nKEY = os.environ['ANTHROPIC_API_KEY']\n")
    bundle = make_bundle()
    bundle.files.append(hostile)
    write_repo(bundle, tmp_path / "r")
    readme = (tmp_path / "r" / "README.md").read_text()
    assert readme.startswith("# A Toy Linear Regression Paper")
    assert "https://arxiv.org/abs/0000.00000" in readme
    assert "./reproduce.sh --smoke" in readme
    assert "python main.py --config config.yaml" in readme
    # file-to-paper map, with a '|' in a purpose escaped so the table stays intact
    assert (
        "| [`models/linear.py`](models/linear.py) | the linear model \\| Eq. 1 | "
        "`eq-1`, `sec-2.1` |" in readme
    )
    assert "**Which noise level?**  \n  Answer: 0.01, as in Table 1" in readme
    assert "**Which seed?**  \n  _Unanswered" in readme
    assert "| `leak.py` | 2 | secrets | reads environment variable 'ANTHROPIC_API_KEY' |" in readme
    assert "written by hand for the tests" in readme
    assert "`numpy`" in readme  # the unused requirement is reported


def test_reproduce_script(tmp_path: Path) -> None:
    write_repo(make_bundle(), tmp_path / "r")
    script = tmp_path / "r" / "reproduce.sh"
    assert script.stat().st_mode & stat.S_IXUSR
    text = script.read_text()
    assert "pip install -r requirements.txt" in text
    assert 'exec "$VENV/bin/python" main.py --config config.yaml --steps 3 "$@"' in text
    assert text.rstrip().endswith('exec "$VENV/bin/python" main.py --config config.yaml')
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


def test_reexport_unchanged_writes_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "r"
    write_repo(make_bundle(), dest)
    mtime = (dest / "main.py").stat().st_mtime_ns
    report = write_repo(make_bundle(), dest)
    assert report.written == []
    assert "main.py" in report.unchanged
    assert (dest / "main.py").stat().st_mtime_ns == mtime


def test_reexport_leaves_user_files_alone(tmp_path: Path) -> None:
    dest = tmp_path / "r"
    write_repo(make_bundle(), dest)
    (dest / "notes.txt").write_text("mine")
    (dest / "results").mkdir()
    (dest / "results" / "run1.csv").write_text("a,b\n")
    bundle = make_bundle()
    bundle.files[0].code += "\nVERSION = 2\n"  # a regenerated file: ours, unedited
    report = write_repo(bundle, dest)
    assert report.written == ["data.py"]
    assert (dest / "data.py").read_text().endswith("VERSION = 2\n")
    assert (dest / "notes.txt").read_text() == "mine"
    assert report.user_files == ["notes.txt", "results/run1.csv"]


def test_reexport_refuses_to_overwrite_user_edits(tmp_path: Path) -> None:
    dest = tmp_path / "r"
    write_repo(make_bundle(), dest)
    (dest / "main.py").write_text("# my fix\n")
    (dest / "config.yaml").write_text("lr: 0.1\n")
    with pytest.raises(ExportConflict) as info:
        write_repo(make_bundle(), dest)
    assert info.value.paths == ["config.yaml", "main.py"]
    assert "main.py" in str(info.value) and "force" in str(info.value)
    assert (dest / "main.py").read_text() == "# my fix\n"  # nothing was touched

    report = write_repo(make_bundle(), dest, force=True)
    assert (dest / "main.py").read_text() == MAIN_PY
    backups = list((dest / ".papercoder-backup").rglob("main.py"))
    assert len(backups) == 1 and backups[0].read_text() == "# my fix\n"
    assert any(b.startswith("main.py -> .papercoder-backup/") for b in report.backed_up)


def test_first_export_refuses_a_user_file_at_our_path(tmp_path: Path) -> None:
    dest = tmp_path / "r"
    dest.mkdir()
    (dest / "README.md").write_text("my own readme")
    with pytest.raises(ExportError, match="not empty"):  # a folder that is not an earlier export
        write_repo(make_bundle(), dest)
    assert (dest / "README.md").read_text() == "my own readme"


def test_files_dropped_from_the_export(tmp_path: Path) -> None:
    dest = tmp_path / "r"
    bundle = make_bundle()
    bundle.files.append(FileEntry("extra/old.py", "x = 1\n"))
    bundle.files.append(FileEntry("edited.py", "y = 1\n"))
    write_repo(bundle, dest)
    (dest / "edited.py").write_text("y = 2  # mine now\n")
    report = write_repo(make_bundle(), dest)
    assert report.removed == ["extra/old.py"]
    assert not (dest / "extra").exists()  # its folder emptied and pruned
    assert report.kept == ["edited.py"]
    assert (dest / "edited.py").read_text() == "y = 2  # mine now\n"


def test_zip_holds_exactly_the_export(tmp_path: Path) -> None:
    dest = tmp_path / "toy"
    report = write_repo(make_bundle(), dest, make_zip=True)
    zpath = Path(report.zip_path)
    assert zpath == tmp_path / "toy.zip"
    with zipfile.ZipFile(zpath) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(f"toy/{p}" for p in report.written)
        assert zf.read("toy/main.py").decode() == MAIN_PY
        mode = zf.getinfo("toy/reproduce.sh").external_attr >> 16
        assert mode & 0o111
    first = zpath.read_bytes()
    os.utime(dest / "main.py", (0, 0))
    write_repo(make_bundle(), dest, make_zip=True)
    assert zpath.read_bytes() == first  # reproducible: no timestamps inside


def test_report_is_json_serialisable(tmp_path: Path) -> None:
    report = write_repo(make_bundle(), tmp_path / "r")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["requirements"]["unused"] == ["numpy"]
    assert isinstance(data["messages"], list)
