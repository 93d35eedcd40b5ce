"""Markdown pieces of the prompt text: tables with their rows, the notation block."""

from __future__ import annotations


def _cell(text: str) -> str:
    # a pipe or newline inside a cell would break the Markdown row
    return " ".join(text.replace("|", "\\|").split())


def table_markdown(rows: list[list[str]]) -> str:
    """Rows as a Markdown table; the first row is the header, short rows are padded."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines = []
    for k, r in enumerate(rows):
        cells = [_cell(c) for c in r] + [""] * (width - len(r))
        lines.append("| " + " | ".join(cells) + " |")
        if k == 0:
            lines.append("|" + "---|" * width)
    return "\n".join(lines)


def table_block(label: str, caption: str, rows: list[list[str]]) -> str:
    """``Table n: caption`` followed by the rows, the way a table reads in the prompt."""
    head = f"{label}: {caption}".rstrip(": ").strip()
    md = table_markdown(rows)
    return f"{head}\n\n{md}" if md else head


def notation_block(definitions: list[str]) -> str:
    if not definitions:
        return ""
    return "## Notation macros\nThe paper defines these LaTeX macros; its equations use them as written.\n\n```latex\n" + "\n".join(definitions) + "\n```"


def html_table_rows(html: str) -> list[list[str]]:
    """Rows of a simple HTML table (s2orc's table content); a colspan cell is followed by
    empty cells so the columns stay aligned."""
    from html.parser import HTMLParser

    rows: list[list[str]] = []

    class _Rows(HTMLParser):
        cell: list[str] | None = None
        span = 1

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr":
                rows.append([])
            elif tag in ("td", "th"):
                self.cell, self.span = [], int(dict(attrs).get("colspan") or 1)

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("td", "th") and rows:
                rows[-1].append("")

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th") and self.cell is not None and rows:
                rows[-1].extend([" ".join("".join(self.cell).split())] + [""] * (self.span - 1))
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    _Rows().feed(html or "")
    return [r for r in rows if any(r)]
