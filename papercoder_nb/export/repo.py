"""Write an ``ExportBundle`` as a runnable repository folder (and optionally a zip).

Re-exporting into the same folder must never eat a person's work. A manifest
(``.papercoder-export.json``) records the hash of every file we wrote. On the next export:
files we never wrote are left alone; our files that are unchanged since are replaced;
our files the user has edited since (or user files at a path we now want to write) stop
the export with an ``ExportConflict`` naming them, unless ``force=True``, which first
copies them to ``.papercoder-backup/<time>/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..checks.safety import SafetyFlag, scan_code
from ..util.errors import PapercoderError
from .bundle import ExportBundle
from .docs import render_readme, render_reproduce_sh
from .paths import UnsafePathError, resolve_inside, safe_relpath
from .requirements import RequirementsReport, check_requirements, render_requirements

MANIFEST = ".papercoder-export.json"
BACKUP_DIR = ".papercoder-backup"
_EXECUTABLE = {"reproduce.sh"}


class ExportError(PapercoderError):
    """The export cannot be written (unsafe path, destination not a folder...)."""


class ExportConflict(ExportError):
    """Files at paths we want to write were changed or created by the user."""

    def __init__(self, dest: Path, paths: list[str]) -> None:
        self.dest = dest
        self.paths = paths
        listing = "\n".join(f"  {p}" for p in paths)
        super().__init__(
            f"refusing to overwrite {len(paths)} file(s) in {dest} that were edited or "
            f"added since the last export:\n{listing}\n"
            "Move them away, export to another folder, or pass force=True (--force) to "
            f"back them up under {BACKUP_DIR}/ and overwrite."
        )


@dataclass
class RepoReport:
    dest: str
    written: list[str] = field(default_factory=list)  # created or changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # ours, no longer exported, unedited
    kept: list[str] = field(default_factory=list)  # ours, no longer exported, edited: left
    backed_up: list[str] = field(default_factory=list)  # with force: where copies went
    user_files: list[str] = field(default_factory=list)  # not ours: left alone
    requirements: RequirementsReport = field(default_factory=RequirementsReport)
    safety_flags: list[SafetyFlag] = field(default_factory=list)
    zip_path: str | None = None
    notes: list[str] = field(default_factory=list)
    check_findings: dict[str, list[str]] = field(default_factory=dict)  # file -> findings

    @property
    def messages(self) -> list[str]:
        """Lines worth showing a user after an export (warnings, not the file list)."""
        req = self.requirements
        out = list(self.notes)
        if req.missing:
            out.append(
                "imported but not in the logic design (added to requirements.txt): "
                + ", ".join(req.missing)
            )
        if req.unused:
            out.append("in the logic design but never imported: " + ", ".join(req.unused))
        if req.dropped:
            out.append("not installable packages removed: " + ", ".join(req.dropped))
        out += [f"requirement listed as {a} written as {b}" for a, b in req.renamed]
        out += req.notes
        high = [f for f in self.safety_flags if f.severity == "high"]
        if self.safety_flags:
            out.append(
                f"safety scan: {len(high)} high and "
                f"{len(self.safety_flags) - len(high)} low flag(s); see README.md"
            )
        out += [f"  {f}" for f in high]
        if self.check_findings:
            out.append("static check: findings in " + ", ".join(sorted(self.check_findings))
                       + "; see README.md")
        if self.kept:
            out.append(
                "edited files no longer in the export were left in place: " + ", ".join(self.kept)
            )
        if self.backed_up:
            out.append("backed up before overwriting: " + ", ".join(self.backed_up))
        return out

    def to_dict(self) -> dict:
        data = asdict(self)
        data["messages"] = self.messages
        return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_outputs(bundle: ExportBundle) -> tuple[dict[str, bytes], RepoReport]:
    """Every file the export writes, in memory, plus the report of what was checked."""
    report = RepoReport(dest="")
    outputs: dict[str, bytes] = {}
    code: dict[str, str] = {}
    for entry in bundle.files:
        try:
            rel = safe_relpath(entry.path)
        except UnsafePathError as exc:
            raise ExportError(f"unsafe file path in the bundle: {exc}") from exc
        if rel in code:
            raise ExportError(f"two files in the bundle share the path {rel!r}")
        code[rel] = entry.code
        outputs[rel] = _text_bytes(entry.code)
    if bundle.entry_point:
        try:
            safe_relpath(bundle.entry_point)
        except UnsafePathError as exc:
            raise ExportError(f"unsafe entry point: {exc}") from exc
    if bundle.entry_point and safe_relpath(bundle.entry_point) not in code:
        report.notes.append(f"entry point {bundle.entry_point!r} is not among the files")
    report.requirements = check_requirements(bundle.packages, code)
    report.safety_flags = scan_code(code)
    report.check_findings = dict(bundle.check_findings or {})
    generated = {
        "requirements.txt": render_requirements(report.requirements),
        "README.md": render_readme(bundle, report.requirements, report.safety_flags),
        "reproduce.sh": render_reproduce_sh(bundle),
    }
    if bundle.config_yaml.strip():
        generated["config.yaml"] = bundle.config_yaml
    for rel, text in generated.items():
        if rel in outputs:
            report.notes.append(
                f"the generated code also had {rel}; the export's own {rel} replaces it"
            )
        outputs[rel] = _text_bytes(text)
    return outputs, report


def _text_bytes(text: str) -> bytes:
    return (text if text.endswith("\n") or not text else text + "\n").encode("utf-8")


def _refuse_foreign_folder(dest: Path, force: bool) -> None:
    """A non-empty folder that no earlier export wrote is someone else's: leave it alone."""
    if force or not dest.is_dir() or (dest / MANIFEST).is_file() or not any(dest.iterdir()):
        return
    raise ExportError(
        f"{dest} is not empty and holds no earlier export; pick an empty or new folder, "
        "or pass --force to write into it"
    )


