"""Fault scenarios against a loopback OpenAI-compatible server: does every run end cleanly?

    python benchmarks/faults.py [--quick]

Each scenario runs ``papercoder`` against ``tests/faultserver.py`` (127.0.0.1 only) with a
scripted fault, SIGKILLs it (the instant a file appears, mid-stream, between calls) or fills
a real small disk (tmpfs, root only) and resumes against a healthy
server. Columns: runs, completed, stopped cleanly (completed, or a one-line error with no
traceback), versions lost (a history entry or current version missing). Bounded in time:
every request loop and subprocess has a limit.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import TRANSFORMER_JSON  # noqa: E402
from faultdisk import DISK_POINTS, can_mount, full_disk_run  # noqa: E402
from faultkill import KILL_POINTS, MOMENT_KILLS, cli, kill_at, kill_when, resume_and_check  # noqa: E402
from faultserver import FaultServer  # noqa: E402

FAULTS = {
    "429 storm": ["429"] * 8,
    "500/503 burst": ["500", "503", "500", "503"],
    "stream cut": ["cut", "cut"],
    "malformed JSON": ["malformed"],
    "schema-violating JSON": ["schema"],
    "endless output": ["endless"],
    "slower than timeout": ["slow"],
    "keep-alives only (stall)": ["keepalive", "keepalive"],
    "usage 500,002 tokens (flagged)": ["bigusage"],
    "usage -10^9 input tokens": ["negusage"],
    "finish=length on every answer": ["length"] * 400,
}


def audit(out: Path, returncode: int) -> dict[str, int]:
    """What a finished command left: exit 0 on a session with anything unapproved is a wrong
    exit; an answer paid for twice (same request, two answered calls) is double paid; a
    negative token total is a usage lie taken as true."""
    from collections import Counter

    from papercoder_nb.session.graph import statuses
    from papercoder_nb.session.store import Session

    if not (out / "session.json").is_file():
        return {"wrong_exit": int(returncode == 0), "double_paid": 0, "negative_usage": 0, "cut_approved": 0}
    session = Session.open(out)
    st = statuses(session)
    unapproved = [a for a, state in st.items() if state != "approved"]
    answered = [c for c in session.calls() if "response" in c]
    last_finish = {c["artifact"]: c.get("finish_reason") for c in answered}
    usage = session.state.usage
    return {"wrong_exit": int(returncode == 0 and bool(unapproved)),
            "double_paid": sum(n - 1 for n in Counter(c["request_hash"] for c in answered).values()),
            "negative_usage": int(min(usage.input_tokens, usage.output_tokens) < 0),
            "cut_approved": sum(1 for a, state in st.items() if state == "approved" and last_finish.get(a) == "length")}


def fault_run(faults: list[str], hostile: list[str] | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, FaultServer(slow_seconds=3.0) as server:
        server.faults.extend(faults)
        server.hostile = hostile
        out = Path(tmp) / "s"
        r = cli("run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake", "--base-url",
                server.base_url, "--auto-approve", "--quiet", "--timeout", "2", timeout=300)
        tb = int("Traceback" in r.stderr + r.stdout)
        done = r.returncode == 0 and (out / "code" / "main.py").is_file()
        one_line = r.returncode != 0 and "error:" in r.stderr
        found = audit(out, r.returncode)
        honest = not (found["wrong_exit"] or found["negative_usage"] or found["cut_approved"])
        return {"completed": done, "clean": (done or one_line) and not tb and honest, "lost": 0, "tracebacks": tb,
                **found}


def trickle_run() -> dict[str, object]:
    """A word every 1.5 s for 3 minutes under `--timeout 2`: only a rate rule ends it; a run
    still going after 2 minutes never ended (the silence timeout alone never fires)."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp, FaultServer(slow_seconds=3.0) as server:
        server.faults.append("trickle")
        out = Path(tmp) / "s"
        try:
            r = cli("run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake", "--base-url",
                    server.base_url, "--auto-approve", "--quiet", "--timeout", "2", timeout=120)
        except subprocess.TimeoutExpired:
            return {"completed": False, "clean": False, "lost": 0, "tracebacks": 0}
        tb = int("Traceback" in r.stderr + r.stdout)
        done = r.returncode == 0 and (out / "code" / "main.py").is_file()
        return {"completed": done, "clean": done and not tb, "lost": 0, "tracebacks": tb, **audit(out, r.returncode)}


