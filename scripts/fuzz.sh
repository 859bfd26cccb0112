#!/usr/bin/env bash
# Builds one libFuzzer target of Fuzz/ (AddressSanitizer on) and runs it for SECONDS (default
# 60) on a corpus seeded with real files:
#   model   model-file loader (FuzzModel): Fixtures/models and Fixtures/golden, dictionary model.dict
#   job     retrain job files (FuzzJob): Fuzz/Seeds/job and the example jobs, dictionary job.dict
#   csv     the CSV reader (FuzzCSV): Fixtures/*.csv and Fixtures/bad-csv
# Findings: a crash (a stack overflow included), a hang over 10 s (-timeout=10), a run over 2 GB
# RSS (-rss_limit_mb=2048); each stops the run with a non-zero exit and leaves the input as
# Fuzz/crash-* / timeout-* / oom-*. CI runs model and job for 60 s each through scripts/test.sh;
# docs/reliability.md has the longer runs.
#   scripts/fuzz.sh model|job|csv [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
TARGET="${1:?usage: scripts/fuzz.sh model|job|csv [SECONDS] [libFuzzer flags...]}"
SECONDS_BUDGET="${2:-60}"
shift; shift || true
case "$TARGET" in
  model) PRODUCT=FuzzModel; CORPUS="${FUZZ_CORPUS:-corpus-model}"; ARGS=(-dict=model.dict -max_len=65536) ;;
  job)   PRODUCT=FuzzJob;   CORPUS="${FUZZ_CORPUS:-corpus/job}";   ARGS=(-dict=job.dict -max_len=16384) ;;
  csv)   PRODUCT=FuzzCSV;   CORPUS="${FUZZ_CORPUS:-corpus/csv}";   ARGS=(-max_len=4096) ;;
  *) echo "fuzz: unknown target '$TARGET' (model, job or csv)" >&2; exit 2 ;;
esac
start=$(date +%s)
swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "$PRODUCT"
echo "fuzz-$TARGET: build took $(( $(date +%s) - start )) s"
mkdir -p "$CORPUS"
case "$TARGET" in
  model) cp ../Fixtures/models/*.safetensors "$CORPUS"/
         find ../Fixtures/golden -name "*.safetensors" -size -64k -exec cp {} "$CORPUS"/ \; ;;
  job)   cp Seeds/job/*.yaml "$CORPUS"/
         find ../Examples -name "*.yaml" -size -64k -exec cp {} "$CORPUS"/ \; ;;
  csv)   cp ../Fixtures/bad-csv/*.csv "$CORPUS"/
         find ../Fixtures -maxdepth 1 -name "*.csv" -size -256k -exec cp {} "$CORPUS"/ \; ;;
esac
".build/debug/$PRODUCT" "$CORPUS" "${ARGS[@]}" -timeout=10 -rss_limit_mb=2048 \
  -max_total_time="$SECONDS_BUDGET" -print_final_stats=1 "$@"
