"""Bad input: every case ends in a clear PaperError (what is wrong, what to do) or a
bounded parse with a warning; nothing hangs or crashes."""

from __future__ import annotations

import io
import shutil
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from pdf_fixtures import Page, make_pdf, prose, wrap

from papercoder_nb.paper import PaperError, load_paper
from papercoder_nb.paper.archive import safe_extract
from papercoder_nb.paper.latex import load_latex
from papercoder_nb.paper.pdf import load_pdf

PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "papers"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))


def _text_page(i: int) -> Page:
    p = Page()
    for j, ln in enumerate(wrap(prose(40, i), 10)):
        p.text(72, 80 + 13 * j, ln)
    return p


def test_zero_byte_pdf(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(PaperError, match=r"empty \(0 bytes\).*re-download|empty \(0 bytes\).*pass another"):
        load_pdf(path)
    with pytest.raises(PaperError, match=r"empty \(0 bytes\)"):
        load_paper(path)


def test_html_saved_as_pdf(tmp_path):
    path = tmp_path / "paper.pdf"
    path.write_text("<!DOCTYPE html><html><body>Please log in</body></html>")
    with pytest.raises(PaperError, match=r"not a PDF .*HTML page.*pass the real PDF"):
        load_paper(path)


def test_text_file_named_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("just some notes, not a pdf at all\n" * 20)
    with pytest.raises(PaperError, match=r"not a PDF \(the file starts like text"):
        load_pdf(path)


def test_truncated_pdf(tmp_path):
    data = make_pdf([_text_page(i) for i in range(3)])
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(PaperError, match=r"damaged or truncated.*download it again"):
        load_pdf(path)


def test_encrypted_pdf(tmp_path):
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf([_text_page(0)], encrypt=True))
    with pytest.raises(PaperError, match=r"encrypted with a password.*qpdf --decrypt"):
        load_pdf(path)


def test_scanned_pdf_without_text_layer():
    path = PAPERS / "flajolet-martin-scanned" / "paper.pdf"
    t = time.perf_counter()
    with pytest.raises(PaperError) as err:
        load_pdf(path, ocr=False, max_pages=5)
    assert time.perf_counter() - t < 30
    msg = str(err.value)
    assert "no text layer" in msg and "scanned images" in msg
    if shutil.which("tesseract"):
        assert "OCR engine is installed (tesseract" in msg and "PAPERCODER_OCR=1" in msg
    else:
        assert "OCR" not in msg and "LaTeX source" in msg


def test_scanned_pdf_ocr_when_engine_installed(tmp_path):
    path = PAPERS / "flajolet-martin-scanned" / "paper.pdf"
    if shutil.which("tesseract") is None:
        with pytest.raises(PaperError, match="no text layer"):
            load_pdf(path, ocr=True, max_pages=1)
        return
    seen = []
    paper = load_pdf(path, ocr=True, max_pages=1, progress=lambda w, d, t: seen.append((w, d, t)))
    assert paper.meta.source_type == "pdf-ocr"
    assert "PROBABILISTIC" in paper.model_dump_json().upper()
    assert ("OCR pages", 1, 1) in seen
    assert any("OCR" in w and "tesseract" in w for w in paper.meta.warnings)


def test_500_page_pdf_is_bounded_and_reports_progress(tmp_path):
    path = tmp_path / "huge.pdf"
    path.write_bytes(make_pdf([_text_page(i) for i in range(500)]))
    seen = []
    t = time.perf_counter()
    paper = load_pdf(path, progress=lambda w, d, tot: seen.append((d, tot)), max_pages=120)
    assert time.perf_counter() - t < 120
    assert paper.meta.pages == 120
    assert any("has 500 pages; only the first 120 were read" in w for w in paper.meta.warnings)
    assert seen[-1] == (120, 120) and len(seen) == 120


# --- hostile archives ----------------------------------------------------------------

MAIN = r"""\documentclass{article}\begin{document}\section{Intro}Hello.\end{document}"""


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_tar_with_parent_path_is_refused(tmp_path):
    arch = _tar(tmp_path / "evil.tar.gz", [_file("main.tex", MAIN.encode()), _file("../../escape.tex", b"x")])
    with pytest.raises(PaperError, match=r"escapes the folder.*unsafe"):
        load_latex(arch)
    assert not (tmp_path / "escape.tex").exists()


def test_tar_with_absolute_path_is_refused(tmp_path):
    arch = _tar(tmp_path / "abs.tar.gz", [_file("/tmp/abs.tex", b"x")])
    with pytest.raises(PaperError, match=r"absolute path"):
        safe_extract(arch, tmp_path / "out")


def test_tar_links_are_never_created(tmp_path):
    sym = tarfile.TarInfo("link.tex")
    sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/passwd"
    hard = tarfile.TarInfo("hard.tex")
    hard.type, hard.linkname = tarfile.LNKTYPE, "../../outside"
    arch = _tar(tmp_path / "links.tar.gz", [_file("main.tex", MAIN.encode()), (sym, None), (hard, None)])
    out = tmp_path / "out"
    warnings = safe_extract(arch, out)
    assert not (out / "link.tex").exists() and not (out / "hard.tex").exists()
    assert any("skipped link 'link.tex' -> '/etc/passwd'" in w for w in warnings)
    paper = load_latex(arch)
    assert [s.title for s in paper.sections] == ["Intro"]
    assert any("skipped link" in w for w in paper.meta.warnings)


def test_zip_with_parent_path_is_refused(tmp_path):
    arch = tmp_path / "evil.zip"
    with zipfile.ZipFile(arch, "w") as zf:
        zf.writestr("main.tex", MAIN)
        zf.writestr("../evil.tex", "x")
    with pytest.raises(PaperError, match=r"escapes the folder"):
        load_paper(arch)


def test_zip_bomb_is_refused(tmp_path):
    arch = tmp_path / "bomb.zip"
    with zipfile.ZipFile(arch, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("main.tex", MAIN)
        zf.writestr("big.tex", b"\0" * (30 * 1024 * 1024))
    assert arch.stat().st_size < 200_000
    with pytest.raises(PaperError, match=r"compressed \d+:1 \(a zip bomb\)"):
        load_latex(arch)


def test_archive_size_and_count_limits(tmp_path):
    arch = _tar(tmp_path / "big.tar.gz", [_file(f"f{i}.tex", b"a" * 1000) for i in range(30)])
    with pytest.raises(PaperError, match=r"more than 10 files"):
        safe_extract(arch, tmp_path / "o1", max_files=10)
    with pytest.raises(PaperError, match=r"expands to more than 0 MB \(a zip bomb"):
        safe_extract(arch, tmp_path / "o2", max_bytes=5000)


def test_damaged_archive(tmp_path):
    good = _tar(tmp_path / "ok.tar.gz", [_file("main.tex", MAIN.encode() * 200)])
    bad = tmp_path / "cut.tar.gz"
    bad.write_bytes(good.read_bytes()[:60])
    with pytest.raises(PaperError, match=r"damaged or truncated|not a zip, tar"):
        load_latex(bad)


def test_folder_without_main_tex(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.tex").write_text(r"\section{Only a fragment} text")
    with pytest.raises(PaperError, match=r"no main LaTeX file.*pass the main .tex"):
        load_latex(tmp_path / "src")