def two_writers_run() -> dict[str, object]:
    """Two `papercoder resume` on one session at once: one must be refused, naming the other."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp, FaultServer() as server:
        out = Path(tmp) / "s"
        first = cli("run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake", "--base-url",
                    server.base_url, "--until", "plan", "--quiet")
        server.delay = 0.3  # slow enough that the two overlap
        args = [sys.executable, "-m", "papercoder_nb.cli", "resume", str(out), "--auto-approve", "--quiet"]
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        codes = [p.returncode for p in procs]
        busy = [e for _, e in outs if "busy" in e and "pid" in e]
        tb = int(any("Traceback" in o + e for o, e in outs))
        found = audit(out, min(codes))
        done = first.returncode == 0 and 0 in codes and (out / "code" / "main.py").is_file()
        clean = done and len(busy) == 1 and not found["double_paid"] and not found["wrong_exit"] and not tb
        return {"completed": done, "clean": clean, "lost": 0, "tracebacks": tb, **found}


def kill_run(point: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, FaultServer() as server:
        server.delay = 0.02
        out = Path(tmp) / "s"
        kill_at(server, out, point)
        return resume_and_check(server, out)


def moment_run(moment: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, FaultServer() as server:
        server.delay = 0.02
        out = Path(tmp) / "s"
        kill_when(server, out, MOMENT_KILLS[moment](server))
        server.piece_delay = 0.0
        return resume_and_check(server, out)


def disk_run(size_kb: int) -> dict[str, object]:
    with FaultServer() as server:
        return full_disk_run(server, size_kb)


HAND_CONFIG = "# written by hand during the run\nmodel:\n  d_model: 256  # 3-model-architecture\n"


def hand_edit_run() -> dict[str, object]:
    """config.yaml written by hand while its call is in flight: the edit must be kept."""
    with tempfile.TemporaryDirectory() as tmp, FaultServer() as server:
        out = Path(tmp) / "s"
        config = out / "planning" / "config.yaml"
        server.on_request = lambda artifact: config.write_text(HAND_CONFIG) if artifact == "config" else None
        r = cli("run", str(TRANSFORMER_JSON), "--out", str(out), "--model", "openai:fake", "--base-url",
                server.base_url, "--auto-approve", "--quiet", timeout=300)
        tb = int("Traceback" in r.stderr + r.stdout)
        kept = config.read_text() == HAND_CONFIG
        in_history = any(p.read_text() == HAND_CONFIG for p in (out / "history" / "config").iterdir())
        done = r.returncode == 0 and (out / "code" / "main.py").is_file()
        return {"completed": done, "clean": done and not tb, "lost": int(not kept) + int(not in_history),
                "tracebacks": tb}


def batch_run(storm: int) -> dict[str, object]:
    """Three papers (one unreadable) in a 429 storm; the same command again once it passed."""
    from test_faults_batch import batch, failed_in, manifest

    with tempfile.TemporaryDirectory() as tmp, FaultServer() as server:
        m, out = manifest(Path(tmp)), Path(tmp) / "out"
        server.faults.extend(["429"] * storm)
        r1 = _captured(lambda: batch(m, out, server))
        server.faults.clear()
        r2 = _captured(lambda: batch(m, out, server))
        tb = int("Traceback" in r1 + r2)
        done = failed_in(r2) == {"broken"} and "broken" in failed_in(r1)
        return {"completed": done, "clean": done and not tb, "lost": 0, "tracebacks": tb}


def _captured(fn: object) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(io.StringIO()):
        fn()  # type: ignore[operator]
    return buf.getvalue()


HOSTILE_SMOKE = """
import glob, os, subprocess, sys, time
subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(300)", "MARKER"])
forks = 0
for i in range(400):
    try:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        forks += 1
    except OSError:
        break
