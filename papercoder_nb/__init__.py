"""papercoder-nb: turn a machine-learning paper into a runnable repository, one reviewed stage at a time.

The engine (this package) has no widget code; ``Workbench`` is imported from
``papercoder_nb.widgets`` only when asked for, so the engine runs without ipywidgets.
"""

from __future__ import annotations

from typing import Any

from .llm.base import Backend, CancelToken, Completion, Request, Usage
from .llm.registry import get_backend, register
from .paper import Paper, PaperError, load_paper
from .run.runner import Event, Runner, RunResult, StageError
from .session.store import Session, SessionError
from .util.errors import PapercoderError

__version__ = "0.1.0"

__all__ = [
    "Backend", "CancelToken", "Completion", "Event", "Paper", "PaperError", "PapercoderError", "Request", "RunResult",
    "Runner", "Session", "SessionError", "StageError", "Usage", "Workbench", "get_backend",
    "load_paper", "register", "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Workbench":
        from .widgets import Workbench

        return Workbench
    raise AttributeError(f"module 'papercoder_nb' has no attribute {name!r}")
