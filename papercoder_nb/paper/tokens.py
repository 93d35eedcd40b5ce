"""Token estimates without a tokenizer.

Stages budget prompts before any model is loaded, so the estimate must be cheap and
err on the high side. About 4 characters a token holds for English with BPE
tokenizers (o200k within 4% on the Transformer run); non-Latin scripts take far
more tokens per character, so they are counted per character.
"""

from __future__ import annotations

import math


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    ascii_chars = len(text.encode("ascii", "ignore"))  # C speed: called per prompt part
    other = len(text) - ascii_chars
    return math.ceil(ascii_chars / 3.6) + other
