#!/usr/bin/env bash
# Builds the retrain job-file fuzz target (Fuzz/, libFuzzer + AddressSanitizer) and runs it for
# SECONDS (default 60) on a corpus seeded with real job files (Fuzz/Seeds/job, the example
# jobs). Findings: crashes (a stack overflow included), an untyped error, hangs over 10 s
# (-timeout=10), runs over 2 GB RSS (-rss_limit_mb=2048); each stops the run with a non-zero
# exit and leaves the input as Fuzz/crash-* / timeout-* / oom-*. CI runs it for 60 s through
# scripts/test.sh; see docs/reliability-registry.md for longer runs.
#   scripts/fuzz-job.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
SECONDS_BUDGET="${1:-60}"
shift || true
start=$(date +%s)
swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzJob
echo "fuzz-job: build took $(( $(date +%s) - start )) s"
CORPUS="${FUZZ_JOB_CORPUS:-corpus/job}"
mkdir -p "$CORPUS"
cp Seeds/job/*.yaml "$CORPUS"/
find ../Examples -name "*.yaml" -size -64k -exec cp {} "$CORPUS"/ \;
# -max_len: real job files are under 2 KB; 16 KB leaves room for deep nesting and long lines.
.build/debug/FuzzJob "$CORPUS" -dict=job.dict -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -max_total_time="$SECONDS_BUDGET" -print_final_stats=1 "$@"
