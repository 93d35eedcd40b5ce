"""The checker on real code: working repositories nobody here wrote, and their mutations.

The corpus (``_realcode.py``) is 16 small ML repositories from PyPI sdists, pinned by
sha256; ``_mutations.py`` makes single cross-file edits of the kinds models get wrong
(a method renamed in one file, a constructor changed, a package's re-export dropped, a
circular import, a misspelt local module, ...), each naming the file that now fails and
the identifier a right finding must mention.

* A clean repository must get no error (warnings, e.g. an undeclared package, are allowed:
  working code often leans on what is installed).
* A mutation is caught when a new finding (not on the clean copy) is in the file that now
  fails and names the identifier; for a misspelt local module it must be an error that
  points at the local module, not a warning about a missing package.

Released code has bugs of its own. An error on a clean repository is a false alarm unless it
is listed in ``CONFIRMED`` below, each read in the source and explained there; those are
printed as real bugs, not hidden.

Last line: caught=X/N false_alarms=Y/M repos_flagged=R/M, where Y counts clean repositories
with an error that is not a confirmed bug and R those with any finding at all.
Run: python benchmarks/verify_real.py [--quick]  (first run downloads ~3 MB from PyPI)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mutations import Mutation, mutations  # noqa: E402
from _realcode import CORPUS, fetch  # noqa: E402

from papercoder_nb.checks.check import check_repository  # noqa: E402
from papercoder_nb.checks.checker import Finding  # noqa: E402

# (repo, file, text in the finding, why it is a real bug): each checked by reading the source
CONFIRMED = [
    ("pinnstorch", "pinnstorch/train.py", "get_metric_value has no parameter 'metric_name'",
     "utils.get_metric_value(metric_dict, metric_names) is called with metric_name=: TypeError at the "
     "end of every `python train.py`"),
    ("pinnstorch", "pinnstorch/models/net/neural_net.py", "call of FCN missing argument(s)",
     "`python neural_net.py` runs FCN() under its main guard; FCN needs layers, lb, ub, output_names"),
    ("pinnstorch", "pinnstorch/models/net/neural_net.py", "call of NetHFM missing argument(s)",
     "`python neural_net.py` runs NetHFM() under its main guard; it needs mean, std, layers, output_names"),
    ("x-clip", "x_clip/distributed.py", "name 'F' is not defined",
     "pad_dim_to uses F.pad but the module never imports torch.nn.functional (multi-GPU all_gather path)"),
    ("x-clip", "x_clip/distributed.py", "name 'exists' is not defined",
     "all_gather_variable_dim calls exists(), defined in x_clip.py, never imported here"),
]


def confirmed(repo: str, f: Finding) -> str | None:
    return next((why for r, file, text, why in CONFIRMED if r == repo and f.file == file and text in f.problem), None)


def _key(f: Finding) -> tuple[str, str]:
    return f.file, f.problem


def caught(m: Mutation, before: list[Finding], after: list[Finding]) -> bool:
    old = {_key(f) for f in before}
    new = [f for f in after if _key(f) not in old]
    if m.kind == "circular_import":  # Python reports it at whichever import of the cycle runs second
        return any("circular import" in f.problem and m.name in f.problem for f in new)
    right = [f for f in new if f.file == m.file and m.name in str(f)]
    if m.kind == "wrong_module_name":
        return any(f.severity == "error" and "not declared" not in f.problem for f in right)
    return bool(right)


def clean_run(roots: list[Path]) -> dict[str, list[Finding]]:
    out = {}
    for pin, root in zip(CORPUS, roots, strict=True):
        found = check_repository(root)
        out[pin.name] = found
        errors = [f for f in found if f.severity == "error"]
        print(f"clean {pin.name:<28} errors={len(errors)} warnings={len(found) - len(errors)}")
        for f in errors:
            why = confirmed(pin.name, f)
            print(f"  real bug: {f}\n    why: {why}" if why else f"  false alarm: {f}")
    return out


def mutation_run(roots: list[Path], clean: dict[str, list[Finding]], quick: bool) -> dict[str, list[int]]:
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        for pin, root in zip(CORPUS, roots, strict=True):
            for i, m in enumerate(mutations(root)):
                if quick and i % 4:
                    continue
                copy = Path(tmp) / f"{pin.name}-{i}"
                shutil.copytree(root, copy)
                m.apply(copy)
                hit = caught(m, clean[pin.name], check_repository(copy))
                per_kind[m.kind][0] += hit
                per_kind[m.kind][1] += 1
                if not hit:
                    print(f"missed: {m.kind} {pin.name}: {m.description} ({m.file}, {m.name})")
                shutil.rmtree(copy)
    return per_kind


def main() -> None:
    quick = "--quick" in sys.argv
    start = time.monotonic()
    roots = fetch()
    clean = clean_run(roots)
    per_kind = mutation_run(roots, clean, quick)
    print(f"{'kind':<22}{'caught':>8}{'made':>8}")
    for kind, (c, n) in sorted(per_kind.items()):
        print(f"{kind:<22}{c:>8}{n:>8}")
    c = sum(c for c, _ in per_kind.values())
    n = sum(n for _, n in per_kind.values())
    with_errors = sum(any(f.severity == "error" and not confirmed(name, f) for f in fs) for name, fs in clean.items())
    flagged = sum(bool(fs) for fs in clean.values())
    bugs = [(name, f) for name, fs in clean.items() for f in fs if f.severity == "error" and confirmed(name, f)]
    print(f"real bugs found in released code: {len(bugs)} in {len({n for n, _ in bugs})} repositories (listed above)")
    print(f"checked {len(roots)} repositories and {n} mutations in {time.monotonic() - start:.0f} s")
    print(f"caught={c}/{n} false_alarms={with_errors}/{len(roots)} repos_flagged={flagged}/{len(roots)}")


if __name__ == "__main__":
    main()
