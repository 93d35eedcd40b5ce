"""Page geometry for the PDF reader: words → lines in reading order.

pdfplumber gives positioned words; this module decides which of them are text a person
reads and in what order. It removes line-number margins (anonymous submissions) and
rotated stamps, finds the column gutter of two-column layouts, and groups words into
lines that know their font size, weight and how much of them is math.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Fonts whose glyphs are mathematics (TeX, Libertinus, STIX, MathTime, txfonts, ...).
_MATH_FONT = re.compile(
    r"CMMI|CMSY|CMEX|CMBSY|CMMIB|MSAM|MSBM|EUFM|EUSM|EUEX|RSFS|dsrom|bbm|Math|Symbol|STIX|"
    r"MTMI|MTSY|MTEX|TXMI|TXSY|TXEX|PXMI|PXSY|rtxmi|rtxsy|esint|wasy|stmary",
    re.I,
)
_ITALIC_FONT = re.compile(r"Ital|Oblique|-It$|\.I$|CMTI|CMSL|-Slant", re.I)
_BOLD_FONT = re.compile(r"Bold|Medi|Semibold|SemiBold|Black|Heavy|CMBX|CMB10|Demi|-B$|\.B$|BX\d", re.I)
_CID = re.compile(r"\(cid:(\d+)\)")
_DIGITS = re.compile(r"^\d{1,4}$")
# TeX sets accents as separate glyphs before the letter: 'T´el´ecom' -> 'Télécom'
_ACCENTS = {"´": "\u0301", "`": "\u0300", "¨": "\u0308", "ˆ": "\u0302", "˜": "\u0303",
            "¸": "\u0327", "ˇ": "\u030c", "˘": "\u0306", "¯": "\u0304", "˙": "\u0307", "˚": "\u030a"}
_ACCENT_RE = re.compile("([" + "".join(_ACCENTS) + "])([A-Za-zı])")


def _compose_accents(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        base = "i" if m.group(2) == "ı" else m.group(2)
        return unicodedata.normalize("NFC", base + _ACCENTS[m.group(1)])

    return _ACCENT_RE.sub(fix, text)

# Glyphs of TeX math fonts that arrive without a Unicode mapping, as (cid:NN).
# Code points follow the OMS (cmsy), OML (cmmi) and OMX (cmex) font encodings.
_CID_MAP: dict[str, dict[int, str]] = {
    "CMSY": {0: "−", 1: "·", 2: "×", 3: "∗", 4: "÷", 6: "±", 8: "⊕", 10: "⊗", 14: "◦", 15: "•",
             17: "≡", 18: "⊆", 19: "⊇", 20: "≤", 21: "≥", 24: "∼", 25: "≈", 26: "⊂", 27: "⊃",
             28: "≪", 29: "≫", 32: "←", 33: "→", 34: "↑", 35: "↓", 36: "↔", 41: "⇒", 48: "′",
             49: "∞", 50: "∈", 51: "∋", 54: "/", 56: "∀", 57: "∃", 58: "¬", 59: "∅", 62: "⊤",
             63: "⊥", 91: "∪", 92: "∩", 94: "∧", 95: "∨", 102: "{", 103: "}", 104: "⟨", 105: "⟩",
             106: "|", 107: "‖", 110: "\\", 112: "√", 114: "∇", 120: "§", 121: "†", 122: "‡"},
    "CMMI": {11: "α", 12: "β", 13: "γ", 14: "δ", 15: "ϵ", 16: "ζ", 17: "η", 18: "θ", 21: "λ",
             22: "μ", 23: "ν", 25: "π", 26: "ρ", 27: "σ", 28: "τ", 30: "ϕ", 32: "ψ", 33: "ω",
             34: "ε", 39: "φ", 58: ".", 59: ",", 60: "<", 61: "/", 62: ">", 63: "⋆", 96: "ℓ"},
    "CMEX": {0: "(", 1: ")", 2: "[", 3: "]", 8: "{", 9: "}", 16: "(", 17: ")", 18: "(", 19: ")",
             20: "[", 21: "]", 26: "{", 27: "}", 32: "(", 33: ")", 48: "(", 49: ")", 76: "⊕",
             77: "⊕", 78: "⊗", 79: "⊗", 80: "∑", 81: "∏", 82: "∫", 83: "⋃", 84: "⋂", 88: "∑",
             89: "∏", 90: "∫", 112: "√", 113: "√"},
}


def _cid_text(fontname: str, code: int) -> str:
    for family, table in _CID_MAP.items():
        if family in fontname.upper():
            return table.get(code, "")
    return ""  # unknown glyph: dropping beats "(cid:NN)" debris


def _map_cids(char: dict[str, Any]) -> str:
    font = char.get("fontname", "")
    return _CID.sub(lambda m: _cid_text(font, int(m.group(1))), char["text"])


def is_math_char(ch: str) -> bool:
    o = ord(ch)
    return (
        0x370 <= o <= 0x3FF or 0x2190 <= o <= 0x22FF or 0x27C0 <= o <= 0x27FF
        or 0x2980 <= o <= 0x2AFF or 0x1D400 <= o <= 0x1D7FF or ch in "=∑∏∫√∂∇"
    )


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float  # dominant font size
    bold: float  # share of characters in a bold face
    math: float  # share of characters that are mathematics
    page: int
    col: int = 0  # 0 single/full width, 1 left, 2 right
    words: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def nwords(self) -> int:
        return len(self.words)

    def bold_prefix(self) -> str:
        """Leading words set in bold (run-in headings like '3.1 Setup. Text…')."""
        out = []
        for w in self.words:
            if not w["bold"]:
                break
            out.append(w["text"])
        return " ".join(out)


def page_words(page: Any, x_ratio: float = 0.16) -> list[dict[str, Any]]:
    """Upright words with font facts; (cid:NN) glyphs mapped or dropped.

    x_tolerance scales with the font size: a fixed 3pt glues words in tight justified
    lines ("asshowninfigure") at 10pt and splits words at 20pt.
    """
    raw = page.extract_words(
        x_tolerance=1.5, x_tolerance_ratio=x_ratio, y_tolerance=2.5, keep_blank_chars=False,
        use_text_flow=False, return_chars=True,
    )
    words = []
    faces: dict[str, tuple[bool, bool, bool]] = {}  # font name -> math, bold, italic
    for w in raw:
        if not w.get("upright", True):
            continue  # rotated stamps (arXiv id in the margin) and rotated axis labels
        chars = w["chars"]
        text = w["text"]
        if "(cid:" in text:
            text = "".join(_map_cids(c) for c in chars)
            if not text.strip():
                continue
        if _ACCENT_RE.search(text):
            text = _compose_accents(text)
        n = len(chars) or 1
        math = bold = italic = 0
        sizes: Counter[float] = Counter()
        for c in chars:  # per character, so cheap: font facts are looked up once per font
            font = c.get("fontname", "")
            face = faces.get(font)
            if face is None:
                face = faces[font] = (bool(_MATH_FONT.search(font)), bool(_BOLD_FONT.search(font)), bool(_ITALIC_FONT.search(font)))
            math += face[0] or is_math_char(c["text"][:1])
            bold += face[1]
            italic += face[2]
            sizes[round(c["size"], 1)] += 1
        words.append({
            "text": text, "x0": w["x0"], "x1": w["x1"], "top": w["top"], "bottom": w["bottom"],
            "size": sizes.most_common(1)[0][0] if sizes else 0.0, "math": math / n, "bold": bold / n >= 0.5,
            "font": chars[0].get("fontname", "") if chars else "", "n": n,
            # small capitals: capitals set larger than the rest of the word, same face
            "size_max": max((c["size"] for c in chars), default=0.0),
            "italic": italic / n >= 0.5,
        })
    return words


def drop_line_numbers(words: list[dict[str, Any]], height: float) -> list[dict[str, Any]]:
    """Remove margin line numbers (000, 001, ... down the side of review copies).

    They are short digit-only words stacked at one x outside the text block, many per page.
    """
    digits = [w for w in words if _DIGITS.match(w["text"])]
    if len(digits) < 10:
        return words
    others = sorted(w["x0"] for w in words if not _DIGITS.match(w["text"]))
    if not others:
        return words
    left = others[len(others) // 20]
    right = sorted(w["x1"] for w in words if not _DIGITS.match(w["text"]))[-len(others) // 20 - 1]
    columns = Counter(round(w["x1"] / 4) for w in digits)
    drop: set[int] = set()
    for key, count in columns.items():
        if count < 10:
            continue
        stack = [w for w in digits if round(w["x1"] / 4) == key]
        spread = max(w["top"] for w in stack) - min(w["top"] for w in stack)
        outside = all(w["x1"] <= left + 2 or w["x0"] >= right - 2 for w in stack)
        if outside and spread > height * 0.3:
            drop.update(id(w) for w in stack)
    return [w for w in words if id(w) not in drop] if drop else words


def find_gutter(words: list[dict[str, Any]], width: float) -> float | None:
    """x of the empty band between two columns on this page, if there is one."""
    if len(words) < 40:
        return None
    lo, hi = int(width * 0.3), int(width * 0.7)
    cover = [0] * (hi - lo + 1)
    for w in words:
        a, b = max(lo, int(w["x0"])), min(hi, int(w["x1"]))
        for x in range(a, b + 1):
            cover[x - lo] += 1
    # full-width content (title block, wide figures) may cross the gutter: allow
    # crossings up to a share of the page's text lines
    nlines = len({round(w["top"] / 3) for w in words})
    limit = max(2, int(nlines * 0.15))
    best: tuple[int, int] | None = None
    start = None
    for i, c in enumerate(cover + [limit + 1]):
        if c <= limit and start is None:
            start = i
        elif c > limit and start is not None:
            if i - start >= 6 and (best is None or i - start > best[1] - best[0]):
                best = (start, i)
            start = None
    if best is None:
        return None
    g = lo + (best[0] + best[1]) / 2
    left = sum(1 for w in words if w["x1"] < g)
    right = sum(1 for w in words if w["x0"] > g)
    if min(left, right) < 0.2 * len(words):
        return None
    return g


def group_lines(words: list[dict[str, Any]], page: int, col: int) -> list[Line]:
    """Cluster words of one column into lines (sub/superscripts stay on their line)."""
    lines: list[list[dict[str, Any]]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines:
            cur = lines[-1]
            top = min(x["top"] for x in cur)
            bottom = max(x["bottom"] for x in cur)
            overlap = min(bottom, w["bottom"]) - max(top, w["top"])
            if overlap >= 0.45 * min(bottom - top, w["bottom"] - w["top"]) and not _covers(cur, w):
                cur.append(w)
                continue
        lines.append([w])
    return [_make_line(ws, page, col) for ws in lines]


def _covers(line: list[dict[str, Any]], w: dict[str, Any]) -> bool:
    """Whether ``w`` sits on top of different text of the line (not beside it): two texts
    in one place are two layers, e.g. a figure's clipped-away labels over a heading.
    Sub- and superscripts stacked at one x are short or math, and stay on the line."""
    if w["n"] < 3 or w["math"] >= 0.3:
        return False
    for x in line:
        if x["n"] < 3 or x["math"] >= 0.3 or x["text"] == w["text"]:
            continue
        shared = min(x["x1"], w["x1"]) - max(x["x0"], w["x0"])
        if shared > 0.5 * min(x["x1"] - x["x0"], w["x1"] - w["x0"]):
            return True
    return False


def _make_line(ws: list[dict[str, Any]], page: int, col: int) -> Line:
    ws.sort(key=lambda w: w["x0"])
    n = sum(w["n"] for w in ws) or 1
    sizes: Counter[float] = Counter()
    for w in ws:
        sizes[w["size"]] += w["n"]
    return Line(
        text=" ".join(w["text"] for w in ws),
        x0=ws[0]["x0"], x1=max(w["x1"] for w in ws),
        top=min(w["top"] for w in ws), bottom=max(w["bottom"] for w in ws),
        size=sizes.most_common(1)[0][0],
        bold=sum(w["n"] for w in ws if w["bold"]) / n,
        math=sum(w["math"] * w["n"] for w in ws) / n,
        page=page, col=col, words=ws,
    )


def order_page(words: list[dict[str, Any]], page: int, gutter: float | None) -> list[Line]:
    """Lines of one page in reading order.

    Two-column pages are cut into horizontal bands at full-width content (title block,
    wide figures and tables): within a band the left column is read before the right.
    """
    if gutter is None:
        return group_lines(words, page, 0)
    spans: list[list[float]] = []
    near_l = [w for w in words if gutter - 40 < w["x1"] <= gutter + 1]
    near_r = [w for w in words if gutter - 1 <= w["x0"] < gutter + 40]
    for w in words:
        if w["x0"] < gutter - 1 and w["x1"] > gutter + 1:
            spans.append([w["top"], w["bottom"]])
    for a in near_l:  # a centred line that happens to break at the gutter
        for b in near_r:
            if abs(a["top"] - b["top"]) < 1 and b["x0"] - a["x1"] < 0.5 * a["size"]:
                spans.append([min(a["top"], b["top"]), max(a["bottom"], b["bottom"])])
    spans.sort()
    merged: list[list[float]] = []
    for s in spans:
        if merged and s[0] <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], s[1])
        else:
            merged.append(list(s))

    def band_of(w: dict[str, Any]) -> int:
        mid = (w["top"] + w["bottom"]) / 2
        for i, (a, b) in enumerate(merged):
            if a - 1 <= mid <= b + 1:
                return i
        return -1

    full: dict[int, list[dict[str, Any]]] = {}
    side: list[dict[str, Any]] = []
    for w in words:
        b = band_of(w)
        if b >= 0:
            full.setdefault(b, []).append(w)
        else:
            side.append(w)
    out: list[Line] = []
    edges = [m[0] for m in merged] + [float("inf")]
    prev = float("-inf")
    for i, edge in enumerate(edges):
        seg = [w for w in side if prev <= w["top"] < edge]
        out += group_lines([w for w in seg if (w["x0"] + w["x1"]) / 2 < gutter], page, 1)
        out += group_lines([w for w in seg if (w["x0"] + w["x1"]) / 2 >= gutter], page, 2)
        if i < len(merged):
            out += group_lines(full[i], page, 0)
            prev = merged[i][1]
    return out


def _norm_margin(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def drop_running_lines(pages: list[list[Line]], heights: list[float]) -> int:
    """Remove running headers/footers and page numbers; return how many lines went.

    A line in the top or bottom margin zone whose text (digits masked) repeats on several
    pages is page furniture, as is a lone number or 'Page N' there.
    """
    zone: list[list[Line]] = []
    counts: Counter[str] = Counter()
    for lines, h in zip(pages, heights, strict=True):
        z = [ln for ln in lines if ln.bottom < h * 0.095 or ln.top > h * 0.91]
        zone.append(z)
        for key in {_norm_margin(ln.text) for ln in z}:
            counts[key] += 1
    need = max(2, int(0.25 * len(pages))) if len(pages) > 2 else 99
    removed = 0
    for lines, z in zip(pages, zone, strict=True):
        bad = {
            id(ln) for ln in z
            if counts[_norm_margin(ln.text)] >= need
            or re.fullmatch(r"(page\s*)?[#\divxlc]+(\s*(of|/)\s*\d+)?", _norm_margin(ln.text))
        }
        if bad:
            lines[:] = [ln for ln in lines if id(ln) not in bad]
            removed += len(bad)
    return removed
