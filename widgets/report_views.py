"""Smoke results, safety flags, repair diffs and evaluations → HTML, as pure functions.

Everything shown comes from generated code or a model's answer (untrusted), so every
value is escaped. Colours are inline styles, like ``views``, so the HTML looks the same
in JupyterLab, Notebook 7 and Colab's per-output iframes.
"""

from __future__ import annotations

from typing import Any

from .palette import BAD, BORDER, INFO, MUTED, OK, WARN
from .views import PRE, diff_rows, esc

CELL = f"border:1px solid {BORDER};padding:2px 6px;text-align:left;vertical-align:top"
NEUTRAL = MUTED
SEVERITY_COLOUR = {"high": BAD, "medium": WARN, "low": INFO}


def _row(tag: str, values: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<tr{attr}>" + "".join(f'<{tag} style="{CELL}">{v}</{tag}>' for v in values) + "</tr>"


def _table(cls: str, head: list[str], rows: list[str]) -> str:
    return (f'<table class="{cls}" style="border-collapse:collapse;font-size:12px">'
            f"<thead>{_row('th', head)}</thead><tbody>{''.join(rows)}</tbody></table>")


def mark(value: bool | None, yes: str = "yes", no: str = "no", none: str = "—") -> str:
    if value is None:
        return f'<span class="pc-mark-none" style="color:{NEUTRAL}">{esc(none)}</span>'
    colour, text, cls = (OK, f"✓ {yes}", "pc-mark-yes") if value else (BAD, f"✗ {no}", "pc-mark-no")
    return f'<span class="{cls}" style="color:{colour};font-weight:bold">{esc(text)}</span>'


def _details(summary: str, body: str, cls: str = "") -> str:
    if not body.strip():
        return ""
    return (f'<details class="{cls}"><summary>{esc(summary)}</summary>'
            f'<pre style="{PRE}max-height:260px;overflow:auto">{esc(body)}</pre></details>')


# -- safety -----------------------------------------------------------------------------
def safety_html(flags: list[dict[str, Any]], n_files: int) -> str:
    """The static safety scan, shown before anything runs."""
    if not n_files:
        return "<p class='pc-safety-none'><i>No code yet: run the coding stage first (Code step).</i></p>"
    if not flags:
        return (f"<p class='pc-safety-clean' style='color:{OK}'>Safety scan: nothing flagged in {n_files} file(s) "
                "(no network, processes, deletions outside the folder, secrets or home directories). "
                "The scan reads the code; it is a warning light, not a proof — the sandbox contains the run.</p>")
    high = sum(f.get("severity") == "high" for f in flags)
    rows = [
        _row("td", [
            f"<code>{esc(f.get('file'))}:{esc(f.get('line'))}</code>", esc(f.get("category")),
            f'<span style="color:{BAD if f.get("severity") == "high" else "var(--pc-warn, #7d4e00)"}">{esc(f.get("severity"))}</span>',
            esc(f.get("message")),
        ], "pc-safety-flag")
        for f in flags
    ]
    head = (f"<p class='pc-safety-flagged' style='color:{BAD}'><b>Safety scan: {len(flags)} flag(s)</b>"
            f" ({high} high) in the generated code. Read them before running it; the smoke run is "
            "sandboxed, but your own runs are not.</p>")
    return head + _table("pc-safety-table", ["where", "category", "severity", "what"], rows)


# -- smoke ------------------------------------------------------------------------------
def smoke_html(data: dict[str, Any]) -> str:
    """A ``SmokeResult.to_dict()``: verdict, isolation, per-file table, entry point, error."""
    ok = bool(data.get("ok"))
    verdict = (f"<p class='pc-smoke-verdict pc-smoke-{'ok' if ok else 'failed'}' style='color:{OK if ok else BAD}'>"
               f"<b>Smoke run {'passed' if ok else 'failed'}</b> — {esc(data.get('summary', ''))}"
               f" <span style='color:{NEUTRAL}'>({esc(data.get('duration_s', 0))} s)</span></p>")
    iso = (f"<p class='pc-smoke-isolation'>Network isolated: {mark(data.get('network_isolated'))} · "
           f"file system isolated: {mark(data.get('filesystem_isolated'))}</p>")
    rows = []
    for f in data.get("files", []):
        err = esc(f.get("error") or f.get("note") or "")
        tb = _details("traceback", f.get("traceback") or "", "pc-file-traceback")
        rows.append(_row("td", [
            f"<code>{esc(f.get('path'))}</code>", mark(f.get("compiled")),
            mark(f.get("imported"), none="not tried"), err + tb,
        ], "pc-smoke-file"))
    files = _table("pc-smoke-files", ["file", "compiled", "imported", "error"], rows)
    entry = data.get("entry_point")
    if entry:
        ran = data.get("ran")
        state = "timed out" if data.get("timed_out") else ("ran" if ran else "failed" if ran is False else "not run")
        cmd = " ".join([str(entry), *map(str, data.get("args") or [])])
        entry_html = (f"<p class='pc-smoke-entry'>Entry point <code>{esc(cmd)}</code>: "
                      f"{mark(bool(ran) and not data.get('timed_out'), state, state)} "
                      f"(exit code {esc(data.get('returncode'))})"
                      + (" · memory limit exceeded" if data.get("memory_exceeded") else "") + "</p>")
    else:
        entry_html = "<p class='pc-smoke-entry'><i>No entry point in the logic design: only compile and import were checked.</i></p>"
    error = ""
    if data.get("error") and not ok:
        where = f" at <code>{esc(data.get('failing_file'))}:{esc(data.get('failing_line'))}</code>" if data.get("failing_file") else ""
        error = (f"<div class='pc-smoke-error' style='color:{BAD}'><b>Error:</b> {esc(data['error'])}{where}"
                 f"<pre class='pc-smoke-traceback' style='{PRE}max-height:260px;overflow:auto;color:var(--jp-ui-font-color1, #24292f)'>"
                 f"{esc(data.get('stderr_tail', ''))}</pre></div>")
    out = _details("standard output (tail)", data.get("stdout_tail") or "", "pc-smoke-stdout")
    if ok:
        out += _details("standard error (tail)", data.get("stderr_tail") or "", "pc-smoke-stderr")
    notes = "".join(f"<li>{esc(n)}</li>" for n in data.get("notes", []))
    return verdict + iso + files + entry_html + error + out + (f"<ul class='pc-smoke-notes' style='color:{NEUTRAL}'>{notes}</ul>" if notes else "")


def patch_html(diff: str) -> str:
    """A unified diff (``a/f`` → ``b/f``), coloured line by line."""
    rows = diff_rows(diff.splitlines())
    return f'<div class="pc-diff-lines" style="{PRE}">{"".join(rows)}</div>'


# -- evaluation -------------------------------------------------------------------------
def score_html(s: dict[str, Any]) -> str:
    if not s.get("has_result"):
        return "<p class='pc-eval-none'><i>Not evaluated yet: choose a mode and press Evaluate.</i></p>"
    latest = s["latest"]
    samples = ""
    if s["kind"] != "rubric":
        scores = ", ".join(str(x) for x in latest.get("sample_scores", []))
        samples = (f"<p class='pc-eval-samples'>Per-sample scores: <b>{esc(scores or '—')}</b> "
                   f"({latest.get('valid_samples')}/{latest.get('samples_requested')} valid)</p>")
        dropped = "".join(f"<li>sample {x['index'] + 1}: {esc(x.get('error'))}</li>"
                          for x in latest.get("samples", []) if not x.get("valid"))
        samples += f"<ul class='pc-eval-dropped' style='color:{BAD}'>{dropped}</ul>" if dropped else ""
    notes = "".join(f"<li>{esc(n)}</li>" for n in s.get("notes", []))
    return (f"<h3 class='pc-eval-headline' style='margin:4px 0'>{esc(s['headline'])}</h3>"
            f"<p style='color:{NEUTRAL};margin:2px 0'>{esc(s['kind'].replace('_', '-'))} · judge {esc(s.get('model'))}"
            f" · {esc(s.get('created_at'))}</p>" + samples
            + (f"<ul class='pc-eval-notes' style='color:{NEUTRAL}'>{notes}</ul>" if notes else ""))


def critiques_html(entry: dict[str, Any]) -> str:
    """One file's critiques (an entry of ``critiques_by_file``)."""
    name = entry.get("file") or "(the repository as a whole)"
    missing = "" if entry.get("exists") or not entry.get("file") else " <i>(no such file in the session)</i>"
    items = "".join(
        f"<li class='pc-critique pc-critique-{esc(c['severity'])}'>"
        f"<b style='color:{SEVERITY_COLOUR.get(c['severity'], NEUTRAL)}'>{esc(c['severity'])}</b>"
        + (f" <code>{esc(c['function'])}</code>" if c.get("function") else "")
        + f": {esc(c['text'])}</li>"
        for c in entry.get("critiques", [])
    )
    return f"<div class='pc-critique-file'><b><code>{esc(name)}</code></b>{missing}<ul style='margin:2px 0'>{items}</ul></div>"


def rubric_html(node: dict[str, Any] | None) -> str:
    """The rubric tree as nested lists: pass/fail per leaf, score per node."""
    if node is None:
        return ""

    def one(n: dict[str, Any]) -> str:
        if n["leaf"]:
            colour = {"pass": OK, "fail": BAD}.get(n["status"], NEUTRAL)
            tag = (f"<span class='pc-rubric-status' style='color:{colour};font-weight:bold'>"
                   f"{esc(n['status'].upper())}</span>")
            why = f" — <i>{esc(n.get('explanation') or n.get('error') or '')}</i>" if (n.get("explanation") or n.get("error")) else ""
            cat = f" <span style='color:{NEUTRAL}'>[{esc(n.get('category'))}]</span>" if n.get("category") else ""
            return (f"<li class='pc-rubric-leaf pc-rubric-{esc(n['status'])}'>{tag} {esc(n['requirements'])}"
                    f" <span style='color:{NEUTRAL}'>(weight {esc(n['weight'])})</span>{cat}{why}</li>")
        kids = "".join(one(c) for c in n["children"])
        return (f"<li class='pc-rubric-node'><b>{esc(n['requirements'])}</b> "
                f"<span style='color:{NEUTRAL}'>score {n['score']:.0%}, weight {esc(n['weight'])}</span>"
                f"<ul>{kids}</ul></li>")

    return f"<h4>Rubric</h4><ul class='pc-rubric-tree'>{one(node)}</ul>"


def categories_html(categories: list[dict[str, Any]]) -> str:
    if not categories:
        return ""
    rows = [_row("td", [esc(c["category"]), str(c["leaves"]), str(c["passed"]), str(c["ungraded"]),
                        f"{c['score']:.0%}"], "pc-category") for c in categories]
    return "<h4>By category</h4>" + _table("pc-eval-categories", ["category", "leaves", "passed", "ungraded", "score"], rows)


def static_html(st: dict[str, Any] | None) -> str:
    if not st:
        return ""
    imp = f"{st['n_import']}/{st['n_files']}" if st.get("n_import") is not None else f"not checked ({esc(st.get('import_check'))})"
    rows = [_row("td", [
        f"<code>{esc(f['path'])}</code>", str(f.get("lines", 0)), str(len(f.get("functions", []))),
        mark(f.get("compiles")) + (f" {esc(f['compile_error'])}" if f.get("compile_error") else ""),
        mark(f.get("imports"), none="not checked") + (f" {esc(f['import_error'])}" if f.get("import_error") else ""),
    ], "pc-static-file") for f in st.get("files", [])]
    smoke = st.get("smoke") or {}
    smoke_line = (f"<p>Last smoke run: {mark(smoke.get('ok'), 'passed', 'failed')} {esc(smoke.get('summary', ''))}</p>"
                  if smoke else "<p>No smoke run recorded (Smoke step).</p>")
    cf = st.get("config") or {}
    cfg = (f"<p>config.yaml: {esc(cf['error'])}</p>" if cf.get("error") else
           f"<p>Config keys: {len(cf.get('used_and_defined', []))} used and defined; "
           f"used but not defined: <code>{esc(', '.join(cf.get('used_not_defined', [])) or '—')}</code>; "
           f"defined but not used: <code>{esc(', '.join(cf.get('defined_not_used', [])) or '—')}</code></p>")
    missing = (f"<p style='color:{BAD}'>Missing files: {esc(', '.join(st['missing_files']))}</p>"
               if st.get("missing_files") else "")
    return (f"<h4>Static facts</h4><p class='pc-static-summary'>{st['n_files']} files, {st['n_functions']} functions, "
            f"{st['n_compile']}/{st['n_files']} compile, {imp} import</p>" + missing
            + _table("pc-static-files", ["file", "lines", "functions", "compiles", "imports"], rows) + smoke_line + cfg)


def history_html(history: list[dict[str, Any]]) -> str:
    if len(history) < 2:
        return ""
    items = "".join(
        f"<li><code>{esc(h['file'])}</code>: {esc(h['kind'])} {esc(h['score'])} ({esc(h['scale'])}) by {esc(h['model'])}</li>"
        for h in reversed(history)
    )
    return f"<details class='pc-eval-history'><summary>All evaluations of this session ({len(history)}, newest first)</summary><ul>{items}</ul></details>"
