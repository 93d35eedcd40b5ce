"""Limits from the model: caps, schema bounds, continued answers, reasoning, budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FILES, TRANSFORMER_JSON, code_for, responder, scripted
from test_openai_backend import KEY, answer

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.cli import main
from papercoder_nb.llm import registry
from papercoder_nb.llm.base import Completion, Request
from papercoder_nb.llm.continuation import stitch
from papercoder_nb.llm.limits import ModelLimits, limits_of
from papercoder_nb.llm.openai import OpenAIBackend
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.run.budget import BudgetError
from papercoder_nb.session.graph import statuses

SONNET = ModelLimits(context_window=200_000, max_output=64_000, small=False)
SMOL = ModelLimits(context_window=8_192, max_output=8_192, small=True)


def new_session(tmp_path: Path, name: str = "s") -> Session:
    return Session.create(tmp_path / name, load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)


def lengths(schema: Any, key: str) -> list[int]:
    """Every ``key`` bound (maxLength, maxItems) anywhere in a schema."""
    found: list[int] = []
    if isinstance(schema, dict):
        found += [schema[key]] if key in schema else []
        for v in schema.values():
            found += lengths(v, key)
    elif isinstance(schema, list):
        for v in schema:
            found += lengths(v, key)
    return found


def test_caps_and_schema_bounds_come_from_the_limits() -> None:
    assert SONNET.answer_cap("code") == 64_000 and SONNET.answer_reserve("code") == 16_000
    # max_tokens: all the room the window leaves, never under the reserve nor over the cap
    assert SONNET.max_tokens("code", 30_000) == 64_000
    assert SONNET.max_tokens("code", 190_000) == 16_000
    assert SMOL.answer_cap("code") == 1_100 and SMOL.answer_cap("plan") == 800
    from papercoder_nb.stages import spec_for

    arch = spec_for("architecture").schema
    big, small = SONNET.schema(arch), SMOL.schema(arch)
    assert min(lengths(big, "maxLength")) >= 200 and max(lengths(big, "maxLength")) == 64_000 * 4
    assert max(lengths(small, "maxLength")) == 240 and max(lengths(small, "maxItems")) == 6
    # config: a strong model writes YAML (no schema), a small one flat entries
    config = spec_for("config")
    assert config.schema_for(False) is None and config.prompt_name(False) == "config"
    assert "entries" in config.schema_for(True)["properties"] and config.prompt_name(True) == "config_small"


def test_limits_of_a_backend_without_them_get_defaults() -> None:
    class Bare:
        spec, context_window, concurrent = "x:y", 100_000, True

    limits = limits_of(Bare())
    assert limits == ModelLimits(context_window=100_000, max_output=25_000, small=False)
    limits = limits_of(ScriptedBackend(context_window=4096))
    assert limits.small and limits.answer_cap("analysis") == 600


def test_a_strong_models_requests_are_sized_to_it(tmp_path: Path) -> None:
    backend = scripted(max_output=64_000)
    session = new_session(tmp_path)
    assert Runner(session, backend, auto_approve=True).run().ok
    by = {r.artifact: r for r in backend.requests}
    assert by["code:main.py"].max_tokens == 64_000
    assert by["plan"].max_tokens == 64_000
    assert "Small-model mode" not in by["plan"].messages[-1].text
    assert by["config"].schema is None and "```yaml" in by["config"].messages[-1].text
    # a design far longer than the old 4,000-character bound is kept whole
    long_diagram = "classDiagram\n" + "\n".join(f"  class C{i} {{\n    +int x{i}\n  }}" for i in range(300))
    from papercoder_nb.stages import spec_for

    data = json.loads(json.dumps({**json.loads(session.read("architecture")), "data_structures_and_interfaces": long_diagram}))
    parsed = spec_for("architecture").parse(json.dumps(data), data)
    assert len(long_diagram) > 6000 and long_diagram in json.loads(parsed.content)["data_structures_and_interfaces"]


def test_small_model_mode_is_explicit_and_brief(tmp_path: Path) -> None:
    backend = scripted(small_model=True)  # a 200k window, told to behave as a small model
    session = new_session(tmp_path)
    assert Runner(session, backend, auto_approve=True).run().ok
    by = {r.artifact: r for r in backend.requests}
    assert "Small-model mode" in by["plan"].messages[-1].text
    assert by["plan"].max_tokens == 800
    assert "entries" in json.dumps(by["config"].schema)
    assert max(lengths(by["logic"].schema, "maxItems")) == 6


class CuttingBackend(ScriptedBackend):
    """Cuts the answer for one artifact at the output limit once, then continues it."""

    def __init__(self, target: str, head: str, tail: str, **kw: Any) -> None:
        super().__init__("cut", responder=responder(FILES), **kw)
        self.target, self.head, self.tail = target, head, tail

    def execute(self, request: Request, on_token: Any = None, cancel: Any = None) -> Completion:
        if request.artifact != self.target:
            return super().execute(request, on_token, cancel)
        self.requests.append(request)
        last = request.messages[-1].text
        if "was cut off by the output limit" in last:
            return Completion(text=self.tail, finish_reason="stop")
        return Completion(text=self.head, finish_reason="length")


def test_a_cut_code_answer_is_continued_and_stitched(tmp_path: Path) -> None:
    full = code_for("model.py", FILES["model.py"]) + "".join(
        f"\n\ndef layer_{i}(x: float) -> float:\n    return x * {i}\n" for i in range(40))
    cut = full.index("def layer_20") + 9  # mid-line: "def layer_2"
    head = "```python\n" + full[:cut]
    # the continuation restarts the cut line and reopens the fence: both are removed
    tail = "```python\n" + full[full.index("def layer_20"):] + "```\n"
    backend = CuttingBackend("code:model.py", head, tail)
    session = new_session(tmp_path)
    assert Runner(session, backend, auto_approve=True).run().ok
    assert session.read("code:model.py") == full
    asked = [r for r in backend.requests if r.artifact == "code:model.py"]
    assert len(asked) == 2  # the first answer and one continuation, no repair from scratch
    assert asked[1].messages[-2].role == "assistant" and asked[1].messages[-2].text == head.rstrip()
    assert not any("does not compile" in w for w in session.record("code:model.py").warnings)
    calls = [c for c in session.calls() if c["artifact"] == "code:model.py"]
    assert [c["finish_reason"] for c in calls] == ["length", "stop"]


def test_stitching_the_seam() -> None:
    assert stitch("def f(x):\n    return x + 1\n", "\ndef g():\n    pass\n") == "def f(x):\n    return x + 1\n\ndef g():\n    pass\n"
    # the model repeats the last lines it wrote
    assert stitch("a = 1\nresult = compute(a, b)\n", "result = compute(a, b)\nprint(result)\n") == \
        "a = 1\nresult = compute(a, b)\nprint(result)\n"
    # a short coincidence is not an overlap
    assert stitch("x = f(a", "a)\n") == "x = f(aa)\n"
    # inside an open fence, a second opening fence is dropped
    assert stitch("```python\nimport os\n", "```python\nprint(os.sep)\n```") == "```python\nimport os\nprint(os.sep)\n```"


def test_a_continuation_needs_room_in_the_window() -> None:
    from papercoder_nb.llm.base import Message
    from papercoder_nb.llm.continuation import continuation_request

    req = Request(messages=[Message.of("user", "x" * 24_000)], max_tokens=1000)
    assert continuation_request(req, "y" * 8_000, "go on", SMOL, lambda t: len(t) // 4) is None
    follow = continuation_request(req, "y" * 8_000, "go on", SONNET, lambda t: len(t) // 4)
    assert follow is not None and follow.max_tokens == 1000 and follow.messages[-1].text == "go on"


# -- budgets -----------------------------------------------------------------------------


def unpriced(**kw: Any) -> ScriptedBackend:
    b = scripted(**kw)
    b.spec = "openrouter:some-lab/new-model"  # no price table knows it
    return b


@pytest.fixture
def providers() -> None:
    registry.register("unpriced", lambda model, **kw: unpriced())
    registry.register("test", lambda model, **kw: scripted())


def test_a_dollar_budget_without_a_price_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      providers: None) -> None:
    s = tmp_path / "s"
    code = main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "unpriced", "--budget", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "--price IN,OUT" in err and "--budget-tokens" in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1
    assert not s.exists()  # refused before anything was written
    with pytest.raises(BudgetError):
        Runner(new_session(tmp_path, "e"), unpriced(), budget_usd=1.0)


def test_a_given_price_prices_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str], providers: None) -> None:
    s = tmp_path / "s"
    code = main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "unpriced", "--budget", "5",
                 "--price", "1,2", "--until", "plan", "--quiet"])
    assert code == 0, capsys.readouterr().err
    session = Session.open(s)
    rec = session.record("plan")
    expected = (rec.usage.input_tokens * 1 + rec.usage.output_tokens * 2) / 1e6
    assert rec.cost_usd == pytest.approx(expected) and rec.cost_usd > 0
    assert session.calls()[0]["cost_usd"] == pytest.approx(expected)
    assert main(["run", str(TRANSFORMER_JSON), "--out", str(tmp_path / "bad"), "--model", "unpriced",
                 "--price", "cheap", "--quiet"]) == 1
    assert "--price takes IN,OUT" in capsys.readouterr().err


def test_a_token_budget_stops_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str], providers: None) -> None:
    s = tmp_path / "s"
    code = main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "unpriced", "--budget-tokens", "40000",
                 "--auto-approve", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "token budget 40,000 reached" in err
    st = statuses(Session.open(s))
    assert st["plan"] == "approved" and "missing" in st.values()
    state = Session.open(s).state
    assert state.usage.input_tokens + state.usage.output_tokens <= 40_000


# -- reasoning, through the CLI and the OpenAI SDK ---------------------------------------


def test_reasoning_from_the_cli_reaches_the_wire_and_calls_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies: list[dict] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=answer(["## Method\n", "A model, step by step.\n"]))

    def factory(model: str, **options: Any) -> OpenAIBackend:
        return OpenAIBackend(model, http_client=httpx.Client(transport=httpx.MockTransport(server)),
                             api_key=KEY, **options)

    registry.register("mockoai", factory)
    s = tmp_path / "s"
    code = main(["run", str(TRANSFORMER_JSON), "--out", str(s), "--model", "mockoai:o3-mini",
                 "--reasoning", "high", "--max-output", "60000", "--until", "plan", "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert bodies[0]["reasoning_effort"] == "high"
    # the answer's cap is the output limit less the reasoning headroom; both together are sent
    assert bodies[0]["max_completion_tokens"] == 60_000
    call = Session.open(s).calls()[0]
    assert call["reasoning"] == "high" and call["max_output"] == 60_000 - 32_768
    assert call["max_tokens"] == 60_000 - 32_768


def test_replay_rebuilds_the_same_prompts_from_the_recorded_limits(tmp_path: Path) -> None:
    from papercoder_nb.llm.registry import get_backend

    original = new_session(tmp_path, "orig")
    assert Runner(original, scripted(max_output=20_000), auto_approve=True).run().ok
    replay = get_backend(f"replay:{original.root}")
    assert replay.max_output == 20_000 and replay.small_model is False
    copy = new_session(tmp_path, "copy")
    assert Runner(copy, replay, auto_approve=True).run().ok
    assert all(copy.read(a) == original.read(a) for a in statuses(original))


class AlwaysCutBackend(ScriptedBackend):
    """Every answer for one artifact ends at the output limit (``finish_reason: length``)."""

    def __init__(self, target: str, **kw: Any) -> None:
        super().__init__("cut", responder=responder(FILES), **kw)
        self.target = target

    def execute(self, request: Request, on_token: Any = None, cancel: Any = None) -> Completion:
        done = super().execute(request, on_token, cancel)
        if request.artifact == self.target:
            done.finish_reason = "length"
        return done


@pytest.mark.parametrize("target", ["plan", "code:model.py", "architecture"])
def test_an_answer_that_stays_cut_is_failed_never_approved(tmp_path: Path, target: str) -> None:
    """Continued, then retried once; still cut: stored in history/rejected as failed, with a note."""
    backend = AlwaysCutBackend(target)
    session = new_session(tmp_path)
    result = Runner(session, backend, auto_approve=True).run()
    assert target in result.failed and "cut at the output limit" in result.failed[target]
    assert "--max-output" in result.failed[target]
    assert session.read(target) is None  # nothing cut stands as the artifact, approved or not
    record = session.record(target)
    assert record is not None and "cut at the output limit" in (record.error or "")
    assert list((session.root / "history" / "rejected").iterdir())  # the cut text is kept
    asked = [r for r in backend.requests if r.artifact == target]
    assert len(asked) >= 2  # continued (free text) or retried (schema) before giving up
