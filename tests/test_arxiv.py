"""arXiv fetching with an injected mock transport or a local server; never the internet."""

from __future__ import annotations

import gzip
import io
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from pdf_fixtures import Page, make_pdf, prose, wrap

from papercoder_nb.paper import PaperError, load_paper
from papercoder_nb.paper.arxiv import load_arxiv, parse_arxiv_id

TEX = rb"""\documentclass{article}\title{Mock Paper}\begin{document}
\begin{abstract}An abstract.\end{abstract}
\section{Intro}Hello $x$.\begin{equation}y = x^2\end{equation}
\end{document}"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERCODER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PAPERCODER_ARXIV_URL", raising=False)


def _targz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _pdf() -> bytes:
    p = Page().text(72, 60, "A PDF Only Paper", 16, "B").text(72, 100, "1 Introduction", 12, "B")
    for j, ln in enumerate(wrap(prose(60), 10)):
        p.text(72, 120 + 13 * j, ln)
    return make_pdf([p])


def _client(routes: dict[str, tuple[int, bytes]], seen: list[str]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status, body = routes.get(request.url.path, (404, b"not found"))
        return httpx.Response(status, content=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("src", [
    "arxiv:2504.17192", "https://arxiv.org/abs/2504.17192", "https://arxiv.org/pdf/2504.17192v2.pdf",
    "2504.17192", "arXiv:2504.17192v3",
])
def test_ids(src):
    assert parse_arxiv_id(src).startswith("2504.17192")


def test_bad_id():
    with pytest.raises(PaperError, match="not an arXiv id"):
        parse_arxiv_id("arxiv:banana")


def test_source_tarball_preferred():
    seen: list[str] = []
    client = _client({"/e-print/2504.17192": (200, _targz({"main.tex": TEX}))}, seen)
    progress = []
    paper = load_arxiv("arxiv:2504.17192", progress=lambda *a: progress.append(a), client=client)
    assert seen == ["/e-print/2504.17192"]
    assert paper.title == "Mock Paper" and paper.equations[0].latex == "y = x^2"
    assert paper.meta.source == "arxiv:2504.17192" and paper.meta.source_type == "arxiv-latex-archive"
    assert any(p[0] == "downloading source" for p in progress)


def test_single_gzipped_tex():
    seen: list[str] = []
    client = _client({"/e-print/1706.03762": (200, gzip.compress(TEX))}, seen)
    paper = load_arxiv("https://arxiv.org/abs/1706.03762", client=client)
    assert [s.title for s in paper.sections] == ["Intro"]


def test_pdf_fallback_when_no_source():
    seen: list[str] = []
    client = _client({"/pdf/2101.00001": (200, _pdf())}, seen)
    paper = load_arxiv("arxiv:2101.00001", client=client)
    assert seen == ["/e-print/2101.00001", "/pdf/2101.00001"]
    assert paper.meta.source_type == "arxiv-pdf" and paper.title == "A PDF Only Paper"


def test_unknown_paper():
    client = _client({}, [])
    with pytest.raises(PaperError, match="no paper 2101.99999"):
        load_arxiv("arxiv:2101.99999", client=client)


def test_rate_limited():
    client = _client({"/e-print/2101.00001": (429, b"slow down")}, [])
    with pytest.raises(PaperError, match="HTTP 429.*retry"):
        load_arxiv("arxiv:2101.00001", client=client)


def test_offline_fails_at_once_with_instructions():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down))
    with pytest.raises(PaperError, match=r"cannot reach arXiv.*offline.*pass the local file"):
        load_arxiv("arxiv:2504.17192", client=client)


def test_offline_real_client_closed_port(monkeypatch):
    # nothing listens on port 9 of localhost: the default client must give up quickly
    monkeypatch.setenv("PAPERCODER_ARXIV_URL", "http://127.0.0.1:9")
    t = time.perf_counter()
    with pytest.raises(PaperError, match=r"offline"):
        load_paper("arxiv:2504.17192")
    assert time.perf_counter() - t < 10


def test_local_http_server_through_load_paper(monkeypatch):
    body = _targz({"paper/main.tex": TEX})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            if self.path.startswith("/e-print/2504.17192"):  # versioned ids are kept
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("PAPERCODER_ARXIV_URL", f"http://127.0.0.1:{server.server_address[1]}")
        paper = load_paper("https://arxiv.org/abs/2504.17192v1")
        assert paper.title == "Mock Paper" and paper.abstract == "An abstract."
    finally:
        server.shutdown()
        server.server_close()
