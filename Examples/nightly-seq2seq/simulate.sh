#!/usr/bin/env bash
# Replays the drops of Examples/nightly-seq2seq night after night in a scratch folder (with
# Examples/nightly/simulate.sh): prints every night's summary and exit code, then the registry.
#   Examples/nightly-seq2seq/simulate.sh [path/to/forecast]
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/../nightly/simulate.sh" "${1:-${FORECAST_BIN:-$here/../../.build/release/forecast}}" "$here"