leaks = [p for p in glob.glob("/proc/[0-9]*/environ") if b"sk-bench-secret" in open(p, "rb").read()]
users = open("/etc/passwd").read().count(chr(10))
print("FORKS", forks, "LEAKS", len(leaks), "USERS", users)
"""


def sandbox_run() -> dict[str, object]:
    """Generated code that forks 400 times, leaves a setsid daemon and hunts for the key."""
    import os
    import subprocess

    from papercoder_nb.verify.proclimit import PROCESS_LIMIT
    from papercoder_nb.verify.sandbox import smoke_run

    marker = f"papercoder-bench-daemon-{os.getpid()}"
    os.environ["OPENAI_API_KEY"] = "sk-bench-secret"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp) / "repo"
            repo.mkdir()
            (repo / "main.py").write_text(HOSTILE_SMOKE.replace("MARKER", marker))
            r = smoke_run(repo, entry_point="main.py", args=[], timeout_s=60)
    finally:
        del os.environ["OPENAI_API_KEY"]
    words = r.stdout_tail.split()
    got = dict(zip(words[::2], words[1::2], strict=True)) if len(words) == 6 else {}
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    contained = (bool(got) and int(got["FORKS"]) < PROCESS_LIMIT and got["LEAKS"] == "0" and got["USERS"] == "1"
                 and not left)
    return {"completed": bool(r.ran), "clean": contained, "lost": 0, "tracebacks": 0}


def main() -> int:
    quick = "--quick" in sys.argv
    scenarios: list[tuple[str, object]] = [(f"fault: {k}", (lambda v=v: fault_run(v))) for k, v in FAULTS.items()]
    scenarios.append(("hand edit of config during its call", hand_edit_run))
    scenarios.append(("two resumes at once", two_writers_run))
    scenarios.append(("stream trickles a word per 1.5 s", trickle_run))
    scenarios.append(("smoke: fork bomb, daemon, /proc, /etc", sandbox_run))
    scenarios.append(("batch: 5x429, 3 papers (1 unreadable)", lambda: batch_run(5)))
    scenarios.append(("batch: 30x429 stops papers, then resume", lambda: batch_run(30)))
    scenarios.append(("hostile names ../, abs, CON.py", lambda: fault_run([], ["../../x.py", "/abs/y.py", "CON.py"])))
    points = KILL_POINTS[:3] if quick else KILL_POINTS
    scenarios += [(f"SIGKILL at {p}", (lambda p=p: kill_run(p))) for p in points]
    moments = list(MOMENT_KILLS)[:2] if quick else list(MOMENT_KILLS)
    scenarios += [(f"SIGKILL {m}", (lambda m=m: moment_run(m))) for m in moments]
    if can_mount():  # a real full disk needs a tmpfs (root); reported as left out otherwise
        sizes = DISK_POINTS[:2] if quick else DISK_POINTS
        scenarios += [(f"full disk at {kb} KiB", (lambda kb=kb: disk_run(kb))) for kb in sizes]
    else:
        print("full-disk scenarios left out: mounting a tmpfs needs root", file=sys.stderr)
    rows, clean, lost, tracebacks, wrong_exit, double_paid = [], 0, 0, 0, 0, 0
    for name, fn in scenarios:
        r = fn()  # type: ignore[operator]
        ok = bool(r["clean"]) and r["lost"] == 0
        clean += ok
        lost += int(r["lost"])
        tracebacks += int(r["tracebacks"])
        wrong_exit += int(r.get("wrong_exit", 0))
        double_paid += int(r.get("double_paid", 0))
        rows.append((name, 1, int(bool(r["completed"])), int(bool(r["clean"])), int(r["lost"])))
        print(f"{name:<38} runs=1 completed={rows[-1][2]} stopped_cleanly={rows[-1][3]} lost_versions={rows[-1][4]}",
              flush=True)
    print()
    print(f"{'scenario':<38} {'runs':>4} {'completed':>9} {'stopped cleanly':>15} {'lost versions':>13}")
    for name, runs, done, ok, lv in rows:
        print(f"{name:<38} {runs:>4} {done:>9} {ok:>15} {lv:>13}")
    print(f"scenarios={len(rows)} clean={clean} lost_versions={lost} tracebacks={tracebacks} "
          f"wrong_exit={wrong_exit} double_paid={double_paid}")
    return 0 if clean == len(rows) and lost == 0 and tracebacks == 0 and not wrong_exit and not double_paid else 1


if __name__ == "__main__":
    sys.exit(main())
