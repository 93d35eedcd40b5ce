"""The real PaperCoder run on the Transformer paper, as inputs for the benchmarks.

``../shared/papers/transformer/papercoder-run-claude37/`` holds that run's planning and
analysis artifacts and the sizes of its code. Here they become (a) this project's
artifact formats (the designs as our JSON schemas, with the per-file dependencies read
from the logic analysis: a file depends on each earlier task-list file its text names),
and (b) a backend that answers this project's runner with exactly those artifacts,
recording every request with its start and end time.
"""

from __future__ import annotations

import hashlib
import json
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


def traced_config(text: str) -> str:
    """The run's config.yaml as our prompt asks for it: each value with a source comment.

    PaperCoder's comments describe values but name no source; a model answering our
    prompt adds one. Only comments are added (the run's own text stays on each line)."""
    out = []
    for line in text.splitlines():
        body = line.split("#", 1)[0].rstrip()
        value = body.partition(":")[2].strip() if ":" in body else ""
        if value and not line.lstrip().startswith("#"):
            line += ("; " if "#" in line else "  # ") + "as stated in the paper"
        out.append(line)
    return "\n".join(out) + "\n"


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
    """The run in this project's formats, read by the importer (so nothing is cut)."""
    from papercoder_nb.evaluate.papercoder_import import (
        _Notes,
        read_design,
        to_architecture,
        to_logic,
    )

    pdir, adir = RUN / "planning_artifacts", RUN / "analyzing_artifacts"
    plan = (pdir / "1.1_overall_plan.txt").read_text()
    arch_raw = (pdir / "1.2_arch_design.txt").read_text()
    logic_raw = (pdir / "1.3_logic_design.txt").read_text()
    config_raw = (pdir / "1.4_config.yaml").read_text()
    arch = to_architecture(read_design(arch_raw), _Notes())
    logic = to_logic(read_design(logic_raw), arch, _Notes())

    rows = [line.split("\t") for line in (RUN / "code_sizes.tsv").read_text().splitlines()[1:] if line.strip()]
    rows.sort(key=lambda r: int(r[1]))
    order = [r[0] for r in rows]
    assert order == logic.ordered_files(), "code_sizes.tsv and the logic design disagree on the task order"
    code_chars = {r[0]: int(r[2]) for r in rows}
    config = traced_config(config_raw)
    analyses = {f: (adir / f"{f}_simple_analysis.txt").read_text() for f in order}
    response_chars = {
        "plan": len(plan),
        "architecture": len(arch_raw),
        "logic": len(logic_raw),
        "config": len(config_raw),
        **{f"analysis:{f}": len(analyses[f]) for f in order},
        **{f"code:{r[0]}": int(r[3]) for r in rows},
    }
    return RunArtifacts(
        plan, arch.model_dump(mode="json"), logic.model_dump(mode="json"), config, analyses, code_chars,
        response_chars, order, logic.dependencies(),
        raw_planning={"plan": plan, "architecture": arch_raw, "logic": logic_raw, "config": config_raw},
    )


def synthetic_code(path: str, chars: int, deps: list[str]) -> str:
    """Compiling Python of exactly ``chars`` characters that imports its dependencies.

    Shaped like real code (classes with documented methods of a dozen lines), so that an
    outline of it is as much smaller than it as a real file's is."""
    head = f'"""{path}: stand-in for the generated file (same size)."""\n'
    head += "".join(f"import {d[:-3].replace('/', '.')}  # noqa: F401\n" for d in deps)
    body, i = [], 0
    size = len(head)
    while size < chars - 40:
        block = (
            f"\n\nclass Block{i}:\n"
            f'    """Stand-in component {i} of {path}."""\n\n'
            f"    def __init__(self, size: int = {i % 9 + 2}) -> None:\n"
            f"        self.size = size\n"
            f"        self.values = [float(k) for k in range(size)]\n"
            f"        self.scale = {i % 5 + 1}.0\n\n"
            f"    def forward(self, x: float, steps: int = 3) -> float:\n"
            f'        """Apply component {i} to x."""\n'
            f"        total = 0.0\n"
            f"        for k, v in enumerate(self.values):\n"
            f"            if k % 2 == 0:\n"
            f"                total += v * x / (k + 1)\n"
            f"            else:\n"
            f"                total -= v / (x + k + 1.0)\n"
            f"        for _ in range(steps):\n"
            f"            total = total * 0.5 + self.scale\n"
            f"        history = [total]\n"
            f"        while len(history) < self.size:\n"
            f"            nxt = history[-1] * 0.9 + x / (len(history) + 1)\n"
            f"            history.append(nxt)\n"
            f"        mean = sum(history) / len(history)\n"
            f"        return mean + total + {i}\n"
        )
        if size + len(block) > chars - 1:
            break
        body.append(block)
        size += len(block)
        i += 1
    text = head + "".join(body)
    # Padding to the exact size: a comment of hash digits (not a repeated phrase, which
    # would read as a looping tail).
    pad = max(0, chars - len(text) - 1)
    digits = "".join(hashlib.sha256(f"{path}{i}".encode()).hexdigest() for i in range(pad // 64 + 1))
    return text + (("#" + digits)[:pad] if pad else "") + "\n"


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
        max_output: int | None = None,
        spec: str = "scripted:papercoder-run",
    ) -> None:
        self.spec = spec
        self.context_window = context_window
        self.max_output = max_output
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
    from papercoder_nb.session.store import Session

    return Session.create(tmp / "session", load_paper(PAPER), PAPER)
