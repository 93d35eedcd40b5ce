"""A small, valid bundle shared by the export, notebook and sandbox tests."""

from __future__ import annotations

from papercoder_nb.export.bundle import ExportBundle, FileEntry

DATA_PY = '''"""Synthetic data for y = 2x + 1 (Section 2)."""
import random


def make_data(n, seed):
    rng = random.Random(seed)
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    return [(x, 2 * x + 1 + rng.gauss(0, 0.01)) for x in xs]
'''

LINEAR_PY = '''"""The linear model of Eq. (1): y = w x + b."""


class Linear:
    def __init__(self):
        self.w = 0.0
        self.b = 0.0

    def predict(self, x):
        return self.w * x + self.b

    def step(self, batch, lr):
        gw = sum(2 * (self.predict(x) - y) * x for x, y in batch) / len(batch)
        gb = sum(2 * (self.predict(x) - y) for x, y in batch) / len(batch)
        self.w -= lr * gw
        self.b -= lr * gb
'''

MAIN_PY = '''"""Train the model with the config (Section 3)."""
import argparse

import yaml

from data import make_data
from models.linear import Linear


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    with open(args.config) as fh:
        cfg = yaml.safe_load(fh)
    steps = args.steps or cfg["steps"]
    data = make_data(cfg["n"], cfg["seed"])
    model = Linear()
    for _ in range(steps):
        model.step(data, cfg["lr"])
    print(f"w={model.w:.3f} b={model.b:.3f} steps={steps}")


if __name__ == "__main__":
    main()
'''

CONFIG = "lr: 0.5\nsteps: 200\nn: 64\nseed: 0\n"


def make_bundle(**overrides) -> ExportBundle:
    files = [
        FileEntry(
            "data.py",
            DATA_PY,
            analysis="# data.py\n\n- `make_data(n, seed)`: "
            "synthetic pairs\n\n```python\nmake_data(4, 0)\n```\n",
            purpose="synthetic data for the toy regression",
            paper_refs=["sec-2"],
        ),
        FileEntry("models/__init__.py", "", purpose="package marker"),
        FileEntry(
            "models/linear.py",
            LINEAR_PY,
            analysis="## Linear\n\nImplements Eq. (1) "
            "with plain SGD; gradient of the squared error.",
            purpose="the linear model | Eq. 1",
            paper_refs=["eq-1", "sec-2.1"],
        ),
        FileEntry(
            "main.py",
            MAIN_PY,
            analysis="Entry point: parse args, load config, train.",
            purpose="training loop",
            paper_refs=["sec-3"],
            depends_on=["data.py", "models/linear.py"],
        ),
    ]
    data = dict(
        title="A Toy Linear Regression Paper",
        paper_source="https://arxiv.org/abs/0000.00000",
        abstract="We fit y = 2x + 1 with gradient descent. " * 3,
        plan="# Plan\n\n## Method\n\nFit a line with SGD.\n\n## Config\n\n- lr 0.5\n- 200 steps\n",
        config_yaml=CONFIG,
        files=files,
        packages=["pyyaml", "numpy>=1.20", "argparse"],
        open_questions=[("Which noise level?", "0.01, as in Table 1"), ("Which seed?", None)],
        entry_point="main.py",
        smoke_args=["--config", "config.yaml", "--steps", "3"],
        model="scripted:test",
        provenance="written by hand for the tests",
        session_dir="/nonexistent/session",
    )
    data.update(overrides)
    return ExportBundle(**data)
