"""Pre-flight estimate of a run's calls, tokens and list-price cost, per stage.

Output sizes (``typical``) are the typical ones of a real PaperCoder run (Claude 3.7 Sonnet on the
Transformer paper: planning 7.7k output tokens over 4 calls, 1.6k per analysis, 4.1k
per code file); inputs follow this project's prompt layout (system, paper, planning so
far, per-file material; a coding call carries every file coded before it). With a
provider that caches prefixes, every call after the first reads the paper and the
planning block from the cache, and each coding call the files the previous one carried;
the estimate shows the cost both without and with that caching. It is a guide, not a
quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..llm.base import Usage
from ..llm.call import cost_of
from ..llm.providers import info_of
from ..llm.spec import provider_of
from ..llm.typical import ANALYSIS_OUT, CODE_OUT, DEFAULT_FILES, PLANNING_OUT, SYSTEM
from ..paper import Paper
from .fit import fit_warnings


@dataclass
class StageEstimate:
    stage: str
    calls: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0  # of which a prefix cache would serve
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    cost_cached_usd: float | None = 0.0


@dataclass
class RunEstimate:
    spec: str
    files: int
    files_assumed: bool
    stages: list[StageEstimate] = field(default_factory=list)
    # What will not fit the model's window and is condensed (``fit.fit_warnings``).
    warnings: list[str] = field(default_factory=list)

    def total(self) -> StageEstimate:
        t = StageEstimate("total")
        for s in self.stages:
            t.calls += s.calls
            t.input_tokens += s.input_tokens
            t.cached_input_tokens += s.cached_input_tokens
            t.output_tokens += s.output_tokens
            t.cost_usd = None if t.cost_usd is None or s.cost_usd is None else t.cost_usd + s.cost_usd
            t.cost_cached_usd = (
                None if t.cost_cached_usd is None or s.cost_cached_usd is None else t.cost_cached_usd + s.cost_cached_usd
            )
        return t


def estimate_run(paper: Paper, spec: str, files: int | None = None, window: int | None = None) -> RunEstimate:
    """``window``: the model's context window when known (else from the model table)."""
    n = files or DEFAULT_FILES
    est = RunEstimate(spec=spec, files=n, files_assumed=files is None)
    est.warnings = fit_warnings(paper.meta.token_estimate or 0, spec, window)
    caches = info_of(provider_of(spec)).caches_prompts
    paper_tokens = paper.meta.token_estimate or 0
    prefix = SYSTEM + paper_tokens
    planning_total = sum(PLANNING_OUT.values())

    def add(stage: StageEstimate, inp: int, cached: int, out: int) -> None:
        stage.calls += 1
        stage.input_tokens += inp
        stage.output_tokens += out
        cached = cached if caches else 0
        stage.cached_input_tokens += cached
        plain = cost_of(spec, Usage(input_tokens=inp, output_tokens=out))
        with_cache = cost_of(spec, Usage(input_tokens=inp, output_tokens=out, cache_read_tokens=cached,
                                         cache_write_tokens=inp - cached if caches else 0))
        stage.cost_usd = None if plain is None or stage.cost_usd is None else stage.cost_usd + plain
        stage.cost_cached_usd = (
            None if with_cache is None or stage.cost_cached_usd is None else stage.cost_cached_usd + with_cache
        )

    planning = StageEstimate("planning")
    so_far = 0
    for i, (_, out) in enumerate(PLANNING_OUT.items()):
        task = 300
        add(planning, prefix + so_far + task, (prefix + so_far) if i else 0, out)
        so_far += out
    analysis = StageEstimate("analysis")
    for _ in range(n):
        add(analysis, prefix + planning_total + 400, prefix + planning_total, ANALYSIS_OUT)
    coding = StageEstimate("coding")
    for k in range(n):  # file k reads the k files before it; the first k-1 were the last call's
        inp = prefix + planning_total + k * CODE_OUT + ANALYSIS_OUT + 300
        add(coding, inp, prefix + planning_total + max(0, k - 1) * CODE_OUT, CODE_OUT)
    est.stages = [planning, analysis, coding]
    return est


def format_estimate(est: RunEstimate) -> list[str]:
    from ..llm.pricing import format_cost

    lines = []
    for s in [*est.stages, est.total()]:
        cached = f", {s.cached_input_tokens:,} from cache" if s.cached_input_tokens else ""
        cost = format_cost(s.cost_usd)
        if s.cached_input_tokens:
            cost += f" ({format_cost(s.cost_cached_usd)} with caching)"
        lines.append(f"{s.stage:>8}: {s.calls} calls, ≈{s.input_tokens:,} input tokens{cached}, "
                     f"≈{s.output_tokens:,} output tokens, {cost}")
    if est.files_assumed:
        lines.append(f"(assuming {est.files} files until the logic design lists them)")
    lines.extend(f"warning: {w}" for w in est.warnings)
    return lines
