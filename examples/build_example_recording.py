"""(Re)build the workshop's recorded session, deterministically: the real pipeline, hand-written answers.

    python examples/build_example_recording.py            # rebuilds examples/neural-audio-style-transfer/recorded/
    python examples/build_example_recording.py --out DIR  # builds it somewhere else

Run it whenever the prompts change (a template in ``prompts/``, or how a stage builds its
context): the workshop replays the recording by content hash, so it works only while the
pipeline builds byte-identical prompts (``tests/test_recording.py`` fails until it is rebuilt).

The recording is a real run of every stage (plan, architecture, logic, config, each analysis
and each code file) with the papercoder-nb ``Runner``, so its ``calls.jsonl`` holds exactly
the requests the pipeline builds. The answers are not a model's: a scripted backend answers
each request with the hand-written artifact of the example session (``../session/``), under
the model name ``hand-written``, at no usage; ``session.json`` carries a note saying so, and
the panel, ``papercoder status`` and the export credit them as written by hand. Only the paper, the
calls and ``session.json`` are kept (the artifacts are the example session's). The run starts
from the example session's stored parsed paper (no PDF parsing here), with one call at a time
and a frozen clock, so a rebuild from the same files and prompts is byte-identical.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from build_example_session import EXAMPLE, FIXED_TIME, MODEL, SOURCE, read_artifacts

RECORDED = EXAMPLE / "recorded"
REBUILD = "python examples/build_example_recording.py"
NOTE = (
    "A recording of the full papercoder-nb pipeline (plan, architecture, logic, config, every analysis "
    "and code file) on the bundled paper. The requests in calls.jsonl are the prompts papercoder-nb builds; "
    "the answers are the example session's artifacts, written by hand by the papercoder-nb developers "
    f"(model {MODEL!r}), not produced by a model. The artifacts are not kept here (they are the example "
    "session's; replaying writes them again). The workshop notebook replays it offline. "
    f"Rebuild it whenever the prompts change: {REBUILD}"
)


def answers(texts: dict[str, str]):  # -> Callable[[Request], str]
    """Each request's answer: its hand-written artifact, fenced the way a model would write it."""

    def answer(request) -> str:
        text = texts[request.artifact]
        kind = request.artifact.split(":")[0]
        fence = {"code": "python", "config": "yaml"}.get(kind)
        return f"```{fence}\n{text}```" if fence else text

    return answer


def hand_written_backend(texts: dict[str, str]):
    from papercoder_nb.llm.base import Usage
    from papercoder_nb.llm.scripted import ScriptedBackend

    class HandWritten(ScriptedBackend):
        """The scripted backend under its answers' writers' name, at no usage (no model ran)."""

        def execute(self, request, on_token=None, cancel=None):
            c = super().execute(request, on_token, cancel)
            c.usage, c.model = Usage(), MODEL
            return c

    backend = HandWritten(responder=answers(texts))
    backend.spec = MODEL
    return backend


def build(out: Path, source: Path = SOURCE) -> Path:
    from papercoder_nb.session import store
    from papercoder_nb.paper import Paper
    from papercoder_nb.run.runner import Runner

    texts = read_artifacts(source)
    paper = Paper.model_validate_json((source / "paper" / "paper.json").read_text(encoding="utf-8"))
    if (out / "session.json").exists():
        shutil.rmtree(out)  # only ever a session folder this script made
    elif out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not a session folder; refusing to replace it")
    real_now = store.now
    store.now = lambda: FIXED_TIME  # frozen clock: timestamps and history names repeat
    try:
        session = store.Session.create(out, paper, model=MODEL)
        session.state.created_at = FIXED_TIME
        session.state.paper_source = "examples/neural-audio-style-transfer/paper.pdf"
        session.state.notes = [NOTE]
        session.save()
        backend = hand_written_backend(texts)
        result = Runner(session, backend, auto_approve=True, concurrency=1).run()  # one at a time: one order
    finally:
        store.now = real_now
    _check(session, result, texts, len(backend.requests))
    _freeze_calls(out / "calls.jsonl")
    _keep_the_recording_only(session)
    return out


def _keep_the_recording_only(session) -> None:
    """The recording is its paper, its calls and its note: the artifacts are ``../session``'s
    (a replay writes them again), so they are not shipped twice."""
    for folder in ("planning", "analysis", "code", "history"):
        shutil.rmtree(session.root / folder, ignore_errors=True)
    session.state.artifacts = {}
    session.save()


def _check(session, result, texts: dict[str, str], calls: int) -> None:
    """The run went through every stage and landed each hand-written artifact as the pipeline
    stores that text (byte for byte; the designs' JSON re-indented with defaults filled in)."""
    from papercoder_nb.stages import spec_for

    if not result.ok or result.waiting_for_approval:
        raise SystemExit(f"the recording run stopped: failed {result.failed}, waiting {result.waiting_for_approval}")

    wrong = [aid for aid, text in texts.items() if session.read(aid) != spec_for(aid).parse(text, None).content]
    if wrong:
        raise SystemExit(f"the pipeline changed these hand-written answers on landing: {', '.join(wrong)}")
    if calls != len(texts):  # a repair or continuation request would be a question nobody answered by hand
        raise SystemExit(f"{calls} requests for {len(texts)} artifacts: the hand-written answers need repairs")


def _freeze_calls(path: Path) -> None:
    """The call log's wall-clock fields, frozen: a rebuild is byte-identical."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        rec["at"], rec["latency_s"] = FIXED_TIME, 0.0
        lines.append(json.dumps(rec, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RECORDED)
    a = parser.parse_args(argv)
    out = build(a.out.resolve())
    size = (out / "calls.jsonl").stat().st_size
    print(f"recorded session written to {out} (calls.jsonl: {size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
