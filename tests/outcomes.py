"""What a run with a real (weak) model must leave behind, whatever the model writes.

The embedded 135M model's answers are toy quality and change with llama.cpp releases, so
full-run tests assert the documented outcomes, not the answers: every artifact ends
approved, or generated and held back for review with its check findings, or failed with a
message (or never ran because what it reads did not pass); every call is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from papercoder_nb import load_paper
from papercoder_nb.run.review import check_failures
from papercoder_nb.session.graph import nodes, statuses
from papercoder_nb.session.store import Session

# A short paper: a real model's prompts stay small, so a full run takes minutes, not ten.
SHORT_PAPER = """# Tiny Residual Classifier

## Abstract
We classify 8x8 grey images into 10 classes with a two-layer residual MLP.

## 1 Method
The input x is flattened to 64 values. A hidden layer h = relu(W1 x + b1) of width 32
is added to a projection of the input, and logits = W2 (h + P x) + b2.

## 2 Training
We train with SGD, learning rate 0.1, batch size 32, for 5 epochs, with cross-entropy loss.

## 3 Evaluation
We report accuracy on a held-out split of 20% of the data.
"""


def assert_documented_outcome(
    session: Session, failed: dict[str, str], generated: Iterable[str], *, only: Iterable[str] | None = None
) -> dict[str, str]:
    """Every artifact's end state is one the README documents; returns the states
    (with ``only``, of those artifacts: the run stopped after them).

    ``generated``: what this run wrote. An artifact approved before the run may fail its
    checks after it (a dependency changed under it): the README shows it as failing."""
    generated = set(generated)
    st = statuses(session)
    if only is not None:
        st = {a: state for a, state in st.items() if a in set(only)}
    findings = check_failures(session)
    inputs = {n.id: n.inputs for n in nodes(session)}
    for aid, message in failed.items():
        assert message.strip(), aid  # says why
        if st.get(aid) == "missing":  # no answer was kept: session.json says why
            record = session.record(aid)
            assert record is not None and record.error, (aid, record)
    for aid, state in st.items():
        if state == "approved":
            # auto-approve never passes an artifact that fails its checks
            assert aid not in generated or aid not in findings, (aid, findings[aid])
        elif state == "generated":
            # held back for review: it fails its checks, and says which
            assert findings.get(aid) or aid in failed, (aid, state)
        elif state == "missing":
            blocked = any(st.get(i) != "approved" for i in inputs.get(aid, ()))
            assert aid in failed or blocked, (aid, st)
        else:
            raise AssertionError(f"{aid} ended {state} after an auto-approved run")
    assert "plan" in st
    return st


def assert_calls_recorded(session: Session, model: str) -> list[dict]:
    """Every answered call is in calls.jsonl with its model and usage."""
    calls = [c for c in session.calls() if "response" in c]
    assert calls, "no call recorded"
    assert all(c["model"] == model for c in calls), {c["model"] for c in calls}
    assert all(c["usage"]["input_tokens"] > 0 and c["usage"]["output_tokens"] > 0 for c in calls)
    written = {aid for aid, rec in session.state.artifacts.items() if rec.by == "model" and rec.content_hash}
    assert {c["artifact"] for c in calls} >= written, written - {c["artifact"] for c in calls}
    return calls


UTIL_PY = '''"""Helpers."""
import numpy as np


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)
'''


def reviewed_session(root: Path) -> Session:
    """The short paper with its planning reviewed (written and approved by hand) and
    util.py done: what is left is main.py's analysis and code, which reads util.py."""
    paper_file = root.parent / f"{root.name}-paper.md"
    paper_file.write_text(SHORT_PAPER)
    session = Session.create(root, load_paper(paper_file), paper_file)
    files = [
        {"file": "util.py", "purpose": "relu", "depends_on": [], "paper_refs": []},
        {"file": "main.py", "purpose": "train and evaluate the classifier", "depends_on": ["util.py"],
         "paper_refs": []},
    ]
    drafts = {
        "plan": "## Method\nA two-layer residual MLP.\n\n## Smoke configuration\n`main.py --smoke`\n",
        "architecture": json.dumps({
            "implementation_approach": "NumPy only.", "file_list": ["util.py", "main.py"],
            "data_structures_and_interfaces": "classDiagram\n  class MLP", "program_call_flow": "sequenceDiagram\n  main->>util: relu",
        }),
        "logic": json.dumps({"required_packages": ["numpy"], "files": files, "task_list": ["util.py", "main.py"],
                             "entry_point": "main.py", "smoke_args": ["--smoke"]}),
        "config": "train:\n  lr: 0.1\n  batch_size: 32\n  epochs: 5\n",
        "analysis:util.py": "## Purpose\nrelu.\n",
        "code:util.py": UTIL_PY,
    }
    for aid, text in drafts.items():
        session.write(aid, text, by="user")
        session.approve(aid)
    return session
