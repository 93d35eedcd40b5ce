"""Paper ingestion: any source in, one ``Paper`` out.

``load_paper`` picks a loader by what the source is (arXiv id, folder, archive, file
type by content, not only by name). Loaders for heavy formats are imported lazily so
reading a Markdown paper never pays for pdfplumber.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from .errors import PaperError
from .model import Equation, Figure, Paper, PaperMeta, Reference, Section, Table

__all__ = [
    "Equation", "Figure", "Paper", "PaperError", "PaperMeta", "Reference", "Section", "Table",
    "load_paper", "ProgressFn",
]

ProgressFn = Callable[[str, int, int], None]  # (what, done, total)

_ARXIV = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|e-print|src)/)"
    r"(?P<id>(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?(?:\.pdf)?/?$",
    re.I,
)


def arxiv_id(source: str) -> str | None:
    m = _ARXIV.match(source.strip())
    return m.group("id") if m else None


def load_paper(source: str | Path, progress: ProgressFn | None = None) -> Paper:
    """Read a paper from a path (PDF, LaTeX file/folder/archive, s2orc JSON, Markdown,
    text) or an arXiv id / URL."""
    src = str(source)
    if arxiv_id(src):
        from .arxiv import load_arxiv

        return load_arxiv(src, progress=progress)
    path = Path(src).expanduser()
    if not path.exists():
        raise PaperError(f"{src}: no such file or folder; pass a path to a PDF, LaTeX, JSON or Markdown paper, or arxiv:<id>")
    if path.is_dir():
        from .latex import load_latex

        return load_latex(path, progress=progress)
    if path.stat().st_size == 0:
        raise PaperError(f"{src}: the file is empty (0 bytes); check the download or pass another file")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    suffix = "".join(path.suffixes[-2:]).lower()
    head = data[:1024]
    if head.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
        from .pdf import load_pdf

        return load_pdf(path, progress=progress)
    if suffix.endswith((".tar.gz", ".tgz", ".tar", ".zip", ".gz")) or head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04":
        from .latex import load_latex

        return load_latex(path, progress=progress)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PaperError(f"{src}: not UTF-8 text and not a PDF or archive; convert it to UTF-8 or pass the PDF") from e
    if path.suffix.lower() == ".tex" or "\\documentclass" in text[:20000] or "\\begin{document}" in text:
        from .latex import load_latex

        return load_latex(path, progress=progress)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        from .s2orc import load_s2orc_text

        return load_s2orc_text(text, src, sha)
    from .markdown import parse_markdown

    kind = "markdown" if path.suffix.lower() in (".md", ".markdown") else "text"
    return parse_markdown(text, source=src, sha256=sha, source_type=kind)
