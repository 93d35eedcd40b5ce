"""Turn an exception or a failed artifact into a message that says what to do next."""

from __future__ import annotations

import html

from papercoder_nb.util.errors import PapercoderError
from papercoder_nb.util.failures import group_failures

__all__ = ["ADVICE", "advice", "describe", "group_failures", "hint_of"]  # group_failures: the engine's, shared with the CLI

ADVICE: list[tuple[str, str]] = [
    ("API_KEY is not set", "Pick the <b>local</b> model (no key needed), or set the key in the environment, "
     "a <code>.env</code> file or the user config, then press Run again."),
    ("package is not installed", "Install it as the message says, or pick the <b>local</b> model (no key, no SDK)."),
    ("replay: no recorded answer", "Your edit changed prompts the recording never saw: pick a live model "
     "(Model, on the Paper step) and press Run to regenerate what changed; the rest stays as replayed."),
    ("replay:", "Check the path of the recorded session (a session folder or its calls.jsonl)."),
    ("unknown model provider", "Choose a provider from the Model list on the Paper step."),
    ("no model configured", "Pick a model on the Paper step (local needs no key)."),
    ("llama_cpp", "The local model needs llama-cpp-python: <code>pip install 'papercoder-nb[local]'</code>."),
    ("budget cap", "Raise the budget or switch to a cheaper model."),
    ("unusable after one repair", "Fix the artifact by hand in the editor, or Regenerate with feedback."),
    ("rate limit", "The provider is throttling: wait a minute and press Run; finished artifacts are kept."),
    ("no such file or folder", "Check the path (relative to the notebook's folder) or upload the file."),
    ("not a session folder", "Pick a folder containing session.json, or load a paper file instead."),
    ("already holds a session", "Open that folder instead (type its path and press Load)."),
]


def advice(message: str) -> str:
    low = message.lower()
    for needle, text in ADVICE:
        if needle.lower() in low:
            return text
    return ("The session is intact: fix the cause and press Run again; only missing or stale "
            "artifacts are regenerated.")


def describe(error: BaseException) -> str:
    """The "Problem" text; a ``PapercoderError``'s hint goes to "What to do next" (``hint_of``)."""
    name = type(error).__name__
    text = (error.message if isinstance(error, PapercoderError) and error.hint else str(error)) or name
    return text if name in ("StageError", "BackendError", "SessionError", "PaperError") else f"{name}: {text}"


def hint_of(error: BaseException) -> str | None:
    """A ``PapercoderError``'s hint as "What to do next" (HTML-escaped); None: ``advice`` picks one."""
    hint = error.hint if isinstance(error, PapercoderError) else None
    return html.escape(hint) if hint else None
