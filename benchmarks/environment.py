"""Environment versus code on real smoke runs of seeded copies of the example session.

Each copy gets one failure: a missing package (listed in the logic design or not), a
missing data file or folder the code reads, or a code fault (a renamed function, a
mistyped repository module, a write into a folder the code never made, an undefined
name). Every copy is smoke-run in the sandbox and the failure classified; an environment
problem must never reach the repair model, a code fault must. Prints one line per case
and `env_vs_code: correct=X/N`.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from papercoder_nb.session.store import Session  # noqa: E402
from papercoder_nb.verify.repair import smoke_session  # noqa: E402
from papercoder_nb.verify.repair_request import environment_of  # noqa: E402

EXAMPLE = ROOT / "examples/neural-audio-style-transfer/session"
MAIN_BODY = "    parser = argparse.ArgumentParser("


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _in_main(line: str) -> Callable[[Path], None]:
    """Put ``line`` first in main(): it runs with the smoke arguments, not on import."""
    return lambda s: _edit(s / "code/main.py", MAIN_BODY, f"{line}\n{MAIN_BODY}")


def _declare(pkg: str) -> Callable[[Path], None]:
    def inject(s: Path) -> None:
        logic = json.loads((s / "planning/logic.json").read_text())
        logic["required_packages"].append(pkg)
        (s / "planning/logic.json").write_text(json.dumps(logic))
    return inject


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def inject(s: Path) -> None:
        for step in steps:
            step(s)
    return inject


CASES: list[tuple[str, str, Callable[[Path], None]]] = [
    ("environment", "package not in the design (torchaudio)",
     lambda s: _edit(s / "code/audio.py", "import numpy as np", "import numpy as np\nimport torchaudio")),
    ("environment", "package in the design (librosa>=0.10)",
     _both(_declare("librosa>=0.10"),
           lambda s: _edit(s / "code/network.py", "import numpy as np", "import numpy as np\nimport librosa"))),
    ("environment", "data file read", _in_main('    open("data/corpus.wav", "rb").read()')),
    ("environment", "dataset folder listed", _in_main('    __import__("os").listdir("datasets/vctk")')),
    ("code", "renamed function", lambda s: _edit(s / "code/audio.py", "def overlap_add(", "def overlap_sum(")),
    ("code", "mistyped repository module",
     lambda s: _edit(s / "code/network.py", "from audio import", "from audio_lib import")),
    ("code", "write into a folder never made", _in_main('    open("results/run1/log.txt", "w").write("x")')),
    ("code", "undefined name", _in_main("    print(undefined_setting)")),
]


def main() -> None:
    correct = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (expected, label, inject) in enumerate(CASES):
            copy = Path(tmp) / f"c{i}"
            shutil.copytree(EXAMPLE, copy)
            inject(copy)
            session = Session.open(copy)
            result = smoke_session(session, timeout_s=120)
            problems = environment_of(session, result)
            got = "passed" if result.ok else ("environment" if problems else "code")
            correct += got == expected
            what = "; ".join(f"{p.kind} {p.name!r}" for p in problems) or (result.error or "")[:70]
            print(f"{'ok ' if got == expected else 'BAD'} {expected:<12}{label:<42}-> {got}: {what}")
    print(f"smoke runs took {time.perf_counter() - start:.0f}s in all")
    print(f"env_vs_code: correct={correct}/{len(CASES)}")


if __name__ == "__main__":
    main()
