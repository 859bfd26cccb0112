#!/bin/sh
# Test-split MASE of `forecast train --model lstm` with one scaler over all series
# (--scaler-scope global, the behaviour before per-series scaling) and with per-series
# mean-absolute scaling (series, the default for several series), same seeds, same run.
#
#   Benchmarks/ManySeries/scaler_scope.sh FORECAST_BINARY "SEEDS" -- TRAIN_ARGS...
#
# e.g. (docs/performance.md, "Per-series scaling and static covariates"):
#   python3 Benchmarks/ManySeries/generate_m5.py --series 300 --days 600 --out /tmp/m300.csv
#   Benchmarks/ManySeries/scaler_scope.sh .build/release/forecast "1 2" -- --data /tmp/m300.csv \
#       --horizon 28 --epochs 8 --windows-per-epoch 4096
#   Benchmarks/ManySeries/scaler_scope.sh .build/release/forecast "1 2" -- \
#       --data ../shared/datasets/nyc_weather_hourly.csv --series-key origin --target temp --epochs 8 --windows-per-epoch 4096
set -e
BIN=$1; SEEDS=$2; shift 3
TMP=$(mktemp -d)
for seed in $SEEDS; do
  for scope in global series; do
    "$BIN" train --model lstm "$@" --seed "$seed" --scaler-scope "$scope" --json --out "$TMP/m.safetensors" 2>/dev/null \
      | grep '"event":"done"\|"event" : "done"\|test_mase' | tail -1 \
      | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('seed $seed $scope', 'test MASE %.4f' % d['test_mase'], 'seasonal naive %.4f' % d['seasonal_naive_mase'])"
  done
done
rm -rf "$TMP"
