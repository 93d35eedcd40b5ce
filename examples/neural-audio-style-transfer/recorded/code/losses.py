"""Content and style losses, as in Ulyanov's audio style transfer {#2-experiments}.

Content: the squared distance between activations. Style: the squared distance between
Gram matrices (channel correlations averaged over positions), so only the statistics of
the style source matter, not where things happen in time. Each function returns the loss
and its gradient with respect to the activations.
"""

from __future__ import annotations

import numpy as np


def gram(acts: np.ndarray) -> np.ndarray:
    """(positions, channels) -> (channels, channels), averaged over positions."""
    return acts.T @ acts / acts.shape[0]


def content_loss(acts: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    diff = acts - target
    return float(np.sum(diff**2)), 2.0 * diff


def style_loss(acts: np.ndarray, target_gram: np.ndarray) -> tuple[float, np.ndarray]:
    err = gram(acts) - target_gram
    # d/dA sum((A^T A / n - G)^2) = 4 A E / n for the symmetric error E.
    return float(np.sum(err**2)), 4.0 * acts @ err / acts.shape[0]
