#!/usr/bin/env bash
# Replays the drops of Examples/nightly night after night in a scratch folder: each "night" one
# more drop arrives and `forecast retrain` runs on the job file. Prints every night's summary
# and exit code, then the registry's manifest.
#   Examples/nightly/simulate.sh [path/to/forecast]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${FORECAST_BIN:-$here/../../.build/release/forecast}}"
[ -x "$bin" ] || { echo "no forecast binary at $bin: run scripts/test.sh or swift build -c release" >&2; exit 1; }
work="$(mktemp -d)"
cp "$here/job.yaml" "$work/"
mkdir "$work/drops"
for drop in "$here"/drops/*.csv; do
  cp "$drop" "$work/drops/"
  echo "=== night: $(basename "$drop") arrives"
  "$bin" retrain --job "$work/job.yaml" --quiet
  echo "exit code $?"
done
echo "=== registry $work/registry/air-passengers"
ls -l "$work/registry/air-passengers"
