"""Optimise a time-domain signal so its activations match the content and style targets.

Following the paper's working network {#3-results}: a content layer on the stacked
real/imaginary/magnitude features before any convolution, a style layer on the
magnitudes alone, and a content and a style layer after the ReLU. The signal starts as
noise and is optimised with Adam {#5-1-input-data}; the loss is
``alpha * content + style`` (alpha weights content, as in Ulyanov's code).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from losses import content_loss, gram, style_loss
from network import TimeDomainNetwork


@dataclass
class Targets:
    features: np.ndarray  # content: stacked components before the convolution
    post: np.ndarray  # content: after the ReLU
    mag_gram: np.ndarray  # style: Gram matrix of the magnitudes
    post_gram: np.ndarray  # style: Gram matrix after the ReLU


def compute_targets(net: TimeDomainNetwork, content: np.ndarray, style: np.ndarray) -> Targets:
    c, s = net.forward(content), net.forward(style)
    return Targets(c.features, c.post, gram(s.features[2]), gram(s.post))


def loss_and_grad(
    net: TimeDomainNetwork, signal: np.ndarray, targets: Targets, alpha: float
) -> tuple[float, dict[str, float], np.ndarray]:
    acts = net.forward(signal)
    lc0, d_feat = content_loss(acts.features, targets.features)
    lc1, d_post = content_loss(acts.post, targets.post)
    ls0, d_mag = style_loss(acts.features[2], targets.mag_gram)
    ls1, d_post_style = style_loss(acts.post, targets.post_gram)
    d_feat = alpha * d_feat
    d_feat[2] += d_mag
    d_post = alpha * d_post + d_post_style
    grad = net.backward(acts, d_feat, d_post)
    parts = {"content": lc0 + lc1, "style": ls0 + ls1}
    return alpha * parts["content"] + parts["style"], parts, grad


class Adam:
    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0

    def step(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self.m is None or self.v is None:
            self.m, self.v = np.zeros_like(x), np.zeros_like(x)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def stylize(
    net: TimeDomainNetwork,
    content: np.ndarray,
    style: np.ndarray,
    *,
    alpha: float,
    iterations: int,
    learning_rate: float,
    init_scale: float,
    seed: int = 0,
    on_step: Callable[[int, float, dict[str, float]], None] | None = None,
) -> tuple[np.ndarray, list[float]]:
    """The optimised signal (same length as the content) and the loss at every step."""
    targets = compute_targets(net, content, style)
    rng = np.random.default_rng(seed)
    signal = init_scale * rng.standard_normal(len(content))
    opt = Adam(learning_rate)
    history: list[float] = []
    for step in range(iterations):
        loss, parts, grad = loss_and_grad(net, signal, targets, alpha)
        history.append(loss)
        if on_step:
            on_step(step, loss, parts)
        signal = opt.step(signal, grad)
    history.append(loss_and_grad(net, signal, targets, alpha)[0])
    return signal, history
