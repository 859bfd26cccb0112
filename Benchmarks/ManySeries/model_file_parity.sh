#!/bin/bash
# Model files of two forecast binaries compared byte for byte apart from time stamps
# (model_file_parity.py), for the single-series and smooth defaults that must not change and
# for the intermittent long-format fixture (which may). Prints one line per case.
#
# Usage: bash Benchmarks/ManySeries/model_file_parity.sh BASE_BINARY NEW_BINARY [OUT_DIR]
set -u
base=$1; new=$2; out=${3:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd); F=$here/../../Fixtures; P=$here/model_file_parity.py
mkdir -p "$out"
run() {
  name=$1; shift
  "$base" train "$@" --workers 2 --out "$out/$name-base.safetensors" --quiet || echo "$name: base failed"
  "$new" train "$@" --workers 2 --out "$out/$name-new.safetensors" --quiet || echo "$name: new failed"
  echo "$name: $(python3 "$P" "$out/$name-base.safetensors" "$out/$name-new.safetensors" 2>&1)"
}
run air-default --data "$F/air_passengers.csv" --target value
run air-lstm --data "$F/air_passengers.csv" --target value --model lstm
run sunspots-lstm --data "$F/sunspots_monthly.csv" --target value --model lstm --epochs 10
run rain-lstm --data "$F/seattle_weather_daily.csv" --target precipitation --model lstm --epochs 10
run tmax-lstm --data "$F/seattle_weather_daily.csv" --target temp_max --model lstm --epochs 10
run elec-lstm --data "$F/elecdemand_halfhourly.csv" --target Demand --model lstm --epochs 3
run nyc-lstm --data "$F/nyc_weather_hourly.csv" --series-key origin --target temp --model lstm --epochs 5
run longfmt-lstm --data "$F/long_format_daily.csv" --model lstm --epochs 5   # intermittent: may differ
