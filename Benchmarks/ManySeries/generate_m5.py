#!/usr/bin/env python3
"""Writes an M5-sized synthetic long-format file: `unique_id,ds,y`, one row per series and day.

Defaults: 30,490 daily series x 1,941 days (59.2M rows, about 1.3 GB), the M5 competition's
shape. Each series has

  * a level (log-normal across series: many slow sellers, a few fast ones),
  * a linear trend (up to +-60% over the whole span),
  * weekly seasonality (a per-category day-of-week profile, jittered per series),
  * yearly seasonality (a sine with a per-series phase and amplitude),
  * intermittent zeros: counts are Poisson draws of that rate, and each day is additionally
    zeroed with a per-series probability in [0, 0.6] (out of stock, not listed),
  * a static category (one of 7, written to `<out>.static.csv` as `unique_id,category` and
    correlated with the level and weekly profile, so it carries information).

Numbers only depend on --seed, so the file is reproducible. Usage:

    python3 Benchmarks/ManySeries/generate_m5.py --out /tmp/m5.csv                # M5 size
    python3 Benchmarks/ManySeries/generate_m5.py --series 3000 --out /tmp/m3k.csv  # the peer run
"""
import argparse
import datetime as dt

import numpy as np

CATEGORIES = ["FOODS_1", "FOODS_2", "FOODS_3", "HOBBIES_1", "HOBBIES_2", "HOUSEHOLD_1", "HOUSEHOLD_2"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=30490)
    ap.add_argument("--days", type=int, default=1941)
    ap.add_argument("--start", default="2011-01-29")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    start = dt.date.fromisoformat(a.start)
    days = [(start + dt.timedelta(days=d)) for d in range(a.days)]
    ds = [d.isoformat() for d in days]
    dow = np.array([d.weekday() for d in days])
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=np.float64)
    t = np.arange(a.days, dtype=np.float64) / a.days

    # Per-category weekly profiles (Mon..Sun) and level scales.
    cat_week = 1 + 0.35 * rng.standard_normal((len(CATEGORIES), 7)).clip(-2, 2) * np.array([0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.0])
    cat_week = np.maximum(cat_week, 0.2)
    cat_level = np.exp(rng.normal(0.0, 0.6, len(CATEGORIES)))

    width = len(str(a.series - 1))
    with open(a.out, "w") as f, open(a.out[:-4] + ".static.csv" if a.out.endswith(".csv") else a.out + ".static.csv", "w") as st:
        f.write("unique_id,ds,y\n")
        st.write("unique_id,category\n")
        for s in range(a.series):
            c = int(rng.integers(len(CATEGORIES)))
            sid = f"S{s:0{width}d}"
            st.write(f"{sid},{CATEGORIES[c]}\n")
            level = cat_level[c] * np.exp(rng.normal(0.0, 1.0))
            trend = rng.uniform(-0.6, 0.6)
            week = cat_week[c] * np.exp(rng.normal(0, 0.1, 7))
            amp = rng.uniform(0.0, 0.4)
            phase = rng.uniform(0, 2 * np.pi)
            rate = level * np.maximum(0.05, 1 + trend * t) * week[dow] * (1 + amp * np.sin(2 * np.pi * doy / 365.25 + phase))
            y = rng.poisson(rate)
            zero = rng.random(a.days) < rng.uniform(0.0, 0.6)
            y[zero] = 0
            prefix = sid + ","
            f.write("".join(prefix + d + "," + v + "\n" for d, v in zip(ds, map(str, y.tolist()))))


if __name__ == "__main__":
    main()
