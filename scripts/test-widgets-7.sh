#!/usr/bin/env bash
# The widget tests again under what Google Colab ships: ipywidgets 7.7.1, ipykernel 6.17.1.
# anywidget is installed too, so the panel's textarea fallback is chosen for the version;
# the cloud SDKs too, since the panel asks a served model's server for its window through them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-w7/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv-w7
fi
.venv-w7/bin/python -m pip install -q --upgrade pip setuptools wheel
.venv-w7/bin/python -m pip install -q 'ipywidgets==7.7.1' 'ipykernel==6.17.1' 'markdown-it-py>=3' 'pygments>=2.15' 'anywidget>=0.9' nbclient pytest pytest-timeout
.venv-w7/bin/python -m pip install -q -e '.[cloud]'
.venv-w7/bin/python -c "import ipywidgets, ipykernel; assert ipywidgets.__version__ == '7.7.1', ipywidgets.__version__; print('ipywidgets', ipywidgets.__version__, 'ipykernel', ipykernel.__version__)"
.venv-w7/bin/python -m pytest -q -p no:cacheprovider tests/widgets
