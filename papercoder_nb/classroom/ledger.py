"""What each student spent, one JSON line per paid call, in a folder the instructor reads.

One file per user (``<usage_dir>/<user>.jsonl``) so students never write into each
other's file (on a hub each is a separate unix user; the folder is sticky and
world-writable, like /tmp). Each line is written whole with one ``O_APPEND`` write, so
two kernels of the same student interleave lines, never bytes. Days are UTC days, the
same for everyone in the class whatever their time zone.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_SAFE_USER = re.compile(r"[^A-Za-z0-9._@-]+")


def current_user() -> str:
    """The student: the hub's name for them, else the login name."""
    name = os.environ.get("JUPYTERHUB_USER", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name (some containers): one shared name, still counted
            name = "unknown"
    return _SAFE_USER.sub("_", name).strip("._") or "unknown"


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


@dataclass
class Spent:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    unpriced: int = 0  # calls whose cost is unknown

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, entry: dict[str, Any]) -> None:
        self.calls += 1
        self.input_tokens += int(entry.get("input_tokens") or 0)
        self.output_tokens += int(entry.get("output_tokens") or 0)
        cost = entry.get("cost_usd")
        if cost is None:
            self.unpriced += 1
        else:
            self.usd += float(cost)


class Ledger:
    """A student's usage file: appended after each paid call, summed before the next."""

    def __init__(self, folder: Path, user: str | None = None) -> None:
        self.folder = Path(folder)
        self.user = user or current_user()
        self.path = self.folder / f"{self.user}.jsonl"
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        line = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "user": self.user, **entry}
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    def spent(self, day: str | None = None) -> Spent:
        day = day or today()
        total = Spent()
        for entry in read_entries(self.path):
            if str(entry.get("at", ""))[:10] == day:
                total.add(entry)
        return total


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """Every well-formed line; a torn or hand-edited line is skipped, not fatal."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    for raw in text.splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def usage_table(folder: Path) -> list[dict[str, Any]]:
    """One row per user and day, newest day first, then by user."""
    rows: dict[tuple[str, str], Spent] = {}
    for path in sorted(Path(folder).glob("*.jsonl")):
        for entry in read_entries(path):
            key = (str(entry.get("at", ""))[:10], str(entry.get("user") or path.stem))
            rows.setdefault(key, Spent()).add(entry)
    ordered = sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ordered.sort(key=lambda kv: kv[0][0], reverse=True)
    return [{"day": day, "user": user, "calls": s.calls, "input_tokens": s.input_tokens,
             "output_tokens": s.output_tokens, "tokens": s.tokens, "usd": round(s.usd, 6), "unpriced": s.unpriced}
            for (day, user), s in ordered]
