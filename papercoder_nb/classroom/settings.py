"""The instructor's settings: one TOML file the hub admin controls, read by every kernel.

Found through ``PAPERCODER_SETTINGS`` (a path; what a JupyterHub spawner's environment sets)
or, without it, ``papercoder.toml`` in the system-wide config folder
(``platformdirs.site_config_dir("papercoder-nb")``, ``/etc/xdg/papercoder-nb`` on Linux),
which students cannot write. No file means no class: every option stays the user's own.
A broken file is an error naming the file and the fix, never silently ignored: an
instructor who set a budget must be able to trust it applies.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..util.errors import CliError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ENV_VAR = "PAPERCODER_SETTINGS"
FILE_NAME = "papercoder.toml"
Lockable = Literal["model", "base_url", "reasoning"]


class SettingsError(CliError):
    """The instructor's settings file cannot be used as written."""


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tokens_per_day: int | None = Field(default=None, gt=0)
    usd_per_day: float | None = Field(default=None, gt=0)


class ClassSettings(BaseModel):
    """What the instructor decided; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None  # the class's default provider:model
    base_url: str | None = None  # the class's shared OpenAI-compatible server
    allowed_models: list[str] = Field(default_factory=list)  # empty: any model
    locked: list[Lockable] = Field(default_factory=list)
    reason: str = "set by your instructor"
    replay_only: bool = False  # only recorded answers: no key, no spending
    usage_dir: Path | None = None  # one <user>.jsonl per student
    max_concurrent: int | None = Field(default=None, gt=0)  # calls in flight per kernel to the class server
    budget: Budget = Field(default_factory=Budget)
    source: Path | None = Field(default=None, exclude=True)  # the file these came from

    @field_validator("allowed_models")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        return [m.strip() for m in v if m.strip()]

    @property
    def active(self) -> bool:
        return self.source is not None

    def is_locked(self, option: str) -> bool:
        return option in self.locked or (option == "model" and self.replay_only)

    def usage_folder(self) -> Path:
        """Where usage is counted: the instructor's folder, else the student's own data folder."""
        if self.usage_dir is not None:
            return self.usage_dir
        from platformdirs import user_data_dir

        return Path(user_data_dir("papercoder-nb")) / "usage"

    def where(self) -> str:
        return str(self.source) if self.source else "no settings file"


def settings_path(env: dict[str, str] | None = None) -> Path | None:
    """The instructor's file, if there is one."""
    env = os.environ if env is None else env
    named = env.get(ENV_VAR, "").strip()
    if named:
        return Path(named).expanduser()  # named but missing is an error in load_settings
    from platformdirs import site_config_dir

    for folder in site_config_dir("papercoder-nb", multipath=True).split(os.pathsep):
        candidate = Path(folder) / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(env: dict[str, str] | None = None) -> ClassSettings:
    """The class's settings, or empty ones when no instructor file exists."""
    path = settings_path(env)
    if path is None:
        return ClassSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{ENV_VAR} names {path}, which does not exist; fix the path or unset {ENV_VAR}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read the instructor's settings {path}: {e}; ask the hub admin to fix its "
                            "permissions (every student must be able to read it)") from None
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"the instructor's settings {path} are not valid TOML ({e}); fix the file") from None
    try:
        settings = ClassSettings.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'file'}: {x['msg']}" for x in e.errors())
        raise SettingsError(f"the instructor's settings {path} have a problem: {problems}; fix the file "
                            "(docs/teaching.md lists every setting)") from None
    settings.source = path
    if settings.usage_dir is not None and not settings.usage_dir.is_absolute():
        settings.usage_dir = (path.parent / settings.usage_dir).resolve()
    return settings
