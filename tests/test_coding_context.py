"""What a coding call sees of the repository, and the imports each file really makes."""

from __future__ import annotations

from pathlib import Path

from conftest import FILES, TRANSFORMER_JSON, code_for, files_in_prompt, responder

from papercoder_nb import Runner, Session, load_paper
from papercoder_nb.llm.base import Request
from papercoder_nb.llm.scripted import ScriptedBackend
from papercoder_nb.session.coding_context import outline, public_signatures, repo_imports
from papercoder_nb.session.graph import file_graph, statuses, task_files

CODE = '''"""Attention layers."""
import math

import numpy as np

from .layers import Linear

SCALE = 8


@staticmethod
def helper(x):
    return x


class MultiHead(Linear):
    """Eq. 2: multi-head attention.

    More text that the outline leaves out.
    """

    heads: int = 8

    def __init__(self, d_model: int,
                 heads: int = 8) -> None:
        self.d = d_model // heads
        self.w = np.zeros((d_model, d_model))

    def forward(self, q, k, v):
        """Scaled dot product (eq. 1)."""
        scores = q @ k.T / math.sqrt(self.d)
        return scores @ v

    def _private(self):
        return 0
'''


def test_outline_keeps_imports_signatures_and_first_docstring_lines() -> None:
    text = outline(CODE)
    for kept in ("import math", "from .layers import Linear", "SCALE = 8", "@staticmethod", "def helper(x):",
                 "class MultiHead(Linear):", '    """Eq. 2: multi-head attention."""', "    heads: int = 8",
                 "    def __init__(self, d_model: int,", "                 heads: int = 8) -> None:",
                 "    def forward(self, q, k, v):", '        """Scaled dot product (eq. 1)."""'):
        assert kept in text, kept
    for dropped in ("More text", "np.zeros", "math.sqrt", "return scores"):
        assert dropped not in text
    assert len(text) < len(CODE) * 0.7
    assert public_signatures(CODE) == ["helper", "MultiHead", "MultiHead.__init__", "MultiHead.forward"]


def test_repository_imports_absolute_relative_and_packages() -> None:
    files = ["utils.py", "model/__init__.py", "model/layers.py", "model/attention.py", "data/loader.py", "main.py"]
    assert repo_imports(CODE, "model/attention.py", files) == ["model/layers.py"]
    main = ("import os\nimport utils\nfrom model import attention\nfrom data.loader import batches\n"
            "import model.layers as L\nimport numpy\n")
    assert repo_imports(main, "main.py", files) == ["utils.py", "model/attention.py", "data/loader.py",
                                                    "model/layers.py"]
    assert repo_imports("from . import layers\nfrom .. import utils\n", "model/attention.py", files) == \
        ["model/layers.py", "utils.py"]
    assert repo_imports("import model\n", "main.py", files) == ["model/__init__.py"]
    assert repo_imports("def broken(:\n", "main.py", files) == []


def run_with(tmp_path: Path, declared: dict[str, list[str]], written: dict[str, list[str]],
             events: list | None = None) -> tuple[Session, ScriptedBackend]:
    """A run whose logic design declares ``declared`` while the code imports ``written``."""
    base = responder(declared)

    def answer(req: Request) -> str:
        if req.kind == "code":
            f = req.artifact.split(":", 1)[1]
            return f"```python\n{code_for(f, written[f])}```"
        return base(req)

    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    backend = ScriptedBackend("t", responder=answer)
    on_event = (lambda e: events.append(e)) if events is not None else None
    result = Runner(session, backend, auto_approve=True, on_event=on_event).run()
    assert result.ok, result.failed
    return session, backend


def test_an_import_of_a_later_file_reorders_and_recodes(tmp_path: Path) -> None:
    written = {**FILES, "model.py": ["utils.py", "data.py"], "data.py": ["utils.py"]}
    declared = {**FILES, "model.py": ["utils.py"]}
    # data.py comes after model.py in the task list: model.py imports a later file
    events: list = []
    session, backend = run_with(tmp_path, declared, written, events)
    shown = [e.text for e in events if e.kind == "info" and e.artifact == "code:model.py"]
    assert "imports data.py, which comes later in the task order: data.py is now coded first " \
           "and model.py again after it" in shown
    # the second time data.py is there: the import is only an undeclared dependency now
    assert "imports data.py, not declared in the logic design" in " ".join(session.record("code:model.py").warnings)
    assert task_files(session) == ["utils.py", "data.py", "model.py", "train.py", "main.py"]
    coded = [r.artifact for r in backend.requests if r.kind == "code"]
    assert coded.count("code:model.py") == 2 and coded.index("code:data.py") < len(coded) - 1 - \
        coded[::-1].index("code:model.py")  # coded again after data.py exists
    last_model = [r for r in backend.requests if r.artifact == "code:model.py"][-1]
    assert "## Repository file data.py\n" in last_model.messages[-1].text
    assert "It depends on utils.py, data.py." in last_model.messages[-1].text
    assert set(statuses(session).values()) == {"approved"}


def test_declared_but_unused_and_undeclared_earlier_imports_are_shown(tmp_path: Path) -> None:
    written = {**FILES, "train.py": ["model.py", "utils.py"]}  # uses utils, not data
    session, _ = run_with(tmp_path, FILES, written)
    warnings = session.record("code:train.py").warnings
    assert any("imports utils.py, not declared in the logic design" in w for w in warnings)
    assert any("declares data.py as dependencies but does not import them" in w for w in warnings)
    graph = file_graph(session)
    assert "utils.py" in graph.deps["train.py"] and "data.py" in graph.deps["train.py"]


def test_a_circular_import_is_reported_not_followed(tmp_path: Path) -> None:
    written = {**FILES, "utils.py": ["main.py"]}
    session, _ = run_with(tmp_path, FILES, written)
    assert any("a circular import" in w for w in session.record("code:utils.py").warnings)
    graph = file_graph(session)
    assert graph.cycles == {"utils.py": ["main.py"]} and task_files(session)[0] == "utils.py"


def test_every_earlier_file_is_seen_and_only_its_interface_stales_non_dependants(tmp_path: Path) -> None:
    session, backend = run_with(tmp_path, FILES, FILES)
    data_call = next(r for r in backend.requests if r.artifact == "code:data.py")
    assert files_in_prompt(data_call) == ["utils.py", "model.py"]  # model.py: not a dependency, seen anyway
    # a body edit in model.py changes nothing for data.py (it reads model.py's interface) ...
    p = session.path("code:model.py")
    p.write_text(p.read_text().replace("return 'model.py'", "return 'model.py'.upper()"))
    st = statuses(session)
    assert st["code:data.py"] == "approved" and st["code:train.py"] == "stale"  # train.py imports it
    session.approve("code:model.py")
    # ... a new public function does
    p.write_text(p.read_text() + "\n\ndef extra() -> int:\n    return 1\n")
    assert statuses(session)["code:data.py"] == "stale"
