"""A pinned corpus of small, real, third-party Python ML repositories (PyPI sdists).

    python benchmarks/_realcode.py          # fetch (cached) and list each repo's .py count

The static cross-file checker is measured on code nobody here wrote: each entry is a
source distribution pinned by version and sha256, downloaded with pip (the only route out
of this machine), verified, and unpacked safely into a cache. Only text source files are
kept (code, configs, requirement and licence files), so the tree is what the checker reads.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CACHE = Path.home() / ".cache" / "papercoder-nb" / "realcode"
KEEP_SUFFIXES = {".py", ".txt", ".toml", ".cfg", ".yaml", ".yml", ".md"}
MAX_KEPT_BYTES = 2 * 1024 * 1024  # keeps x-clip's BPE vocab (read at import), drops blobs


@dataclass(frozen=True)
class Pinned:
    name: str  # distribution name as pip knows it
    version: str
    sha256: str  # of the sdist archive
    licence: str
    why: str


CORPUS: tuple[Pinned, ...] = (
    Pinned("pytorch-fid", "0.3.0",
           "1c80d112c9cf5ebcbcc428a0b7ea615c302805ad6780ec29e8e2955ba31571c8", "Apache-2.0",
           "src/ layout, __main__.py + argparse entry, console_scripts entry point"),
    Pinned("lpips", "0.1.4",
           "3846331df6c69688aec3d300a5eeef6c529435bc8460bd58201c3d62e56188fa", "BSD-2-Clause",
           "nn.Module nets across files, trainer class wrapping the model, star re-exports"),
    Pinned("torchdiffeq", "0.2.4",
           "c0e57c3c889fedda7f23a6015dbfcd6dae5072a06dd6ed10e8200c2009844043", "MIT",
           "_impl subpackage with many relative imports and solver class hierarchy"),
    Pinned("taming-transformers", "0.0.1",
           "bdaffda4dcdee8f64930f4fe4f43bc83e6f4d3e264cfd8811f62ac0b3a423ccc",
           "MIT (upstream CompVis repo; the sdist ships no licence file)",
           "deep package tree, absolute imports, OmegaConf-driven main.py, Lightning"),
    Pinned("pytorch-msssim", "1.0.0",
           "53273f03ce5c435f706f49feb5110a8afe90b2519484b0fe0df9639670106d0b", "MIT",
           "tiny package plus test scripts importing it from outside the package"),
    Pinned("torch-ema", "0.3",
           "5a3595405fa311995f01291a1d4a9242d6be08a0fc9db29152ec6cfd586ea414",
           "MIT (upstream fadel/pytorch_ema; the sdist ships no licence file)",
           "single class re-exported by __init__, minimal edge case"),
    Pinned("k-diffusion", "0.1.1.post1",
           "04b66b0e95202a60c4c178a482e6d31528b81a1c97011d6023ed3ad559de7166", "MIT",
           "config.py builds models from JSON-style dicts, models/ subpackage, pyproject"),
    Pinned("efficientnet-pytorch", "0.7.1",
           "00b9b261effce59d2d47aae2ad238c29a2a65175470f41ada7ecac439b7c1ee1", "Apache-2.0",
           "model.py calls many helpers from utils.py, namedtuple params"),
    Pinned("hiraishin", "0.2.1",
           "023d128f6ff1075267e8e241b8643f646ce67dd62e87372a6be208ba6fe86899", "Apache-2.0",
           "Hydra/Lightning wrapper, pydantic schema, click CLI, src/ layout, pyproject"),
    Pinned("pinnstorch", "0.1.2",
           "36f1444026a286b25135914f184f7342d6c5cb53193139df8f6a4a60526c0a39", "BSD-3-Clause",
           "@hydra.main train.py reading a composed YAML config tree, Lightning modules"),
    Pinned("simclr", "1.0.2",
           "d6adddcf69376a32e9071e44333fa5b67e36b3d766dbcfd732f5803e92ce6e8e", "MIT",
           "modules/ subpackage re-exports, top-level utils package, PyYAML"),
    Pinned("stylegan2-pytorch", "1.9.0",
           "13c155c892e78fda5a6c6e029fe30c8f28251c5aa7b375a4794b9d5223d7e6ce", "MIT",
           "fire CLI driving a Trainer class from another file"),
    Pinned("denoising-diffusion-pytorch", "1.9.4",
           "6fa790b323d1e18595f551e43014c03ae12ec8b5137a67974203977238c2ed0f", "MIT",
           "many model variants importing a shared core module and an attention helper"),
    Pinned("vector-quantize-pytorch", "1.14.1",
           "249e66d544096c0daa4b24b585f4969aefb657ababbef070449e556a0a1f09af", "MIT",
           "residual quantizers composing base quantizers from sibling modules"),
    Pinned("byol-pytorch", "0.8.0",
           "490488cd878f40e3c0c134cb3fcc1f1b8cc5f2567ae86259c3789e8340988095", "MIT",
           "learner wrapping a network, trainer in a second file"),
    Pinned("x-clip", "0.14.4",
           "e2539953f1c81a2ab892843c2bc02c218f4ac410cf10ce37495830f6a0e259c6", "MIT",
           "tokenizer + ssl + mlm modules used by the main CLIP module"),
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(pin: Pinned, sdist_dir: Path) -> Path:
    """The verified sdist archive, downloaded only when no good copy is cached."""
    sdist_dir.mkdir(parents=True, exist_ok=True)
    for cand in sorted(sdist_dir.iterdir()):
        if cand.is_file() and _sha256(cand) == pin.sha256:
            return cand
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-q", f"{pin.name}=={pin.version}", "-d", tmp]
        subprocess.run(cmd, check=True, timeout=600)
        got = [p for p in Path(tmp).iterdir() if p.is_file()]
        if len(got) != 1:
            raise RuntimeError(f"{pin.name}: expected one sdist, pip gave {got}")
        digest = _sha256(got[0])
        if digest != pin.sha256:  # never unpack an archive that is not the pinned one
            raise RuntimeError(f"{pin.name}=={pin.version}: sha256 {digest} != {pin.sha256}")
        dest = sdist_dir / got[0].name
        shutil.move(str(got[0]), dest)
        return dest


def _safe_member(name: str) -> PurePosixPath | None:
    """The member's relative path, or None if it could escape the target folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or ":" in name:
        return None
    return path


