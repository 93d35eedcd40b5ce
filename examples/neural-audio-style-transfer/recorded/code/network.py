"""The shallow, untrained time-domain network of the paper's one working model {#3-results}.

A raw signal is framed and projected onto a discrete Fourier basis sliced to half width
{#5-1-input-data}; the real, imaginary and magnitude components are stacked along the
height dimension {#5-2-network}, and one convolution with random (never trained) filters,
height 3 (all three components) and a small width along time, stride 1, is followed by a
ReLU. The frequency bins are the convolution's input channels, as in Ulyanov's network.
Forward and backward passes are written out in NumPy, so the signal can be optimised
directly, with no phase reconstruction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio import frame_indices, overlap_add

COMPONENTS = ("real", "imag", "mag")


def dft_basis(frame_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and sine bases, (frame_size, frame_size // 2): the symmetric half removed."""
    n = np.arange(frame_size)[:, None]
    k = np.arange(frame_size // 2)[None, :]
    angle = 2.0 * np.pi * n * k / frame_size
    return np.cos(angle), -np.sin(angle)


@dataclass
class Activations:
    features: np.ndarray  # (3, frames, bins): real, imaginary, magnitude stacked in height
    pre: np.ndarray  # (positions, filters): the convolution before the ReLU
    post: np.ndarray  # (positions, filters): after the ReLU
    indices: np.ndarray  # frame sample indices (for the backward pass)
    n_samples: int


class TimeDomainNetwork:
    def __init__(
        self,
        frame_size: int,
        hop_size: int,
        kernel_width: int,
        n_filters: int,
        seed: int = 0,
        eps: float = 1e-8,
    ) -> None:
        self.frame_size, self.hop_size = frame_size, hop_size
        self.kernel_width, self.n_filters, self.eps = kernel_width, n_filters, eps
        self.cos, self.sin = dft_basis(frame_size)
        bins, height = frame_size // 2, len(COMPONENTS)
        # Ulyanov's initialisation: std = sqrt(2) * sqrt(2 / ((in + out) * width)).
        std = np.sqrt(2.0) * np.sqrt(2.0 / ((bins * height + n_filters) * kernel_width))
        rng = np.random.default_rng(seed)
        self.kernel = rng.standard_normal((height, kernel_width, bins, n_filters)) * std

    def _patches(self, features: np.ndarray) -> np.ndarray:
        """(positions, height * width * bins): every placement of the kernel along time."""
        positions = features.shape[1] - self.kernel_width + 1
        if positions < 1:
            raise ValueError("the signal is too short for the kernel width; use a longer signal")
        cols = [features[:, j : j + positions, :] for j in range(self.kernel_width)]
        return np.stack(cols, axis=1).transpose(2, 0, 1, 3).reshape(positions, -1)

    def forward(self, signal: np.ndarray) -> Activations:
        idx = frame_indices(len(signal), self.frame_size, self.hop_size)
        frames = signal[idx]
        real, imag = frames @ self.cos, frames @ self.sin
        mag = np.sqrt(real**2 + imag**2 + self.eps)
        features = np.stack([real, imag, mag])
        pre = self._patches(features) @ self.kernel.reshape(-1, self.n_filters)
        return Activations(features, pre, np.maximum(pre, 0.0), idx, len(signal))

    def backward(self, acts: Activations, d_features: np.ndarray, d_post: np.ndarray) -> np.ndarray:
        """Gradient with respect to the signal, given gradients at the features and the ReLU."""
        d_pre = d_post * (acts.pre > 0)
        d_patches = d_pre @ self.kernel.reshape(-1, self.n_filters).T
        positions = d_pre.shape[0]
        d_cols = d_patches.reshape(positions, len(COMPONENTS), self.kernel_width, -1)
        d_feat = d_features.copy()
        for j in range(self.kernel_width):
            d_feat[:, j : j + positions, :] += d_cols[:, :, j, :].transpose(1, 0, 2)
        real, imag, mag = acts.features
        d_real = d_feat[0] + d_feat[2] * real / mag
        d_imag = d_feat[1] + d_feat[2] * imag / mag
        d_frames = d_real @ self.cos.T + d_imag @ self.sin.T
        return overlap_add(d_frames, acts.indices, acts.n_samples)
