"""`papercoder run` takes a PDF, a LaTeX tarball and an arXiv id (served on 127.0.0.1)."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE_PAPER, scripted

from papercoder_nb.cli import main
from papercoder_nb.llm import registry
from papercoder_nb.session.store import Session

LATEX = EXAMPLE_PAPER.parent / "latex"


@pytest.fixture(autouse=True)
def test_provider() -> None:
    registry.register("test", lambda model, **kw: scripted())


def tarball() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for f in LATEX.iterdir():
            tar.add(f, arcname=f.name)
    return buf.getvalue()


@pytest.fixture
def arxiv_mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A stand-in for arxiv.org on loopback: serves the example's source as an e-print."""
    seen: list[str] = []
    body = tarball()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            if self.path == "/e-print/1711.11160":
                self.send_response(200)
                self.send_header("Content-Type", "application/x-eprint-tar")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PAPERCODER_ARXIV_URL", f"http://127.0.0.1:{server.server_port}")
    yield seen
    server.shutdown()


def run_plan(source: str, out: Path) -> Session:
    assert main(["run", source, "--out", str(out), "--model", "test", "--auto-approve", "--until", "plan", "--quiet"]) == 0
    return Session.open(out)


def test_run_accepts_a_pdf(tmp_path: Path) -> None:
    s = run_plan(str(EXAMPLE_PAPER), tmp_path / "pdf")
    assert s.paper.meta.source_type == "pdf" and s.paper.title == "Time Domain Neural Audio Style Transfer"
    assert s.read("plan") and (s.root / "paper" / "source.pdf").is_file()


def test_run_accepts_a_latex_tarball(tmp_path: Path) -> None:
    tgz = tmp_path / "src.tar.gz"
    tgz.write_bytes(tarball())
    s = run_plan(str(tgz), tmp_path / "tex")
    assert s.paper.meta.source_type.startswith("latex")
    assert "Time Domain Neural Audio Style Transfer" in s.paper.title
    assert s.read("plan")


def test_run_accepts_an_arxiv_id(tmp_path: Path, arxiv_mirror: list[str]) -> None:
    s = run_plan("arxiv:1711.11160", tmp_path / "ax")
    assert arxiv_mirror == ["/e-print/1711.11160"]
    assert s.paper.meta.source == "arxiv:1711.11160" and s.paper.meta.source_type.startswith("arxiv-latex")
    assert s.read("plan")
