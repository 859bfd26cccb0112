#!/usr/bin/env bash
# Multi-process training over Open MPI (issue: bit-identical to one process).
#   bash Tests/MPI/mpi_test.sh FORECAST_BIN FORECAST_MPI_BIN
# Trains on air_passengers with `forecast train` (one process) and with
# `mpirun -np 2|3 forecast-mpi train`, and compares the SHA-256 of the final tensor bytes (the
# model files record it); resumes a 2-rank checkpoint with 3 ranks; kills a rank and checks the
# job aborts. Prints "N passed, M failed".
set -uo pipefail
F="$1"; M="$2"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="$ROOT/Fixtures/air_passengers.csv"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
pass=0; fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
sha() { python3 -c "import json,struct,sys; b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; print(json.loads(b[8:8+n])['__metadata__']['sha256'])" "$1" 2>/dev/null; }
ARGS=(--data "$DATA" --target value --epochs 6 --patience 0)

"$F" train "${ARGS[@]}" --out "$W/single.st" --quiet || bad "single-process forecast train"
ref=$(sha "$W/single.st")
for np in 2 3; do
  if "${MPIRUN[@]}" -np $np "$M" train "${ARGS[@]}" --out "$W/np$np.st" --quiet > "$W/np$np.log" 2>&1 && [ "$(sha "$W/np$np.st")" = "$ref" ] && [ -n "$ref" ]; then
    ok "mpirun -np $np: final tensor bytes identical to one process ($ref)"
  else
    bad "mpirun -np $np: $(tail -3 "$W/np$np.log")"
  fi
done

# Checkpoint with 2 ranks after 3 epochs, resume with 3 ranks to 6 epochs: same bytes.
if "${MPIRUN[@]}" -np 2 "$M" train --data "$DATA" --target value --epochs 3 --patience 0 --checkpoint-dir "$W/ck" --out "$W/half.st" --quiet > "$W/ck.log" 2>&1 &&
   "${MPIRUN[@]}" -np 3 "$M" train "${ARGS[@]}" --resume "$W/ck/checkpoint.safetensors" --out "$W/resumed.st" --quiet >> "$W/ck.log" 2>&1 &&
   [ "$(sha "$W/resumed.st")" = "$ref" ]; then
  ok "checkpoint at 2 ranks, resume at 3 ranks: identical to an uninterrupted run"
else
  bad "resume across rank counts: $(tail -3 "$W/ck.log")"
fi

# A rank that dies ends the job (non-zero exit, Open MPI names the rank) instead of hanging.
"${MPIRUN[@]}" -np 2 "$M" train --data "$DATA" --target value --epochs 2000 --patience 0 --out "$W/killed.st" --quiet > "$W/kill.log" 2>&1 &
job=$!
sleep 3
victim=$(pgrep -f "forecast-mpi train --data $DATA --target value --epochs 2000" | tail -1)
[ -n "$victim" ] && kill -9 "$victim"
( sleep 60; kill -9 "$job" 2>/dev/null ) & watchdog=$!   # never hang the suite
wait "$job" 2>/dev/null; rc=$?
kill "$watchdog" 2>/dev/null
if [ "$rc" -ne 0 ] && [ ! -e "$W/killed.st" ]; then ok "killed rank aborts the job (exit $rc)"; else bad "killed rank: exit $rc"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
