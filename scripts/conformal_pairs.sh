#!/usr/bin/env bash
# Extra train time of cross-conformal refits, as same-run ratios: alternating pairs of
#   train --intervals conformal --conformal-calibration rolling   and   ... cross
# on one data set; prints each pair's seconds and ratio, then the median ratio and its range.
#   bash scripts/conformal_pairs.sh DATA TARGET [MODEL=auto] [PAIRS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${FORECAST_BIN:-.build/release/forecast}"
DATA="$1"; TARGET="$2"; MODEL="${3:-auto}"; PAIRS="${4:-5}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
ratios=()
for i in $(seq 1 "$PAIRS"); do
  declare -A t=()
  for rule in rolling cross; do
    t0=$(date +%s.%N)
    "$BIN" train --data "$DATA" --target "$TARGET" --model "$MODEL" --intervals conformal --conformal-calibration "$rule" --out "$OUT/m.st" --quiet
    t1=$(date +%s.%N)
    t[$rule]=$(python3 -c "print($t1 - $t0)")
  done
  r=$(python3 -c "print(${t[cross]} / ${t[rolling]})")
  ratios+=("$r")
  printf 'pair %d: rolling %.1f s, cross %.1f s, ratio %.2f\n' "$i" "${t[rolling]}" "${t[cross]}" "$r"
done
python3 -c "
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
print('median cross / rolling %.2fx (range %.2f-%.2fx, %d pairs)' % (statistics.median(r), r[0], r[-1], len(r)))" "${ratios[@]}"
