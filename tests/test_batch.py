"""Batch runs: three papers, one broken; resuming; manifests; the summary; the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from eval_helpers import PAPER_MD, judging_responder, write_paper

from papercoder_nb.cli import main
from papercoder_nb.evaluate.batch import ManifestError, load_manifest, run_batch
from papercoder_nb.llm import registry
from papercoder_nb.llm.scripted import ScriptedBackend


def three_papers(tmp_path: Path) -> Path:
    papers = tmp_path / "papers"
    write_paper(papers, "alpha.md")
    write_paper(papers, "beta.md", PAPER_MD.replace("Tiny Attention", "Tiny Convolution"))
    (papers / "broken.md").write_bytes(b"")  # an empty file: the paper loader refuses it
    gold = papers / "gold"
    gold.mkdir()
    (gold / "model.py").write_text("def official():\n    return 1\n")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"papers": [
        {"source": "papers/alpha.md", "gold": "papers/gold"},
        {"source": "papers/beta.md", "id": "beta"},
        "papers/broken.md",
    ]}))
    return manifest


class Factory:
    """One scripted backend for generation and judging, counting how often it was built."""

    def __init__(self) -> None:
        self.backend = ScriptedBackend("batch", responder=judging_responder(4))
        self.specs: list[str | None] = []

    def __call__(self, spec: str | None):
        self.specs.append(spec)
        return self.backend


def test_a_batch_with_one_broken_paper(tmp_path: Path) -> None:
    manifest = three_papers(tmp_path)
    out = tmp_path / "out"
    factory = Factory()
    events: list[tuple[str, str]] = []
    res = run_batch(manifest, out, model="scripted:x", backend_factory=factory, concurrency=2,
                    on_event=lambda pid, msg: events.append((pid, msg)))
    assert factory.specs == ["scripted:x"]  # one backend shared by every paper
    assert sorted(res.done) == ["alpha", "beta"] and res.failed == ["broken"] and res.skipped == []
    rows = {r["id"]: r for r in res.rows}
    assert [r["id"] for r in res.rows] == ["alpha", "beta", "broken"]  # manifest order
    assert rows["alpha"]["status"] == "done" and rows["alpha"]["score"] == 4.0
    assert rows["alpha"]["kind"] == "reference_based" and rows["beta"]["kind"] == "reference_free"
    assert rows["alpha"]["files"] == 5 and rows["alpha"]["compiled"] == 5
    assert rows["alpha"]["smoke"] == "ok"
    assert rows["broken"]["status"] == "failed" and rows["broken"]["failed_stage"] == "run"
    assert "empty" in rows["broken"]["error"]
    # every stage left its trace
    alpha = json.loads((out / "alpha" / "status.json").read_text())
    assert set(alpha["stages"]) == {"run", "export", "smoke", "eval"}
    assert (out / "alpha" / "repo" / "main.py").is_file() and (out / "alpha" / "repo" / "requirements.txt").is_file()
    assert list((out / "alpha" / "session" / "eval").glob("*-reference_based.json"))
    session_state = json.loads((out / "alpha" / "session" / "session.json").read_text())
    assert session_state["smoke"]["ok"] is True  # the smoke result went into the session
    broken = json.loads((out / "broken" / "status.json").read_text())
    assert broken["status"] == "failed" and "Traceback" in broken["traceback"]
    # summary: CSV, Markdown and a plot (SVG: matplotlib is not a dependency)
    with open(res.summary_csv, newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["id"] for r in table] == ["alpha", "beta", "broken"] and table[0]["score"] == "4.0"
    md = res.summary_md.read_text()
    assert "| alpha | done | 4.0 |" in md and "2 of 3 papers done; 1 failed." in md
    assert res.plot is not None and res.plot.exists()
    if res.plot.suffix == ".svg":
        svg = res.plot.read_text()
        assert svg.startswith("<svg") and svg.count("<rect") == 3 and ">failed<" in svg
    assert ("broken", "run") in events and any(pid == "alpha" and m.startswith("done") for pid, m in events)

    # resuming: finished papers are skipped, the broken one is tried again
    before = len(factory.backend.requests)
    (tmp_path / "papers" / "broken.md").write_text(PAPER_MD.replace("Tiny Attention", "Fixed Paper"))
    res2 = run_batch(manifest, out, model="scripted:x", backend_factory=factory)
    assert sorted(res2.skipped) == ["alpha", "beta"] and res2.done == ["broken"]
    new = factory.backend.requests[before:]
    assert new and all("Fixed Paper" in r.messages[-1].text or "Fixed Paper" in r.messages[0].text
                       or r.kind not in ("plan", "eval.judge") for r in new)
    assert all(r["status"] == "done" for r in res2.rows)


def test_manifest_formats_and_errors(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("id,source,gold\nfirst,a.md,\n,sub/b.md,gold/b\n")
    entries = load_manifest(tmp_path / "m.csv")
    assert [e.id for e in entries] == ["first", "b"]
    assert entries[1].source == str((tmp_path / "sub" / "b.md").resolve())
    assert entries[1].gold == str((tmp_path / "gold" / "b").resolve()) and entries[0].gold is None
    (tmp_path / "m.json").write_text(json.dumps(["x/p.md", "y/p.md", "arxiv:1706.03762"]))
    entries = load_manifest(tmp_path / "m.json")
    assert [e.id for e in entries] == ["p", "p-2", "arxiv-1706.03762"]
    assert entries[2].source == "arxiv:1706.03762"
    (tmp_path / "plain.csv").write_text("a.md\nb.md\n")
    assert [e.id for e in load_manifest(tmp_path / "plain.csv")] == ["a", "b"]
    for text, message in [("[]", "found none"), ("- {gold: g}", "entry 1 has no 'source'"),
                          ("- {source: a.md, id: x}\n- {source: b.md, id: x}", "id 'x' is used twice"),
                          ("- [1, 2]", "neither a source string nor a mapping"), ("{a: [", "cannot parse")]:
        (tmp_path / "bad.yaml").write_text(text)
        with pytest.raises(ManifestError, match=message):
            load_manifest(tmp_path / "bad.yaml")
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path / "none.yaml")


def test_cli_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    shared = ScriptedBackend("cli", responder=judging_responder(3))
    monkeypatch.setitem(registry._FACTORIES, "batchtest", lambda model, **_: shared)
    manifest = three_papers(tmp_path)
    code = main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--model", "batchtest:x",
                      "--concurrency", "3", "--quiet"])
    outp = capsys.readouterr()
    assert code == 1  # one paper failed: the exit code says so, the others finished
    assert "batch: 2 done, 1 failed, 0 skipped" in outp.out
    assert "1 paper(s) failed (broken)" in outp.err
    assert (tmp_path / "out" / "summary.csv").exists() and (tmp_path / "out" / "summary.md").exists()
    assert main(["batch", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o2")]) == 1
    assert "manifest" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.real_model
def test_batch_with_the_local_model_as_judge(tmp_path: Path) -> None:
    """Generation scripted, judging by the real embedded model: the batch mechanics end to end."""
    from papercoder_nb.llm.registry import get_backend

    papers = tmp_path / "papers"
    write_paper(papers, "alpha.md")
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(["papers/alpha.md"]))
    gen = ScriptedBackend("gen", responder=judging_responder())

    def factory(spec: str | None):
        return get_backend("local") if spec == "local" else gen

    res = run_batch(manifest, tmp_path / "out", model="scripted:gen", judge_model="local", backend_factory=factory)
    assert res.done == ["alpha"], res.rows
    row = res.rows[0]
    assert row["kind"] == "reference_free" and 1 <= row["score"] <= 5 and row["valid_samples"] == 1
    assert not any(r.kind == "eval.judge" for r in gen.requests)  # the judge was the local model
    status = json.loads((tmp_path / "out" / "alpha" / "status.json").read_text())
    assert status["stages"]["eval"]["ok"] is True
