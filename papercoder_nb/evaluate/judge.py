"""PaperCoder-style model judging: a 1–5 correctness score with critiques by severity.

Reference-free: the judge reads the paper and the generated code. Reference-based: also
the authors' official repository (``gold``). ``samples`` independent answers are asked
for and averaged; an answer that is empty, not JSON, or whose score is not a whole number
from 1 to 5 is dropped and counted, and a run with no valid answer is an ``EvalError``.
Critiques a valid answer gets wrong (unknown severity, no text) are dropped one by one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..llm.base import (
    Backend,
    BackendError,
    CancelledError,
    CancelToken,
    Message,
    Part,
    Request,
    Usage,
    capabilities_of,
)
from ..llm.call import call_model, cost_of
from ..paper.model import Paper
from ..session.store import Session, now
from ..util.extract import ExtractError, extract_json
from .codebase import (
    CodeFile,
    Coverage,
    allocate,
    code_tokens,
    pack_code,
    rank_files,
    read_code_dir,
)
from .models import Critique, EvalError, EvalResult, SampleResult
from .prompting import SAFETY_MARGIN, SMALL_WINDOW, counter, fit_paper, split_prompt
from .static import session_code

_SEVERITY_ALIASES = {"critical": "high", "major": "high", "severe": "high", "moderate": "medium",
                     "minor": "low", "trivial": "low", "med": "medium"}


def judge_schema(small: bool) -> dict[str, Any]:
    """Critiques before the score (the judge reasons, then scores); every field bounded."""
    n, length, name = (3, 160, 80) if small else (10, 600, 120)
    return {
        "type": "object",
        "properties": {
            "critiques": {
                "type": "array",
                "maxItems": n,
                "items": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "maxLength": name},
                        "function": {"type": "string", "maxLength": name},
                        "severity": {"type": "string", "enum": ["high", "medium", "low"]},
                        "text": {"type": "string", "maxLength": length},
                    },
                    "required": ["file", "function", "severity", "text"],
                },
            },
            "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
        },
        "required": ["critiques", "score"],
    }


# -- reading one answer -----------------------------------------------------------------
def parse_score(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"score {value!r} is not a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"score {value!r} is not a number") from None
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"score {value} is not a whole number from 1 to 5")
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"score {value!r} is not a number")
    if not 1 <= value <= 5:
        raise ValueError(f"score {value} is outside 1–5")
    return value


def _first(raw: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if raw.get(k) not in (None, ""):
            return raw[k]
    return None


def parse_critique(raw: Any, sample: int = 0) -> Critique | None:
    """One critique, PaperCoder's key names accepted too; None when unusable."""
    if not isinstance(raw, dict):
        return None
    severity = str(_first(raw, "severity", "severity_level") or "").strip().lower()
    severity = _SEVERITY_ALIASES.get(severity, severity)
    text = str(_first(raw, "text", "critique", "comment") or "").strip()
    if severity not in ("high", "medium", "low") or not text:
        return None
    cut = lambda s, n: s if len(s) <= n else s[: n - 1] + "…"  # noqa: E731
    return Critique(
        file=cut(str(_first(raw, "file", "file_name", "filename") or "").strip(), 200),
        function=cut(str(_first(raw, "function", "func_name", "function_name") or "").strip(), 200),
        severity=severity,  # type: ignore[arg-type]
        text=cut(text, 2000),
        sample=sample,
    )


def parse_judgement(text: str, parsed: Any = None, sample: int = 0) -> tuple[int, list[Critique], int]:
    """(score, critiques, dropped critiques) or ``ValueError`` saying why the answer is unusable."""
    if not isinstance(parsed, dict):
        if not text.strip():
            raise ValueError("empty answer")
        try:
            parsed = extract_json(text)
        except ExtractError as e:
            raise ValueError(str(e)) from None
    if "score" not in parsed:
        raise ValueError("the answer has no score")
    score = parse_score(parsed["score"])
    raw = _first(parsed, "critiques", "critique_list")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ValueError("critiques is not a list")
    critiques = [c for c in (parse_critique(r, sample) for r in raw) if c is not None]
    return score, critiques, len(raw) - len(critiques)


# -- building the request ---------------------------------------------------------------
@dataclass
class JudgeRequest:
    request: Request
    code: Coverage
    gold: Coverage | None
    paper_note: str


