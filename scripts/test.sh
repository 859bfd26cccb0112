#!/usr/bin/env bash
# Sets up the machine, builds forecast with optimisation (tests included) and runs the whole
# test suite. End-to-end tests drive the release binary .build/release/forecast.
set -euo pipefail
cd "$(dirname "$0")/.."
# Multi-process (Open MPI) tests run too unless FORECAST_SKIP_MPI=1; the main package never
# needs MPI.
if [ "${FORECAST_SKIP_MPI:-0}" = "1" ]; then bash scripts/setup.sh; else bash scripts/setup.sh --mpi; fi
# One optimised build serves the binary and the tests (-enable-testing keeps them linkable).
FLAGS=(-c release -Xswiftc -enable-testing)
swift build "${FLAGS[@]}" --build-tests
swift test "${FLAGS[@]}" --skip-build "$@"
# The retrain job-file fuzz target for a short budget (docs/reliability-registry.md);
# FORECAST_SKIP_FUZZ=1 skips it, FORECAST_FUZZ_SECONDS changes the budget.
if [ "${FORECAST_SKIP_FUZZ:-0}" != "1" ]; then bash scripts/fuzz-job.sh "${FORECAST_FUZZ_SECONDS:-60}"; fi
if [ "${FORECAST_SKIP_MPI:-0}" != "1" ]; then
  swift build -c release --package-path MPI
  bash Tests/MPI/mpi_test.sh .build/release/forecast MPI/.build/release/forecast-mpi
fi
