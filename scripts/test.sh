#!/usr/bin/env bash
# The whole test suite, including the real local model, the wheel check and the
# real-browser tests. Sets everything up first (see scripts/setup.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
if [ -f scripts/test-widgets-7.sh ]; then
  bash scripts/test-widgets-7.sh
fi
