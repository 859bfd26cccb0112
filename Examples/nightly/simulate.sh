#!/usr/bin/env bash
# Replays the drops of an example (default: Examples/nightly) night after night in a scratch
# folder: each "night" one more drop arrives and `forecast retrain` runs on the job file. Prints
# every night's summary and exit code, then the registry's files.
#   Examples/nightly/simulate.sh [path/to/forecast] [example folder with job.yaml and drops/]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${FORECAST_BIN:-$here/../../.build/release/forecast}}"
example="${2:-$here}"
[ -x "$bin" ] || { echo "no forecast binary at $bin: run scripts/test.sh or swift build -c release" >&2; exit 1; }
work="$(mktemp -d)"
cp "$example/job.yaml" "$work/"
mkdir "$work/drops"
for drop in "$example"/drops/*.csv; do
  cp "$drop" "$work/drops/"
  echo "=== night: $(basename "$drop") arrives"
  "$bin" retrain --job "$work/job.yaml" --quiet
  echo "exit code $?"
done
for registry in "$work"/registry/*; do
  echo "=== registry $registry"
  ls -l "$registry"
done