def planning_context(session: Session) -> str:
    return "\n".join(session.read(a) or "" for a in ("plan", "architecture", "logic"))


def build_judge_request(
    session: Session,
    backend: Backend,
    code: list[CodeFile],
    gold: list[CodeFile] | None = None,
    *,
    max_tokens: int | None = None,
    temperature: float = 0.2,
    prompt_dir: str | None = None,
) -> JudgeRequest:
    window = backend.context_window
    small = window < SMALL_WINDOW
    max_out = max_tokens or (600 if small else 2048)
    count = counter(backend)
    schema = judge_schema(small)
    n_crit = schema["properties"]["critiques"]["maxItems"]
    name = "judge_gold" if gold is not None else "judge_free"
    system, task = split_prompt(name, prompt_dir, max_critiques=str(n_crit))

    from ..session.graph import load_logic, task_files

    logic = load_logic(session)
    context = planning_context(session)
    order = task_files(session)
    entry = logic.entry_point if logic else None
    ranked = rank_files(code, context, order, entry)
    ranked_gold = rank_files(gold, context) if gold is not None else None

    paper = session.selected_paper()
    available = _room_for_material(window, max_out, count(system) + count(task))
    needs = {
        "paper": count(paper.to_prompt_text()),
        "code": code_tokens(ranked, count),
    }
    shares = {"paper": 0.4, "code": 0.6}
    if ranked_gold is not None:
        needs["gold"] = code_tokens(ranked_gold, count)
        shares = {"paper": 0.3, "gold": 0.3, "code": 0.4}
    alloc = allocate(needs, shares, available)
    parts, code_cov, gold_cov, paper_note = _judge_parts(paper, ranked, ranked_gold, alloc, count, task,
                                                         against_gold=gold is not None)
    request = Request(
        messages=[Message.of("system", system), Message(role="user", parts=parts)],
        schema=schema,
        schema_name="judgement",
        max_tokens=max_out,
        temperature=temperature,
        artifact="eval:" + ("reference_based" if gold is not None else "reference_free"),
        kind="eval.judge",
    )
    return JudgeRequest(request, code_cov, gold_cov, paper_note)


def _room_for_material(window: int, max_out: int, prompt_tokens: int) -> int:
    """Tokens left for the paper and the code once the prompt and the answer are counted."""
    headers = 60  # the section titles build_judge_request adds
    available = window - max_out - SAFETY_MARGIN - prompt_tokens - headers
    if available < 400:
        raise EvalError(
            f"the judge's window ({window} tokens) is too small for the judge prompt and "
            f"{max_out} output tokens; use a model with a larger window or a smaller --max-tokens"
        )
    return available


def _judge_parts(
    paper: Paper, ranked: list[CodeFile], ranked_gold: list[CodeFile] | None, alloc: dict[str, int],
    count: Callable[[str], int], task: str, *, against_gold: bool,
) -> tuple[list[Part], Coverage, Coverage | None, str]:
    """The user message's parts (paper, official code, code to review, task), each cut to
    its share; with the code's and the official code's coverage and the paper's note."""
    paper_text, paper_note = fit_paper(paper, max(100, alloc["paper"]), count)
    code_text, code_cov = pack_code(ranked, alloc["code"], count, "generated code")
    parts = [Part(text=f"# The paper\n\n{paper_text}", cache=True)]
    gold_cov = None
    if ranked_gold is not None:
        gold_text, gold_cov = pack_code(ranked_gold, alloc["gold"], count, "official code")
        parts.append(Part(text=f"\n# The official repository (reference)\n\n{gold_text or '(no files)'}\n", cache=True))
    label = "generated repository" if against_gold else "repository"
    parts.append(Part(text=f"\n# The {label} to review\n\n{code_text or '(no code files)'}\n"))
    parts.append(Part(text=f"\n# Your task\n\n{task}"))
    return parts, code_cov, gold_cov, paper_note


