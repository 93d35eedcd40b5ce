"""Import a PaperCoder (Paper2Code) output folder as a session.

PaperCoder writes ``planning_artifacts/1.1_overall_plan.txt``, ``1.2_arch_design.txt``,
``1.3_logic_design.txt``, ``1.4_config.yaml``, ``analyzing_artifacts/<file>_simple_analysis.txt``,
optionally ``coding_artifacts/<file>_coding.txt``, and the repository in a sibling
``<output>_repo`` folder. Its designs come in two shapes: the model's JSON inside
``[CONTENT]`` tags (with comments and trailing commas), or the same content already
rendered as ``[Heading]`` blocks. Both are mapped onto our ``Architecture`` and ``Logic``
models without cutting anything: sections with no field of their own (PaperCoder's
"Full API spec", non-Python entries of the file list, a heading written twice) are kept
word for word in ``other_sections``, and so is what the answer says besides its
sections (a sentence around the JSON, comments in it, text before the first heading);
a fenced ``config.yaml`` keeps the prose around its YAML as YAML comments; and
``import_losses`` checks that every content line of the run is in the session. Every artifact gets its input hash, so an edit stales what reads it, as
in any session. Whatever is absent (code, usually) stays missing, to be generated here.

The paper itself is not part of the output folder: pass it, or a ``*_cleaned.json``
next to the output (PaperCoder's own input) is used; failing both the session gets a
placeholder paper and says so.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..paper import Paper, PaperMeta, load_paper
from ..session.artifacts import (
    Architecture,
    FileLogic,
    FileNameError,
    Logic,
    check_file_name,
    parse_config,
)
from ..session.store import Session, now
from ..util.errors import PapercoderError
from ..util.extract import (
    ExtractError,
    extract_code,
    extract_json,
    json_comments,
    json_object_span,
)
from .import_losses import import_losses
from .papercoder_text import numbered_items

_HEADING = re.compile(r"^\[([^\]\n]{2,80})\]\s*$", re.M)
_SEPARATOR = re.compile(r"^-{10,}\s*$", re.M)
_WRAPPER = re.compile(r"^\s*(?:\[/?CONTENT\]|```\w*)\s*$")  # tags and fences around the JSON: structure
TEXT_BEFORE = "text before the first heading"
TEXT_AROUND = "text around the design"
COMMENTS = "comments in the design"


class ImportError_(PapercoderError, ValueError):  # noqa: N801 - not the builtin ImportError
    """The folder is not a PaperCoder output, or nothing in it could be read."""


@dataclass
class ImportReport:
    session: Path
    written: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # expected but absent: to generate here
    notes: list[str] = field(default_factory=list)  # cuts, guesses, dropped parts
    paper: str = ""  # where the paper came from


# -- reading PaperCoder's two design formats --------------------------------------------
def read_design(text: str) -> dict[str, Any]:
    """PaperCoder's design as ``{lowercased heading: value}``, from JSON or rendered text.

    What the answer says besides its sections (a sentence before the JSON, comments in
    it, text before the first heading) comes along under its own keys, which the
    mapping keeps in ``other_sections``."""
    if "[CONTENT]" in text or text.lstrip().startswith("{"):
        try:
            return _json_design(text)
        except ExtractError:
            pass
    heads = list(_HEADING.finditer(text))
    if not heads:
        raise ImportError_("neither JSON inside [CONTENT] tags nor [Heading] blocks")
    out: dict[str, Any] = {}
    before = _SEPARATOR.sub("", text[: heads[0].start()]).strip()
    if before:
        out[TEXT_BEFORE] = before
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = _SEPARATOR.sub("", text[m.end(): end]).strip()
        out[_unique_key(out, m.group(1).strip().lower())] = _rendered_value(body)
    return out


def _unique_key(design: dict[str, Any], key: str) -> str:
    """A heading written twice keeps both sections: the later one as ``key (2)``."""
    n, unique = 2, key
    while unique in design:
        unique, n = f"{key} ({n})", n + 1
    return unique


def _json_design(text: str) -> dict[str, Any]:
    data = extract_json(text)
    out: dict[str, Any] = {}
    for k, v in data.items():
        out[_unique_key(out, str(k).strip().lower())] = v
    span = json_object_span(text)
    if span is None:
        return out
    around = "\n".join(ln for ln in (text[: span[0]] + "\n" + text[span[1]:]).splitlines()
                       if ln.strip() and not _WRAPPER.match(ln))
    if around.strip():
        out[TEXT_AROUND] = around.strip()
    comments = json_comments(text[span[0]: span[1]])
    if comments:
        out[COMMENTS] = comments
    return out


def _rendered_value(body: str) -> Any:
    """A ``- item`` list (items may be Python-literal lists) or plain text."""
    lines = [ln for ln in body.splitlines() if ln.strip()]
    if lines and all(ln.lstrip().startswith("- ") for ln in lines):
        items: list[Any] = []
        for ln in lines:
            item = ln.lstrip()[2:].strip()
            if item.startswith("["):
                try:
                    items.append(ast.literal_eval(item))
                    continue
                except (ValueError, SyntaxError):
                    pass
            items.append(item)
        return items
    return body


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    text = str(value).strip()
    # "1. first point 2. second point" (numbered items run together) or one per line
    parts = numbered_items(text)
    if len(parts) > 1:
        return parts
    return [ln.strip("-* ").strip() for ln in text.splitlines() if ln.strip("-* ").strip()]


class _Notes:
    def __init__(self) -> None:
        self.items: list[str] = []

    @staticmethod
    def text(value: Any) -> str:
        return "" if value is None else (value if isinstance(value, str) else str(value))


def _files(names: list[Any], notes: _Notes, what: str, kept: dict[str, Any]) -> list[str]:
    """The Python module paths; any other entry is kept as written under ``kept[what]``."""
    out: list[str] = []
    other: list[str] = []
    for n in names:
        name = str(n).strip().strip("`'\"")
        try:
            name = check_file_name(name)
        except FileNameError as e:
            notes.items.append(f"{what}: {name!r} is not a repository module ({e}); kept in other_sections")
            other.append(str(n))
            continue
        if name not in out:
            out.append(name)
    if other:
        kept[f"{what}: not Python modules"] = other
    return out


# -- Mermaid: the rendered form lost its line breaks -------------------------------------
def reflow_mermaid(text: str) -> str:
    """Line breaks for a diagram flattened to one line; the text as given unless the
    reflowed one differs from it in white space alone (so nothing is ever lost)."""
    reflowed = _reflow(text)
    return reflowed if re.sub(r"\s", "", reflowed) == re.sub(r"\s", "", text) else text.strip()


def _reflow(text: str) -> str:
    text = text.strip()
    if "\n" in text.strip() or not text:
        return text
    if text.startswith("classDiagram"):
        body = text[len("classDiagram"):]
        names = re.findall(r"class\s+(\w+)", body)
        out = ["classDiagram"]
        pos = 0
        for m in re.finditer(r"class\s+(\w+)\s*\{(.*?)\}", body):
            members = [x for x in re.split(r"(?=[+\-#~])(?<![-<>(,\s])", m.group(2)) if x.strip()]
            out.append(f"  class {m.group(1)} {{")
            out += [f"    {x.strip()}" for x in members]
            out.append("  }")
            pos = m.end()
        rest = body[pos:]
        if names and rest:
            alt = "|".join(sorted(map(re.escape, set(names)), key=len, reverse=True))
            for r in re.finditer(rf"({alt})\s*([-.<|>*o]{{2,5}})\s*({alt})(\s*:\s*[^A-Z]*)?", rest):
                out.append("  " + r.group(0).strip())
        return "\n".join(out)
    if text.startswith("sequenceDiagram"):
        body = text[len("sequenceDiagram"):]
        aliases = re.findall(r"participant\s+(\w+)", body)
        body = re.sub(r"(?<!^)(participant\s)", r"\n\1", body)
        if aliases:
            alt = "|".join(sorted(map(re.escape, set(aliases) | {"PositionalEncoding", "MultiHeadAttention"}),
                                  key=len, reverse=True))
            body = re.sub(rf"(?<=\S)(?=(?:{alt})-{{1,2}}>>)", "\n", body)
        body = re.sub(r"(?<=\S)(loop |alt |opt |else )", r"\n\1", body)
        lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
        out, depth = ["sequenceDiagram"], 0
        for ln in lines:
            if ln.startswith(("loop ", "alt ", "opt ")):
                depth += 1
            ends = 0
            while depth > 0 and ln.endswith("end") and len(ln) > 3:
                ln, ends, depth = ln[:-3].rstrip(), ends + 1, depth - 1
            out.append("  " + ln)
            out += ["  end"] * ends
        return "\n".join(out)
    return text


# -- config.yaml: the YAML block, everything else as comments ----------------------------
def yaml_with_prose(text: str) -> str:
    """The first YAML block of a fenced answer, with every other line of the answer
    (headings, sentences, further blocks) as a YAML comment where it stood: the file
    stays valid YAML and says all the answer said."""
    tagged: list[tuple[int | None, str]] = []  # (the block a line is in, or None; the line)
    langs: list[str] = []
    inside = False
    for line in text.strip("\n").splitlines():
        if line.strip().startswith("```"):  # a fence is structure: dropped
            if not inside:
                langs.append(line.strip()[3:].strip().lower())
            inside = not inside
            continue
        tagged.append((len(langs) - 1 if inside else None, line))
    yaml = [i for i, g in enumerate(langs) if g in ("yaml", "yml")] or [i for i, g in enumerate(langs) if not g]
    if not yaml:
        return text
    out = [ln if block == yaml[0] else (f"# {ln}".rstrip() if ln.strip() else "") for block, ln in tagged]
    return "\n".join(out).strip("\n") + "\n"


# -- mapping onto our models -------------------------------------------------------------
ARCH_FIELDS = ("implementation approach", "file list", "data structures and interfaces", "program call flow",
               "anything unclear")
LOGIC_FIELDS = ("required packages", "logic analysis", "task list", "shared knowledge", "anything unclear")


def _other(design: dict[str, Any], used: tuple[str, ...]) -> dict[str, Any]:
    """The design's sections with no field of their own, word for word."""
    return {k: v for k, v in design.items() if k not in used and v not in (None, "", [])}


