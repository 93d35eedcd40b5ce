"""Artifact text → HTML, as pure functions (testable without a front end).

Model output is untrusted (a paper can carry prompt injection), so Markdown is rendered
with raw HTML disabled and everything else is escaped. Colours are inline styles so
the HTML looks the same in JupyterLab, Notebook 7 and Colab's per-output iframes.
Mermaid diagrams are returned separately as Markdown with a ```mermaid fence: JupyterLab
(4.1+) draws those offline with its bundled Mermaid; elsewhere the fence shows as
readable source, which is the fallback the design asks for.
"""

from __future__ import annotations

import difflib
import html
import json
from typing import Any

from markdown_it import MarkdownIt

from papercoder_nb.session.artifacts import Architecture, Logic, parse_config

from .palette import BORDER, DIFF_BG

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")

BOX = f"border:1px solid {BORDER};border-radius:4px;padding:6px 10px;margin:4px 0;"
PRE = "white-space:pre-wrap;font-family:monospace;font-size:12px;margin:0;"


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def markdown_html(text: str) -> str:
    return f'<div class="pc-md">{_MD.render(text or "")}</div>'


def highlight(text: str, language: str) -> str:
    """Syntax-highlighted source (pygments token classes), or an escaped <pre>."""
    try:
        from pygments import highlight as _hl
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name

        # token classes: ui.STYLE colours them for the light and the dark theme
        body = _hl(text, get_lexer_by_name(language), HtmlFormatter(cssclass="pc-hl", nobackground=True))
        return f'<div class="pc-code pc-lang-{esc(language)}" style="font-size:12px">{body}</div>'
    except Exception:  # no pygments or no lexer: plain text is still readable
        return f'<pre class="pc-code" style="{PRE}">{esc(text)}</pre>'


def mermaid_markdown(title: str, source: str) -> str:
    return f"**{title}**\n\n```mermaid\n{source.strip()}\n```\n"


def _mermaid_source_block(title: str, source: str) -> str:
    return (
        f'<details class="pc-mermaid-source"><summary>{esc(title)} (Mermaid source)</summary>'
        f'<pre class="mermaid-source" style="{PRE}">{esc(source.strip())}</pre></details>'
    )


def architecture_html(text: str) -> tuple[str, list[str]]:
    """(HTML, Mermaid Markdown blocks) for the architecture design."""
    try:
        arch = Architecture.model_validate_json(text)
    except ValueError as e:
        return invalid_html("architecture", text, e), []
    files = "".join(f"<li><code>{esc(f)}</code></li>" for f in arch.file_list)
    parts = [
        "<h4>Implementation approach</h4>",
        markdown_html(arch.implementation_approach),
        f"<h4>Files</h4><ol>{files}</ol>",
        "<h4>Data structures and interfaces · program call flow</h4>",
        "<p><i>Diagrams are drawn below where the front end renders Mermaid; the source is here.</i></p>",
        _mermaid_source_block("Class diagram", arch.data_structures_and_interfaces),
        _mermaid_source_block("Sequence diagram", arch.program_call_flow),
        _unclear(arch.unclear),
    ]
    diagrams = [
        mermaid_markdown("Data structures and interfaces", arch.data_structures_and_interfaces),
        mermaid_markdown("Program call flow", arch.program_call_flow),
    ]
    return "".join(parts), diagrams


