#!/usr/bin/env bash
# Sets up the machine, builds forecast with optimisation (tests included) and runs the whole
# test suite. End-to-end tests drive the release binary .build/release/forecast.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One optimised build serves the binary and the tests (-enable-testing keeps them linkable).
FLAGS=(-c release -Xswiftc -enable-testing)
swift build "${FLAGS[@]}" --build-tests
swift test "${FLAGS[@]}" --skip-build "$@"
