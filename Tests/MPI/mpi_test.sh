#!/usr/bin/env bash
# Multi-process training over Open MPI (issue: bit-identical to one process).
#   bash Tests/MPI/mpi_test.sh FORECAST_BIN FORECAST_MPI_BIN
# Trains on air_passengers with `forecast train` (one process) and with
# `mpirun -np 2|3 forecast-mpi train`, and compares the SHA-256 of the final tensor bytes (the
# data section of the safetensors file); the same for a seq2seq model and a ConvLSTM nowcaster
# (every family trains through the one trainer and its gradient exchange); resumes a 2-rank
# checkpoint with 3 ranks; kills a rank and checks the job aborts. Prints "N passed, M failed".
set -uo pipefail
F="$1"; M="$2"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="$ROOT/Fixtures/air_passengers.csv"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
pass=0; fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
sha() { python3 -c "import hashlib,struct,sys; b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; print(hashlib.sha256(b[8+n:]).hexdigest())" "$1" 2>/dev/null; }
ARGS=(--data "$DATA" --target value --model lstm --epochs 6 --patience 0)

"$F" train "${ARGS[@]}" --out "$W/single.st" --quiet || bad "single-process forecast train"
ref=$(sha "$W/single.st")
for np in 2 3; do
  if "${MPIRUN[@]}" -np $np "$M" train "${ARGS[@]}" --out "$W/np$np.st" --quiet > "$W/np$np.log" 2>&1 && [ "$(sha "$W/np$np.st")" = "$ref" ] && [ -n "$ref" ]; then
    ok "mpirun -np $np: final tensor bytes identical to one process ($ref)"
  else
    bad "mpirun -np $np: $(tail -3 "$W/np$np.log")"
  fi
done

# The other families: seq2seq and the ConvLSTM nowcaster, 1 vs 2 vs 3 processes.
family_check() {  # name, forecast train args..., -- forecast-mpi train args...
  local name="$1"; shift
  local single=() multi=()
  while [ "$1" != "--" ]; do single+=("$1"); shift; done; shift
  multi=("$@")
  "$F" train "${single[@]}" --out "$W/$name-1.st" --quiet > "$W/$name-1.log" 2>&1 || { bad "$name single process: $(tail -3 "$W/$name-1.log")"; return; }
  local r; r=$(sha "$W/$name-1.st")
  for np in 2 3; do
    if "${MPIRUN[@]}" -np $np "$M" train "${multi[@]}" --out "$W/$name-$np.st" --quiet > "$W/$name-$np.log" 2>&1 && [ -n "$r" ] && [ "$(sha "$W/$name-$np.st")" = "$r" ]; then
      ok "$name, mpirun -np $np: final tensor bytes identical to one process"
    else
      bad "$name, mpirun -np $np: $(tail -3 "$W/$name-$np.log")"
    fi
  done
}
S2S=(--data "$DATA" --target value --model seq2seq --epochs 3 --patience 0 --hidden 16)
family_check seq2seq "${S2S[@]}" -- "${S2S[@]}"
RADAR="$ROOT/Fixtures/radar_small.csv"
GRID=(--grid --data "$RADAR" --in-frames 4 --out-frames 3 --hidden 6 --layers 1 --patch 4 --epochs 2 --batch 4 --patience 0)
family_check grid "${GRID[@]}" -- "${GRID[@]}"

