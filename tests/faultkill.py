"""Kill a ``papercoder run`` with SIGKILL at a chosen moment, then resume it (tests, benchmarks)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import TRANSFORMER_JSON
from faultserver import FaultServer

from papercoder_nb.session.graph import statuses
from papercoder_nb.session.store import Session, read_jsonl

# When to kill: the instant this path (relative to the session) first appears.
KILL_POINTS = [
    "paper/paper.json", "session.json", "planning/plan.md", "planning/architecture.json",
    "planning/logic.json", "planning/config.yaml", "analysis/model.py.md", "code/utils.py",
    "code/main.py", "calls.jsonl", "history/log.jsonl",
]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return subprocess.run([sys.executable, "-m", "papercoder_nb.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def kill_at(server: FaultServer, out: Path, point: str, limit: float = 300) -> bool:
    """Start a run and SIGKILL it as soon as ``out/point`` exists; True if it was killed."""
    target = out / point
    return kill_when(server, out, target.exists, limit)


def kill_when(server: FaultServer, out: Path, when: Callable[[], bool], limit: float = 300) -> bool:
    """Start a run and SIGKILL it as soon as ``when()`` holds; True if it was killed,
    False if the run ended first. The limit only guards against a hang (a loaded
    machine can take a minute to reach a late call)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "papercoder_nb.cli", "run", str(TRANSFORMER_JSON), "--out", str(out),
         "--model", "openai:fake", "--base-url", server.base_url, "--auto-approve", "--quiet", "--concurrency", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    end = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < end:
        if when():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.001)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        raise AssertionError(f"the kill moment never came within {limit:.0f}s and the run was still going")
    return False


def mid_stream(server: FaultServer, nth: int) -> Callable[[], bool]:
    """True while the ``nth`` call's answer (1-based) is being streamed."""
    server.piece_delay = 0.01
    return lambda: server.streaming > 0 and len(server.requests) >= nth


def between_calls(server: FaultServer, nth: int) -> Callable[[], bool]:
    """True once ``nth`` answers are complete and no other is on the wire (serial run)."""
    return lambda: server.answered >= nth and server.streaming == 0


# Kills that are not tied to a file: during the nth answer's stream, or just after it.
MOMENT_KILLS: dict[str, Callable[[FaultServer], Callable[[], bool]]] = {
    "mid-stream of call 1 (plan)": lambda s: mid_stream(s, 1),
    "mid-stream of call 3 (logic)": lambda s: mid_stream(s, 3),
    "mid-stream of call 8 (code)": lambda s: mid_stream(s, 8),
    "between calls 1 and 2": lambda s: between_calls(s, 1),
    "between calls 4 and 5": lambda s: between_calls(s, 4),
    "between calls 9 and 10": lambda s: between_calls(s, 9),
}


def resume_and_check(server: FaultServer, out: Path) -> dict[str, object]:
    """Resume (or start again, if the kill came before the session existed) and audit it."""
    if (out / "session.json").exists():
        r = cli("resume", str(out), "--quiet", "--auto-approve")
    else:
        r = cli("run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake",
                "--base-url", server.base_url, "--auto-approve", "--quiet")
    tracebacks = int("Traceback" in r.stderr + r.stdout)
    completed = r.returncode == 0 and (out / "code" / "main.py").is_file()
    lost = misattributed = unapproved = 0
    if (out / "session.json").exists():
        json.loads((out / "session.json").read_text())  # valid
        session = Session.open(out)
        for e in read_jsonl(out / "history" / "log.jsonl") if (out / "history" / "log.jsonl").exists() else []:
            lost += int(not (out / e["file"]).is_file())
        for aid in session.artifact_ids_on_disk():  # every current version is in history
            text = session.read(aid) or ""
            lost += int(not any(p.read_text(encoding="utf-8") == text for p in session.history(aid)))
        # Nobody edits by hand here: a file taken for a hand edit is the engine's own write
        # (a kill between the file and session.json), and must be recognised as such.
        misattributed = sum(rec.by == "user" for rec in session.state.artifacts.values())
        unapproved = sum(st != "approved" for st in statuses(session).values())
    completed = completed and not misattributed and not unapproved
    return {"completed": completed, "clean": completed or (r.returncode != 0 and not tracebacks),
            "lost": lost, "tracebacks": tracebacks, "stderr": r.stderr[-400:], "misattributed": misattributed,
            "wrong_exit": int(r.returncode == 0 and unapproved > 0)}
