#!/usr/bin/env bash
# Reproduces docs/accuracy.md: trains forecast with default settings on each real data set and
# prints the test-split MASE of the model and of the baselines as a Markdown table.
#   bash scripts/accuracy.sh [DATA_DIR]      (default: Fixtures; the nyc file there is trimmed,
#                                             the full one gives the documented figures)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-Fixtures}"
BIN=.build/release/forecast
[ -x "$BIN" ] || swift build -c release --product forecast >/dev/null
OUT=$(mktemp -d)
row() {
  local name="$1" file="$2"; shift 2
  local start=$(date +%s)
  "$BIN" train --data "$DATA/$file" --out "$OUT/$name.safetensors" --quiet "$@"
  local secs=$(( $(date +%s) - start ))
  "$BIN" evaluate --model "$OUT/$name.safetensors" --data "$DATA/$file" --json |
    python3 -c "import json,sys; r=json.load(sys.stdin); print('| $name | %.3f | %.3f | %.3f | %.3f | ${secs}s |' % (r['model']['mase'], r['seasonal_naive']['mase'], r['naive']['mase'], r['drift']['mase']))"
}
echo "| data set | model MASE | seasonal naive | naive | drift | train time |"
echo "|---|---|---|---|---|---|"
row air_passengers air_passengers.csv --target value
row sunspots_monthly sunspots_monthly.csv --target value
row elecdemand_halfhourly elecdemand_halfhourly.csv --target Demand --features Temperature,WorkDay
row nyc_weather_hourly nyc_weather_hourly.csv --target temp --series-key origin
row seattle_weather_daily seattle_weather_daily.csv --target temp_max
rm -rf "$OUT"
