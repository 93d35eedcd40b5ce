"""A recorded session → a fresh session that replays it: offline, free, identical for everyone.

A recording is any session folder with a ``calls.jsonl`` (an instructor's run with a real
model, or the bundled example's hand-written one). The new session starts from the
recording's stored parsed paper (``paper/paper.json``), never from parsing the PDF again:
another pdfplumber could read it slightly differently, and then every prompt, so every
replay key, would differ. Opening the same recording again in the same work folder reopens
the session made from it, so re-running a notebook cell never restarts the work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..llm.replay import recorded_models
from ..util.errors import PapercoderError
from .credits import answers_by
from .store import Session, SessionError, read_jsonl

RECORD_HINT = ("record one with `papercoder run PAPER --out DIR --auto-approve --model PROVIDER:MODEL`, "
               "or pick a model instead of replaying")


class RecordingError(PapercoderError):
    """The folder is not a recorded session."""


@dataclass
class Recording:
    root: Path
    session: Session
    answers: int  # recorded answers in calls.jsonl

    @property
    def spec(self) -> str:
        return f"replay:{self.root}"

    def describe(self) -> str:
        """What the class replays, in one sentence a student can read."""
        return (f"the recorded session {self.root}: {self.answers} {answers_by(recorded_models(self.root))}, "
                "through the real pipeline; offline, free and identical for everyone until an edit changes a "
                "prompt, which then needs a live model")


def open_recording(folder: str | Path) -> Recording:
    root = Path(folder).expanduser().resolve()
    if not (root / "calls.jsonl").is_file():
        raise RecordingError(f"no recorded session at {root} (no calls.jsonl): {RECORD_HINT}")
    try:
        session = Session.open(root)
        session.paper  # noqa: B018 - the stored parsed paper must be readable
    except (SessionError, OSError, ValueError) as e:
        raise RecordingError(f"{root} is not a usable recorded session ({e}): {RECORD_HINT}") from e
    answers = sum(1 for r in read_jsonl(root / "calls.jsonl") if "response" in r and not r.get("error"))
    if not answers:
        raise RecordingError(f"{root}/calls.jsonl holds no answers: {RECORD_HINT}")
    return Recording(root, session, answers)


def session_from_recording(folder: str | Path, workdir: str | Path, *, new: bool = False) -> Session:
    """The session in ``workdir`` that replays the recording: reopened, or started from its paper."""
    rec = open_recording(folder)
    paper, workdir = rec.session.paper, Path(workdir)
    found = None if new else _made_from(rec, workdir)
    if found is not None:
        return found  # the same work, also after the user switched it to a live model
    slug = re.sub(r"[^a-z0-9]+", "-", (paper.title or rec.root.name).lower()).strip("-")[:40] or "paper"
    root, n = workdir / f"{slug}-replay", 1
    while root.exists():
        n += 1
        root = workdir / f"{slug}-replay-{n}"
    session = Session.create(root, paper, model=rec.spec)
    session.state.paper_source = rec.session.state.paper_source
    session.state.dropped_sections = list(rec.session.state.dropped_sections)  # as the prompts were built
    session.state.notes.append(f"{_ORIGIN}{rec.root} (its parsed paper, not parsed again here); {rec.describe()}")
    session.save()
    return session


_ORIGIN = "started from the recording "


def recording_origin(session: Session) -> Path | None:
    """The recording a session was started from (its note says so), if any."""
    for note in session.state.notes:
        if note.startswith(_ORIGIN):
            return Path(note[len(_ORIGIN):].split(" (", 1)[0])
    return None


def _made_from(rec: Recording, workdir: Path) -> Session | None:
    """The latest session in ``workdir`` started from this recording, for the same paper."""
    best: tuple[str, Session] | None = None
    for state in workdir.glob("*/session.json"):
        try:
            s = Session.open(state.parent)
        except SessionError:
            continue  # not a readable session: never the one to reopen
        ours = any(n.startswith(f"{_ORIGIN}{rec.root} ") for n in s.state.notes)
        if ours and s.state.paper_hash == rec.session.paper.content_hash() and (best is None or s.state.created_at > best[0]):
            best = (s.state.created_at, s)
    return best[1] if best else None
