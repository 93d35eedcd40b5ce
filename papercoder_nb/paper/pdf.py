"""PDF papers with pdfplumber, no server.

One pass over each page's words (the cost of reading the characters), then pure-Python
layout and structure work: see ``pdf_layout`` (reading order, margins) and
``pdf_structure`` (headings, equations, captions, references). Bad files fail with a
``PaperError`` that says what is wrong and what to pass instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import cache
from .errors import PaperError
from .model import Paper, PaperMeta
from .pdf_layout import (
    Line,
    drop_line_numbers,
    drop_running_lines,
    find_gutter,
    order_page,
    page_words,
)
from .pdf_outline import match_outline, read_outline
from .pdf_structure import Structure, build
from .pdf_tables import attach_rows

PARSER_VERSION = "pdf-4"  # 2: small-caps, IEEE Roman and appendix headings; 3: outline; 4: page-1 unnumbered, wrapped and lettered headings
DEFAULT_MAX_PAGES = 300
ProgressFn = Callable[[str, int, int], None]


def max_pages_default() -> int:
    try:
        return int(os.environ.get("PAPERCODER_MAX_PAGES", DEFAULT_MAX_PAGES))
    except ValueError:
        return DEFAULT_MAX_PAGES


def load_pdf(
    path: str | Path,
    progress: ProgressFn | None = None,
    *,
    max_pages: int | None = None,
    ocr: bool | None = None,
    use_cache: bool = True,
) -> Paper:
    """Parse a PDF paper. ``max_pages`` bounds huge files (default 300, env
    PAPERCODER_MAX_PAGES); ``ocr`` (default: env PAPERCODER_OCR=1) OCRs scanned PDFs
    with the tesseract CLI when it is installed."""
    path = Path(path)
    data = _read_checked(path)
    sha = hashlib.sha256(data).hexdigest()
    limit = max_pages or max_pages_default()
    if ocr is None:
        ocr = os.environ.get("PAPERCODER_OCR", "") in ("1", "true", "yes")
    key = f"{PARSER_VERSION}-p{limit}-ocr{int(ocr)}"
    if use_cache:
        hit = cache.get(sha, key)
        if hit is not None:
            hit.meta.source = str(path)
            if progress:
                progress("cached parse", 1, 1)
            return hit
    truncated = b"%%EOF" not in data[-4096:]
    paper = _parse(path, sha, limit, ocr, progress, truncated)
    if use_cache:
        cache.put(sha, key, paper)
    return paper


def _read_checked(path: Path) -> bytes:
    if not path.exists():
        raise PaperError(f"{path}: no such file; check the path")
    data = path.read_bytes()
    if not data:
        raise PaperError(f"{path}: the file is empty (0 bytes); re-download the PDF or pass another file")
    head = data[:1024]
    if b"%PDF-" not in head:
        kind = _sniff(head)
        raise PaperError(
            f"{path}: not a PDF (the file starts like {kind}, not '%PDF-'); "
            "pass the real PDF, or rename the file to what it is (.tex, .md, .zip, ...)"
        )
    return data


def _sniff(head: bytes) -> str:
    if head.startswith(b"PK"):
        return "a zip archive"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip archive"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page (a login or error page saved instead of the paper?)"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "binary data"


def _open(path: Path) -> Any:
    import pdfplumber

    try:
        pdf = pdfplumber.open(path)
    except Exception as e:  # pdfplumber wraps pdfminer's many error types
        raise _open_error(path, e) from e
    try:
        _ = len(pdf.pages)  # forces the page tree: truncated files fail here
    except Exception as e:
        pdf.close()
        raise _open_error(path, e) from e
    return pdf


def _open_error(path: Path, e: Exception) -> PaperError:
    inner = e.args[0] if e.args and isinstance(e.args[0], Exception) else e
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return PaperError(
            f"{path}: the PDF is encrypted with a password; save an unlocked copy "
            "(e.g. `qpdf --decrypt --password=PASS in.pdf out.pdf`) and pass that"
        )
    detail = str(inner) or name
    return PaperError(
        f"{path}: the PDF is damaged or truncated ({name}: {detail}); "
        "download it again or pass the LaTeX source"
    )


def _parse(path: Path, sha: str, limit: int, ocr: bool, progress: ProgressFn | None, truncated: bool = False) -> Paper:
    warnings: list[str] = []
    if truncated:
        warnings.append("the PDF looks truncated (no %%EOF at the end); some pages may be missing")
    with _open(path) as pdf:
        try:
            total = len(pdf.pages)
            n = min(total, limit)
            if total > limit:
                warnings.append(
                    f"the PDF has {total} pages; only the first {limit} were read "
                    "(set PAPERCODER_MAX_PAGES or max_pages= to read more)"
                )
            per_page: list[list[dict[str, Any]]] = []
            ruled: set[int] = set()
            sizes: list[tuple[float, float]] = []
            for i in range(n):
                page = pdf.pages[i]
                words = page_words(page)
                per_page.append(drop_line_numbers(words, float(page.height)))
                # the table finder needs ruling lines both ways: note the pages that have them
                # now, while the page is parsed, instead of parsing it again later
                if sum(1 for e in page.edges if e["orientation"] == "v") >= 2:
                    ruled.add(i)
                sizes.append((float(page.width), float(page.height)))
                page.flush_cache()  # keep memory flat on long documents
                if progress:
                    progress("reading pages", i + 1, n)
        except PaperError:
            raise
        except Exception as e:
            raise PaperError(
                f"{path}: the PDF broke while reading page {len(per_page) + 1} ({type(e).__name__}: {e}); "
                "it may be truncated — download it again or pass the LaTeX source"
            ) from e
        nchars = sum(len(w["text"]) for ws in per_page for w in ws)
        if n == 0 or (truncated and nchars == 0):
            raise PaperError(
                f"{path}: the PDF is truncated or damaged (no readable pages); download it again or pass the LaTeX source"
            )
        if nchars < 40 * max(1, n) * 0.25:
            if ocr:
                return _ocr_paper(pdf, path, sha, n, warnings, progress)
            raise PaperError(_no_text_message(path, n))
        pages = _reading_order(per_page, sizes)
        removed = drop_running_lines(pages, [h for _, h in sizes])
        lines = [ln for pl in pages for ln in pl]
        outline = match_outline(read_outline(pdf), lines)
        st = build(lines, sizes[0][1] if sizes else 792.0, outline)
        attach_rows(pdf, st, ruled, per_page)
    if removed:
        warnings.append(f"removed {removed} running header/footer/page-number lines")
    return _paper(st, path, sha, n, warnings)


def _reading_order(per_page: list[list[dict[str, Any]]], sizes: list[tuple[float, float]]) -> list[list[Line]]:
    """Decide one- or two-column per document, then order each page's lines."""
    cands = [find_gutter(ws, w) for ws, (w, _) in zip(per_page, sizes, strict=True)]
    found = [g for g in cands if g is not None]
    doc_gutter: float | None = None
    if found and len(found) >= 0.4 * len(per_page):
        common = Counter(round(g / 10) for g in found).most_common(1)[0][0]
        near = sorted(g for g in found if round(g / 10) == common)
        doc_gutter = near[len(near) // 2]
    pages: list[list[Line]] = []
    for i, ws in enumerate(per_page):
        g = cands[i] if doc_gutter is not None else None
        if doc_gutter is not None and g is None:
            crossing = sum(1 for w in ws if w["x0"] < doc_gutter - 1 and w["x1"] > doc_gutter + 1)
            g = doc_gutter if crossing < 0.1 * max(1, len(ws)) else None
        elif g is not None and doc_gutter is not None and abs(g - doc_gutter) > 30:
            g = doc_gutter
        pages.append(order_page(ws, i, g))
    return pages


def _paper(st: Structure, path: Path, sha: str, pages: int, warnings: list[str]) -> Paper:
    if not st.sections:
        warnings.append("no section headings recognised; the text is one section")
    paper = Paper(
        title=st.title or path.stem,
        authors=st.authors,
        abstract=st.abstract.strip(),
        sections=st.sections,
        equations=st.equations,
        figures=st.figures,
        tables=st.tables,
        references=st.references,
        meta=PaperMeta(source_type="pdf", source=str(path), sha256=sha, pages=pages, warnings=warnings + st.warnings),
    )
    return paper.finalize()


# --- scanned PDFs ------------------------------------------------------------------


def tesseract_version() -> str | None:
    exe = shutil.which("tesseract")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (out.stdout or out.stderr).splitlines()
    return first[0].strip() if first else "tesseract"


def _no_text_message(path: Path, pages: int) -> str:
    base = (
        f"{path}: the PDF has no text layer ({pages} pages of scanned images, no characters); "
    )
    engine = tesseract_version()
    if engine:
        return base + (
            f"an OCR engine is installed ({engine}): set PAPERCODER_OCR=1 (or load_pdf(..., ocr=True)) "
            "to OCR it (slow, a few seconds a page, no equations), or pass a PDF with text or the LaTeX source"
        )
    return base + "pass a PDF with selectable text or the paper's LaTeX source"


def _ocr_paper(pdf: Any, path: Path, sha: str, n: int, warnings: list[str], progress: ProgressFn | None) -> Paper:
    exe = shutil.which("tesseract")
    if not exe:
        raise PaperError(_no_text_message(path, n))
    from .markdown import parse_markdown

    texts = []
    with tempfile.TemporaryDirectory(prefix="papercoder-ocr-") as tmp:
        for i in range(n):
            img = Path(tmp) / f"p{i}.png"
            pdf.pages[i].to_image(resolution=200).save(img)
            res = subprocess.run([exe, str(img), "-", "--psm", "3"], capture_output=True, text=True, timeout=120)
            texts.append(res.stdout)
            pdf.pages[i].flush_cache()
            if progress:
                progress("OCR pages", i + 1, n)
    text = "\n".join(texts)
    paper = parse_markdown(text, source=str(path), sha256=sha, source_type="pdf-ocr")
    paper.meta.pages = n
    paper.meta.warnings = warnings + [
        f"text recognised by OCR ({tesseract_version()}); equations and layout are not reliable"
    ]
    return paper.finalize()
