#!/usr/bin/env bash
# The browser tests again in Google Colab's stack: classic Notebook 6.5 with ipywidgets 7.7.1
# (widgetsnbextension 3.6.1, the one released with it) and ipykernel 6.17.1, in a venv of its
# own (.venv-nb6), driven by Debian's chromium through Playwright. Runs only the tests marked
# `nb6` (each browser test's classic-Notebook case); fails if none ran. widgetsnbextension 3.6.2+ cannot create Output widgets in classic
# Notebook ("_deserialize_state is not a function": its Backbone-style OutputModel.extend drops
# the ES2017 class's static methods), so the panel would lose its diagrams, links and reports.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-nb6/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv-nb6
fi
PY=.venv-nb6/bin/python
REQS="'notebook>=6.5,<6.6' 'ipywidgets==7.7.1' 'widgetsnbextension==3.6.1' 'ipykernel==6.17.1' 'playwright>=1.40' 'pytest>=8' 'pytest-timeout>=2.3'"
EXTRAS='.[widgets,notebook,cloud]'  # cloud: the OpenAI SDK (a test streams from a fake server)
# Installs again only when these pins, the extras or pyproject.toml changed (the package is editable)
stamp=$(printf '%s\n' "$REQS" "$EXTRAS" | cat - pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat .venv-nb6/.papercoder-stamp 2>/dev/null)" != "$stamp" ]; then
  $PY -m pip install -q --upgrade pip setuptools wheel
  eval "$PY -m pip install -q $REQS"
  $PY -m pip install -q -e "$EXTRAS"
  echo "$stamp" > .venv-nb6/.papercoder-stamp
fi
$PY - <<'EOF'
import ipykernel, ipywidgets, notebook, widgetsnbextension
found = {"notebook": notebook.__version__, "ipywidgets": ipywidgets.__version__,
         "widgetsnbextension": widgetsnbextension.__version__, "ipykernel": ipykernel.__version__}
assert found["notebook"].startswith("6.5."), found
assert found["ipywidgets"] == "7.7.1", found
assert found["widgetsnbextension"] == "3.6.1", found
assert found["ipykernel"] == "6.17.1", found
print(" ".join(f"{k} {v}" for k, v in found.items()))
EOF
# The widget front end of classic Notebook is an nbextension: install and enable it in the venv
$PY -m jupyter nbextension install --py widgetsnbextension --sys-prefix >/dev/null 2>&1
$PY -m jupyter nbextension enable --py widgetsnbextension --sys-prefix >/dev/null 2>&1
$PY -m jupyter nbextension list 2>&1 | grep -q 'jupyter-js-widgets/extension.*enabled' \
  || { echo "test-browser-nb6: widgetsnbextension is not enabled in classic Notebook" >&2; exit 1; }
# -m nb6 selects the Notebook 6.5 flow (the main run deselects it); the junit report proves it ran
report=$(mktemp)
$PY -m pytest -q -p no:cacheprovider -m nb6 --junitxml="$report" tests/e2e "$@"
ran=$($PY -c "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); s = r if r.tag == 'testsuite' else r[0]; print(int(s.get('tests')) - int(s.get('skipped')))" "$report")
rm -f "$report"
if [ "$ran" -lt 1 ]; then
  echo "test-browser-nb6: no Notebook 6.5 browser test ran" >&2
  exit 1
fi