def to_architecture(design: dict[str, Any], notes: _Notes) -> Architecture:
    other = _other(design, ARCH_FIELDS)
    files = _files(_as_list(design.get("file list")), notes, "file list", other)
    if not files:
        raise ImportError_("the architecture design has no usable Python file list")
    return Architecture(
        implementation_approach=notes.text(design.get("implementation approach")),
        file_list=files,
        data_structures_and_interfaces=reflow_mermaid(notes.text(design.get("data structures and interfaces"))),
        program_call_flow=reflow_mermaid(notes.text(design.get("program call flow"))),
        unclear=[notes.text(u) for u in _as_list(design.get("anything unclear"))],
        other_sections=other,
    )


def _depends(text: str, me: str, earlier: list[str]) -> list[str]:
    """Files this one imports, read from its logic text; only earlier tasks (no cycles)."""
    m = re.search(r"Imports?:(.*)", text, re.S | re.I)
    scope = m.group(1) if m else text
    deps = []
    for f in earlier:
        stem = re.escape(f[:-3].replace("/", "."))
        if f != me and re.search(rf"(?:^|\s|-\s|from\s|import\s)({stem}|{re.escape(f)})\b", scope, re.M):
            deps.append(f)
    return deps[:12]


def to_logic(design: dict[str, Any], arch: Architecture | None, notes: _Notes) -> Logic:
    other = _other(design, LOGIC_FIELDS)
    tasks = _files(_as_list(design.get("task list")), notes, "task list", other)
    if not tasks and arch is not None:
        tasks = list(arch.file_list)
        notes.items.append("logic.task_list missing: the architecture's file list is used")
    if not tasks:
        raise ImportError_("the logic design has no usable task list")
    analyses: dict[str, str] = {}
    unmatched: list[Any] = []
    for item in _as_list(design.get("logic analysis")):
        if isinstance(item, list | tuple) and len(item) >= 2 and str(item[0]).strip() in tasks:
            # a file analysed twice keeps both texts, in the order written
            f, text = str(item[0]).strip(), "\n".join(str(x) for x in item[1:])
            analyses[f] = f"{analyses[f]}\n\n{text}" if f in analyses else text
        else:
            unmatched.append(item)
    if unmatched:
        other["logic analysis: entries for no task"] = unmatched
    files = []
    for i, f in enumerate(tasks):
        text = analyses.get(f, "")
        if not text:
            notes.items.append(f"logic: no logic analysis for {f}")
        files.append(FileLogic(file=f, purpose=text or f"(no description for {f})",
                               depends_on=_depends(text, f, tasks[:i])))
    packages, not_packages = [], []
    for p in _as_list(design.get("required packages")):
        (not_packages if not str(p).strip() or str(p).lower().startswith("no ") else packages).append(str(p))
    if not_packages:
        other["required packages: not packages"] = not_packages
    entry = "main.py" if "main.py" in tasks else tasks[-1]
    return Logic(
        required_packages=packages,
        files=files,
        task_list=tasks,
        shared_knowledge=notes.text(design.get("shared knowledge")),
        unclear=[notes.text(u) for u in _as_list(design.get("anything unclear"))],
        entry_point=entry,
        smoke_args=[],
        other_sections=other,
    )


