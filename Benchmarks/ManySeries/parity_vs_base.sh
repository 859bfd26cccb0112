#!/usr/bin/env bash
# Trains the same models with a base binary (e.g. main, built with --scratch-path outside the
# repo) and this tree's binary, and compares the SHA-256 of the tensor bytes and the evaluate
# output. Usage: Benchmarks/ManySeries/parity_vs_base.sh BASE_BIN NEW_BIN
set -euo pipefail
base=$1; new=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tensors() { python3 - "$1" <<'PY'
import hashlib, struct, sys
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]
print(hashlib.sha256(b[8 + n:]).hexdigest())
PY
}
run() {  # name, "data options", training options...
  local name=$1 dataopts=$2; shift 2
  set -- $dataopts "$@"
  for w in 1 2 3; do
    "$base" train "$@" --workers "$w" --out "$tmp/base-$name-$w.safetensors" --quiet
    "$new" train "$@" --workers "$w" --out "$tmp/new-$name-$w.safetensors" --quiet
  done
  local b; b=$(tensors "$tmp/base-$name-1.safetensors")
  local ok=yes
  for w in 1 2 3; do
    for who in base new; do [ "$(tensors "$tmp/$who-$name-$w.safetensors")" = "$b" ] || ok=no; done
  done
  local eb en
  eb=$("$base" evaluate --model "$tmp/base-$name-1.safetensors" $dataopts --json)
  en=$("$new" evaluate --model "$tmp/new-$name-1.safetensors" $dataopts --json)
  [ "$eb" = "$en" ] || ok=no
  echo "$name: tensors ${b:0:16} (base and new, workers 1/2/3 identical: $ok; evaluate output identical: $([ "$eb" = "$en" ] && echo yes || echo no))"
}
F=Fixtures
run air "--data $F/air_passengers.csv" --target value --epochs 8
run nyc "--data $F/nyc_weather_hourly.csv --series-key origin" --target temp --calendar hour,dow --epochs 2 --horizon 6 --lookback 24
run elec "--data $F/elecdemand_halfhourly.csv" --target Demand --features Temperature,WorkDay --epochs 2 --model gru --loss quantile
run sunspots "--data $F/sunspots_monthly.csv" --target value --epochs 3 --loss gaussian --missing ffill
run seq2seq "--data $F/air_passengers.csv" --target value --model seq2seq --epochs 4
# The long-format fixture is intermittent: a NEW_BIN with the intermittent defaults (MAE, no level
# normalisation) differs from a BASE_BIN before them by design (docs/performance.md).
run long "--data $F/long_format_daily.csv --series-key unique_id --time ds" --target y --epochs 3 --horizon 7 --lookback 14
