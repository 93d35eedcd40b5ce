"""Evaluating generated repositories: model judges, PaperBench rubrics, static facts,
batch runs over many papers, and importing PaperCoder's own runs."""

from .api import (
    evaluate_session,
    evaluation_summary,
    latest_result,
    list_results,
    load_result,
    save_result,
)
from .judge import judge_session, parse_judgement
from .models import Critique, EvalError, EvalResult, SampleResult
from .rubric import (
    RubricError,
    RubricNode,
    RubricReport,
    aggregate,
    grade_rubric,
    load_rubric,
    parse_rubric,
)
from .static import StaticFacts, session_static_facts, static_facts

__all__ = [
    "Critique", "EvalError", "EvalResult", "RubricError", "RubricNode", "RubricReport", "SampleResult",
    "StaticFacts", "aggregate", "evaluate_session", "evaluation_summary", "grade_rubric", "judge_session",
    "latest_result", "list_results", "load_result", "load_rubric", "parse_judgement", "parse_rubric",
    "save_result", "session_static_facts", "static_facts",
]
