#!/usr/bin/env bash
# The main job: the bundled example paper → plan, designs, analyses, code and an exported
# repository, on the embedded local model (offline, toy quality, real pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stamp=$(date +%Y%m%d-%H%M%S)
out="runs/example-$stamp"
code=0
.venv/bin/papercoder run examples/neural-audio-style-transfer/paper.pdf \
  --out "$out/session" --model local --auto-approve --repo "$out/repo" || code=$?
[ -f "$out/session/session.json" ] && .venv/bin/papercoder status "$out/session"
echo "session:    $out/session"
if [ -d "$out/repo" ]; then
  echo "repository: $out/repo"
else  # exported only when the run got to code (exit 0 or 3): never name a folder that is not there
  echo "repository: none — the run stopped before the code (see the status above); fix or regenerate the failed" \
       "artifacts, then: .venv/bin/papercoder resume $out/session --auto-approve && .venv/bin/papercoder export $out/session --repo $out/repo"
fi
if [ "$code" -eq 3 ]; then
  # The toy model's code usually fails its checks: the pipeline ran, a reviewer has work.
  echo "example: the run finished; the toy model left artifacts for review (exit 3, see status above)" >&2
fi
exit "$code"
