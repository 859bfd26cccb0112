#!/usr/bin/env bash
# Paired A/B wall time of the same `forecast train` run with two binaries, alternating, PAIRS
# times; prints each ratio new/base and the median. Usage: paired_train.sh BASE NEW PAIRS args...
set -euo pipefail
base=$1; new=$2; pairs=$3; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ratios=()
for i in $(seq "$pairs"); do
  t0=$(date +%s.%N); "$base" train "$@" --out "$tmp/b.safetensors" --quiet; t1=$(date +%s.%N)
  "$new" train "$@" --out "$tmp/n.safetensors" --quiet; t2=$(date +%s.%N)
  r=$(python3 -c "print(round(($t2-$t1)/($t1-$t0),3))"); ratios+=("$r"); echo "pair $i: base $(python3 -c "print(round($t1-$t0,2))") s, new $(python3 -c "print(round($t2-$t1,2))") s, new/base $r"
done
python3 -c "import statistics,sys; r=sorted(map(float,sys.argv[1:])); print(f'median new/base {statistics.median(r):.3f} (range {r[0]:.3f}-{r[-1]:.3f}, {len(r)} pairs)')" "${ratios[@]}"