def _placeholder_paper(title: str, source: Path) -> Paper:
    return Paper(title=title, meta=PaperMeta(source_type="papercoder-import", source=str(source),
                                             warnings=["the paper was not imported: pass --paper to judge against it"]))


def _find_paper(output_dir: Path) -> Path | None:
    for folder in (output_dir, output_dir.parent):
        found = sorted(folder.glob("*_cleaned.json"))
        if found:
            return found[0]
    return None


def _find_code(output_dir: Path, repo: Path | None, file: str) -> tuple[str | None, str]:
    candidates = [repo] if repo else [Path(f"{output_dir}_repo"), output_dir / "repo"]
    for r in candidates:
        if r is not None and (r / file).is_file():
            return (r / file).read_text(encoding="utf-8", errors="replace"), str(r / file)
    coding = output_dir / "coding_artifacts" / f"{file}_coding.txt"
    if coding.is_file():
        return extract_code(coding.read_text(encoding="utf-8", errors="replace")), str(coding)
    return None, ""


def import_papercoder(
    output_dir: str | Path,
    out: str | Path,
    *,
    paper: str | Path | None = None,
    repo: str | Path | None = None,
    approve: bool = False,
) -> ImportReport:
    output_dir = Path(output_dir)
    planning = output_dir / "planning_artifacts"
    if not planning.is_dir():
        raise ImportError_(f"{output_dir} is not a PaperCoder output folder (no planning_artifacts/)")
    # Parse everything before creating the session: a bad folder leaves nothing behind.
    read = _PlanningRead(planning)
    the_paper, paper_path, paper_note = _paper_for(output_dir, paper, read.plan)
    session = Session.create(out, the_paper, paper_path)
    report = ImportReport(session=Path(out), paper=paper_note, notes=[paper_note, *read.general])

    def put(aid: str, text: str | None, warnings: list[str], source: str) -> None:
        if text is None:
            report.missing.append(aid)
            return
        session.write(aid, text, by="import", warnings=warnings, model="papercoder")
        report.written.append(aid)
        report.notes += [f"{aid}: {w}" for w in warnings]
        if approve:
            session.approve(aid)

    files = _put_artifacts(put, read, output_dir, Path(repo) if repo else None)
    report.notes += _stray_analyses(output_dir, files)
    _stamp_input_hashes(session)
    losses = import_losses(output_dir, session)
    report.notes.append(f"kept {losses.kept} of {losses.total} content lines of the run"
                        + (f"; lost: {', '.join(losses.lost[:5])}" if losses.lost else " (nothing lost)"))
    session.state.notes.append(f"imported from PaperCoder output {output_dir} at {now()}")
    session.state.notes += report.notes
    session.save()
    return report


