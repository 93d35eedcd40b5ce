"""Tokens and list-price cost: this project's prompts versus PaperCoder's strategy.

Same paper (the Transformer), same artifacts (the real PaperCoder run with Claude 3.7
Sonnet in ../shared/papers/transformer/papercoder-run-claude37/), same answers, so the
output tokens are equal and the difference is all in what each call sends.

* Ours: the real runner and prompt builders (``stages.context.build_request``) answer
  the 18 calls from that run (a simulated latency keeps the real concurrency: four file
  calls at a time), and every request is priced exactly as ``AnthropicBackend.params``
  puts it on the wire (tools → system → messages, its cache_control breakpoints; cache
  reads 0.1x, writes 1.25x; a prefix is readable once the call that wrote it has
  finished). Shown for both structured-output modes: ``prompt`` (the default: no tools,
  the schema as an instruction after the cached prefix) and ``tool`` (a forced tool,
  which comes first in the cached prefix, so schema calls cannot share the paper's).
* PaperCoder: the whole paper in every call; the four planning calls as one growing
  conversation; a different system prompt per stage; every earlier code file resent to
  each coding call. Paper, artifacts and code are the run's; the per-stage prompt
  overheads (system prompts, instructions) are solved from the run's measured input
  tokens per stage, and the share of them that is a fixed prefix from its measured
  76.8% cacheable input. It sets no cache breakpoints: no cache at Anthropic.
* At OpenAI prices both get automatic prefix caching (longest prefix shared with an
  earlier finished call, in 128-token steps from 1024 tokens).

Tokens are characters / 4, as in the run's README. Run: python benchmarks/tokens.py
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _papercoder_run import PAPER, RUN, RunBackend, answers_for, load_run, new_session, tokens  # noqa: E402

from papercoder_nb.llm.anthropic import AnthropicBackend  # noqa: E402
from papercoder_nb.llm.base import Request  # noqa: E402
from papercoder_nb.llm.openai import OpenAIBackend  # noqa: E402
from papercoder_nb.llm.pricing import Price, price_for  # noqa: E402
from papercoder_nb.run.runner import Runner  # noqa: E402

ANTHROPIC = "anthropic:claude-3-7-sonnet-20250219"
OPENAI = "openai:o3-mini"
# The run's README: measured input tokens per stage, and the cacheable share.
MEASURED_INPUT = {"planning": 60_700, "analysis": 131_700, "coding": 218_400}
MEASURED_CACHEABLE = 0.768
FORCED_TOOL_OVERHEAD = 313  # Anthropic's tool-use system prompt with a forced tool_choice
MIN_CACHE = 1024  # smallest cacheable prefix (Claude Sonnet; OpenAI automatic caching)
# Simulated latency (seconds): enough to give the runner its real concurrency.
FIXED_S, PER_TOKEN_S, SCALE = 2.0, 0.02, 0.002


@dataclass
class CallShape:
    artifact: str
    blocks: list[tuple[str, bool]]  # prompt in prefix order: (text, cache breakpoint after it)
    output: int
    start: float
    end: float
    extra_input: int = 0  # tokens billed but not part of the cached text


@dataclass
class Tally:
    calls: int = 0
    input: int = 0
    eligible: int = 0  # tokens in a prefix shared with an earlier call
    output: int = 0
    read: int = 0  # Anthropic, as cached under the strategy's breakpoints
    write: int = 0
    openai_cached: int = 0


# -- ours ---------------------------------------------------------------------------


def _shape(req: Request, blocks: list[tuple[str, bool]], output: int, start: float, end: float,
           extra: int = 0) -> CallShape:
    return CallShape(req.artifact, blocks, output, start, end, extra)


def anthropic_blocks(params: dict) -> tuple[list[tuple[str, bool]], int]:
    """A request as the Anthropic API caches it: tools → system → messages."""
    blocks = [(json.dumps(tool, sort_keys=True), "cache_control" in tool) for tool in params.get("tools", [])]
    extra = FORCED_TOOL_OVERHEAD if blocks else 0
    wire = list(params.get("system", [])) + [b for turn in params["messages"] for b in turn["content"]]
    return blocks + [(b["text"], "cache_control" in b) for b in wire], extra


def openai_blocks(params: dict) -> list[tuple[str, bool]]:
    """As OpenAI caches it: a structured-output schema is a prefix of the system message."""
    fmt = params.get("response_format")
    head = [(json.dumps(fmt, sort_keys=True), False)] if fmt and "json_schema" in fmt else []
    return head + [(m["content"], False) for m in params["messages"]]


@dataclass
class OurRun:
    calls: list[Any]  # RunBackend calls in start order
    output: dict[str, int]  # artifact -> output tokens

    def anthropic(self, structured: str) -> list[CallShape]:
        # No network: building a request's parameters needs no valid key.
        wire = AnthropicBackend(ANTHROPIC.split(":", 1)[1], api_key="unused", structured=structured)
        shapes = []
        for c in self.calls:
            blocks, extra = anthropic_blocks(wire.params(c.request))
            shapes.append(_shape(c.request, blocks, self.output[c.request.artifact], c.start / SCALE, c.end / SCALE, extra))
        return shapes

    def openai(self, schema_mode: str) -> list[CallShape]:
        wire = OpenAIBackend(OPENAI.split(":", 1)[1], api_key="unused")
        return [
            _shape(c.request, openai_blocks(wire.params(c.request, schema_mode)), self.output[c.request.artifact],
                   c.start / SCALE, c.end / SCALE)
            for c in self.calls
        ]


def our_run() -> OurRun:
    """The real runner and prompt builders answering the run's 18 calls."""
    run = load_run()
    answers = answers_for(run)
    out_chars = dict(run.response_chars)
    with tempfile.TemporaryDirectory() as tmp:
        session = new_session(Path(tmp))
        backend = RunBackend(answers, output_chars=out_chars, fixed_s=FIXED_S, per_token_s=PER_TOKEN_S, scale=SCALE)
        result = Runner(session, backend, auto_approve=True, concurrency=4).run()
        if not result.ok or len(result.generated) != 18:
            raise SystemExit(f"the simulated run did not complete: {result}")
    return OurRun(sorted(backend.calls, key=lambda c: c.start), {a: tokens(n) for a, n in out_chars.items()})


