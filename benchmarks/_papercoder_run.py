"""The real PaperCoder run on the Transformer paper, as inputs for the benchmarks.

``../shared/papers/transformer/papercoder-run-claude37/`` holds that run's planning and
analysis artifacts and the sizes of its code. Here they become (a) this project's
artifact formats (the designs as our JSON schemas, with the per-file dependencies read
from the logic analysis: a file depends on each earlier task-list file its text names),
and (b) a backend that answers this project's runner with exactly those artifacts,
recording every request with its start and end time.
"""

from __future__ import annotations

import ast
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papercoder_nb.llm.base import CancelToken, Completion, Request, TokenCallback, Usage

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT.parent / "shared" / "papers" / "transformer" / "Transformer_cleaned.json"
RUN = PAPER.parent / "papercoder-run-claude37"
CHARS_PER_TOKEN = 4  # the run's README: tokens ≈ characters / 4 (o200k within 4%)


def tokens(text_or_chars: str | int) -> int:
    n = text_or_chars if isinstance(text_or_chars, int) else len(text_or_chars)
    return round(n / CHARS_PER_TOKEN)


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"-{20,}\n\[(.+?)\]\n", text)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def _bullets(body: str) -> list[str]:
    return [line[2:].strip() for line in body.splitlines() if line.startswith("- ")]


def _numbered(body: str) -> list[str]:
    items = [s.strip() for s in re.split(r"(?:^|\s)\d+\.\s", body) if s.strip()]
    return [s[:600] for s in items][:8]


@dataclass
class RunArtifacts:
    plan: str
    architecture: dict[str, Any]
    logic: dict[str, Any]
    config: str
    analyses: dict[str, str]  # file -> analysis text
    code_chars: dict[str, int]  # file -> size of the generated code
    response_chars: dict[str, int]  # artifact id -> size of the model's answer
    task_order: list[str]
    deps: dict[str, list[str]]
    raw_planning: dict[str, str] = field(default_factory=dict)  # PaperCoder's own texts


def load_run() -> RunArtifacts:
    pdir, adir = RUN / "planning_artifacts", RUN / "analyzing_artifacts"
    plan = (pdir / "1.1_overall_plan.txt").read_text()
    arch_raw = (pdir / "1.2_arch_design.txt").read_text()
    logic_raw = (pdir / "1.3_logic_design.txt").read_text()
    config = (pdir / "1.4_config.yaml").read_text()
    a, lg = _sections(arch_raw), _sections(logic_raw)

    rows = [line.split("\t") for line in (RUN / "code_sizes.tsv").read_text().splitlines()[1:] if line.strip()]
    rows.sort(key=lambda r: int(r[1]))
    order = [r[0] for r in rows]
    code_chars = {r[0]: int(r[2]) for r in rows}

    entries = [ast.literal_eval(e) for e in re.findall(r"^- (\[.*?\])$", lg["Logic Analysis"], re.M | re.S)]
    described = {f: text for f, text in entries}
    deps: dict[str, list[str]] = {}
    for i, f in enumerate(order):
        text = described.get(f, "")
        deps[f] = [d for d in order[:i] if re.search(rf"\b{re.escape(d[:-3])}(\.py)?\b", text)]

    architecture = {
        "implementation_approach": a["Implementation approach"][:4000],
        "file_list": _bullets(a["File list"]),
        "data_structures_and_interfaces": a["Data structures and interfaces"][:4000],
        "program_call_flow": a["Program call flow"][:4000],
        "unclear": _numbered(a["Anything UNCLEAR"]),
    }
    logic = {
        "required_packages": _bullets(lg["Required packages"]),
        # The schema bounds a purpose at 600 characters; the detail lives in the analyses.
        "files": [
            {"file": f, "purpose": described.get(f, f)[:600], "depends_on": deps[f], "paper_refs": []}
            for f in order
        ],
        "task_list": order,
        "shared_knowledge": lg["Shared Knowledge"][:4000],
        "unclear": _numbered(lg["Anything UNCLEAR"]),
        "entry_point": "main.py",
        "smoke_args": [],
    }
    analyses = {f: (adir / f"{f}_simple_analysis.txt").read_text() for f in order}
    response_chars = {
        "plan": len(plan),
        "architecture": len(arch_raw),
        "logic": len(logic_raw),
        "config": len(config),
        **{f"analysis:{f}": len(analyses[f]) for f in order},
        **{f"code:{r[0]}": int(r[3]) for r in rows},
    }
    return RunArtifacts(
        plan, architecture, logic, config, analyses, code_chars, response_chars, order, deps,
        raw_planning={"plan": plan, "architecture": arch_raw, "logic": logic_raw, "config": config},
    )


