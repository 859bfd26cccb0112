#!/usr/bin/env bash
# Sets up the machine, builds forecast with optimisation (tests included) and runs the whole
# test suite. End-to-end tests drive the release binary .build/release/forecast.
set -euo pipefail
cd "$(dirname "$0")/.."
# Multi-process (Open MPI) tests run too unless FORECAST_SKIP_MPI=1; the main package never
# needs MPI.
if [ "${FORECAST_SKIP_MPI:-0}" = "1" ]; then bash scripts/setup.sh; else bash scripts/setup.sh --mpi; fi
# ONNX Runtime for the export tests (ForecastExportTests compare exported models with
# `forecast predict`): a local, git-ignored venv, made once and reused. The tests fail in CI
# (CI=true) when it is missing; elsewhere they skip with the reason.
if [ "${FORECAST_SKIP_ONNX:-0}" != "1" ] && ! .venv-onnx/bin/python -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
  rm -rf .venv-onnx
  python3 -m venv .venv-onnx
  .venv-onnx/bin/pip install -q --disable-pip-version-check onnxruntime==1.32.0 onnx==1.23.2 numpy==2.4.6
fi
# One optimised build serves the binary and the tests (-enable-testing keeps them linkable).
FLAGS=(-c release -Xswiftc -enable-testing)
swift build "${FLAGS[@]}" --build-tests
swift test "${FLAGS[@]}" --skip-build "$@"
# The model-file and job-file fuzz targets for a short budget each (build with AddressSanitizer,
# about 3 minutes on 2 cores, then 60 s of fuzzing per target; a crash, a hang over 10 s or 2 GB
# RSS fails the run). FORECAST_SKIP_FUZZ=1 skips them; FORECAST_FUZZ_SECONDS changes the budget
# (docs/reliability.md).
if [ "${FORECAST_SKIP_FUZZ:-0}" != "1" ]; then
  mkdir -p .build
  for target in model job; do
    if ! bash scripts/fuzz.sh "$target" "${FORECAST_FUZZ_SECONDS:-60}" > ".build/fuzz-$target.log" 2>&1; then
      tail -n 60 ".build/fuzz-$target.log"
      echo "fuzz-$target: FAILED (input saved under Fuzz/; log .build/fuzz-$target.log)" >&2
      exit 1
    fi
    grep -E "build took|^Done|stat::(number_of_executed_units|peak_rss_mb|slowest_unit_time_sec)" ".build/fuzz-$target.log" || true
  done
fi
if [ "${FORECAST_SKIP_MPI:-0}" != "1" ]; then
  swift build -c release --package-path MPI
  bash Tests/MPI/mpi_test.sh .build/release/forecast MPI/.build/release/forecast-mpi
fi
