"""The Paper step: load a paper (path, upload, arXiv id, or a session folder) and choose
which sections the models read.

Dropping a section changes every stage's input hash, so everything generated becomes
stale; that is the engine's rule and the panel simply shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as W

from . import compat
from .ui import box, button, html, show, text
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session


class PaperBox:
    def __init__(self, on_load: Callable[[str], None], on_upload: Callable[[list[tuple[str, bytes]]], None],
                 on_sections: Callable[[list[str]], None]) -> None:
        self._on_load = on_load
        self._on_upload = on_upload
        self._on_sections = on_sections
        self._updating = False
        self.path = text("pc-path", "path to a PDF / LaTeX / JSON / Markdown paper, arxiv:<id>, or a session folder", width="60%")
        self.load = button("Load", "pc-load", style="primary", icon="folder-open")
        self.load.on_click(lambda _b: self._on_load(self.path.value.strip()))
        if compat.in_colab():
            self.upload: W.Widget = button("Upload a file…", "pc-colab-upload", icon="upload")
            self.upload.on_click(lambda _b: self._on_upload(compat.colab_upload()))
        else:
            self.upload = compat.file_upload(".pdf,.tex,.json,.md,.txt,.zip,.gz,.tgz,.tar")
            self.upload.add_class("pc-upload")
            self.upload.observe(self._uploaded, names="value")
        self.summary = html("pc-paper-summary", "<p><i>No paper loaded yet.</i></p>")
        self.sections_help = html("pc-sections-help")
        self.sections = box([], "pc-sections")
        self.checkboxes: dict[str, W.Checkbox] = {}
        self.prompt_view = html("pc-paper-prompt")  # exactly the paper text a prompt carries
        self.widget = box([
            html("pc-load-help", "<b>Load a paper</b> — or reopen a session folder where you left off:"),
            box([self.path, self.load, self.upload], vertical=False),
            self.summary, self.sections_help, self.sections, self.prompt_view,
        ], "pc-paper")

    def _uploaded(self, change: dict) -> None:
        files = compat.uploaded_files(change["new"])
        if files:
            self._on_upload(files)

    def show_session(self, session: Session | None) -> None:
        if session is None:
            return
        paper = session.paper
        authors = ", ".join(paper.authors[:6]) + (" …" if len(paper.authors) > 6 else "")
        warn = "".join(f"<li>{esc(w)}</li>" for w in paper.meta.warnings)
        self.summary.value = (
            f"<h3 style='margin:4px 0'>{esc(paper.title or 'Untitled paper')}</h3>"
            f"<p>{esc(authors)}</p>"
            f"<p>Session folder: <code>{esc(session.root)}</code> · source: <code>{esc(session.state.paper_source)}</code></p>"
            f"<p>{len(paper.sections)} sections · {len(paper.equations)} equations · "
            f"{len(paper.figures)} figures · {len(paper.tables)} tables · "
            f"≈{paper.meta.token_estimate:,} tokens in all</p>"
            + (f"<details><summary>Abstract</summary><p>{esc(paper.abstract)}</p></details>" if paper.abstract else "")
            + (f"<p>Parser warnings:</p><ul>{warn}</ul>" if warn else "")
        )
        dropped = set(session.state.dropped_sections)
        self._updating = True
        try:
            self.checkboxes = {}
            rows = []
            for s in paper.sections:
                num = f"{s.number} " if s.number else ""
                indent = "\u2003" * max(0, s.level - 1)
                cb = W.Checkbox(value=s.id not in dropped, description=f"{indent}{num}{s.title} ({s.tokens:,} tokens)", indent=False)
                cb.layout.width = "auto"
                cb.add_class("pc-section")
                cb.add_class(f"pc-section-{s.id}")
                cb.observe(self._changed, names="value")
                self.checkboxes[s.id] = cb
                rows.append(cb)
            self.sections.children = tuple(rows)
        finally:
            self._updating = False
        self._help(session)
        show(self.sections, bool(rows))

    def _help(self, session: Session) -> None:
        paper = session.selected_paper()
        kept = paper.meta.token_estimate
        # the same engine call the prompt builder makes, on the same section selection
        self.prompt_view.value = (
            "<details><summary>What the model reads</summary><pre style='white-space:pre-wrap;"
            f"max-height:480px;overflow:auto'>{esc(paper.to_prompt_text())}</pre></details>"
        )
        self.sections_help.value = (
            "<b>Sections the models read</b> (untick to drop, e.g. references or long appendices): "
            f"≈{kept:,} tokens selected"
        )

    def _changed(self, _change: dict) -> None:
        if not self._updating:
            self._on_sections([sid for sid, cb in self.checkboxes.items() if not cb.value])

    def refresh_help(self, session: Session) -> None:
        self._help(session)


def save_upload(folder: Path, name: str, data: bytes) -> Path:
    """Keep an uploaded paper on disk (the session copies it; parsers need a path)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = Path(name).name or "paper"
    path = folder / safe
    path.write_bytes(data)
    return path
