#!/usr/bin/env bash
# The whole test suite: engine, the real local model, the wheel check, the widget tests
# under ipywidgets 8 and 7.7.1 (Colab's), and the real-browser tests (JupyterLab 4 and
# Notebook 7 driven by Debian's chromium through Playwright; classic Notebook 6.5 with
# ipywidgets 7.7.1 in its own venv). Sets everything up first.
# pytest runs on two workers (pytest-xdist): the browser tests on one worker at a time, the
# real-model tests on one worker at a time (tests/conftest.py's groups), the rest spread.
# Prints each group's time at the end, also when a group fails.
set -euo pipefail
cd "$(dirname "$0")/.."
times=()
started=$SECONDS
report() {
  echo "test.sh: time per group (seconds):" >&2
  for line in "${times[@]}"; do echo "  $line" >&2; done
  echo "  whole run $((SECONDS - started))" >&2
}
trap report EXIT
group() {  # group NAME COMMAND...: runs it, records its time
  local name=$1 t0=$SECONDS
  shift
  "$@" || { times+=("$name $((SECONDS - t0)) (failed)"); return 1; }
  times+=("$name $((SECONDS - t0))")
}
group setup bash scripts/setup.sh --test
group ruff .venv/bin/ruff check .
WORKERS=${PYTEST_WORKERS:-2}
group pytest .venv/bin/python -m pytest -q -p no:cacheprovider -n "$WORKERS" --dist loadgroup --durations=15 "$@"
group widgets-ipywidgets-7 bash scripts/test-widgets-7.sh
group browser-notebook-6.5 bash scripts/test-browser-nb6.sh
