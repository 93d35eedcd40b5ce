"""The evaluation result as stored in ``<session>/eval/<timestamp>.json``: validated, versioned."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..llm.base import Usage
from ..util.errors import PapercoderError
from .codebase import Coverage
from .rubric import RubricReport
from .static import StaticFacts

Severity = Literal["high", "medium", "low"]
EvalKind = Literal["reference_free", "reference_based", "rubric"]
FORMAT_VERSION = 1


class EvalError(PapercoderError, ValueError):
    """The evaluation could not produce a result (no valid judge sample, bad input, ...)."""


class Critique(BaseModel):
    file: str = Field("", max_length=200)
    function: str = Field("", max_length=200)
    severity: Severity
    text: str = Field(max_length=2000)
    sample: int = 0  # which judge sample said it


class SampleResult(BaseModel):
    index: int
    valid: bool
    score: int | None = None
    error: str | None = None  # why the sample was dropped
    critiques: int = 0
    dropped_critiques: int = 0  # critiques inside a valid sample that could not be read
    finish_reason: str = ""


class EvalResult(BaseModel):
    format_version: int = FORMAT_VERSION
    kind: EvalKind
    created_at: str
    session: str = ""
    paper_title: str = ""
    model: str = ""
    score: float | None = None  # 1–5 for the judges, 0–1 for a rubric
    score_scale: Literal["1-5", "0-1"] = "1-5"
    samples_requested: int = 0
    valid_samples: int = 0
    invalid_samples: int = 0
    sample_scores: list[int] = Field(default_factory=list)
    samples: list[SampleResult] = Field(default_factory=list)
    critiques: list[Critique] = Field(default_factory=list)
    severity_counts: dict[str, int] = Field(default_factory=dict)
    code: Coverage = Field(default_factory=Coverage)
    gold_path: str | None = None
    gold: Coverage | None = None
    paper_note: str = ""  # "paper shown in full" or how it was condensed
    rubric_path: str | None = None
    rubric: RubricReport | None = None
    static: StaticFacts | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = 0.0
    seconds: float = 0.0
    notes: list[str] = Field(default_factory=list)