def _wanted(path: PurePosixPath, size: int) -> bool:
    if size > MAX_KEPT_BYTES or len(path.parts) < 2:
        return False
    if any(p.endswith(".egg-info") for p in path.parts) and path.suffix != ".txt":
        return False
    return path.suffix in KEEP_SUFFIXES or path.name.upper().startswith(("LICENSE", "COPYING"))


def _extract_tar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tar:
        members = []
        for m in tar.getmembers():
            rel = _safe_member(m.name)
            if rel is None:
                raise RuntimeError(f"{archive.name}: unsafe member {m.name!r}")
            if m.issym() or m.islnk() or m.isdev():
                continue  # links and devices are never extracted
            if m.isfile() and _wanted(rel, m.size):
                members.append(m)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # members were already vetted above
            tar.extractall(dest, members=members)  # noqa: S202


def _extract_zip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            rel = _safe_member(info.filename)
            if rel is None:
                raise RuntimeError(f"{archive.name}: unsafe member {info.filename!r}")
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if info.is_dir() or is_link or not _wanted(rel, info.file_size):
                continue
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))


def _unpack(pin: Pinned, archive: Path, src_dir: Path) -> Path:
    """The repo root (the one top folder of the sdist), unpacked once per pinned hash."""
    final = src_dir / f"{pin.name}-{pin.version}"
    marker = final / ".papercoder-sha256"
    stamp = f"{pin.sha256} {MAX_KEPT_BYTES} {sorted(KEEP_SUFFIXES)}"  # re-extract on filter change
    if marker.is_file() and marker.read_text().strip() == stamp:
        return _root_of(final)
    shutil.rmtree(final, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=src_dir.parent if src_dir.parent.exists() else None))
    try:
        if archive.name.endswith(".zip"):
            _extract_zip(archive, tmp)
        else:
            _extract_tar(archive, tmp)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    marker.write_text(stamp + "\n")
    return _root_of(final)


def _root_of(folder: Path) -> Path:
    tops = [p for p in folder.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise RuntimeError(f"{folder}: expected one top folder, found {tops}")
    return tops[0]


def fetch(cache_dir: Path | None = None) -> list[Path]:
    """Each pinned repo's root folder (setup files + package), fetched and verified."""
    base = Path(cache_dir) if cache_dir is not None else CACHE
    base.mkdir(parents=True, exist_ok=True)
    roots = []
    for pin in CORPUS:
        archive = _download(pin, base / "sdist")
        roots.append(_unpack(pin, archive, base / "src"))
    return roots


def main() -> int:
    roots = fetch()
    for pin, root in zip(CORPUS, roots, strict=True):
        n_py = sum(1 for _ in root.rglob("*.py"))
        print(f"{pin.name + '==' + pin.version:<36} {n_py:>3} .py  {pin.licence}")
    print(f"{len(roots)} repos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
