"""arXiv papers by id or URL: the LaTeX source (e-print) first, the PDF as fallback.

The e-print keeps equations as LaTeX, so it is preferred; withdrawn or PDF-only
submissions fall back to the PDF. The HTTP client is injectable (tests pass an
``httpx.MockTransport`` client; nothing here may touch the internet in tests) and the
base URL can point at a mirror with ``PAPERCODER_ARXIV_URL``. Offline, the short
connect timeout makes it fail at once with a message on how to pass a local file.
"""

from __future__ import annotations

import gzip
import os
import re
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from .errors import PaperError
from .model import Paper

ProgressFn = Callable[[str, int, int], None]
DEFAULT_BASE = "https://arxiv.org"
MAX_DOWNLOAD = 100 * 1024 * 1024
_ID = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|e-print|src)/)?"
    r"(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)(?:\.pdf)?/?$",
    re.I,
)


def parse_arxiv_id(source: str) -> str:
    m = _ID.match(source.strip())
    if not m:
        raise PaperError(f"{source!r} is not an arXiv id or URL; use e.g. arxiv:2504.17192 or https://arxiv.org/abs/2504.17192")
    return m.group("id")


def _client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(60.0, connect=4.0),
        follow_redirects=True,
        headers={"User-Agent": "papercoder-nb (paper ingestion; +https://github.com/)"},
    )


def _offline(aid: str, err: Exception) -> PaperError:
    return PaperError(
        f"cannot reach arXiv to fetch {aid} (offline or blocked: {type(err).__name__}); "
        f"download the source or PDF yourself (https://arxiv.org/e-print/{aid} or https://arxiv.org/pdf/{aid}) "
        "and pass the local file, e.g. `papercoder paper ./paper.pdf` or load_paper('paper.tar.gz')"
    )


def _get(client: httpx.Client, url: str, aid: str, progress: ProgressFn | None, what: str) -> bytes | None:
    """GET with a size cap; None on 404 (try the next form), PaperError on network trouble."""
    try:
        with client.stream("GET", url) as r:
            if r.status_code == 404:
                return None
            if r.status_code in (403, 429, 503):
                raise PaperError(
                    f"arXiv refused {url} (HTTP {r.status_code}: rate limited or blocked); wait a minute and retry, "
                    "or download the file yourself and pass the local path"
                )
            if r.status_code >= 400:
                raise PaperError(f"arXiv returned HTTP {r.status_code} for {url}; check the id {aid!r} or pass a local file")
            total = int(r.headers.get("content-length") or 0)
            chunks, got = [], 0
            for chunk in r.iter_bytes():
                got += len(chunk)
                if got > MAX_DOWNLOAD:
                    raise PaperError(f"{url} is larger than {MAX_DOWNLOAD // 2**20} MB; download it yourself and pass the file")
                chunks.append(chunk)
                if progress:
                    progress(f"downloading {what}", got, max(total, got))
            return b"".join(chunks)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.NetworkError) as e:
        raise _offline(aid, e) from e
    except httpx.TimeoutException as e:
        raise PaperError(f"arXiv timed out sending {url}; retry later or pass a local file") from e


def load_arxiv(source: str, progress: ProgressFn | None = None, client: httpx.Client | None = None) -> Paper:
    """Fetch and parse an arXiv paper (source preferred, PDF fallback)."""
    aid = parse_arxiv_id(source)
    base = os.environ.get("PAPERCODER_ARXIV_URL", DEFAULT_BASE).rstrip("/")
    own = client is None
    client = client or _client()
    try:
        with tempfile.TemporaryDirectory(prefix="papercoder-arxiv-") as tmp:
            r = _get(client, f"{base}/e-print/{aid}", aid, progress, "source")
            errors: list[str] = []
            if r is not None:
                try:
                    paper = _from_eprint(r, Path(tmp), aid, progress)
                    if paper is not None:
                        paper.meta.source = f"arxiv:{aid}"
                        paper.meta.source_type = "arxiv-" + paper.meta.source_type
                        return paper
                except PaperError as e:
                    errors.append(str(e))
            r = _get(client, f"{base}/pdf/{aid}", aid, progress, "PDF")
            if r is None:
                raise PaperError(f"arXiv has no paper {aid} (HTTP 404 for source and PDF); check the id")
            if not r.startswith(b"%PDF"):
                raise PaperError(f"arXiv sent something that is not a PDF for {aid}; download it yourself and pass the file")
            pdf = Path(tmp) / f"{aid.replace('/', '_')}.pdf"
            pdf.write_bytes(r)
            from .pdf import load_pdf

            paper = load_pdf(pdf, progress=progress)
            paper.meta.source = f"arxiv:{aid}"
            paper.meta.source_type = "arxiv-pdf"
            paper.meta.warnings += [f"LaTeX source not used: {e}" for e in errors]
            return paper
    finally:
        if own:
            client.close()


def _from_eprint(data: bytes, tmp: Path, aid: str, progress: ProgressFn | None) -> Paper | None:
    """The e-print is a gzipped tar, a gzipped single .tex, or a PDF."""
    if data.startswith(b"%PDF"):
        pdf = tmp / "eprint.pdf"
        pdf.write_bytes(data)
        from .pdf import load_pdf

        return load_pdf(pdf, progress=progress)
    name = aid.replace("/", "_")
    if data[:2] == b"\x1f\x8b":
        arch = tmp / f"{name}.tar.gz"
        arch.write_bytes(data)
        try:
            is_tar = tarfile.is_tarfile(arch)
        except (OSError, EOFError):
            is_tar = False
        if not is_tar:
            try:
                tex = gzip.decompress(data)
            except (OSError, EOFError) as e:
                raise PaperError(f"arXiv source for {aid} is a damaged gzip ({e})") from e
            arch = tmp / f"{name}.tex"
            arch.write_bytes(tex)
    elif data.lstrip()[:1] == b"\\" or b"\\documentclass" in data[:5000]:
        arch = tmp / f"{name}.tex"
        arch.write_bytes(data)
    else:
        return None
    from .latex import load_latex

    return load_latex(arch, progress=progress)