def _read_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


class _PlanningRead:
    """The run's planning files read and converted, with what each conversion noted; a
    design that cannot be converted is left out with a note (``general``)."""

    def __init__(self, planning: Path) -> None:
        self.plan_f, self.arch_f = planning / "1.1_overall_plan.txt", planning / "1.2_arch_design.txt"
        self.logic_f, self.config_f = planning / "1.3_logic_design.txt", planning / "1.4_config.yaml"
        self.notes: dict[str, _Notes] = {a: _Notes() for a in ("plan", "architecture", "logic", "config")}
        self.general: list[str] = []
        self.arch: Architecture | None = None
        self.logic: Logic | None = None
        arch_text, logic_text = _read_text(self.arch_f), _read_text(self.logic_f)
        if arch_text is not None:
            try:
                self.arch = to_architecture(read_design(arch_text), self.notes["architecture"])
            except (ImportError_, ValidationError) as e:
                self.general.append(f"architecture not imported: {str(e).splitlines()[0]}")
        if logic_text is not None:
            try:
                self.logic = to_logic(read_design(logic_text), self.arch, self.notes["logic"])
            except (ImportError_, ValidationError) as e:
                self.general.append(f"logic not imported: {str(e).splitlines()[0]}")
        self.plan = _read_text(self.plan_f)
        self.config = self._config()
        if self.plan is None and self.arch is None and self.logic is None:
            raise ImportError_(f"{planning} holds none of 1.1_overall_plan.txt, 1.2_arch_design.txt, 1.3_logic_design.txt")

    def _config(self) -> str | None:
        config = _read_text(self.config_f)
        if config is not None:
            config = yaml_with_prose(config) if "```" in config else config
            try:
                parse_config(config)
            except ValueError as e:
                self.notes["config"].items.append(f"imported as is, but {e}")
        return config


