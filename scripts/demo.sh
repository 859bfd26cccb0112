#!/usr/bin/env bash
# Sets up the machine, builds forecast, trains the default model (an ensemble of LSTMs, ETS and
# Theta, docs/ensembles.md) on the monthly airline passenger
# counts (Fixtures/air_passengers.csv) and prints a 12-month forecast.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product forecast
mkdir -p out
.build/release/forecast train --data Fixtures/air_passengers.csv --target value --out out/air_passengers.safetensors
.build/release/forecast predict --model out/air_passengers.safetensors --data Fixtures/air_passengers.csv
