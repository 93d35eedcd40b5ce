"""config.yaml as real YAML: any depth, lists, and a source for every value."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FILES, PAPERS, TRANSFORMER_JSON, responder

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import Request
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.artifacts import ConfigDesign, parse_config
from papercoder_nb.stages import spec_for
from papercoder_nb.util.config_yaml import trace_problem, untraced_values

NESTED = """\
# Transformer
model:
  base:
    d_model: 512          # {#3-model-architecture}
    heads: 8              # Table 3
  big:  # Table 3, "big" row
    d_model: 1024
    heads: 16
training:
  optimizer:
    name: adam            # {#5-3-optimizer}
    betas: [0.9, 0.98]    # {#5-3-optimizer}
    eps: 1.0e-9           # Sec. 5.3
  warmup_steps: 4000      # Eq. 3
  schedule:               # Eq. (3)
    - linear warmup
    - inverse square root decay
  seed: 0                 # assumption: the paper gives none
smoke:
  steps: 2                # assumption: smoke run only
"""


def test_nested_yaml_with_lists_is_kept_as_written() -> None:
    parsed = spec_for("config").parse(f"Here it is:\n```yaml\n{NESTED}```\n", None)
    assert parsed.content == NESTED and parsed.warnings == []
    data = parse_config(parsed.content)
    assert data["model"]["big"]["heads"] == 16
    assert data["training"]["optimizer"]["betas"] == [0.9, 0.98]
    assert data["training"]["schedule"][1] == "inverse square root decay"


def test_every_value_needs_a_source_or_an_assumption_mark() -> None:
    text = NESTED.replace("# Sec. 5.3", "").replace("# assumption: smoke run only", "# tiny")
    assert untraced_values(text) == ["training.optimizer.eps", "smoke.steps"]
    problem = trace_problem(text)
    assert problem.startswith("untraced config values: training.optimizer.eps, smoke.steps")
    # a '#' inside a quoted value is not a comment
    assert untraced_values('path: "data#1"\nlr: 0.1  # Table 2\n') == ["path"]
    assert untraced_values("betas: [0.9, 0.98]\n") == ["betas"]
    parsed = spec_for("config").parse(text, None)
    assert parsed.warnings == [problem]  # kept, with the problem that earns a repair


def test_papercoder_real_config_parses_nested_and_its_untraced_values_are_named() -> None:
    real = (PAPERS / "transformer" / "papercoder-run-claude37" / "planning_artifacts" / "1.4_config.yaml").read_text()
    body = real.split("## config.yaml", 1)[1]
    data = parse_config(body)
    assert data["model"]["big"]["d_model"] == 1024 and data["training"]["average_checkpoints"]["big"] == 20
    missing = untraced_values(body)
    # its comments describe values ("Dimension of model embeddings") but name no source
    assert "model.base.d_model" in missing and "training.optimizer" in missing


def test_small_model_entries_render_traced_yaml() -> None:
    design = ConfigDesign.model_validate({"entries": [
        {"group": "model", "key": "d_model", "value": 512, "source": "3.2"},
        {"group": "smoke", "key": "steps", "value": 1, "source": "assumption"},
        {"group": "data", "key": "path", "value": "data/", "source": ""},
    ]})
    text = design.to_yaml()
    assert "d_model: 512  # paper: 3.2" in text and untraced_values(text) == []
    assert parse_config(text) == {"model": {"d_model": 512}, "smoke": {"steps": 1}, "data": {"path": "data/"}}


@pytest.mark.parametrize("bad, message", [("a: b: c", "not valid YAML"), ("- a\n- b\n", "must be a mapping")])
def test_a_config_that_is_not_a_mapping_is_refused(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec_for("config").parse(bad, None)


def test_an_untraced_config_gets_one_repair_request(tmp_path: Path) -> None:
    base = responder(FILES)
    asked: list[Request] = []

    def answer(req: Request) -> str:
        if req.kind != "config":
            return base(req)
        asked.append(req)
        if len(asked) == 1:
            return "```yaml\nmodel:\n  d_model: 512\n```"
        assert "untraced config values: model.d_model" in req.messages[-1].text
        return "```yaml\nmodel:\n  d_model: 512  # {#3-model-architecture}\n```"

    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    backend = ScriptedBackend("t", responder=answer)
    assert Runner(session, backend, auto_approve=True).run(until="config").ok
    assert len(asked) == 2 and asked[0].schema is None
    assert session.read("config") == "model:\n  d_model: 512  # {#3-model-architecture}\n"
    assert session.record("config").warnings == []
