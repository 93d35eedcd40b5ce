"""PDF ingestion quality against the papers' own LaTeX, beside poppler's pdftotext.

For every paper in ../shared/papers (and, once built with benchmarks/papers/make_papers.py,
its text re-set in 11 more templates) with a LaTeX source: section-title recall and
precision (PDF headings vs LaTeX \\section/\\subsection titles), body-text word F1 vs the
LaTeX-derived text, display equations found vs in the LaTeX, table cells kept (the LaTeX
tabular cells found in our PDF prompt text, in pdftotext's and in naive pdfplumber's text),
and parse time vs plain pdfplumber ``extract_text`` (on the Transformer the minimum of
three runs each, since the machine may be shared). pdftotext's and naive pdfplumber's F1 use the same text
with the references cut out the same way. Usage: python benchmarks/paper_quality.py [slug…]
"""

from __future__ import annotations

import csv
import difflib
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pdfplumber

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAPERS = ROOT.parent / "shared" / "papers"
# papers re-set in more templates, built on demand (python benchmarks/papers/make_papers.py)
BUILT = Path.home() / ".cache" / "papercoder-nb" / "built-papers"

from _equations import kept as equations_kept  # noqa: E402
from _table_cells import kept as cells_kept  # noqa: E402
from _table_cells import table_cells  # noqa: E402

from papercoder_nb.paper.latex import load_latex  # noqa: E402
from papercoder_nb.paper.model import Paper  # noqa: E402
from papercoder_nb.paper.pdf import load_pdf  # noqa: E402
from papercoder_nb.paper.s2orc import load_s2orc_text  # noqa: E402

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in _WORD.findall(text))


def f1(ours: Counter[str], ref: Counter[str]) -> float:
    common = sum((ours & ref).values())
    if not common:
        return 0.0
    p, r = common / sum(ours.values()), common / sum(ref.values())
    return 2 * p * r / (p + r)


def norm_title(t: str) -> str:
    t = re.sub(r"^[\dA-Z](\.\d+)*\.?\s+", "", t.strip())
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", t.lower())).strip()


def match(a: list[str], b: list[str]) -> int:
    """How many titles of ``a`` have a counterpart in ``b`` (each used once)."""
    pool = [norm_title(x) for x in b]
    hits = 0
    for t in (norm_title(x) for x in a):
        best = max(pool, key=lambda p, t=t: difflib.SequenceMatcher(None, t, p).ratio(), default=None)
        if best is not None and (best == t or difflib.SequenceMatcher(None, t, best).ratio() >= 0.85):
            hits += 1
            pool.remove(best)
    return hits


_HEAD_NUM = re.compile(r"^(?:\d{1,2}|[A-Z]|[IVXL]{1,6})(?:\.\d{1,2})*\.?\s+")


def _key(text: str) -> str:
    """A title reduced to letters and digits ('I NTRODUCTION' and 'Introduction' agree)."""
    text = re.sub(r"(?<=[^\W\d_])\d$|[∗*†‡]+$", "", text.strip())  # footnote mark: 'Experiments1'
    return re.sub(r"[\W_]+", "", _HEAD_NUM.sub("", text).lower())


def heading_keys(flat: str) -> Counter[str]:
    """Keys of every text that stands as a heading could in the PDF's text, with how often:
    a whole line, two consecutive lines (a wrapped title) or a run-in 'Title.' opening a line."""
    lines = [ln.strip() for ln in flat.splitlines() if ln.strip()]
    keys = Counter(_key(ln) for ln in lines)
    keys.update({_key(a + " " + b) for a, b in zip(lines, lines[1:], strict=False)} - set(keys))
    keys.update({_key(ln.split(". ", 1)[0]) for ln in lines if ". " in ln} - set(keys))
    return keys


def comparable(titles: list[str], keys: Counter[str]) -> list[str]:
    """The titles the PDF shows as headings, each as many times as it stands there."""
    left = Counter(keys)
    out = []
    for t in titles:
        if left[_key(t)] > 0:
            left[_key(t)] -= 1
            out.append(t)
    return out


def in_latex(section_text: str, tex_flat: str) -> bool:
    """Whether a PDF section's opening words are in the LaTeX source at all (a version of
    the paper without that part, e.g. no supplementary, cannot judge its headings)."""
    ws = norm_title(section_text).split()[:30]
    grams = [" ".join(ws[i:i + 3]) for i in range(len(ws) - 2)]
    return not grams or any(g in tex_flat for g in grams)


def titles(paper: Paper) -> list[str]:
    return [s.title for s in paper.sections if s.level <= 2 and s.kind not in ("front", "references")]


def body_text(paper: Paper, strip_math: bool) -> str:
    parts = [paper.abstract] + [s.text for s in paper.sections if s.kind not in ("front", "references")]
    text = "\n".join(parts)
    if strip_math:  # the LaTeX side: no math, no citation keys, no footnote markers
        text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
        text = re.sub(r"\$[^$]*\$", " ", text)
        text = re.sub(r"\[[^\]\s]*(?:,\s*[^\]\s]*)*\]", " ", text)
        text = text.replace("(footnote:", "(")
    return text


