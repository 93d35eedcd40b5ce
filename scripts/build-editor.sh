#!/usr/bin/env bash
# Rebuilds the panel's code editor bundle (widgets/code_editor/editor.js) from its npm
# sources. Only needed after changing widgets/code_editor/src or its package.json: the
# built bundle is committed, so installing, testing and CI never need npm.
# Usage: bash scripts/build-editor.sh
set -euo pipefail
cd "$(dirname "$0")/../widgets/code_editor"
command -v npm >/dev/null || { echo "build-editor: needs node and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
npm ci --no-audit --no-fund
npm run build
# What the bundle was built from: tests/widgets/test_code_editor.py fails when src/ changed since.
sha256sum src/index.js package.json package-lock.json > built-from.sha256
echo "build-editor: $(wc -c < editor.js) bytes in widgets/code_editor/editor.js" >&2
