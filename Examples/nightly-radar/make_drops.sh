#!/usr/bin/env bash
# Makes nightly radar drops: one synthetic radar sequence from make_radar.py (a copy of
# ../shared/peers/make_radar.py: advected, growing and decaying rain cells, 6-minute frames),
# cut into drops by frame. drop-01 holds the first FIRST frames, every later drop EACH more;
# drop-03 also re-sends the last two frames of drop-02 (a later drop's frame replaces the
# earlier one).
#   Examples/nightly-radar/make_drops.sh OUT_FOLDER [NIGHTS] [SIZE] [SEED] [FIRST] [EACH]
# The committed drops/ were made with the defaults: make_drops.sh drops 4 16 7 48 12
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"; nights="${2:-4}"; size="${3:-16}"; seed="${4:-7}"; first="${5:-48}"; each="${6:-12}"
frames=$((first + (nights - 1) * each))
mkdir -p "$out"
seq_csv="$(mktemp)"
trap 'rm -f "$seq_csv"' EXIT
python3 "$here/make_radar.py" "$seq_csv" --frames "$frames" --size "$size" --seed "$seed"
cells=$((size * size))
for n in $(seq 1 "$nights"); do
  if [ "$n" -eq 1 ]; then from=0; to=$first; else from=$((first + (n - 2) * each)); to=$((from + each)); fi
  [ "$n" -eq 3 ] && from=$((from - 2))
  # Data line i (0-based) belongs to frame i / cells.
  awk -v a=$((from * cells)) -v b=$((to * cells)) 'NR == 1 || (NR - 2 >= a && NR - 2 < b)' "$seq_csv" > "$out/$(printf 'drop-%02d.csv' "$n")"
done
