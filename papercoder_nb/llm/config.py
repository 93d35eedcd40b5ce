"""Settings and keys: environment first, then a ``.env`` file, then the user config.

Keys are read here and handed to SDK clients only; nothing else stores them.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir

KEY_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")
SETTINGS = (*KEY_VARIABLES, "PAPERCODER_MODEL", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def user_config_path() -> Path:
    return Path(os.environ.get("PAPERCODER_CONFIG_DIR") or user_config_dir("papercoder-nb")) / "config.env"


def _read_env_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        out[key.strip()] = value.strip().strip("'\"")
    return out


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, str]:
    """Merged settings: environment > ./.env > user config file."""
    env = dict(os.environ if env is None else env)
    merged = _read_env_file(user_config_path())
    merged.update(_read_env_file((cwd or Path.cwd()) / ".env"))
    merged.update({k: v for k, v in env.items() if k in SETTINGS and v})
    return {k: v for k, v in merged.items() if k in SETTINGS}


def require_key(variable: str) -> str:
    value = load_settings().get(variable)
    if not value:
        from .base import BackendError

        raise BackendError(
            f"{variable} is not set: export it, put it in ./.env, or in {user_config_path()}"
        )
    return value


def key_status() -> dict[str, bool]:
    """Which keys are present (never their values)."""
    settings = load_settings()
    return {k: bool(settings.get(k)) for k in KEY_VARIABLES}
