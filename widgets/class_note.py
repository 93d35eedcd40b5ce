"""What the instructor decided, shown where the student picks a model.

The panel reads the same settings as the engine (``papercoder_nb.classroom``) and only
shows them: the engine enforces them whichever way a call starts. A settings file that
cannot be read is shown here in full (it is the instructor's to fix, and a student
needs to tell them), and the run that would use it fails with the same message.
"""

from __future__ import annotations

from papercoder_nb.classroom.ledger import Ledger
from papercoder_nb.classroom.settings import ClassSettings, SettingsError, load_settings

from .views import esc


def class_settings() -> tuple[ClassSettings, str]:
    """The settings, and the error text when the file is unusable (then: no class rules shown)."""
    try:
        return load_settings(), ""
    except SettingsError as e:
        return ClassSettings(), str(e)


def locked_note(settings: ClassSettings, asked: str | None = None) -> str:
    """The ``pc-locked-note`` HTML: each locked option with its value and the reason."""
    locked = []
    if settings.is_locked("model"):
        locked.append(f"model <code>{esc(settings.model or 'replay')}</code>")
    if settings.is_locked("base_url"):
        locked.append(f"server <code>{esc(settings.base_url or 'the provider default')}</code>")
    if settings.is_locked("reasoning"):
        locked.append("reasoning effort")
    if not locked:
        return ""
    swapped = ""
    if asked and settings.model and settings.is_locked("model") and asked != settings.model:
        swapped = f" (the notebook asked for <code>{esc(asked)}</code>)"
    return (f"<p class='pc-locked-text'><b>Locked by your instructor</b>: {', '.join(locked)}{swapped} — "
            f"{esc(settings.reason)}. <span title='{esc(settings.where())}'>(settings: "
            f"<code>{esc(settings.where())}</code>)</span></p>")


def budget_note(settings: ClassSettings) -> str:
    """The student's day so far against the cap (read from their usage file)."""
    b = settings.budget
    if not settings.active or (b.tokens_per_day is None and b.usd_per_day is None):
        return ""
    spent = Ledger(settings.usage_folder()).spent()
    parts = []
    if b.tokens_per_day:
        parts.append(f"{spent.tokens:,} of {b.tokens_per_day:,} tokens")
    if b.usd_per_day:
        parts.append(f"${spent.usd:.2f} of ${b.usd_per_day:.2f}")
    return f"<p class='pc-budget-text'>Daily budget (set by your instructor, UTC day): used {' and '.join(parts)}.</p>"


def allowed_note(settings: ClassSettings) -> str:
    if settings.replay_only:
        return f"<p class='pc-allowed-text'>This class replays recorded answers only — {esc(settings.reason)}.</p>"
    if settings.allowed_models:
        names = ", ".join(f"<code>{esc(m)}</code>" for m in settings.allowed_models)
        return f"<p class='pc-allowed-text'>Models allowed in this class: {names}.</p>"
    return ""