_REFS = re.compile(r"^\s*(References|REFERENCES|Bibliography|참고\s*문헌)\s*$")
# the next heading after the bibliography (appendix or supplementary section)
_APPX = re.compile(r"^\s*(Appendix\b|APPENDIX|Supplementary\b|SUPPLEMENTARY|(?:[A-H]|\d{1,2})(?:\.\d+)?\.?\s+[A-Z][\w\- ]{2,60}$|부록)")


def cut_references(text: str) -> str:
    """Drop the bibliography from a flat text the way a reader would: from the
    last 'References' line to the next appendix heading."""
    lines = text.splitlines()
    idx = [i for i, ln in enumerate(lines) if _REFS.match(ln)]
    if not idx:
        return text
    i = idx[-1]
    j = next((k for k in range(i + 1, len(lines)) if _APPX.match(lines[k]) and len(lines[k]) < 70), len(lines))
    return "\n".join(lines[:i] + lines[j:])


def latex_source(tex: Path) -> str:
    files = [tex] if tex.is_file() else sorted(tex.rglob("*.tex"))
    return "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)


def plain_pdfplumber(pdf: Path) -> tuple[str, float]:
    t = time.perf_counter()
    with pdfplumber.open(pdf) as doc:
        text = "\n".join(p.extract_text() or "" for p in doc.pages)
    return text, time.perf_counter() - t


def timed(pdf: Path, repeat: int) -> tuple[Paper, float, str, float]:
    """Our parse and pdfplumber's naive read, alternated ``repeat`` times; the minimum
    time of each (on a shared machine the minimum is the run least disturbed)."""
    t_ours = t_plain = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        ours = load_pdf(pdf, use_cache=False)
        t_ours = min(t_ours, time.perf_counter() - t0)
        naive, t = plain_pdfplumber(pdf)
        t_plain = min(t_plain, t)
    return ours, t_ours, naive, t_plain


def pdftotext(pdf: Path, *opts: str) -> str | None:
    exe = shutil.which("pdftotext")
    if not exe:
        return None
    out = subprocess.run([exe, "-enc", "UTF-8", *opts, str(pdf), "-"], capture_output=True, text=True, timeout=300)
    return out.stdout


def papers(only: list[str]) -> list[tuple[str, Path, Path]]:
    rows = []
    for base in (PAPERS, BUILT):
        if (base / "MANIFEST.tsv").exists():
            rows += _manifest(base, only)
    return rows