def logic_html(text: str) -> str:
    """The logic design, with the task list as an ordered table in dependency order."""
    try:
        logic = Logic.model_validate_json(text)
        order = logic.ordered_files()
    except ValueError as e:
        return invalid_html("logic", text, e)
    deps = logic.dependencies()
    cell = f"border:1px solid {BORDER};padding:2px 6px;text-align:left;vertical-align:top"

    def row(tag: str, values: list[str]) -> str:
        return "<tr>" + "".join(f'<{tag} style="{cell}">{v}</{tag}>' for v in values) + "</tr>"

    body = []
    for n, f in enumerate(order, 1):
        fl = logic.file_logic(f)
        body.append(row("td", [
            str(n), f"<code>{esc(f)}</code>", esc(", ".join(deps.get(f, [])) or "—"),
            esc(fl.purpose if fl else ""), esc(", ".join(fl.paper_refs) if fl else ""),
        ]))
    table = (
        '<table class="pc-task-table" style="border-collapse:collapse">'
        f"<thead>{row('th', ['#', 'file', 'depends on', 'purpose', 'paper'])}</thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    packages = "".join(f"<li><code>{esc(p)}</code></li>" for p in logic.required_packages) or "<li>none</li>"
    entry = (
        f"<p>Entry point: <code>{esc(logic.entry_point)}</code> "
        f"{esc(' '.join(logic.smoke_args))}</p>" if logic.entry_point else ""
    )
    return "".join([
        "<h4>Task list (dependency order)</h4>", table, entry,
        f"<h4>Required packages</h4><ul>{packages}</ul>",
        "<h4>Shared knowledge</h4>", markdown_html(logic.shared_knowledge or "—"),
        _unclear(logic.unclear),
    ])


def config_html(text: str) -> str:
    try:
        parse_config(text)
        note = ""
    except ValueError as e:
        note = f'<p class="pc-invalid" style="color:var(--pc-bad, #a40e26)">{esc(e)}</p>'
    return note + highlight(text, "yaml")


def invalid_html(what: str, text: str, error: Exception) -> str:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return (
        f'<p class="pc-invalid" style="color:var(--pc-bad, #a40e26)">This {esc(what)} does not validate: {esc(first)}. '
        "Fix it in the editor or regenerate with feedback.</p>"
        f'<pre style="{PRE}">{esc(_pretty_json(text))}</pre>'
    )


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _unclear(points: list[str]) -> str:
    if not points:
        return ""
    items = "".join(f"<li>{esc(p)}</li>" for p in points)
    return f"<h4>Unclear points</h4><ul>{items}</ul><p><i>Answer them under “Open questions”.</i></p>"


def render_artifact(aid: str, text: str | None) -> tuple[str, list[str]]:
    """(HTML, Mermaid Markdown blocks) for any artifact id."""
    if text is None:
        return "<p class='pc-empty'><i>Not generated yet: press Run.</i></p>", []
    kind, _, name = aid.partition(":")
    if kind == "architecture":
        return architecture_html(text)
    if kind == "logic":
        return logic_html(text), []
    if kind == "config":
        return config_html(text), []
    if kind == "code":
        return highlight(text, "python" if name.endswith(".py") else "text"), []
    return markdown_html(text), []


def diff_html(old: str | None, new: str | None, label: str = "") -> str:
    """A unified diff of two versions, coloured line by line (difflib)."""
    if old is None:
        return "<p class='pc-nodiff'><i>No earlier version to compare with.</i></p>"
    lines = list(difflib.unified_diff(
        old.splitlines(), (new or "").splitlines(), "previous", "current", lineterm="", n=3
    ))
    if not lines:
        return "<p class='pc-nodiff'><i>The current version is identical to the previous one.</i></p>"
    rows = diff_rows(lines)
    head = f"<p>Changes in {esc(label)} since the previous version:</p>" if label else ""
    return f'{head}<div class="pc-diff-lines" style="{PRE}">{"".join(rows)}</div>'


def diff_rows(lines: list[str]) -> list[str]:
    """Unified-diff lines as <div>s on theme-aware green / red / blue backgrounds."""
    rows = []
    for line in lines:
        bg = DIFF_BG["head"] if line.startswith(("+++", "---")) else DIFF_BG.get(line[:1], "transparent")
        rows.append(f'<div style="background:{bg}">{esc(line) or "&nbsp;"}</div>')
    return rows


def stream_html(text: str, limit: int = 4000, collapsed: bool = False) -> str:
    """The model's text as it streams; folded away once the job is over."""
    shown = text[-limit:]
    if len(text) > limit:
        shown = "…" + shown
    # A reversed flex column starts scrolled to its end: the box follows the newest text. The
    # text must not shrink to the box (flex:none), or it overflows past the box's reversed
    # start, where it cannot be scrolled to, and the box shows the oldest lines (seen in Lab).
    pre = (f'<div class="pc-stream-scroll" style="display:flex;flex-direction:column-reverse;'
           f'max-height:200px;overflow:auto"><pre class="pc-stream-text" style="{PRE}flex:none">{esc(shown)}</pre></div>')
    return f"<details><summary>Last model output</summary>{pre}</details>" if collapsed else pre


STATUS_STYLE = {
    "missing": ("#666", "#f2f2f2"),
    "running": ("#0550ae", "#ddf4ff"),
    "generated": ("#333", "#fff8c5"),
    "edited": ("#8250df", "#fbefff"),
    "approved": ("#116329", "#dafbe1"),
    "stale": ("#7d4e00", "#ffd8b5"),
    "failed": ("#a40e26", "#ffebe9"),
    "failing": ("#a40e26", "#ffebe9"),
}


def badge(label: str, status: str) -> str:
    fg, bg = STATUS_STYLE.get(status, ("#333", "#eee"))
    return (
        f'<span class="pc-badge pc-badge-{esc(status)}" style="color:{fg};background:{bg};'
        f'border-radius:10px;padding:1px 8px;margin-right:4px;font-size:12px;white-space:nowrap">'
        f"{esc(label)}: <b>{esc(status)}</b></span>"
    )
