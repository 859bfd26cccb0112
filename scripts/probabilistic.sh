#!/usr/bin/env bash
# Reproduces the table of docs/probabilistic.md: on each real data set, trains a point model with
# split conformal intervals (--model lstm --intervals conformal; METHODS=auto-conformal: the default
# ensemble, --model auto --intervals conformal) and a Gaussian-head model (--loss gaussian),
# evaluates both on the held-out test split and prints CRPS, MSIS at 95% and the coverage of the
# 80% and 95% intervals next to seasonal naive's empirical intervals, as a Markdown table.
#   bash scripts/probabilistic.sh [DATA_DIR] [NYC_FILE]
#     DATA_DIR  default Fixtures
#     NYC_FILE  default DATA_DIR/nyc_weather_hourly.csv (Fixtures' copy is trimmed; the
#               documented figures use the full file)
# Slow (minutes per data set): not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-Fixtures}"
NYC="${2:-$DATA/nyc_weather_hourly.csv}"
BIN="${FORECAST_BIN:-.build/release/forecast}"
[ -x "$BIN" ] || swift build -c release --product forecast >/dev/null
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
row() {
  local name="$1" method="$2" file="$3"; shift 3
  [ -z "${SETS:-}" ] || [[ " $SETS " == *" $name "* ]] || return 0
  local extra=()
  case "$method" in
    conformal) extra=(--model lstm --intervals conformal ${CONFORMAL_SCORE:+--conformal-score "$CONFORMAL_SCORE"}
                      ${CONFORMAL_CALIBRATION:+--conformal-calibration "$CONFORMAL_CALIBRATION"}
                      ${CONFORMAL_FOLDS:+--conformal-folds "$CONFORMAL_FOLDS"}) ;;
    auto-conformal) extra=(--model auto --intervals conformal ${CONFORMAL_SCORE:+--conformal-score "$CONFORMAL_SCORE"}
                           ${CONFORMAL_CALIBRATION:+--conformal-calibration "$CONFORMAL_CALIBRATION"}
                           ${CONFORMAL_FOLDS:+--conformal-folds "$CONFORMAL_FOLDS"}) ;;
    gaussian) extra=(--loss gaussian) ;;
    deepar) extra=(--model deepar ${DEEPAR_ARGS:-}) ;;
    deepar-nb) extra=(--model deepar --likelihood negative_binomial ${DEEPAR_ARGS:-}) ;;
  esac
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" train --data "$file" --out "$OUT/$name-$method.safetensors" --quiet "${extra[@]}" "$@"
  t1=$(date +%s.%N)
  "$BIN" evaluate --model "$OUT/$name-$method.safetensors" --data "$file" --json ${SERIES_KEY:+--series-key "$SERIES_KEY"} |
    python3 -c "
import json, sys
r = json.load(sys.stdin); m, s = r['model'], r['seasonal_naive']
f = lambda v: '-' if v is None else '%.3f' % v
pct = lambda d, k: '-' if k not in d.get('coverage_levels', {}) else '%.1f' % (100 * d['coverage_levels'][k])
wid = lambda d, k: '-' if k not in d.get('width_levels', {}) else '%.4g' % d['width_levels'][k]
row = '| $name | $method | %s | %s | %s | %s | %s / %s | %s / %s | %s |' % (f(m['crps']), f(s['crps']), f(m['msis']), f(s['msis']),
      pct(m, '80'), pct(s, '80'), pct(m, '95'), pct(s, '95'), f(m['mase']))
print(row + (' %s / %s |' % (wid(m, '80'), wid(m, '95')) if '${WIDTH:-}' else '') + (' %.1f |' % ($t1 - $t0) if '${SECONDS_COLUMN:-}' else ''))"
}
echo "| data set | intervals | CRPS | CRPS seasonal naive | MSIS | MSIS seasonal naive | cover 80% (model / s. naive) | cover 95% (model / s. naive) | MASE |${WIDTH:+ mean width 80% / 95% (model) |}${SECONDS_COLUMN:+ train s |}"
echo "|---|---|---|---|---|---|---|---|---|${WIDTH:+---|}${SECONDS_COLUMN:+---|}"
# METHODS (default "conformal gaussian deepar count"; also auto-conformal) picks the rows, SETS (default all: names as
# in the first column, space-separated) the data sets, e.g. to run them as parallel jobs.
# CONFORMAL_SCORE (default: the CLI's, auto) is passed as --conformal-score to the conformal rows,
# CONFORMAL_CALIBRATION (default: the CLI's, cross up to 5,000 rows else rolling; windows: the earlier rule) as --conformal-calibration,
# CONFORMAL_FOLDS (default: the CLI's, 3) as --conformal-folds;
# SECONDS_COLUMN=1 adds the train command's wall time (seconds) as a last column;
# WIDTH=1 adds the model's mean interval widths (data units) as a last column;
# DEEPAR_ARGS (default none) adds flags to the deepar rows (e.g. "--likelihood student_t --lags none").
for method in ${METHODS:-conformal gaussian deepar}; do
  [ "$method" = count ] && continue
  row air_passengers $method "$DATA/air_passengers.csv" --target value
  row sunspots_monthly $method "$DATA/sunspots_monthly.csv" --target value
  row seattle_weather_daily $method "$DATA/seattle_weather_daily.csv" --target temp_max
  SERIES_KEY=origin row nyc_weather_hourly $method "$NYC" --target temp --series-key origin
  # (the deepar family reads covariates at every step, the forecast ones too: DeepAR's known covariates)
  row elecdemand_halfhourly $method "$DATA/elecdemand_halfhourly.csv" --target Demand --features Temperature,WorkDay
done
# Counts: monthly sunspot numbers rounded to integers, negative binomial against Gaussian.
python3 -c "
import csv, sys
r = csv.reader(open('$DATA/sunspots_monthly.csv')); w = csv.writer(open('$OUT/sunspot_counts.csv', 'w', newline=''))
w.writerow(next(r))
for row in r: row[-1] = str(int(round(float(row[-1])))); w.writerow(row)"
if [ -z "${METHODS:-}" ] || [[ "${METHODS}" == *count* ]]; then
  echo
  echo "| count series | likelihood | CRPS | CRPS seasonal naive | MSIS | MSIS seasonal naive | cover 80% (model / s. naive) | cover 95% (model / s. naive) | MASE |${WIDTH:+ mean width 80% / 95% (model) |}${SECONDS_COLUMN:+ train s |}"
  echo "|---|---|---|---|---|---|---|---|---|${WIDTH:+---|}${SECONDS_COLUMN:+---|}"
  row sunspot_counts deepar "$OUT/sunspot_counts.csv" --target value
  row sunspot_counts deepar-nb "$OUT/sunspot_counts.csv" --target value
fi