# Series sharding (--shard-series): every rank reads only its series of a long-format file
# (series g on rank g % ranks) and holds their rows; minibatches are assembled across ranks over
# global window indices, so 1, 2 and 3 ranks end with the same bytes, with all windows per
# epoch and with a seeded --windows-per-epoch sample, on the file as written (series in blocks)
# and with its rows interleaved (sorted by date: series order is order of first appearance).
LONG="$ROOT/Fixtures/long_format_daily.csv"
python3 -c "import sys; l=open(sys.argv[1]).read().splitlines(); open(sys.argv[2],'w').write('\n'.join([l[0]] + sorted(l[1:], key=lambda r: (r.split(',')[1], r.split(',')[0]))) + '\n')" "$LONG" "$W/interleaved.csv"
shard_check() {  # name, args...
  local name="$1"; shift
  local r=""
  for np in 1 2 3; do
    if ! "${MPIRUN[@]}" -np $np "$M" train "$@" --shard-series --out "$W/$name-$np.st" > "$W/$name-$np.log" 2>&1; then
      bad "$name, --shard-series -np $np: $(tail -3 "$W/$name-$np.log")"; return
    fi
    local h; h=$(sha "$W/$name-$np.st")
    [ "$np" = 1 ] && r="$h"
    if [ -n "$r" ] && [ "$h" = "$r" ]; then ok "$name, --shard-series -np $np: final tensor bytes identical to 1 rank"; else bad "$name, --shard-series -np $np: $h vs $r"; fi
  done
  # Each of 3 ranks held only its own 4 of the 12 series.
  if [ "$(grep -c 'holds 4 of 12 series' "$W/$name-3.log")" = 3 ]; then ok "$name: each of 3 ranks held 4 of 12 series"; else bad "$name: rank shares: $(grep holds "$W/$name-3.log")"; fi
}
SHARD=(--target y --series-key unique_id --model lstm --hidden 8 --epochs 2 --patience 0)
shard_check shard-all --data "$LONG" "${SHARD[@]}"
shard_check shard-sampled --data "$LONG" "${SHARD[@]}" --windows-per-epoch 300
shard_check shard-interleaved --data "$W/interleaved.csv" "${SHARD[@]}"
# On this fixture (integer counts, so the scaler's sums are exact whatever their order) the
# sharded run (which scales globally) also matches a single-process `forecast train
# --scaler-scope global` bit for bit: with the data's defaults, which both take from every
# series (these are intermittent counts: MAE, no level normalisation, robust window scaling,
# cosine schedule; forecast-mpi's ranks each hold a third of the series and gather the counts),
# and with those choices overridden by flags on both sides.
single_check() {  # name, sharded run's name, data file, flags...
  local name="$1" ref="$2" data="$3"; shift 3
  if "$F" train --data "$data" "${SHARD[@]}" --scaler-scope global "$@" --out "$W/$name-single.st" --quiet > "$W/$name-single.log" 2>&1 &&
     [ "$(sha "$W/$name-single.st")" = "$(sha "$W/$ref-1.st")" ]; then
    ok "$name: --shard-series equals one-process forecast train on integer data"
  else
    bad "$name: --shard-series vs forecast train: $(tail -3 "$W/$name-single.log")"
  fi
}
single_check defaults shard-all "$LONG"
shard_check shard-flags --data "$LONG" "${SHARD[@]}" --loss mse --level-norm --lr-schedule constant
single_check flags shard-flags "$LONG" --loss mse --level-norm --lr-schedule constant
# One negative value in series S01 (never on rank 0) turns the rule off for the whole file;
# rank 0's own series alone would still call for it, so a rank deciding from its own series
# would train differently from the others and from one process.
python3 -c "import sys; l=open(sys.argv[1]).read().splitlines(); i=[k for k,r in enumerate(l) if r.startswith('S01,')][4]; f=l[i].split(','); f[2]='-1'; l[i]=','.join(f); open(sys.argv[2],'w').write('\n'.join(l) + '\n')" "$LONG" "$W/negative.csv"
shard_check shard-negative --data "$W/negative.csv" "${SHARD[@]}"
single_check negative shard-negative "$W/negative.csv"
# The defaults were really the intermittent ones: the two sharded models differ.
if [ "$(sha "$W/shard-all-1.st")" != "$(sha "$W/shard-flags-1.st")" ]; then ok "intermittent defaults differ from --loss mse --level-norm"; else bad "forecast-mpi ignored the intermittent defaults or the flags"; fi

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
