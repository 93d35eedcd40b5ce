#!/usr/bin/env bash
# The whole test suite: engine, the real local model, the wheel check, the widget tests
# under ipywidgets 8 and 7.7.1 (Colab's), and the real-browser tests (JupyterLab 4 and
# Notebook 7 driven by Debian's chromium through Playwright; classic Notebook 6.5 with
# ipywidgets 7.7.1 in its own venv). Sets everything up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
bash scripts/test-widgets-7.sh
bash scripts/test-browser-nb6.sh
