#!/usr/bin/env bash
# Reproduces docs/accuracy.md: `forecast train` with default settings on each visible data set,
# scored against statsforecast (AutoETS, AutoTheta, AutoARIMA, SeasonalNaive) and
# NeuralForecast's LSTM on exactly `forecast evaluate`'s test windows
# (../shared/peers/accuracy_peers.py), then prints the Markdown table.
#
#   bash scripts/accuracy.sh [DATA_DIR] [-- extra forecast train args]
#
# DATA_DIR defaults to Fixtures (its NYC file is trimmed; ../shared/datasets holds the full one).
# The peers need Python with statsforecast and neuralforecast: ACC_PYTHON, or a venv created in
# .venv-accuracy/ (git-ignored) on first use. JSON lines go to ${ACC_OUT:-accuracy-results.jsonl}.
# The accuracy peers script takes one series per file, so the NYC file is split per airport.
# ACC_SETS (default "air sunspots seattle elec nyc") picks data sets; ACC_PEER_ARGS passes options
# to accuracy_peers.py (e.g. "--no-nf" to skip NeuralForecast, whose training is the slow part).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="Fixtures"
if [ $# -gt 0 ] && [ "$1" != "--" ]; then DATA="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")
BIN=${FORECAST_BIN:-.build/release/forecast}
PEERS=${PEERS:-../shared/peers/accuracy_peers.py}
OUT=${ACC_OUT:-accuracy-results.jsonl}
[ -x "$BIN" ] || swift build -c release --product forecast >/dev/null
PY=${ACC_PYTHON:-}
if [ -z "$PY" ]; then
  if [ ! -x .venv-accuracy/bin/python ]; then
    python3 -m venv .venv-accuracy
    .venv-accuracy/bin/pip install -q statsforecast neuralforecast pandas numpy
  fi
  PY=.venv-accuracy/bin/python
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: > "$OUT"
run() {  # label file target [forecast args...]
  local label="$1" file="$2" target="$3"; shift 3
  echo "accuracy: $label ..." >&2
  "$PY" "$PEERS" "$BIN" "$file" "$target" --label "$label" ${ACC_PEER_ARGS:-} -- "$@" ${EXTRA[@]+"${EXTRA[@]}"} >> "$OUT" 2> "$TMP/$label.log" ||
    { echo "accuracy: $label failed (log: $TMP/$label.log)" >&2; tail -5 "$TMP/$label.log" >&2; }
}
SETS=" ${ACC_SETS:-air sunspots seattle elec nyc} "
[[ $SETS == *" air "* ]] && run air_passengers "$DATA/air_passengers.csv" value
[[ $SETS == *" sunspots "* ]] && run sunspots_monthly "$DATA/sunspots_monthly.csv" value
[[ $SETS == *" seattle "* ]] && run seattle_weather_daily "$DATA/seattle_weather_daily.csv" temp_max
[[ $SETS == *" elec "* ]] && run elecdemand_halfhourly "$DATA/elecdemand_halfhourly.csv" Demand --features Temperature,WorkDay
if [[ $SETS == *" nyc "* ]]; then
  # One file per airport (the peers script reads one series per file), on the full hourly grid:
  # the file skips some hours, and forecast never cuts a window across such a gap while the peers
  # script reads rows as consecutive steps, so their windows would differ. The missing hours are
  # inserted as empty temperatures, which both sides interpolate linearly.
  "$PY" - "$DATA/nyc_weather_hourly.csv" "$TMP" <<'PY'
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
for key, part in df.groupby("origin", sort=True):
    t = pd.to_datetime(part["time_hour"], utc=True)
    s = pd.Series(part["temp"].to_numpy(), index=t)
    s = s[~s.index.duplicated(keep="first")]
    s = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="h"))
    out = pd.DataFrame({"time_hour": s.index.strftime("%Y-%m-%dT%H:%M:%SZ"), "temp": s.to_numpy()})
    out.to_csv(f"{sys.argv[2]}/nyc_{key}.csv", index=False, na_rep="")
PY
  for f in "$TMP"/nyc_*.csv; do
    run "$(basename "$f" .csv)" "$f" temp
  done
fi
"$PY" scripts/accuracy_table.py "$OUT"
