"""Information fidelity: does each call carry what PaperCoder's prompt carried, uncut?

The real PaperCoder run on the Transformer paper (Claude 3.7 Sonnet, in
../shared/papers/transformer/papercoder-run-claude37/) is replayed through this
project's real runner and prompt builders, as in ``benchmarks/tokens.py``: its planning
answers and analyses as written (read by the importer), its code as stand-ins of the
sizes in ``code_sizes.tsv``, under a frontier model's limits (Claude Sonnet 4.6: 200k
window, 64k output).

For every call, the items PaperCoder's prompt for that call carried:
* plan: the paper; architecture: + the plan; logic: + the architecture; config: + the
  logic design (PaperCoder's planning is one growing conversation);
* each file's analysis: the paper and the four planning artifacts;
* each file's code: those, the file's analysis, and every file coded before it.
An item counts as carried when the request holds it whole: the paper's full text (not
condensed); every content line of PaperCoder's own artifact (white space and list markers
aside, JSON escapes decoded), so a field cut on the way to our formats is missed here; an
earlier file in full or as an outline holding all its public signatures.

information_parity = items carried / items PaperCoder carried, over all calls (1.0: none
missing). answers_cut = answers a cap or a schema bound would cut: more output tokens than
the request's max_tokens, a JSON answer that breaks the request's schema bounds, or an
artifact that stores less than the answer held. The import line: the run imported as a
session, and its content lines not found there (``import_losses``; lost=0: none).
Run: python benchmarks/fidelity.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _papercoder_run import RUN, RunBackend, answers_for, load_run, new_session  # noqa: E402

from papercoder_nb.evaluate.import_losses import _pieces, import_losses  # noqa: E402
from papercoder_nb.evaluate.papercoder_import import import_papercoder  # noqa: E402
from papercoder_nb.llm._sdk import conforms  # noqa: E402
from papercoder_nb.llm.limits import known_limits  # noqa: E402
from papercoder_nb.paper.tokens import estimate_tokens  # noqa: E402
from papercoder_nb.run.runner import Runner  # noqa: E402
from papercoder_nb.session.coding_context import outline, public_signatures  # noqa: E402
from papercoder_nb.session.store import Session  # noqa: E402

FRONTIER = "claude-sonnet-4-6"
PLANNING = ("plan", "architecture", "logic", "config")
RUN_FILES = {
    "plan": "planning_artifacts/1.1_overall_plan.txt",
    "architecture": "planning_artifacts/1.2_arch_design.txt",
    "logic": "planning_artifacts/1.3_logic_design.txt",
    "config": "planning_artifacts/1.4_config.yaml",
}
_WS = re.compile(r"\s+")
_ESCAPE = re.compile(r'\\(["\\/bfnrt]|u[0-9a-fA-F]{4})')


def papercoder_items(artifact: str, order: list[str]) -> list[str]:
    """What PaperCoder's prompt for this call carried."""
    if artifact in PLANNING:
        return ["paper", *PLANNING[: PLANNING.index(artifact)]]
    kind, _, f = artifact.partition(":")
    if kind == "analysis":
        return ["paper", *PLANNING]
    return ["paper", *PLANNING, f"analysis:{f}", *(f"code:{g}" for g in order[: order.index(f)])]


def _unescape(text: str) -> str:
    singles = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\", "/": "/"}
    return _ESCAPE.sub(lambda m: singles.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), text)


class Carried:
    """Checks one request for whole items."""

    def __init__(self, text: str, paper: str) -> None:
        self.text = text
        self.squashed = _WS.sub("", text) + "\n" + _WS.sub("", _unescape(text))
        self.paper = paper

    def covers(self, original: str) -> bool:
        return all(p in self.squashed for line in original.splitlines() for p in _pieces(line))

    def code(self, code: str) -> bool:
        if code in self.text:
            return True
        return outline(code).strip() in self.text and all(
            re.search(rf"\b(?:def|class) {re.escape(name.rsplit('.', 1)[-1])}\b", self.text)
            for name in public_signatures(code))

    def item(self, item: str, originals: dict[str, str], code: dict[str, str]) -> bool:
        if item == "paper":
            return self.paper in self.text
        if item.startswith("code:"):
            return self.code(code[item[5:]])
        return self.covers(originals[item])


