"""The explanatory notebook: the paper's reproduction, file by file, that rebuilds the repo.

Each file gets a Markdown cell (what it implements, where in the paper, the key design
decisions from its analysis) and a ``%%writefile`` code cell, in task order, so running the
notebook top to bottom writes the repository and a last cell runs the smoke configuration.
Cell ids derive from each cell's role (``file-model-py-code``), so re-exports diff cleanly.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from pathlib import Path, PurePosixPath

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..checks.safety import scan_code
from .bundle import ExportBundle, FileEntry
from .docs import entry_args
from .paths import safe_relpath
from .requirements import check_requirements, render_requirements
from .text import cell_id, condense_markdown, first_sentences, slug

_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")


def default_repo_dir(bundle: ExportBundle) -> str:
    return slug(bundle.title, 40) or "repo"


def build_notebook(bundle: ExportBundle, *, repo_dir: str | None = None) -> NotebookNode:
    """An nbformat v4.5 notebook that explains and rebuilds the repository in ``repo_dir``.

    ``repo_dir`` is relative to the notebook's working directory (default: a slug of the
    title), so the notebook never writes outside the folder it runs in.
    """
    folder = safe_relpath(repo_dir or default_repo_dir(bundle))
    if bundle.entry_point:
        safe_relpath(bundle.entry_point)  # the run cell must not reach outside the folder
    used: set[str] = set()  # cell ids so far: the cells are made in notebook order
    files = [(safe_relpath(f.path), f) for f in bundle.files]
    code = {rel: f.code for rel, f in files}
    cells = _intro_cells(bundle, folder, files, used)
    cells += _file_cells(folder, files, used)
    cells += _config_cells(bundle, folder, used)
    cells += _requirements_cells(bundle, folder, code, used)
    if bundle.entry_point:
        cells += _smoke_cells(bundle, folder, code, used)
    return _notebook(bundle, folder, cells)


def _intro_cells(
    bundle: ExportBundle, folder: str, files: list[tuple[str, FileEntry]], used: set[str]
) -> list[NotebookNode]:
    """The title, the plan in short, the files' overview and the setup cell."""
    cells = [
        new_markdown_cell(_title(bundle, folder), id=cell_id("title", used=used)),
    ]
    if bundle.plan.strip():
        plan = "## The plan in short\n\n" + condense_markdown(bundle.plan, 1800, min_heading=3)
        cells.append(new_markdown_cell(plan, id=cell_id("plan", used=used)))
    if files:
        cells.append(new_markdown_cell(_overview(files), id=cell_id("files-overview", used=used)))
    cells.append(
        new_code_cell(_setup_source(folder, [r for r, _ in files]), id=cell_id("setup", used=used))
    )
    return cells


def _file_cells(folder: str, files: list[tuple[str, FileEntry]], used: set[str]) -> list[NotebookNode]:
    """Per file, in task order: what it is (Markdown) and a cell that writes it."""
    cells: list[NotebookNode] = []
    for n, (rel, entry) in enumerate(files, 1):
        cells.append(
            new_markdown_cell(
                _file_markdown(n, rel, entry), id=cell_id("file", rel, "md", used=used)
            )
        )
        cells.append(
            new_code_cell(
                _writefile(folder, rel, entry.code), id=cell_id("file", rel, "code", used=used)
            )
        )
    return cells


def _config_cells(bundle: ExportBundle, folder: str, used: set[str]) -> list[NotebookNode]:
    """``config.yaml`` explained and written; none without a config."""
    if not bundle.config_yaml.strip():
        return []
    return [
        new_markdown_cell(
            "## `config.yaml`\n\nEvery hyper-parameter and path the paper states, and "
            "nothing invented. Edit it here, re-run the cell, and re-run the smoke cell.",
            id=cell_id("config", "md", used=used),
        ),
        new_code_cell(
            _writefile(folder, "config.yaml", bundle.config_yaml),
            id=cell_id("config", "code", used=used),
        ),
    ]


def _requirements_cells(
    bundle: ExportBundle, folder: str, code: dict[str, str], used: set[str]
) -> list[NotebookNode]:
    """``requirements.txt`` explained and written, and a commented-out ``%pip`` line."""
    requirements = check_requirements(bundle.packages, code)
    return [
        new_markdown_cell(
            "## Requirements\n\nThis notebook installs nothing by itself. If the packages below "
            "are missing, uncomment the `%pip` line (in Colab most are already there).",
            id=cell_id("requirements", "md", used=used),
        ),
        new_code_cell(
            _writefile(folder, "requirements.txt", render_requirements(requirements)),
            id=cell_id("requirements", "code", used=used),
        ),
        new_code_cell(
            f"# %pip install -r {shlex.quote(folder + '/requirements.txt')}",
            id=cell_id("requirements", "install", used=used),
        ),
    ]


def _smoke_cells(bundle: ExportBundle, folder: str, code: dict[str, str], used: set[str]) -> list[NotebookNode]:
    """The smoke run explained, and the cell that runs it."""
    return [
        new_markdown_cell(_smoke_markdown(bundle, code), id=cell_id("smoke", "md", used=used)),
        new_code_cell(_smoke_source(folder, bundle), id=cell_id("smoke", "run", used=used)),
    ]


def _notebook(bundle: ExportBundle, folder: str, cells: list[NotebookNode]) -> NotebookNode:
    """The cells as a validated v4.5 notebook with the kernel and provenance metadata."""
    nb = new_notebook(cells=cells)
    nb.nbformat, nb.nbformat_minor = 4, 5  # 4.5: the first version with cell ids
    nb.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []},
            "papercoder": {
                "title": bundle.title,
                "model": bundle.model,
                "provenance": bundle.provenance,
                "repo_dir": folder,
            },
        }
    )
    nbformat.validate(nb)
    return nb