def write_repo(
    bundle: ExportBundle,
    dest: Path,
    *,
    make_zip: bool = False,
    force: bool = False,
    zip_path: Path | None = None,
) -> RepoReport:
    """Write the repository into ``dest`` (created if needed); see the module docstring.

    The zip goes beside the folder (``<dest>.zip``) unless ``zip_path`` is given, and holds
    exactly the exported files under a top folder named like ``dest``.
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"{dest} exists and is not a folder")
    outputs, report = render_outputs(bundle)
    report.dest = str(dest)
    _refuse_foreign_folder(dest, force)
    dest.mkdir(parents=True, exist_ok=True)
    previous = _load_manifest(dest)
    targets, to_write, conflicts = _plan_writes(dest, outputs, previous, report)
    if conflicts and not force:
        raise ExportConflict(dest, sorted(conflicts))
    stale = _stale_files(dest, outputs, previous, report)
    if conflicts:
        _back_up(dest, conflicts, targets, report)
    _write_and_remove(dest, outputs, targets, to_write, stale, report)
    _write_manifest(dest, bundle, outputs)
    report.user_files = _user_files(dest, set(outputs) | set(report.kept))
    if make_zip:
        zpath = Path(zip_path) if zip_path else dest.parent / f"{dest.resolve().name}.zip"
        _write_zip(zpath, dest.resolve().name, outputs)
        report.zip_path = str(zpath)
    return report


def _plan_writes(
    dest: Path, outputs: dict[str, bytes], previous: dict[str, str], report: RepoReport
) -> tuple[dict[str, Path], list[str], list[str]]:
    """(each output's path, the outputs to write, those that overwrite a user's edit);
    outputs already on disk as they are go to ``report.unchanged``."""
    to_write: list[str] = []
    conflicts: list[str] = []
    targets: dict[str, Path] = {}
    for rel, data in outputs.items():
        try:
            target = resolve_inside(dest, rel)
        except UnsafePathError as exc:
            raise ExportError(str(exc)) from exc
        targets[rel] = target
        if not target.exists() and not target.is_symlink():
            to_write.append(rel)
            continue
        if target.is_dir():
            raise ExportError(f"{rel!r} is a folder in {dest}; cannot write a file there")
        current = sha256(target.read_bytes())
        if current == sha256(data):
            report.unchanged.append(rel)
        elif previous.get(rel) == current:
            to_write.append(rel)  # ours, untouched since: safe to replace
        else:
            conflicts.append(rel)
            to_write.append(rel)
    return targets, to_write, conflicts


def _stale_files(dest: Path, outputs: dict[str, bytes], previous: dict[str, str], report: RepoReport) -> list[str]:
    """Files of the last export this one no longer holds: ours, untouched since, to remove;
    a user-edited one goes to ``report.kept``."""
    stale: list[str] = []
    for rel, old_hash in previous.items():
        if rel in outputs:
            continue
        try:
            path = resolve_inside(dest, rel)
        except UnsafePathError:
            continue
        if path.is_file():
            (stale if sha256(path.read_bytes()) == old_hash else report.kept).append(rel)
    return stale


def _back_up(dest: Path, conflicts: list[str], targets: dict[str, Path], report: RepoReport) -> None:
    """Copy each user-edited file about to be overwritten into a dated backup folder."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup_root = dest / BACKUP_DIR / stamp
    for rel in sorted(conflicts):
        copy = backup_root / rel
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(targets[rel], copy)  # never a symlink: resolve_inside refuses those
        report.backed_up.append(f"{rel} -> {copy.relative_to(dest)}")


