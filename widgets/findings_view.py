"""What fails in the code, per file: the static checker's findings and the last smoke run.

Shown in red in the Smoke step (every file) and above the editor in the Code step (the
file on screen). The checker (``checks.check.check_session``, AST only) is re-run when
the code, config or logic design changes; the smoke part reads ``session.state.smoke``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as W

from .report_views import BAD, OK
from .ui import html, set_class
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    source: str  # "check" (static, nothing ran) or "smoke" (the last smoke run)
    text: str


_memo: dict[str, tuple[str, list[Problem]]] = {}  # session root -> (inputs digest, findings)


def _inputs_digest(session: Session) -> str:
    from papercoder_nb.session.graph import code_files

    parts = [f"{p}\0{t}" for p, t in sorted(code_files(session).items())]
    parts += [session.read(a) or "" for a in ("config", "logic")]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def check_problems(session: Session) -> list[Problem]:
    """The checker's findings over the session's code (cached while its inputs are unchanged)."""
    from papercoder_nb.checks.check import check_session

    key, digest = str(session.root), _inputs_digest(session)
    cached = _memo.get(key)
    if cached is None or cached[0] != digest:
        found = [Problem(f.file, f.line, "check", f"{f.problem} (expected: {f.expected})")
                 for f in check_session(session.root)]
        cached = _memo[key] = (digest, found)
    return list(cached[1])


def smoke_problems(smoke: dict[str, Any] | None) -> list[Problem]:
    """The files the last smoke run failed in (compile, import, or the entry point's error)."""
    if not smoke or smoke.get("ok"):
        return []
    out = []
    for rec in smoke.get("files") or []:
        if not rec.get("compiled"):
            out.append(Problem(rec["path"], None, "smoke", f"does not compile: {rec.get('error') or '?'}"))
        elif rec.get("imported") is False:
            out.append(Problem(rec["path"], None, "smoke", f"import failed: {rec.get('error') or '?'}"))
    if smoke.get("failing_file"):
        error = smoke.get("error") or f"exit code {smoke.get('returncode')}"
        out.append(Problem(smoke["failing_file"], smoke.get("failing_line"), "smoke", f"the run failed here: {error}"))
    return out


def problems(session: Session, file: str | None = None) -> list[Problem]:
    found = check_problems(session) + smoke_problems(session.state.smoke)
    return [p for p in found if file is None or p.file == file]


def problems_html(found: list[Problem], scope: str) -> str:
    """Red list of problems, or one green line when there are none."""
    if not found:
        return f"<p class='pc-findings-none' style='color:{OK};margin:2px 0'>No failing checks in {esc(scope)}.</p>"
    rows = "".join(
        f"<li class='pc-finding pc-finding-{p.source}'><code>{esc(p.file)}{':' + str(p.line) if p.line else ''}"
        f"</code> <b>{'static check' if p.source == 'check' else 'smoke run'}</b>: {esc(p.text)}</li>"
        for p in found
    )
    return (f"<div style='border-left:4px solid {BAD};padding:2px 8px;color:{BAD}'>"
            f"<b>Failing checks in {esc(scope)} ({len(found)})</b><ul style='margin:2px 0'>{rows}</ul></div>")


def show_problems(widget: W.HTML, found: list[Problem], scope: str) -> None:
    widget.value = problems_html(found, scope)
    set_class(widget, "pc-findings-state", "failed" if found else "ok")


class CodeFindings:
    """Above the Code step's editor: what fails in the file on screen."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.widget = html("pc-code-findings")
        host.file_select.observe(lambda change: self.update(change["new"]), names="value")

    def update(self, aid: str | None = None) -> W.HTML:
        session = self.host.session
        aid = aid if aid is not None else self.host.file_select.value
        if session is None or not aid or not str(aid).startswith("code:"):
            self.widget.value = ""
            set_class(self.widget, "pc-findings-state", "none")
            return self.widget
        file = str(aid).split(":", 1)[1]
        show_problems(self.widget, problems(session, file), file)
        return self.widget
