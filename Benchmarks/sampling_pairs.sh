#!/usr/bin/env bash
# Same-run comparison of `forecast bench --workload sample-1000` against its PyTorch twin
# (Benchmarks/deepar_sampling_torch.py): PAIRS alternating A/B pairs, prints each pair and the
# median speed-up (PyTorch ms / forecast ms) with its range.
#   bash Benchmarks/sampling_pairs.sh [PYTHON] [PAIRS]   (PYTHON: a venv with torch; default /work/peers-env/bin/python;
#   TORCH_THREADS: PyTorch threads, default 2; FORECAST_WORKERS: forecast's sampling threads, default its own)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-/work/peers-env/bin/python}"; PAIRS="${2:-7}"
BIN="${FORECAST_BIN:-.build/release/forecast}"
ratios=()
for i in $(seq "$PAIRS"); do
  ours=$("$BIN" bench --workload sample-1000 --seconds 1.5 ${FORECAST_WORKERS:+--workers "$FORECAST_WORKERS"} --json | python3 -c "import json,sys; print(json.load(sys.stdin)['ms'])")
  torch=$("$PY" Benchmarks/deepar_sampling_torch.py --seconds 1.5 --threads "${TORCH_THREADS:-2}" | python3 -c "import json,sys; print(json.load(sys.stdin)['ms'])")
  r=$(python3 -c "print(round($torch / $ours, 2))")
  echo "pair $i: forecast $ours ms, pytorch $torch ms, speed-up $r"
  ratios+=("$r")
done
python3 -c "
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
print('median speed-up %.2f (range %.2f-%.2f, %d pairs)' % (statistics.median(r), r[0], r[-1], len(r)))" "${ratios[@]}"