# -- running it -------------------------------------------------------------------------
def judge_session(
    session: Session,
    backend: Backend,
    *,
    gold: str | Path | None = None,
    samples: int = 1,
    max_tokens: int | None = None,
    temperature: float | None = None,
    prompt_dir: str | None = None,
    cancel: CancelToken | None = None,
    max_attempts: int = 3,
) -> EvalResult:
    if samples < 1:
        raise EvalError("--samples must be at least 1")
    started = time.monotonic()
    code = session_code(session)
    if not code:
        raise EvalError(f"{session.root} has no code files to evaluate; run the coding stage first")
    gold_files = _read_gold(gold)
    temp = temperature if temperature is not None else (0.2 if samples == 1 else 0.8)
    built = build_judge_request(session, backend, code, gold_files, max_tokens=max_tokens,
                                temperature=temp, prompt_dir=prompt_dir)
    kind = "reference_based" if gold_files is not None else "reference_free"
    result = EvalResult(
        kind=kind, created_at=now(), session=str(session.root), paper_title=session.paper.title,
        model=backend.spec, samples_requested=samples, code=built.code, gold=built.gold,
        gold_path=str(gold) if gold is not None else None, paper_note=built.paper_note,
    )

    def one(i: int) -> tuple[SampleResult, list[Critique], Usage]:
        return _judge_sample(session, backend, built.request, i, cancel, max_attempts)

    workers = min(samples, 4) if capabilities_of(backend).concurrent else 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="papercoder-judge") as pool:
        outcomes = list(pool.map(one, range(samples)))
    _tally(result, outcomes, samples, backend.spec)
    if built.code.truncated:
        result.notes.append(built.code.note)
    if built.gold is not None and built.gold.truncated:
        result.notes.append(built.gold.note)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _read_gold(gold: str | Path | None) -> list[CodeFile] | None:
    """The official repository's Python files; None without one."""
    if gold is None:
        return None
    gold_path = Path(gold)
    if not gold_path.exists():
        raise EvalError(f"gold repository {gold_path} not found")
    gold_files = read_code_dir(gold_path)
    if not gold_files:
        raise EvalError(f"gold repository {gold_path} holds no Python files")
    return gold_files


def _judge_sample(
    session: Session, backend: Backend, request: Request, i: int, cancel: CancelToken | None, max_attempts: int,
) -> tuple[SampleResult, list[Critique], Usage]:
    """Sample ``i``: one judge call and its parsed answer (an invalid one is a result too)."""
    req = request.model_copy(update={"artifact": f"{request.artifact}#{i + 1}"})
    try:
        c = call_model(backend, req, record=session.log_call, cancel=cancel, max_attempts=max_attempts)
    except CancelledError:
        raise
    except BackendError as e:
        return SampleResult(index=i, valid=False, error=f"model call failed: {e}"), [], Usage()
    try:
        score, crits, dropped = parse_judgement(c.text, c.parsed, i)
    except ValueError as e:
        reason = str(e) + (" (the answer hit the output token limit)" if c.finish_reason == "length" else "")
        return SampleResult(index=i, valid=False, error=reason, finish_reason=c.finish_reason), [], c.usage
    return (SampleResult(index=i, valid=True, score=score, critiques=len(crits), dropped_critiques=dropped,
                         finish_reason=c.finish_reason), crits, c.usage)


def _tally(result: EvalResult, outcomes: list[tuple[SampleResult, list[Critique], Usage]], samples: int,
           spec: str) -> None:
    """The samples into ``result``: usage and cost, the mean score of the valid ones, the
    critiques by severity; no valid sample at all is an error."""
    for sample, crits, usage in outcomes:
        result.samples.append(sample)
        result.critiques += crits
        result.usage = result.usage + usage
    result.cost_usd = cost_of(spec, result.usage)
    valid = [s for s in result.samples if s.valid]
    result.valid_samples = len(valid)
    result.invalid_samples = samples - len(valid)
    result.sample_scores = [s.score for s in valid if s.score is not None]
    if not valid:
        reasons = "; ".join(f"sample {s.index + 1}: {s.error}" for s in result.samples)
        raise EvalError(f"no valid judge answer in {samples} sample(s) from {spec} ({reasons})")
    result.score = round(sum(result.sample_scores) / len(result.sample_scores), 3)
    rank = {"high": 0, "medium": 1, "low": 2}
    result.critiques.sort(key=lambda c: (rank[c.severity], c.sample))
    result.severity_counts = {s: sum(c.severity == s for c in result.critiques) for s in ("high", "medium", "low")}
    if result.invalid_samples:
        result.notes.append(f"{result.invalid_samples} of {samples} judge answers were invalid and dropped")
