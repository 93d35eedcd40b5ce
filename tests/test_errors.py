"""One error base: every error papercoder shows a user derives from ``PapercoderError``.

The CLI's one handler and the panel turn any of them into one line (message; hint) without a
hand list of known types; anything else is unexpected and says so.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from pathlib import Path

import pytest

import papercoder_nb
from papercoder_nb.cli import session as cli_session
from papercoder_nb.cli.main import main
from papercoder_nb.util.errors import CliError, PapercoderError

# Exceptions that never reach a user: each is raised and caught inside its own module.
INTERNAL = {
    "papercoder_nb.checks.import_cycles._Failed":
        "carries a finding out of the recursive import walk; caught a few lines up, never shown",
    "papercoder_nb.llm.openai._Rejected":
        "the server refused an optional feature (response_format, stream_options); "
        "the backend retries without it",
}


def _all_modules() -> list[str]:
    import papercoder_nb.widgets as widgets

    names: set[str] = set()
    for pkg in (papercoder_nb, widgets):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if info.name.rsplit(".", 1)[-1] == "__main__":  # runs a command on import
                continue
            names.add(info.name)
    return sorted(names)


def _exception_classes() -> dict[str, type[BaseException]]:
    for name in _all_modules():
        importlib.import_module(name)
    found: dict[str, type[BaseException]] = {}
    todo: list[type[BaseException]] = [BaseException]
    while todo:  # every subclass, also one defined inside a function or a class
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] == "papercoder_nb":
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def test_every_exception_class_derives_from_the_one_base() -> None:
    classes = _exception_classes()
    assert len(classes) > 25, sorted(classes)  # the walk found them (modules imported)
    outside = sorted(name for name, cls in classes.items()
                     if not issubclass(cls, PapercoderError) and name not in INTERNAL)
    assert not outside, f"derive these from PapercoderError (or add them to INTERNAL with a reason): {outside}"
    inside = sorted(name for name in INTERNAL if name in classes and issubclass(classes[name], PapercoderError))
    assert not inside, f"no longer internal, drop them from INTERNAL: {inside}"
    assert set(INTERNAL) <= set(classes), "an INTERNAL entry names a class that no longer exists"


def test_the_engine_errors_keep_their_stdlib_bases() -> None:
    from papercoder_nb.widgets.steps import UnknownStep

    from papercoder_nb.llm.base import BackendError, CancelledError, RetryableError
    from papercoder_nb.run.budget import BudgetError
    from papercoder_nb.util.extract import ExtractError
    from papercoder_nb.verify.smoke import SmokeRefused

    assert issubclass(CancelledError, BackendError) and issubclass(RetryableError, BackendError)
    assert issubclass(BudgetError, ValueError) and issubclass(ExtractError, ValueError)
    assert issubclass(SmokeRefused, RuntimeError) and issubclass(UnknownStep, KeyError)
    assert str(UnknownStep("nope")).startswith("unknown step 'nope': the steps are Paper")
    assert RetryableError("slow down", retry_after=3.0).retry_after == 3.0


def test_message_and_hint() -> None:
    plain = CliError("no such session: pick a folder holding session.json")
    assert str(plain) == plain.message == "no such session: pick a folder holding session.json"
    assert plain.hint is None and plain.args == ("no such session: pick a folder holding session.json",)
    hinted = PapercoderError("the disk is full", hint="free some space, then resume")
    assert str(hinted) == "the disk is full; free some space, then resume"
    assert hinted.message == "the disk is full" and hinted.args == ("the disk is full",)
    again = pickle.loads(pickle.dumps(hinted))  # a worker process's error keeps its hint
    assert (str(again), again.hint) == (str(hinted), hinted.hint)

    class Missing(PapercoderError, OSError):
        pass

    assert str(Missing(2, "no such file")) == "[Errno 2] no such file"  # the stdlib text, unchanged
    assert Missing(2, "x").errno == 2 and isinstance(Missing(2, "x"), OSError)


def test_the_panel_shows_the_hint_as_what_to_do_next() -> None:
    from papercoder_nb.widgets.errors import describe, hint_of

    from papercoder_nb.session.store import SessionError

    assert describe(SessionError("not a session folder")) == "not a session folder"
    assert hint_of(SessionError("not a session folder")) is None  # the advice table picks one
    hinted = SessionError("not a session folder", hint="pick a folder with <session.json>")
    assert describe(hinted) == "not a session folder"
    assert hint_of(hinted) == "pick a folder with &lt;session.json&gt;"
    assert describe(KeyError("x")) == "KeyError: 'x'"


class MeterFull(PapercoderError):
    """Defined here, so in no hand list anywhere."""


@pytest.mark.parametrize("error, line", [
    (MeterFull("the meter is full", hint="empty it, then run again"),
     "error: the meter is full; empty it, then run again"),
    (KeyError("x"), "error: KeyError: 'x' (unexpected; rerun with --debug for the traceback and report it)"),
    (ValueError("bad --budget: -1"), "error: bad --budget: -1"),
    (FileNotFoundError(2, "No such file or directory"), "error: [Errno 2] No such file or directory"),
])
def test_the_cli_prints_one_line(monkeypatch, capsys, tmp_path: Path, error: Exception, line: str) -> None:
    def fail(a: object) -> int:
        raise error

    monkeypatch.setattr(cli_session, "cmd_status", fail)
    code = main(["status", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.strip() == line, err
    with pytest.raises(type(error)):  # --debug unchanged: the traceback
        main(["--debug", "status", str(tmp_path)])
