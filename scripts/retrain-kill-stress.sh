#!/usr/bin/env bash
# Kills `forecast retrain` (SIGKILL) at every named step of a night and at random moments, on an
# example of Examples/ (night 1 done, night 2's drop arrived), and checks after each kill that
# `forecast predict --model REGISTRY` still serves and that the rerun ends with the manifest
# records (decision, modes, parents, tensor SHA-256, scores) of an uninterrupted night.
#   scripts/retrain-kill-stress.sh [EXAMPLE (nightly-radar)] [RANDOM_KILLS (20)] [path/to/forecast]
# Prints one line per mismatch and a summary; exits 1 on any mismatch. Needs python3 (stdlib).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
example="${1:-nightly-radar}"; randoms="${2:-20}"; bin="${3:-${FORECAST_BIN:-$root/.build/release/forecast}}"
src="$root/Examples/$example"
[ -x "$bin" ] || { echo "no forecast binary at $bin" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/base/drops"
sed 's/^  seed: 42$/  seed: 42\n  workers: 1/' "$src/job.yaml" > "$work/base/job.yaml"
cp "$src/drops/drop-01.csv" "$work/base/drops/"
"$bin" retrain --job "$work/base/job.yaml" --quiet > /dev/null 2>&1 || { echo "night 1 failed" >&2; exit 1; }
cp "$src/drops/drop-02.csv" "$work/base/drops/"
registry="$(ls -d "$work"/base/registry/*)"; registry="registry/$(basename "$registry")"
cp -r "$work/base" "$work/ref"
"$bin" retrain --job "$work/ref/job.yaml" --quiet > /dev/null 2>&1
state() { python3 -c "
import json, sys
m = json.load(open(sys.argv[1] + '/manifest.json'))
print(m.get('current'), m['nextVersion'], [(v['version'], v['promoted'], v.get('pruned'), v['mode'], v.get('parent'),
      v['tensorSha256'], v['metrics']['challenger'], v['metrics'].get('champion'), v['reason']) for v in m['versions']])" "$1"; }
expected="$(state "$work/ref/$registry")"
runs=0; ok=0; resumed=0; signalled=0
check() {  # $1: name
  local c="$work/c"
  "$bin" predict --model "$c/$registry" --data "$c/drops/drop-01.csv" > /dev/null 2>&1; local served=$?
  "$bin" retrain --job "$c/job.yaml" --json > "$work/rerun.json" 2>/dev/null
  grep -q '"resumedFromEpoch"' "$work/rerun.json" && resumed=$((resumed + 1))
  runs=$((runs + 1))
  if [ $served -eq 0 ] && [ "$(state "$c/$registry")" = "$expected" ]; then ok=$((ok + 1)); else echo "MISMATCH after $1 (predict exit $served)"; fi
}
for point in after-lock after-recover after-state after-epoch-1 after-epoch-2 after-train after-version-file after-commit after-switch after-prune after-report; do
  rm -rf "$work/c"; cp -r "$work/base" "$work/c"
  FORECAST_RETRAIN_KILL_AT=$point "$bin" retrain --job "$work/c/job.yaml" --quiet > /dev/null 2>&1 &
  wait $! 2> /dev/null
  check "$point"
done
for i in $(seq 1 "$randoms"); do
  rm -rf "$work/c"; cp -r "$work/base" "$work/c"
  "$bin" retrain --job "$work/c/job.yaml" --quiet > /dev/null 2>&1 & pid=$!
  sleep "$(printf '0.%03d' $((RANDOM % 300)))"
  kill -9 $pid 2> /dev/null && signalled=$((signalled + 1)); wait $pid 2> /dev/null
  check "random kill $i"
done
echo "$example: $ok of $runs killed nights served predict after the kill and ended as the uninterrupted night ($signalled of $randoms random kills found the run still there; $resumed reruns resumed a checkpoint)"
[ $ok -eq $runs ]