def _write_and_remove(
    dest: Path, outputs: dict[str, bytes], targets: dict[str, Path], to_write: list[str], stale: list[str],
    report: RepoReport,
) -> None:
    for rel in to_write:
        target = targets[rel]
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, outputs[rel], executable=rel in _EXECUTABLE)
        report.written.append(rel)
    for rel in stale:
        resolve_inside(dest, rel).unlink()
        report.removed.append(rel)
        _prune_empty_dirs(dest, rel)


def _load_manifest(dest: Path) -> dict[str, str]:
    path = dest / MANIFEST
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.get("files", {}).items()}
    except (ValueError, AttributeError):
        return {}  # unreadable: treat every existing file as the user's (the safe side)


def _write_manifest(dest: Path, bundle: ExportBundle, outputs: dict[str, bytes]) -> None:
    data = {
        "tool": "papercoder-nb",
        "format": 1,
        "title": bundle.title,
        "session_dir": bundle.session_dir,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "note": "hashes of the files papercoder-nb wrote; edited files are never overwritten",
        "files": {rel: sha256(data) for rel, data in sorted(outputs.items())},
    }
    _atomic_write(dest / MANIFEST, (json.dumps(data, indent=2) + "\n").encode())


def _atomic_write(path: Path, data: bytes, *, executable: bool = False) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o755 if executable else 0o644)
        os.replace(tmp, path)  # replaces a symlink itself, never its target
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune_empty_dirs(dest: Path, rel: str) -> None:
    parent = (dest / rel).parent
    while parent != dest and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _user_files(dest: Path, ours: set[str]) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(dest):
        dirnames[:] = [d for d in dirnames if d not in {".git", BACKUP_DIR, ".venv", "__pycache__"}]
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(dest).as_posix()
            if rel not in ours and rel != MANIFEST:
                found.append(rel)
    return sorted(found)


def _write_zip(zpath: Path, top: str, outputs: dict[str, bytes]) -> None:
    """A reproducible zip: fixed timestamps, sorted entries, Unix permissions."""
    zpath.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=zpath.parent, prefix=f".{zpath.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for rel, data in sorted(outputs.items()):
                info = zipfile.ZipInfo(f"{top}/{rel}", date_time=(1980, 1, 1, 0, 0, 0))
                mode = 0o755 if rel in _EXECUTABLE else 0o644
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        os.replace(tmp, zpath)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
