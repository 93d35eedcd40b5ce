"""Typical sizes of a run's calls, in tokens: what the estimate, the window fit and the
budget assume before a run has its own figures.

Outputs are those of a real PaperCoder run (Claude 3.7 Sonnet on the Transformer paper:
planning 7.7k output tokens over 4 calls, 1.6k per analysis, 4.1k per code file).
"""

SYSTEM = 200
PLANNING_OUT = {"plan": 2200, "architecture": 2300, "logic": 2400, "config": 800}
ANALYSIS_OUT = 1650
CODE_OUT = 4100
DEFAULT_FILES = 7


def expected_output(kind: str) -> int:
    """What a call of this kind is budgeted to write: twice the typical answer (a cap
    checked before the call must not be passed by an ordinary long answer)."""
    return {**PLANNING_OUT, "analysis": ANALYSIS_OUT, "code": CODE_OUT}.get(kind, CODE_OUT) * 2
