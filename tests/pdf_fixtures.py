"""Tiny PDF writer for tests: positioned text in the base-14 fonts, ruled lines, and
the damaged/encrypted variants the bad-input tests need. No third-party package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

FONTS = {"R": "Times-Roman", "B": "Times-Bold", "I": "Times-Italic", "S": "Symbol"}


@dataclass
class Page:
    texts: list[tuple[float, float, float, str, str]] = field(default_factory=list)  # x, top, size, font, text
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)  # x0, top0, x1, top1
    width: float = 612
    height: float = 792

    def text(self, x: float, top: float, text: str, size: float = 10, font: str = "R") -> Page:
        self.texts.append((x, top, size, font, text))
        return self

    def rule(self, x0: float, top0: float, x1: float, top1: float) -> Page:
        self.lines.append((x0, top0, x1, top1))
        return self


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


Bookmark = tuple[int, str, int, float]  # level (1 = top), title, page index, top of its destination


def make_pdf(pages: list[Page], encrypt: bool = False, outline: list[Bookmark] | None = None) -> bytes:
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    font_ids = {k: add(f"<< /Type /Font /Subtype /Type1 /BaseFont /{v} >>".encode()) for k, v in FONTS.items()}
    fonts = " ".join(f"/F{k} {i} 0 R" for k, i in font_ids.items())
    pages_id = add(b"")  # placeholder, filled below
    kids = []
    for p in pages:
        ops = []
        for x, top, size, font, text in p.texts:
            y = p.height - top - size * 0.8
            ops.append(f"BT /F{font} {size} Tf {x:.2f} {y:.2f} Td ({_esc(text)}) Tj ET")
        for x0, t0, x1, t1 in p.lines:
            ops.append(f"0.5 w {x0:.2f} {p.height - t0:.2f} m {x1:.2f} {p.height - t1:.2f} l S")
        stream = "\n".join(ops).encode("latin-1")
        cid = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(
            f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {p.width} {p.height}] "
            f"/Resources << /Font << {fonts} >> >> /Contents {cid} 0 R >>".encode()
        ))
    objs[pages_id - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    extra = ""
    if outline:
        extra = f" /Outlines {_outline(outline, add, objs, kids, pages)} 0 R"
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R{extra} >>".encode())
    enc_id = None
    if encrypt:
        # Standard security handler with a user password we don't give: the O/U
        # entries are arbitrary, so the empty password is refused as incorrect.
        enc_id = add(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 "
                     b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objs) + 1} /Root {catalog} 0 R"
    if enc_id:
        trailer += f" /Encrypt {enc_id} 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _outline(marks: list[Bookmark], add: Callable[[bytes], int], objs: list[bytes], kids: list[int], pages: list[Page]) -> int:
    """Write an outline tree (bookmarks with /XYZ destinations); return its root's id."""
    root = add(b"")
    ids = [add(b"") for _ in marks]
    parent = [root] * len(marks)
    children: dict[int, list[int]] = {root: []}
    stack: list[tuple[int, int]] = []  # (level, id)
    for i, (level, _, _, _) in enumerate(marks):
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent[i] = stack[-1][1] if stack else root
        children.setdefault(parent[i], []).append(ids[i])
        children.setdefault(ids[i], [])
        stack.append((level, ids[i]))
    for i, (_, title, page, top) in enumerate(marks):
        sib = children[parent[i]]
        k = sib.index(ids[i])
        body = f"<< /Title ({_esc(title)}) /Parent {parent[i]} 0 R /Dest [{kids[page]} 0 R /XYZ 0 {pages[page].height - top:.2f} 0]"
        body += f" /Prev {sib[k - 1]} 0 R" if k > 0 else ""
        body += f" /Next {sib[k + 1]} 0 R" if k + 1 < len(sib) else ""
        if children[ids[i]]:
            body += f" /First {children[ids[i]][0]} 0 R /Last {children[ids[i]][-1]} 0 R /Count {len(children[ids[i]])}"
        objs[ids[i] - 1] = (body + " >>").encode("latin-1")
    top = children[root]
    objs[root - 1] = f"<< /Type /Outlines /First {top[0]} 0 R /Last {top[-1]} 0 R /Count {len(marks)} >>".encode()
    return root


LOREM = (
    "the model reads every page of the paper and keeps the words apart so that nothing "
    "is glued together as shown in figure one while the method stays simple and fast "
).split()


def prose(n_words: int, start: int = 0) -> list[str]:
    return [LOREM[(start + i) % len(LOREM)] for i in range(n_words)]


def wrap(words: list[str], per_line: int) -> list[str]:
    return [" ".join(words[i : i + per_line]) for i in range(0, len(words), per_line)]
