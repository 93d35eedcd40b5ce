"""``papercoder usage`` (what each student spent) and ``papercoder settings`` (what is locked, and why)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..util.errors import CliError
from .ledger import current_user, usage_table
from .settings import ENV_VAR, load_settings


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)  # made per command: the terminal's width now


def cmd_usage(a: argparse.Namespace) -> int:
    out = _console()
    settings = load_settings()
    folder = Path(a.dir) if a.dir else settings.usage_dir
    if folder is None:
        raise CliError(f"no usage folder: name one (`papercoder usage DIR`) or set usage_dir in the instructor's "
                       f"settings ({ENV_VAR} or papercoder.toml in the system config folder)")
    if not folder.is_dir():
        raise CliError(f"{folder} is not a folder; give the usage_dir of the class's papercoder.toml")
    rows = usage_table(folder)
    if a.day:
        rows = [r for r in rows if r["day"] == a.day]
    if a.json:
        out.print_json(json.dumps(rows))
        return 0
    if not rows:
        out.print(escape(f"no usage recorded in {folder}" + (f" on {a.day}" if a.day else "")))
        return 0
    out.print(_table(rows, settings.budget.tokens_per_day, settings.budget.usd_per_day))
    return 0


def _table(rows: list[dict[str, Any]], tokens_cap: int | None, usd_cap: float | None) -> Table:
    table = Table("day (UTC)", "user", "calls", "tokens in", "tokens out", "USD", "of the daily cap", box=None)
    for r in rows:
        usd = f"{r['usd']:.4f}" + (f" (+{r['unpriced']} unpriced)" if r["unpriced"] else "")
        share = [f"{r['tokens'] / tokens_cap:.0%} of {tokens_cap:,} tokens" if tokens_cap else "",
                 f"{r['usd'] / usd_cap:.0%} of ${usd_cap:.2f}" if usd_cap else ""]
        table.add_row(r["day"], escape(r["user"]), str(r["calls"]), f"{r['input_tokens']:,}",
                      f"{r['output_tokens']:,}", usd, ", ".join(x for x in share if x) or "no cap")
    return table


def cmd_settings(a: argparse.Namespace) -> int:
    out = _console()
    s = load_settings()
    if not s.active:
        out.print(f"no instructor settings: every option is yours ({ENV_VAR} is unset and no papercoder.toml "
                  "is in the system config folder)")
        return 0
    out.print(escape(f"instructor settings: {s.where()}  (you are {current_user()})"))
    lines = [("model", s.model or "(yours to choose)", s.is_locked("model")),
             ("base_url", s.base_url or "(the provider's default)", s.is_locked("base_url")),
             ("reasoning", "(yours to choose)", s.is_locked("reasoning"))]
    for name, value, locked in lines:
        out.print(escape(f"  {name}: {value}" + (f"  — locked: {s.reason}" if locked else "")))
    if s.replay_only:
        out.print(escape(f"  replay only: recorded answers, no live model — {s.reason}"))
    if s.allowed_models:
        out.print(escape(f"  allowed models: {', '.join(s.allowed_models)}"))
    caps = [f"{s.budget.tokens_per_day:,} tokens" if s.budget.tokens_per_day else "",
            f"${s.budget.usd_per_day:.2f}" if s.budget.usd_per_day else ""]
    if any(caps):
        out.print(escape(f"  daily budget per student: {' and '.join(c for c in caps if c)} (UTC days)"))
    if s.max_concurrent:
        out.print(escape(f"  calls in flight per kernel to the class server: at most {s.max_concurrent}"))
    out.print(escape(f"  usage recorded in: {s.usage_folder()}"))
    return 0


def add_commands(sub: Any) -> None:
    """Register ``usage`` and ``settings``."""
    p = sub.add_parser("usage", help="tokens and dollars per student and day (the class's usage folder)")
    p.add_argument("dir", nargs="?", help="the usage folder (default: usage_dir of the instructor's settings)")
    p.add_argument("--day", help="only this UTC day (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="rows as JSON")
    p.set_defaults(fn=cmd_usage)
    p = sub.add_parser("settings", help="the instructor's settings: defaults, locks, budget")
    p.set_defaults(fn=cmd_settings)
