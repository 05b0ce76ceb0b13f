#!/usr/bin/env bash
# Runs the NeMo-Run peer benchmark REPS times for each N and mode, appending one
# JSON line per run to results-nemo_run.jsonl (beside this script).
# Usage: bench/peers/run_nemo_run.sh [REPS] [N...]   (defaults: 3; 10 50 100 1000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PEERS_PY:-/work/peers-venv/bin/python}"
reps="${1:-3}"; shift || true
ns=("$@"); [ ${#ns[@]} -gt 0 ] || ns=(10 50 100 1000)
out="$here/results-nemo_run.jsonl"
for n in "${ns[@]}"; do
  for mode in dag flat; do
    for ((r = 1; r <= reps; r++)); do
      "$py" "$here/nemo_run_launch.py" "$n" --mode "$mode" 2>/dev/null | tee -a "$out" || true  # a failed run still prints its JSON (with "error")
    done
  done
done