def cut(call: Any, stored: str | None) -> list[str]:
    """Why this answer would be cut (empty: it is whole)."""
    req, answer = call.request, call.answer
    why = []
    if estimate_tokens(answer) > req.max_tokens:
        why.append(f"{estimate_tokens(answer)} tokens > max_tokens {req.max_tokens}")
    if req.schema is not None:
        try:
            value = json.loads(answer)
        except ValueError:  # not JSON (e.g. a YAML config where the small-model form asks JSON)
            return why
        if not conforms(value, req.schema):
            why.append("breaks the request's schema bounds")
        if stored is not None and not all(_WS.sub("", s) in _WS.sub("", _unescape(stored)) for s in _strings(value)):
            why.append("the stored artifact holds less than the answer")
    return why


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@dataclass
class Fidelity:
    rows: list[tuple[str, int, int, int, int, str]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    carried: int = 0
    expected: int = 0
    cuts: int = 0

    @property
    def parity(self) -> float:
        return self.carried / self.expected


def measure(window: int, max_output: int) -> Fidelity:
    """Replay the run under these limits and check every call."""
    run = load_run()
    answers = answers_for(run)
    originals = {a: (RUN / p).read_text() for a, p in RUN_FILES.items()}
    originals |= {f"analysis:{f}": run.analyses[f] for f in run.task_order}
    code = {f: answers[f"code:{f}"].split("\n", 1)[1].rsplit("```", 1)[0] for f in run.task_order}
    with tempfile.TemporaryDirectory() as tmp:
        session = new_session(Path(tmp))
        backend = RunBackend(answers, context_window=window, max_output=max_output)
        result = Runner(session, backend, auto_approve=True, concurrency=4).run()
        if not result.ok:
            raise SystemExit(f"the replayed run did not complete: {result}")
        paper = session.selected_paper().to_prompt_text()
        stored = {a: session.read(a) for a in answers}
    calls = sorted(backend.calls, key=lambda c: c.start)
    out = Fidelity(order=[c.request.artifact[5:] for c in calls if c.request.kind == "code"])
    for c in calls:
        aid = c.request.artifact
        items = papercoder_items(aid, out.order)
        check = Carried("\n".join(m.text for m in c.request.messages), paper)
        have = [i for i in items if check.item(i, originals, code)]
        why = cut(c, stored.get(aid))
        out.carried += len(have)
        out.expected += len(items)
        out.cuts += bool(why)
        missing = ", ".join([i for i in items if i not in have] + why) or "-"
        out.rows.append((aid, len(items), len(have), c.request.max_tokens, estimate_tokens(c.answer), missing))
    return out


def import_fidelity() -> str:
    """The run imported as a session (``papercoder import-papercoder``): its content lines kept."""
    with tempfile.TemporaryDirectory() as tmp:
        import_papercoder(RUN, Path(tmp) / "session")
        losses = import_losses(RUN, Session.open(Path(tmp) / "session"))
    where = f" ({', '.join(losses.lost)})" if losses.lost else ""
    return f"import: kept {losses.kept} of {losses.total} content lines of the run, lost={len(losses.lost)}{where}"


def main() -> None:
    window, max_output = known_limits(FRONTIER) or (200_000, 64_000)
    f = measure(window, max_output)
    print(f"paper: Transformer; answers: {RUN.name} (PaperCoder, Claude 3.7 Sonnet; code as stand-ins of its sizes); "
          f"limits of {FRONTIER}: window {window:,}, output {max_output:,}")
    print(f"{'call':<28} {'papercoder':>10} {'carried':>8} {'max_tokens':>10} {'answer':>7}  missing / cut")
    for aid, items, have, max_tokens, answer, missing in f.rows:
        print(f"{aid:<28} {items:>10} {have:>8} {max_tokens:>10,} {answer:>7,}  {missing}")
    print(f"coding order: {' → '.join(f.order)}")
    print(import_fidelity())
    print(f"information_parity={f.parity:.3f} answers_cut={f.cuts}")


if __name__ == "__main__":
    main()
