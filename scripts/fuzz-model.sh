#!/usr/bin/env bash
# Builds the model-file fuzz target (Fuzz/, libFuzzer + AddressSanitizer) and runs it for
# SECONDS (default 60) on a corpus seeded with the real model files in Fixtures/models and
# Fixtures/golden. Findings: crashes, hangs over 10 s (-timeout=10), runs over 2 GB RSS
# (-rss_limit_mb=2048); each stops the run with a non-zero exit and leaves the input as
# Fuzz/crash-* / timeout-* / oom-*. CI runs it for 60 s; see docs/reliability.md for longer runs.
#   scripts/fuzz-model.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
SECONDS_BUDGET="${1:-60}"
shift || true
start=$(date +%s)
swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzModel
echo "fuzz-model: build took $(( $(date +%s) - start )) s"
CORPUS="${FUZZ_MODEL_CORPUS:-corpus-model}"
mkdir -p "$CORPUS"
cp ../Fixtures/models/*.safetensors "$CORPUS"/
find ../Fixtures/golden -name "*.safetensors" -size -64k -exec cp {} "$CORPUS"/ \;
.build/debug/FuzzModel "$CORPUS" -dict=model.dict -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -max_total_time="$SECONDS_BUDGET" -print_final_stats=1 "$@"