# -- PaperCoder ---------------------------------------------------------------------


def _filler(name: str, n_tokens: int) -> str:
    """Stand-in text of a given size, identical only for the same name."""
    if n_tokens <= 0:
        return ""
    seed = hashlib.sha256(name.encode()).hexdigest()
    unit = f"[{name} {seed}] "
    chars = n_tokens * 4
    return (unit * (chars // len(unit) + 1))[:chars]


def papercoder_calls(alpha: float) -> list[CallShape]:
    """PaperCoder's 18 calls; ``alpha`` = share of each stage's prompt overhead that is
    its fixed system prompt (a prefix), the rest being instructions after the content."""
    run = load_run()
    paper = PAPER.read_text()
    raw = run.raw_planning
    planning = [raw["plan"], raw["architecture"], raw["logic"], raw["config"]]
    context = "".join(planning)
    code = {f: "```python\n" + answers_for(run)[f"code:{f}"].split("\n", 1)[1] for f in run.task_order}
    out = run.response_chars
    files = run.task_order

    # Known content per stage, then the overhead that makes the measured totals.
    n = len(files)
    known_plan = 4 * tokens(paper) + sum((3 - i) * tokens(planning[i]) for i in range(3))
    o_plan = (MEASURED_INPUT["planning"] - known_plan) / (4 * alpha + 10 * (1 - alpha))
    known_an = n * (tokens(paper) + tokens(context))
    o_an = (MEASURED_INPUT["analysis"] - known_an) / n
    earlier = [sum(tokens(code[g]) for g in files[:i]) for i in range(n)]
    known_code = n * (tokens(paper) + tokens(context)) + sum(earlier) + sum(tokens(run.analyses[f]) for f in files)
    o_code = (MEASURED_INPUT["coding"] - known_code) / n

    calls: list[CallShape] = []
    t = 0.0

    def add(artifact: str, blocks: list[str], output_chars: int) -> None:
        nonlocal t
        shape = CallShape(artifact, [(b, False) for b in blocks if b], tokens(output_chars), t, t + 1)
        calls.append(shape)
        t += 2  # sequential: each call starts after the previous one ended

    convo = [_filler("planning-system", round(alpha * o_plan)), paper]
    names = ["plan", "architecture", "logic", "config"]
    for i, name in enumerate(names):
        convo.append(_filler(f"planning-instruction-{name}", round((1 - alpha) * o_plan)))
        add(name, list(convo), out[name])
        convo.append(planning[i])
    for f in files:
        add(
            f"analysis:{f}",
            [_filler("analysis-system", round(alpha * o_an)), paper, context,
             _filler(f"analysis-instruction-{f}", round((1 - alpha) * o_an))],
            out[f"analysis:{f}"],
        )
    for i, f in enumerate(files):
        add(
            f"code:{f}",
            [_filler("coding-system", round(alpha * o_code)), paper, context, *(code[g] for g in files[:i]),
             run.analyses[f], _filler(f"coding-instruction-{f}", round((1 - alpha) * o_code))],
            out[f"code:{f}"],
        )
    return calls


def calibrated_papercoder() -> tuple[list[CallShape], float]:
    lo, hi = 0.0, 1.0
    for _ in range(40):  # the cacheable share grows with alpha
        mid = (lo + hi) / 2
        t = simulate(papercoder_calls(mid), anthropic_cache=False)
        if t.eligible / t.input < MEASURED_CACHEABLE:
            lo = mid
        else:
            hi = mid
    alpha = (lo + hi) / 2
    return papercoder_calls(alpha), alpha


# -- caching simulation ----------------------------------------------------------------


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on prefix equality: fast on long shared prefixes
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def simulate(calls: list[CallShape], *, anthropic_cache: bool) -> Tally:
    tally = Tally()
    written: dict[str, float] = {}  # prefix hash at a breakpoint -> when readable
    finished: list[tuple[float, str]] = []  # (end, full text) for automatic prefix caching
    for call in sorted(calls, key=lambda c: c.start):
        texts = [b for b, _ in call.blocks]
        full = "".join(texts)
        total = tokens(full) + call.extra_input
        tally.calls += 1
        tally.input += total
        tally.output += call.output
        shared = max((_common_prefix(full, text) for end, text in finished if end <= call.start), default=0)
        tally.eligible += tokens(shared)
        cached = tokens(shared)
        tally.openai_cached += (cached // 128) * 128 if cached >= MIN_CACHE else 0
        finished.append((call.end, full))
        if not anthropic_cache:
            continue
        # Anthropic: a hit is the longest prefix ending at a block that an earlier,
        # finished call wrote with a breakpoint; then everything up to this call's last
        # breakpoint is written.
        prefix_hashes, acc = [], hashlib.sha256()
        for text in texts:
            acc.update(text.encode())
            prefix_hashes.append(acc.copy().hexdigest())
        hit = max((i for i, h in enumerate(prefix_hashes) if written.get(h, float("inf")) <= call.start), default=-1)
        read = tokens("".join(texts[: hit + 1])) if hit >= 0 else 0
        last_bp = max((i for i, (_, bp) in enumerate(call.blocks) if bp), default=-1)
        write = tokens("".join(texts[hit + 1 : last_bp + 1])) if last_bp > hit else 0
        if read + write < MIN_CACHE:
            read = write = 0
        tally.read += read
        tally.write += write
        for i, (_, bp) in enumerate(call.blocks):
            if bp and prefix_hashes[i] not in written:
                written[prefix_hashes[i]] = call.end
    return tally


def input_cost(t: Tally, price: Price, *, anthropic: bool) -> float:
    if anthropic:
        fresh = t.input - t.read - t.write
        return (fresh * price.input + t.read * price.cache_read + t.write * price.cache_write) / 1e6
    return ((t.input - t.openai_cached) * price.input + t.openai_cached * price.cache_read) / 1e6


def main() -> None:
    a_price, o_price = price_for(ANTHROPIC), price_for(OPENAI)
    assert a_price is not None and o_price is not None
    run = our_run()
    ours = simulate(run.anthropic("prompt"), anthropic_cache=True)
    ours_tool = simulate(run.anthropic("tool"), anthropic_cache=True)
    # OpenAI figures from the OpenAI wire format (json_schema, the backend's first choice).
    ours.openai_cached = simulate(run.openai("json_schema"), anthropic_cache=False).openai_cached
    ours_tool.openai_cached = ours.openai_cached
    openai_prompt = simulate(run.openai("prompt"), anthropic_cache=False)
    pc_calls, alpha = calibrated_papercoder()
    pc = simulate(pc_calls, anthropic_cache=False)

    rows = []
    for name, t, cache in (("papercoder", pc, False), ("ours/tool", ours_tool, True), ("ours", ours, True)):
        a_in = input_cost(t, a_price, anthropic=True) if cache else t.input * a_price.input / 1e6
        a_out = t.output * a_price.output / 1e6
        o_in = input_cost(t, o_price, anthropic=False)
        o_out = t.output * o_price.output / 1e6
        rows.append((name, t, a_in, a_out, o_in, o_out))

    print(f"paper: Transformer; artifacts and output sizes: {RUN.name} (PaperCoder, Claude 3.7 Sonnet); "
          "tokens = chars/4")
    print(f"PaperCoder model: stage overheads fitted to the measured inputs {MEASURED_INPUT}, "
          f"fixed-prefix share {alpha:.2f} fitted to {MEASURED_CACHEABLE:.1%} cacheable")
    print()
    head = (f"{'strategy':<11} {'calls':>5} {'input':>9} {'eligible':>9} {'output':>7} "
            f"{'cache rd':>9} {'cache wr':>9} {'anthropic $':>11} {'(in $)':>7} {'openai $':>9} {'(in $)':>7}")
    print(head)
    for name, t, a_in, a_out, o_in, o_out in rows:
        print(f"{name:<11} {t.calls:>5} {t.input:>9,} {t.eligible:>9,} {t.output:>7,} "
              f"{t.read:>9,} {t.write:>9,} {a_in + a_out:>11.3f} {a_in:>7.3f} {o_in + o_out:>9.3f} {o_in:>7.3f}")
    print()
    print(f"anthropic prices: {ANTHROPIC} (PaperCoder without cache: it sets no breakpoints); "
          f"openai prices: {OPENAI} (automatic prefix caching for both)")
    (_, pc_t, pc_ain, pc_aout, pc_oin, pc_oout), tool_row, (_, our_t, our_ain, our_aout, our_oin, our_oout) = rows
    print(f"ours/tool = structured='tool' (forced tool: its own cached prefix per schema); "
          f"ours = structured='prompt', the default: input_cost_ratio={tool_row[2] / pc_ain:.3f} with tools")
    op_in = input_cost(openai_prompt, o_price, anthropic=False)
    print(f"openai with the schema as a prompt instruction instead of json_schema: input_cost_ratio={op_in / pc_oin:.3f}")
    print(f"openai: input_cost_ratio={our_oin / pc_oin:.3f} total_cost_ratio={(our_oin + our_oout) / (pc_oin + pc_oout):.3f}")
    print(f"input_cost_ratio={our_ain / pc_ain:.3f} total_cost_ratio={(our_ain + our_aout) / (pc_ain + pc_aout):.3f}")


if __name__ == "__main__":
    main()
