"""Audio signals, framing and WAV files for time-domain style transfer {#5-1-input-data}.

The paper feeds raw audio at 22050 Hz, cut into frames of 2048 samples with no padding
and no centering. So that the repository runs offline, the content and style signals
are synthesised (a melody of harmonic tones; a bright, rhythmic noise texture); any
16-bit PCM WAV file can be used instead through ``load_wav``.
"""

from __future__ import annotations

import wave

import numpy as np


def synth_content(sample_rate: int, duration_s: float, seed: int = 0) -> np.ndarray:
    """A short melody of harmonic tones with note envelopes: the "content" source."""
    rng = np.random.default_rng(seed)
    n = int(sample_rate * duration_s)
    t = np.arange(n) / sample_rate
    notes = 220.0 * 2.0 ** (rng.choice([0, 3, 5, 7, 10, 12], size=8) / 12.0)
    note_len = max(1, n // len(notes))
    signal = np.zeros(n)
    for i, f0 in enumerate(notes):
        start, stop = i * note_len, n if i == len(notes) - 1 else (i + 1) * note_len
        seg = t[start:stop] - t[start]
        env = np.exp(-3.0 * seg / max(seg[-1], 1e-9)) if len(seg) else seg
        tone = sum(np.sin(2 * np.pi * f0 * k * seg) / k for k in (1, 2, 3))
        signal[start:stop] = env * tone
    return normalize(signal)


def synth_style(sample_rate: int, duration_s: float, seed: int = 1) -> np.ndarray:
    """A bright texture: amplitude-modulated noise bursts over a high tone: the "style"."""
    rng = np.random.default_rng(seed)
    n = int(sample_rate * duration_s)
    t = np.arange(n) / sample_rate
    noise = rng.standard_normal(n)
    # A crude high-pass (first difference) makes the noise bright.
    bright = np.diff(noise, prepend=0.0)
    pulses = (np.sin(2 * np.pi * 6.0 * t) > 0.3).astype(float)
    tone = 0.3 * np.sin(2 * np.pi * min(2500.0, sample_rate / 4) * t)
    return normalize(pulses * bright + tone)


def normalize(signal: np.ndarray, peak: float = 0.9) -> np.ndarray:
    top = float(np.max(np.abs(signal))) if signal.size else 0.0
    return signal * (peak / top) if top > 0 else signal


def frame_indices(n_samples: int, frame_size: int, hop_size: int) -> np.ndarray:
    """Sample indices of each frame, shape (frames, frame_size): no padding, no centering."""
    if n_samples < frame_size:
        raise ValueError(f"the signal has {n_samples} samples, fewer than one frame ({frame_size})")
    n_frames = 1 + (n_samples - frame_size) // hop_size
    return np.arange(frame_size)[None, :] + hop_size * np.arange(n_frames)[:, None]


def overlap_add(frame_grads: np.ndarray, indices: np.ndarray, n_samples: int) -> np.ndarray:
    """The adjoint of framing: each frame's values summed back into the signal."""
    out = np.zeros(n_samples, dtype=frame_grads.dtype)
    np.add.at(out, indices, frame_grads)
    return out


def load_wav(path: str, sample_rate: int) -> np.ndarray:
    """A mono float signal in [-1, 1] from a 16-bit PCM WAV, resampled linearly if needed."""
    with wave.open(path, "rb") as fh:
        if fh.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        rate, channels = fh.getframerate(), fh.getnchannels()
        data = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2").astype(float)
    signal = data.reshape(-1, channels).mean(axis=1) / 32768.0
    if rate != sample_rate:
        t_new = np.arange(int(len(signal) * sample_rate / rate)) / sample_rate
        signal = np.interp(t_new, np.arange(len(signal)) / rate, signal)
    return signal


def save_wav(path: str, signal: np.ndarray, sample_rate: int) -> None:
    pcm = (np.clip(normalize(signal), -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(path, "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(sample_rate)
        fh.writeframes(pcm.tobytes())