def write_notebook(bundle: ExportBundle, path: Path, *, repo_dir: str | None = None) -> Path:
    """Build, validate and atomically write the notebook; returns the path."""
    nb = build_notebook(bundle, repo_dir=repo_dir)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(nb, fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- cell sources ---------------------------------------------------------------------


def _title(bundle: ExportBundle, folder: str) -> str:
    lines = [f"# {bundle.title or 'Paper reproduction'}", ""]
    if bundle.paper_source:
        src = bundle.paper_source
        link = f"[{src}]({src})" if src.startswith(("http://", "https://")) else f"`{src}`"
        lines += [f"**Paper:** {link}", ""]
    if bundle.abstract:
        lines += [first_sentences(bundle.abstract, 700), ""]
    made = "Generated by papercoder-nb"
    if bundle.model:
        made += f" with `{bundle.model}`"
    if bundle.provenance:
        made += f" ({bundle.provenance})"
    lines += [
        f"{made}. Run the cells top to bottom: they write the repository into `{folder}/`, "
        "one file per cell in dependency order, and the last cell runs a tiny smoke "
        "configuration. Generated code can be wrong: compare it with the paper.",
    ]
    return "\n".join(lines)


def _overview(files: list) -> str:
    rows = [
        "## Files, in the order they are built",
        "",
        "| # | file | implements | paper |",
        "|---|---|---|---|",
    ]
    for n, (rel, entry) in enumerate(files, 1):
        purpose = " ".join(entry.purpose.split()).replace("|", "\\|") or "—"
        refs = ", ".join(f"`{r}`" for r in entry.paper_refs) or "—"
        rows.append(f"| {n} | `{rel}` | {purpose} | {refs} |")
    return "\n".join(rows)


def _setup_source(folder: str, paths: list[str]) -> str:
    """Create the folders first: ``%%writefile`` does not make parent directories."""
    dirs = sorted(
        {folder}
        | {
            f"{folder}/{PurePosixPath(p).parent}"
            for p in paths
            if PurePosixPath(p).parent != PurePosixPath(".")
        }
    )
    return (
        "import os\n\n"
        f"REPO_DIR = {folder!r}  # the repository is written here\n"
        f"for folder in {dirs!r}:\n"
        "    os.makedirs(folder, exist_ok=True)\n"
        'print("writing the repository into", os.path.abspath(REPO_DIR))'
    )


def _file_markdown(n: int, rel: str, entry) -> str:
    lines = [f"## {n}. `{rel}`", ""]
    if entry.purpose:
        lines += [f"**Implements:** {' '.join(entry.purpose.split())}", ""]
    if entry.paper_refs:
        lines += ["**Paper:** " + ", ".join(f"`{r}`" for r in entry.paper_refs), ""]
    if entry.depends_on:
        lines += ["**Uses:** " + ", ".join(f"`{d}`" for d in entry.depends_on), ""]
    if entry.analysis.strip():
        lines += [
            "**Design notes (from the analysis):**",
            "",
            condense_markdown(entry.analysis, 1500, min_heading=4),
        ]
    return "\n".join(lines).rstrip()


def _writefile(folder: str, rel: str, text: str) -> str:
    target = f"{folder}/{rel}"
    if not text.strip() or not _PLAIN_PATH.fullmatch(target):
        # IPython refuses %%writefile with an empty body, and expands $name and {expr} in
        # a magic's line, so a crafted path could run code: write those in plain Python.
        return f"with open({target!r}, 'w') as fh:\n    fh.write({text!r})"
    return f"%%writefile {target}\n{text}"


def _smoke_markdown(bundle: ExportBundle, code: dict[str, str]) -> str:
    run = " ".join(["python", bundle.entry_point or "", *bundle.smoke_args])
    full = " ".join(entry_args(bundle)) or "none"
    lines = [
        "## Smoke run",
        "",
        f"Runs `{run}` in the repository folder: a tiny configuration that checks the code "
        "runs end to end, not a reproduction. API keys and other secrets are removed from "
        "its environment, but it is not sandboxed: `papercoder smoke` runs it contained. "
        f"For the full run use `./reproduce.sh` in the repository (arguments: `{full}`).",
    ]
    flags = scan_code(code)
    if flags:
        lines += [
            "",
            "**The safety scan flagged this code; read these lines before running it:**",
            "",
        ]
        lines += [f"- `{f.file}:{f.line}` [{f.category}] {f.message}" for f in flags]
    return "\n".join(lines)


def _smoke_source(folder: str, bundle: ExportBundle) -> str:
    cmd = [bundle.entry_point, *bundle.smoke_args]
    return (
        "import os, re, subprocess, sys\n\n"
        f"REPO_DIR = {folder!r}\n"
        f"cmd = [sys.executable, *{cmd!r}]\n"
        "# The generated code gets no API keys, tokens or passwords.\n"
        "env = {k: v for k, v in os.environ.items()\n"
        '       if not re.search("KEY|TOKEN|SECRET|PASSW|CREDENTIAL", k, re.I)}\n'
        'print("$", " ".join(cmd[1:]))\n'
        "proc = subprocess.run(cmd, cwd=REPO_DIR, env=env, capture_output=True, text=True,\n"
        "                      timeout=900)\n"
        "print(proc.stdout[-20000:])\n"
        "if proc.returncode != 0:\n"
        "    print(proc.stderr[-20000:], file=sys.stderr)\n"
        '    raise RuntimeError(f"the smoke run failed with exit code {proc.returncode}")\n'
        'print("smoke run finished: exit code 0")'
    )
