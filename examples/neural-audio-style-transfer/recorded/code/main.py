"""Time-domain neural audio style transfer: the command line {#3-results}.

``python main.py`` runs the configuration in ``config.yaml`` (the paper's settings);
``python main.py --smoke`` runs the tiny ``smoke`` overrides in a few seconds and checks
that the loss goes down. Without ``--content``/``--style`` WAV files the sources are
synthesised, so nothing is downloaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from audio import load_wav, save_wav, synth_content, synth_style
from network import TimeDomainNetwork
from stylize import stylize


def load_config(path: str, smoke: bool) -> dict:
    """config.yaml flattened to one mapping; ``--smoke`` overlays its ``smoke`` group."""
    with open(path, encoding="utf-8") as fh:
        groups = yaml.safe_load(fh)
    flat = {k: v for name, group in groups.items() if name != "smoke" for k, v in group.items()}
    if smoke:
        flat.update(groups.get("smoke") or {})
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--smoke", action="store_true", help="tiny settings; seconds")
    parser.add_argument("--content", help="content WAV (default: synthesised)")
    parser.add_argument("--style", help="style WAV (default: synthesised)")
    parser.add_argument("--out", help="output WAV (default: the config's output_path)")
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.smoke)

    sr, dur = int(cfg["sample_rate"]), float(cfg["duration_s"])
    content = load_wav(args.content, sr) if args.content else synth_content(sr, dur, cfg["seed"])
    style = load_wav(args.style, sr) if args.style else synth_style(sr, dur, cfg["seed"] + 1)
    net = TimeDomainNetwork(
        int(cfg["frame_size"]), int(cfg["hop_size"]), int(cfg["kernel_width"]),
        int(cfg["n_filters"]), seed=int(cfg["seed"]),
    )
    every = max(1, int(cfg["iterations"]) // 5)

    def report(step: int, loss: float, parts: dict[str, float]) -> None:
        if step % every == 0:
            print(f"step {step:4d}  loss {loss:.4e}  content {parts['content']:.3e}  style {parts['style']:.3e}")

    signal, history = stylize(
        net, content, style,
        alpha=float(cfg["alpha"]), iterations=int(cfg["iterations"]),
        learning_rate=float(cfg["learning_rate"]), init_scale=float(cfg["init_scale"]),
        seed=int(cfg["seed"]), on_step=report,
    )
    out = Path(args.out or cfg["output_path"])
    out.parent.mkdir(parents=True, exist_ok=True)
    save_wav(str(out), signal, sr)
    print(f"loss {history[0]:.4e} -> {history[-1]:.4e} after {len(history) - 1} Adam steps")
    print(f"wrote {out} ({len(signal) / sr:.2f} s at {sr} Hz, peak {np.max(np.abs(signal)):.3f} before normalising)")
    if args.smoke and not history[-1] < history[0]:
        print("smoke check failed: the loss did not decrease")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