def _manifest(base: Path, only: list[str]) -> list[tuple[str, Path, Path]]:
    rows = []
    with (base / "MANIFEST.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            slug = row["slug"]
            if row["latex_main_path"] in ("", "-") or (only and slug not in only):
                continue
            folder = base / slug
            pdf = folder / "paper.pdf"
            if not pdf.exists():
                pdf = folder / Path(row["pdf_path"]).name
            tex = folder / "latex"
            if not tex.exists():
                tex = folder / Path(row["latex_main_path"]).name
            rows.append((slug, pdf, tex))
    return rows


def main(argv: list[str]) -> None:
    hdr = f"{'paper':28} {'pages':>5} {'sec_R':>6} {'sec_P':>6} {'F1':>6} {'F1_pdftotext':>12} {'F1_naive':>8} {'eqs':>9} {'eq_verbatim':>11} {'tab_rows':>8} {'cells':>9} {'c_pt':>5} {'c_naive':>7} {'t_ours':>7} {'t_plumber':>9} {'ratio':>6}"
    print(hdr)
    print("-" * len(hdr))
    tot_ref = tot_hit = tot_ours = tot_phit = eq_found = eq_ref = eqv_kept = eqv_all = 0
    cells_all = 0
    cells_by: Counter[str] = Counter()  # ours / pdftotext / naive -> cells kept
    f1s: list[float] = []
    for slug, pdf, tex in papers(argv):
        ref = load_latex(tex, use_cache=False)
        ours, t_ours, naive, t_plain = timed(pdf, 3 if slug == "transformer" else 1)
        pt = pdftotext(pdf)
        # titles only one source has (the PDF and its LaTeX differ in version, or the PDF
        # leaves the appendix out) are left out and counted: a LaTeX title is comparable if
        # it stands on a line of its own in pdftotext's text of the PDF (a word somewhere in
        # the prose is not a heading), a PDF heading if it appears in the LaTeX source and
        # so does the start of its section's text
        pdf_heads = heading_keys(pt or naive)
        # pdftotext's default order may interleave a heading's wrapped lines with the other
        # column's; its content-stream order (-raw) keeps them together: a title on a line
        # of its own in either is comparable
        pdf_heads |= heading_keys(pdftotext(pdf, "-raw") or "")
        tex_flat = norm_title(" ".join([s.title + " " + s.text for s in ref.sections]) + " " + latex_source(tex))
        all_ref, all_ours = titles(ref), titles(ours)
        ref_titles = comparable(all_ref, pdf_heads)
        secs = ours.sections  # a heading with no text of its own opens the next section's text
        texts = {s.title: next((x.text for x in secs[i:] if x.text), "") for i, s in enumerate(secs)}
        our_titles = [t for t in all_ours if norm_title(t) in tex_flat and in_latex(texts.get(t, ""), tex_flat)]
        skipped = (len(all_ref) - len(ref_titles), len(all_ours) - len(our_titles))
        hit_r = match(ref_titles, all_ours)  # found anywhere among our headings
        hit_p = match(our_titles, ref_titles)
        ref_words = words(body_text(ref, strip_math=True))
        our_f1 = f1(words(body_text(ours, strip_math=False)), ref_words)
        pt_f1 = f1(words(cut_references(pt)), ref_words) if pt is not None else float("nan")
        naive_f1 = f1(words(cut_references(naive)), ref_words)
        tot_ref += len(ref_titles)
        tot_hit += hit_r
        tot_ours += len(our_titles)
        tot_phit += hit_p
        eq_found += len(ours.equations)
        eq_ref += len(ref.equations)
        f1s.append(our_f1)
        ek, en, eq_missed = equations_kept(tex, ref.to_prompt_text())  # the LaTeX source's prompt
        eqv_kept, eqv_all = eqv_kept + ek, eqv_all + en
        with_rows = sum(1 for t in ref.tables if t.rows)
        cells = table_cells(tex)
        ck = {"ours": cells_kept(cells, ours.to_prompt_text()), "pdftotext": cells_kept(cells, pt or ""),
              "naive": cells_kept(cells, naive)}
        cells_all += len(cells)
        cells_by.update(ck)
        share = {k: v / len(cells) if cells else float("nan") for k, v in ck.items()}
        rec = hit_r / max(1, len(ref_titles))
        prec = hit_p / max(1, len(our_titles))
        flag = "" if pt is None or our_f1 >= pt_f1 else "  <-- below pdftotext"
        print(
            f"{slug:28} {ours.meta.pages or 0:>5} {rec:6.3f} {prec:6.3f} {our_f1:6.3f} {pt_f1:12.3f} {naive_f1:8.3f} "
            f"{len(ours.equations):>4}/{len(ref.equations):<4} {ek:>5}/{en:<5} {with_rows:>4}/{len(ref.tables):<3} {ck['ours']:>4}/{len(cells):<4} {share['pdftotext']:5.2f} {share['naive']:7.2f} {t_ours:6.2f}s {t_plain:8.2f}s {t_ours / t_plain:6.2f}{flag}"
        )
        missed = [t for t in ref_titles if match([t], all_ours) == 0]
        if missed:
            print(f"{'':28}   missed: {missed[:8]}")
        if eq_missed:
            print(f"{'':28}   equations not verbatim: {[e.strip()[:60] for e in eq_missed]}")
        if any(skipped):
            print(f"{'':28}   not comparable: {skipped[0]} LaTeX titles absent from the PDF, {skipped[1]} PDF headings absent from the LaTeX")
        if slug == "transformer":
            print(f"{'':28}   speed (min of 3 runs): ours {t_ours:.2f}s, naive pdfplumber {t_plain:.2f}s, "
                  f"ratio {t_ours / t_plain:.2f} (target <= 1.5)")
            grobid_json = pdf.parent / "Transformer_cleaned.json"
            if grobid_json.exists():
                g = load_s2orc_text(grobid_json.read_text(encoding="utf-8"), str(grobid_json), "")
                g_titles = titles(g)
                g_f1 = f1(words(body_text(g, strip_math=False)), ref_words)
                print(
                    f"{'  GROBID (Transformer_cleaned.json)':28}       "
                    f"{match(ref_titles, g_titles) / max(1, len(ref_titles)):6.3f} "
                    f"{match(g_titles, ref_titles) / max(1, len(g_titles)):6.3f} {g_f1:6.3f}"
                    f"   ours vs GROBID titles: recall {match(g_titles, our_titles) / max(1, len(g_titles)):.3f}; "
                    f"GROBID equations with math kept: 0/{len(g.equations)}"
                )
    rec = tot_hit / max(1, tot_ref)
    prec = tot_phit / max(1, tot_ours)
    text_f1 = sum(f1s) / max(1, len(f1s))
    print(f"overall section_recall={rec:.3f} section_precision={prec:.3f} text_f1={text_f1:.3f} equations_found={eq_found}/{eq_ref} "
          f"display_equations_verbatim={eqv_kept}/{eqv_all} ({eqv_kept / max(1, eqv_all):.1%})")
    n = max(1, cells_all)
    print(f"table cells kept (of {cells_all}): ours {cells_by['ours']} ({cells_by['ours'] / n:.1%}), "
          f"pdftotext {cells_by['pdftotext']} ({cells_by['pdftotext'] / n:.1%}), naive pdfplumber {cells_by['naive']} ({cells_by['naive'] / n:.1%})")


if __name__ == "__main__":
    main(sys.argv[1:])
