"""Spending caps for a run: dollars at a known price, or tokens.

A dollar budget needs a price. For a model in no price table (OpenRouter, a local or
rented server) a dollar cap could never trigger, so it is refused up front with the two
ways out: give the price (``--price IN,OUT``, USD per million tokens) or cap tokens
(``--budget-tokens``). Before each call the cost (or token count) it is expected to add
is checked against what the session has spent; the expected output is the typical size
for the artifact kind (from the measured PaperCoder run), never more than ``max_tokens``.
"""

from __future__ import annotations

from typing import Any

from ..llm.base import Request, Usage, capabilities_of
from ..llm.call import backend_cost
from ..llm.pricing import price_for
from ..llm.typical import expected_output
from ..util.errors import PapercoderError


class StageError(PapercoderError):
    """An artifact could not be produced; the session is intact and says why."""


class BudgetExceeded(StageError):
    pass


class BudgetError(StageError, ValueError):
    """A budget that cannot work as asked (a dollar cap without a price)."""


class Budget:
    def __init__(self, backend: Any, *, usd: float | None = None, tokens: int | None = None) -> None:
        self.backend = backend
        self.usd = usd
        self.tokens = tokens
        if usd is not None and capabilities_of(backend).price is None and price_for(backend.spec) is None:
            raise BudgetError(
                f"--budget is in dollars but the price of {backend.spec} is unknown, so it could never stop "
                "the run; give the price with --price IN,OUT (USD per million input and output tokens) "
                "or cap tokens with --budget-tokens N"
            )

    def check(self, session: Any, request: Request) -> None:
        if self.usd is None and self.tokens is None:
            return
        expected = Usage(input_tokens=request.estimated_input_tokens(),
                         output_tokens=min(request.max_tokens, expected_output(request.kind)))
        st = session.state
        if self.tokens is not None:
            spent = st.usage.input_tokens + st.usage.output_tokens
            adds = expected.input_tokens + expected.output_tokens
            if spent + adds > self.tokens:
                raise BudgetExceeded(
                    f"token budget {self.tokens:,} reached: {spent:,} spent, the next call ({request.artifact}) "
                    f"would add about {adds:,}; raise --budget-tokens to continue"
                )
        if self.usd is not None:
            spent_usd = st.cost_usd or 0.0
            est = backend_cost(self.backend, expected)
            if est is not None and spent_usd + est > self.usd:
                raise BudgetExceeded(
                    f"budget cap ${self.usd:.2f} reached: ${spent_usd:.4f} spent, the next call "
                    f"({request.artifact}) would cost about ${est:.4f}; raise --budget to continue"
                )