def _paper_for(output_dir: Path, paper: str | Path | None, plan: str | None) -> tuple[Paper, Path | None, str]:
    """(the paper, its path, a note on where it came from): ``paper``, else one found beside
    the output folder, else a placeholder titled from the plan."""
    paper_path = Path(paper) if paper else _find_paper(output_dir)
    title_m = re.search(r"^#\s*(?:Reproduction Plan for\s*)?[\"“]?(.+?)[\"”]?\s*(?:\(.*\))?\s*$", plan or "", re.M)
    title = title_m.group(1).strip() if title_m else output_dir.name
    if paper_path is not None:
        the_paper = load_paper(paper_path)
        paper_note = f"paper: {paper_path}" + ("" if paper else " (found beside the output folder)")
    else:
        the_paper = _placeholder_paper(title, output_dir)
        paper_note = "paper: not found; a placeholder was used (pass --paper PATH to judge against the paper)"
    return the_paper, paper_path, paper_note


def _put_artifacts(put: Callable[[str, str | None, list[str], str], None], read: _PlanningRead,
                   output_dir: Path, repo: Path | None) -> list[str]:
    """Every artifact of the run, planning first, then each file's analysis, then its code;
    the files, in task order."""
    arch, logic, notes = read.arch, read.logic, read.notes
    put("plan", read.plan, notes["plan"].items, str(read.plan_f))
    put("architecture", arch.model_dump_json(indent=2) if arch else None, notes["architecture"].items, str(read.arch_f))
    put("logic", logic.model_dump_json(indent=2) if logic else None, notes["logic"].items, str(read.logic_f))
    put("config", read.config, notes["config"].items, str(read.config_f))
    files = logic.ordered_files() if logic else (list(arch.file_list) if arch else [])
    for f in files:
        put(f"analysis:{f}", _read_text(output_dir / "analyzing_artifacts" / f"{f}_simple_analysis.txt"), [], "")
    for f in files:
        code, _ = _find_code(output_dir, repo, f)
        put(f"code:{f}", code, [], "")
    return files


def _stray_analyses(output_dir: Path, files: list[str]) -> list[str]:
    """Analyses of files the task list does not hold: no artifact of the session can take
    them, so the report names them (and the loss count counts them)."""
    suffix = "_simple_analysis.txt"
    stray = sorted(p.name for p in (output_dir / "analyzing_artifacts").glob(f"*{suffix}")
                   if p.name[: -len(suffix)] not in files)
    return [f"not imported (their files are not in the task list): analyzing_artifacts/{', '.join(stray)}"] if stray else []


def _stamp_input_hashes(session: Session) -> None:
    """Each imported artifact records what it was made from, as a generated one does:
    the import is its generation, so an edit upstream makes it stale."""
    from ..session.graph import input_hash, nodes

    graph = nodes(session)
    by_id = {n.id: n for n in graph}
    for n in graph:
        rec = session.record(n.id)
        if rec is not None and session.read(n.id) is not None:
            rec.input_hash = input_hash(session, n, by_id)
