"""The Export step: repository folder, zip, explanatory notebook, with links.

Links are relative to the kernel's working folder and shown through an Output widget,
because JupyterLab rewrites relative links in rendered outputs to open the file (plain
HTML widgets get no such help). In Colab a zip is also pushed to the browser as a download.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as W

from . import compat
from .ui import box, button, html, set_class
from .views import esc

if TYPE_CHECKING:
    from papercoder_nb.session.store import Session


def link(path: Path, label: str) -> str:
    try:
        rel = os.path.relpath(path, Path.cwd())
    except ValueError:
        rel = str(path)
    if rel.startswith(".."):
        return f"{esc(label)}: <code>{esc(path)}</code>"
    href = Path(rel).as_posix()
    return f'<a class="pc-link" href="{esc(href)}" target="_blank">{esc(label)}</a> <code>{esc(path)}</code>'


class ExportBox:
    def __init__(self, on_export: Callable[[], None] | None = None) -> None:
        self.on_export = on_export  # the panel re-colours its Export step after each export
        self.repo = button("Repository folder", "pc-export-repo", style="primary", icon="folder")
        self.zip = button("Zip", "pc-export-zip", icon="file-archive-o")
        self.notebook = button("Notebook", "pc-export-notebook", icon="book")
        self.force = W.Checkbox(value=False, description="overwrite files I edited in the export (backed up first)", indent=False)
        self.force.layout.width = "auto"
        self.force.add_class("pc-export-force")
        self.message = html("pc-export-message")
        self.links = W.Output()
        self.links.add_class("pc-export-links")
        self._session: Session | None = None
        self.done: list[str] = []  # html lines shown as links (this session's only)
        self.status = html("pc-export-status")
        self.repo.on_click(lambda _b: self.export("repo"))
        self.zip.on_click(lambda _b: self.export("zip"))
        self.notebook.on_click(lambda _b: self.export("notebook"))
        self.widget = box([
            html("pc-export-help", "<p>Export what is generated so far. Files without code are listed in the README.</p>"),
            self.status, box([self.repo, self.zip, self.notebook], vertical=False), self.force, self.message, self.links,
        ], "pc-export")

    @property
    def session(self) -> Session | None:
        return self._session

    @session.setter
    def session(self, session: Session | None) -> None:
        if session is not self._session:  # links from an earlier session are not this one's outputs
            self.done = []
            compat.set_outputs(self.links, [])
            self.message.value = ""
        self._session = session

    def refresh(self) -> None:
        """Say what an export would hold now, before anything is written."""
        if self._session is None:
            self.status.value = ""
            return
        from papercoder_nb.run.export_status import export_status

        state = export_status(self._session)
        colour = "var(--pc-warn, #7d4e00)" if state.problems else "var(--pc-ok, #116329)"
        lead = "Before you export — it would hold" if state.problems else "Ready to export"
        self.status.value = f"<p class='pc-export-state' style='color:{colour}'><b>{lead}:</b> {esc(state.sentence())}</p>"
        set_class(self.status, "pc-export-problems", "yes" if state.problems else "no")

    def folder(self) -> Path:
        assert self.session is not None
        return self.session.root / "export"

    def export(self, kind: str) -> bool:
        if self.session is None:
            self._say("Load a paper first.", ok=False)
            return False
        try:
            from papercoder_nb.export import ExportError, write_notebook, write_repo
            from papercoder_nb.export.session_export import bundle_from_session
        except ImportError as e:
            self._say(f"The exporter is not available in this installation ({esc(e)}); "
                      "update papercoder-nb or use <code>papercoder export</code>.", ok=False)
            return False
        try:
            from papercoder_nb.run.export_status import export_status

            state = export_status(self.session)
            bundle = bundle_from_session(self.session)
            if kind == "notebook":
                path = write_notebook(bundle, self.folder() / "reproduction.ipynb")
                lines = [link(path, "notebook")]
                notes: list[str] = []
            else:
                dest = self.folder() / "repo"
                report = write_repo(bundle, dest, make_zip=kind == "zip", force=self.force.value)
                lines = [link(dest, "repository folder"), link(dest / "README.md", "README")]
                if report.zip_path:
                    lines.append(link(Path(report.zip_path), "zip"))
                    if compat.in_colab():
                        compat.colab_download(report.zip_path)
                notes = list(report.messages)
        except ExportError as e:
            self._say(f"Export stopped: {esc(e)}. Tick “overwrite” to replace them (copies are kept), "
                      "or move your edits back into the session.", ok=False)
            return False
        except Exception as e:  # shown, not raised: the panel must stay usable
            self._say(f"Export failed: {esc(type(e).__name__)}: {esc(e)}", ok=False)
            return False
        self.done = [ln for ln in self.done if ln not in lines] + lines
        compat.set_outputs(self.links, [{"text/html": "<br>".join(self.done), "text/plain": "\n".join(self.done)}])
        extra = "".join(f"<li>{esc(n)}</li>" for n in notes)
        verdict = "with problems" if state.problems else "complete"
        self._say(f"Exported the {esc(kind)} ({verdict}): {esc(state.sentence())}." + (f"<ul>{extra}</ul>" if extra else ""),
                  ok=not state.problems, warn=state.problems)
        self.refresh()
        if self.on_export is not None:
            self.on_export()
        return True

    def _say(self, text: str, ok: bool = True, warn: bool = False) -> None:
        cls, colour = ("pc-warn", "var(--pc-warn, #7d4e00)") if warn else ("pc-ok", "var(--pc-ok, #116329)") if ok else ("pc-error", "var(--pc-bad, #a40e26)")
        self.message.value = f"<div class='{cls}' style='color:{colour}'>{text}</div>"


def step_state(session: Session | None) -> str:
    """The Export step's colour: green only for an export of complete, approved, passing
    code that is newer than every code file; red when what it holds fails; grey before."""
    if session is None:
        return "missing"
    written = [p for p in (session.root / "export").glob("**/*") if p.is_file()]
    if not written:
        return "missing"
    from papercoder_nb.run.export_status import export_status

    state = export_status(session)
    if state.missing or state.failing or state.smoke == "failing":
        return "failed"
    newest_code = max((session.path(f"code:{f}").stat().st_mtime for f in state.present), default=0.0)
    if state.stale or newest_code > max(p.stat().st_mtime for p in written):
        return "stale"
    return "generated" if state.problems else "approved"
