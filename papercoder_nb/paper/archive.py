"""Safe extraction of LaTeX source archives (.tar.gz, .tgz, .tar, .zip, single .gz).

An archive from the internet is hostile until proven otherwise: every member name is
checked to stay inside the target folder, links and device files are never created,
and total size, member count and compression ratio are bounded so a zip bomb fails
with a message instead of filling the disk.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from .errors import PaperError

MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_FILES = 5000
MAX_RATIO = 200  # uncompressed / compressed for one zip member
_CHUNK = 1 << 16


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz", ".tar", ".zip", ".gz", ".tar.bz2", ".tar.xz")):
        return True
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head[:2] == b"\x1f\x8b" or head == b"PK\x03\x04"


def _safe_name(name: str, archive: Path) -> PurePosixPath | None:
    """The member's relative path, or a PaperError if it would land outside."""
    clean = name.replace("\\", "/")
    p = PurePosixPath(clean)
    if clean.startswith("/") or p.is_absolute() or (len(clean) > 1 and clean[1] == ":"):
        raise PaperError(
            f"{archive}: refused a member with an absolute path ({name!r}); "
            "the archive is unsafe — extract it yourself and pass the folder"
        )
    parts = [x for x in p.parts if x not in ("", ".")]
    if ".." in parts:
        raise PaperError(
            f"{archive}: refused a member that escapes the folder ({name!r}); "
            "the archive is unsafe — extract it yourself and pass the folder"
        )
    return PurePosixPath(*parts) if parts else None


class _Budget:
    def __init__(self, archive: Path, max_bytes: int, max_files: int) -> None:
        self.archive, self.max_bytes, self.max_files = archive, max_bytes, max_files
        self.bytes = 0
        self.files = 0

    def file(self) -> None:
        self.files += 1
        if self.files > self.max_files:
            raise PaperError(
                f"{self.archive}: more than {self.max_files} files; this is not a paper's source "
                "archive (or a hostile one) — extract the paper's folder yourself and pass it"
            )

    def add(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.max_bytes:
            raise PaperError(
                f"{self.archive}: expands to more than {self.max_bytes // (1024 * 1024)} MB "
                "(a zip bomb or not a paper source); extract it yourself and pass the folder"
            )


def _copy(src: io.BufferedIOBase | object, dest: Path, budget: _Budget) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        while True:
            chunk = src.read(_CHUNK)  # type: ignore[attr-defined]
            if not chunk:
                break
            budget.add(len(chunk))
            out.write(chunk)


def safe_extract(
    archive: Path, dest: Path, max_bytes: int = MAX_TOTAL_BYTES, max_files: int = MAX_FILES
) -> list[str]:
    """Extract ``archive`` into ``dest``; return warnings (skipped links etc.)."""
    budget = _Budget(archive, max_bytes, max_files)
    dest.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    with archive.open("rb") as f:
        head = f.read(4)
    try:
        if head == b"PK\x03\x04" or zipfile.is_zipfile(archive):
            _extract_zip(archive, dest, budget, warnings)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, dest, budget, warnings)
        elif head[:2] == b"\x1f\x8b":
            # arXiv serves single-file sources as a bare gzip of the .tex
            name = archive.name[:-3] if archive.name.lower().endswith(".gz") else archive.name
            if not name.lower().endswith(".tex"):
                name = (name.rsplit(".", 1)[0] if "." in name else name) + ".tex"
            with gzip.open(archive, "rb") as src:
                _copy(src, dest / name, budget)
            budget.file()
        else:
            raise PaperError(f"{archive}: not a zip, tar or gzip archive; pass a .tex file, a folder or a .tar.gz")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, gzip.BadGzipFile, OSError) as e:
        raise PaperError(
            f"{archive}: the archive is damaged or truncated ({type(e).__name__}: {e}); "
            "download it again or pass the extracted folder"
        ) from e
    return warnings


def _extract_zip(archive: Path, dest: Path, budget: _Budget, warnings: list[str]) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            rel = _safe_name(info.filename, archive)
            if rel is None or info.is_dir():
                continue
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:  # symlink stored in a zip
                warnings.append(f"skipped symbolic link {info.filename!r} in the archive")
                continue
            budget.file()
            if info.compress_size and info.file_size / max(1, info.compress_size) > MAX_RATIO and info.file_size > 10 * 1024 * 1024:
                raise PaperError(
                    f"{archive}: member {info.filename!r} is compressed {info.file_size // max(1, info.compress_size)}:1 "
                    "(a zip bomb); refusing to extract — pass the paper's real source"
                )
            budget.add(0)
            with zf.open(info) as src:
                _copy(src, dest / rel, budget)


def _extract_tar(archive: Path, dest: Path, budget: _Budget, warnings: list[str]) -> None:
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            rel = _safe_name(member.name, archive)
            if rel is None or member.isdir():
                continue
            if member.issym() or member.islnk():
                target = member.linkname
                warnings.append(f"skipped link {member.name!r} -> {target!r} in the archive")
                continue
            if not member.isfile():
                warnings.append(f"skipped special file {member.name!r} in the archive")
                continue
            budget.file()
            if member.size > budget.max_bytes:
                budget.add(member.size)
            src = tf.extractfile(member)
            if src is None:
                continue
            out = dest / rel
            # a previous member may have been a directory named like a file's parent only
            if out.resolve().is_relative_to(dest.resolve()) is False:
                raise PaperError(f"{archive}: refused {member.name!r}: it escapes the folder")
            _copy(src, out, budget)
            os.chmod(out, 0o644)
