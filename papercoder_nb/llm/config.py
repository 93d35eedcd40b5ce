"""Settings and keys: environment first, then a ``.env`` file, then the user config.

Keys are read here and handed to SDK clients only; nothing else stores them.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir

from .providers import provider_infos


def key_variables() -> tuple[str, ...]:
    """The settings that hold a provider's key, as each provider declares."""
    return tuple(i.key_variable for i in provider_infos() if i.key_variable)


def setting_names() -> tuple[str, ...]:
    """Every setting read here: the providers' keys and servers, and the default model."""
    servers = tuple(i.base_url_variable for i in provider_infos() if i.base_url_variable)
    return (*key_variables(), "PAPERCODER_MODEL", *servers)


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
    names = setting_names()
    merged = _read_env_file(user_config_path())
    merged.update(_read_env_file((cwd or Path.cwd()) / ".env"))
    merged.update({k: v for k, v in env.items() if k in names and v})
    return {k: v for k, v in merged.items() if k in names}


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
    return {k: bool(settings.get(k)) for k in key_variables()}