def synthetic_code(path: str, chars: int, deps: list[str]) -> str:
    """Compiling Python of exactly ``chars`` characters that imports its dependencies."""
    head = f'"""{path}: stand-in for the generated file (same size)."""\n'
    head += "".join(f"import {d[:-3]}  # noqa: F401\n" for d in deps)
    body, i = [], 0
    size = len(head)
    while size < chars - 40:
        line = f"\n\ndef step_{i}(x: float) -> float:\n    return x * {i} + {i % 7}\n"
        body.append(line)
        size += len(line)
        i += 1
    text = head + "".join(body)
    return text + "#" * max(0, chars - len(text) - 1) + "\n"


@dataclass
class Call:
    request: Request
    answer: str
    start: float
    end: float


class RunBackend:
    """Answers each artifact with the run's content after a simulated latency.

    latency = (fixed_s + per_token_s * output tokens) * scale, so a whole run can be
    replayed in seconds while keeping its shape.
    """

    concurrent = True

    def __init__(
        self,
        answers: dict[str, str],
        *,
        output_chars: dict[str, int] | None = None,
        fixed_s: float = 0.0,
        per_token_s: float = 0.0,
        scale: float = 1.0,
        context_window: int = 200_000,
        spec: str = "scripted:papercoder-run",
    ) -> None:
        self.spec = spec
        self.context_window = context_window
        self.answers = answers
        self.output_chars = output_chars or {}
        self.fixed_s, self.per_token_s, self.scale = fixed_s, per_token_s, scale
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self.t0 = time.perf_counter()

    def latency(self, artifact: str) -> float:
        out = tokens(self.output_chars.get(artifact, len(self.answers[artifact])))
        return self.fixed_s + self.per_token_s * out

    def execute(
        self, request: Request, on_token: TokenCallback | None = None, cancel: CancelToken | None = None
    ) -> Completion:
        start = time.perf_counter() - self.t0
        answer = self.answers[request.artifact]
        time.sleep(self.latency(request.artifact) * self.scale)
        end = time.perf_counter() - self.t0
        with self._lock:
            self.calls.append(Call(request, answer, start, end))
        parsed = None
        if request.schema is not None:
            try:
                parsed = json.loads(answer)
            except ValueError:  # e.g. config.yaml answered as YAML, which the parser accepts
                parsed = None
        return Completion(
            text=answer,
            parsed=parsed,
            usage=Usage(input_tokens=request.estimated_input_tokens(), output_tokens=tokens(answer)),
            model=self.spec,
        )


def answers_for(run: RunArtifacts, code_chars: dict[str, int] | None = None,
                deps: dict[str, list[str]] | None = None) -> dict[str, str]:
    """What the backend answers per artifact id (code as a Markdown-fenced block)."""
    code_chars = code_chars or run.code_chars
    deps = deps or run.deps
    out = {
        "plan": run.plan,
        "architecture": json.dumps(run.architecture, indent=2),
        "logic": json.dumps(run.logic, indent=2),
        "config": run.config,
    }
    for f in code_chars:
        out[f"analysis:{f}"] = run.analyses.get(f, "")
        out[f"code:{f}"] = "```python\n" + synthetic_code(f, code_chars[f], deps.get(f, [])) + "```\n"
    return out


def new_session(tmp: Path) -> Any:
    from papercoder_nb.paper import load_paper
    from papercoder_nb.store import Session

    return Session.create(tmp / "session", load_paper(PAPER), PAPER)
