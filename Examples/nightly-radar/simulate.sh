#!/usr/bin/env bash
# Makes nightly radar drops with make_radar.py (through make_drops.sh; needs python3, no
# packages) and replays them night after night in a scratch folder: each "night" one more drop
# arrives and `forecast retrain` runs on the job file. Prints every night's summary and exit
# code, then the registry and a forecast from its current model.
#   Examples/nightly-radar/simulate.sh [path/to/forecast] [NIGHTS] [SEED]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${FORECAST_BIN:-$here/../../.build/release/forecast}}"
nights="${2:-4}"; seed="${3:-7}"
[ -x "$bin" ] || { echo "no forecast binary at $bin: run scripts/test.sh or swift build -c release" >&2; exit 1; }
work="$(mktemp -d)"
"$here/make_drops.sh" "$work/all-drops" "$nights" 16 "$seed" 48 12 || exit 1
cp "$here/job.yaml" "$work/"
mkdir "$work/drops"
for drop in "$work"/all-drops/*.csv; do
  cp "$drop" "$work/drops/"
  echo "=== night: $(basename "$drop") arrives"
  "$bin" retrain --job "$work/job.yaml" --quiet
  echo "exit code $?"
done
echo "=== registry $work/registry/radar"
ls -l "$work/registry/radar"
echo "=== the next 4 frames from the current model (first lines)"
"$bin" predict --model "$work/registry/radar" --data "$work/drops/$(ls "$work/drops" | tail -1)" | head -5
