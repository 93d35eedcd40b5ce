"""`papercoder batch` against the fault server in a 429 storm: every paper finishes or its
failure is reported, and the same command resumes where it stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from eval_helpers import PAPER_MD, write_paper
from faultserver import FaultServer

from papercoder_nb.cli import main
from papercoder_nb.session.store import Session


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


def manifest(tmp_path: Path) -> Path:
    papers = tmp_path / "papers"
    write_paper(papers, "alpha.md")
    write_paper(papers, "beta.md", PAPER_MD.replace("Tiny Attention", "Tiny Convolution"))
    (papers / "broken.md").write_bytes(b"")
    m = tmp_path / "manifest.yaml"
    m.write_text(yaml.safe_dump({"papers": ["papers/alpha.md", "papers/beta.md", "papers/broken.md"]}))
    return m


def batch(m: Path, out: Path, server: FaultServer) -> int:
    return main(["batch", str(m), "--out", str(out), "--model", "openai:fake", "--quiet", "--concurrency", "2",
                 "--base-url", server.base_url])


def failed_in(err: str) -> set[str]:
    return set(err.split("failed (")[1].split(")")[0].split(", ")) if "failed (" in err else set()


def test_a_batch_rides_out_a_429_storm_and_names_the_broken_paper(tmp_path: Path, capsys) -> None:
    m, out = manifest(tmp_path), tmp_path / "out"
    with FaultServer() as server:
        server.faults.extend(["429"] * 5)  # fewer than one call's attempts: nothing may fail of it
        code = batch(m, out, server)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and failed_in(err) == {"broken"}
    for p in ("alpha", "beta"):
        assert json.loads((out / p / "status.json").read_text())["status"] == "done"
    assert "cannot read the paper" in json.loads((out / "broken" / "status.json").read_text())["error"]


def test_papers_a_storm_stopped_resume_where_they_stopped(tmp_path: Path, capsys) -> None:
    m, out = manifest(tmp_path), tmp_path / "out"
    with FaultServer() as server:
        server.faults.extend(["429"] * 30)  # more than the attempts of several calls
        assert batch(m, out, server) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        stopped = failed_in(err) - {"broken"}
        assert stopped, "the storm should have stopped at least one paper"
        for p in stopped:  # each failure is reported with its reason
            assert "rate limited (429)" in json.loads((out / p / "status.json").read_text())["error"]
        paid = {p: len([c for c in Session.open(out / p / "session").calls() if "response" in c])
                for p in ("alpha", "beta") if (out / p / "session" / "session.json").exists()}
        server.faults.clear()  # the storm is over
        before = len(server.requests)
        assert batch(m, out, server) == 1
        assert failed_in(capsys.readouterr().err) == {"broken"}
        for p in ("alpha", "beta"):
            assert json.loads((out / p / "status.json").read_text())["status"] == "done"
        # Done papers were skipped; a stopped paper resumed its session, not started over
        # (a full paper is 14 generation calls and one judge call).
        assert len(server.requests) - before == sum(15 - paid.get(p, 0) for p in stopped)
