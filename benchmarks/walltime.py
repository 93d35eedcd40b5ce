"""Wall time of a full run: this project's scheduler versus sequential and the bound.

A simulated backend answers every call after latency = fixed cost + per-output-token
cost, with the real output sizes of the PaperCoder run on the Transformer paper
(../shared/papers/transformer/papercoder-run-claude37/: its planning answers, and its
seven files' analysis and code sizes, cycled over a synthetic 12-file plan whose logic
design has a real import graph). The run goes through the real ``Runner`` (default
concurrency 4), with simulated time scaled down (10x) so it takes about a minute.

* sequential: every call one after another (PaperCoder's way);
* bound: the longest dependency chain (planning → a file's analysis → its code after
  the code of every file before it: each coding call sees all earlier files, so coding
  runs in task order while the analyses run in parallel), which no scheduler can beat.

Last line: walltime_ratio=<ours/sequential> critical_path_ratio=<ours/bound>.
Run: python benchmarks/walltime.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _papercoder_run import RunBackend, load_run, new_session, synthetic_code, tokens  # noqa: E402

from papercoder_nb.run.runner import Runner  # noqa: E402

FIXED_S = 2.0  # time to first token, per call
PER_TOKEN_S = 0.02  # 50 output tokens per second
# One simulated second takes 100 ms. The runner's own bookkeeping (status scans, prompt
# building, atomic writes: some 50-100 ms of real time per call on a busy 2-core box) is
# not scaled down with the calls; at 30 ms per simulated second it would read as ~3
# simulated seconds per call, 33x what it costs against real model latencies.
SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
CONCURRENCY = 4

# A 12-file plan: file -> the files it imports (task-list order is topological).
PLAN_12 = {
    "config.py": [],
    "utils.py": ["config.py"],
    "data/tokenizer.py": ["config.py"],
    "data/dataset.py": ["data/tokenizer.py", "utils.py"],
    "model/layers.py": ["config.py", "utils.py"],
    "model/attention.py": ["model/layers.py"],
    "model/transformer.py": ["model/attention.py", "model/layers.py"],
    "optim.py": ["config.py"],
    "train.py": ["model/transformer.py", "data/dataset.py", "optim.py", "utils.py"],
    "evaluate.py": ["model/transformer.py", "data/dataset.py"],
    "export.py": ["model/transformer.py"],
    "main.py": ["train.py", "evaluate.py", "export.py"],
}


def build_answers() -> tuple[dict[str, str], dict[str, int]]:
    run = load_run()
    real = run.task_order  # seven real files, their sizes cycled over the twelve
    architecture = dict(run.architecture, file_list=list(PLAN_12))
    logic = dict(
        run.logic,
        files=[
            {"file": f, "purpose": f"implements {f}", "depends_on": deps, "paper_refs": []}
            for f, deps in PLAN_12.items()
        ],
        task_list=list(PLAN_12),
    )
    answers = {
        "plan": run.plan,
        "architecture": json.dumps(architecture, indent=2),
        "logic": json.dumps(logic, indent=2),
        "config": run.config,
    }
    out_chars = {k: run.response_chars[k] for k in ("plan", "architecture", "logic", "config")}
    for i, f in enumerate(PLAN_12):
        src = real[i % len(real)]
        answers[f"analysis:{f}"] = run.analyses[src]
        answers[f"code:{f}"] = "```python\n" + synthetic_code(f, run.code_chars[src], []) + "```\n"
        out_chars[f"analysis:{f}"] = run.response_chars[f"analysis:{src}"]
        out_chars[f"code:{f}"] = run.response_chars[f"code:{src}"]
    return answers, out_chars


def latency(out_chars: dict[str, int], artifact: str) -> float:
    return FIXED_S + PER_TOKEN_S * tokens(out_chars[artifact])


def bounds(out_chars: dict[str, int]) -> tuple[float, float]:
    """(sequential, critical path) in simulated seconds."""
    sequential = sum(latency(out_chars, a) for a in out_chars)
    planning = sum(latency(out_chars, a) for a in ("plan", "architecture", "logic", "config"))
    done = 0.0
    for f in PLAN_12:  # the task order: each file's code after the code of every earlier file
        done = max(latency(out_chars, f"analysis:{f}"), done) + latency(out_chars, f"code:{f}")
    return sequential, planning + done


def main() -> None:
    answers, out_chars = build_answers()
    sequential, bound = bounds(out_chars)
    with tempfile.TemporaryDirectory() as tmp:
        session = new_session(Path(tmp))
        backend = RunBackend(answers, output_chars=out_chars, fixed_s=FIXED_S, per_token_s=PER_TOKEN_S, scale=SCALE)
        started = time.perf_counter()
        result = Runner(session, backend, auto_approve=True, concurrency=CONCURRENCY).run()
        wall = (time.perf_counter() - started) / SCALE
    if not result.ok or len(result.generated) != len(answers):
        raise SystemExit(f"the simulated run did not complete: {result}")
    busy = sum(c.end - c.start for c in backend.calls) / SCALE
    print(f"{len(backend.calls)} calls (4 planning, {len(PLAN_12)} analyses, {len(PLAN_12)} files of code); "
          f"latency = {FIXED_S:g} s + {PER_TOKEN_S:g} s/output token; concurrency {CONCURRENCY}; "
          f"output sizes of the PaperCoder Transformer run")
    print(f"sequential (sum of call latencies)   {sequential:8.1f} s")
    print(f"critical-path bound                  {bound:8.1f} s")
    print(f"this project's runner (wall)         {wall:8.1f} s   (calls busy {busy:.1f} s; "
          f"scheduling overhead included: {(wall - bound) * SCALE:.2f} s real above the bound, "
          f"one simulated second = {SCALE * 1000:g} ms)")
    print(f"walltime_ratio={wall / sequential:.3f} critical_path_ratio={wall / bound:.3f}")


if __name__ == "__main__":
    main()
