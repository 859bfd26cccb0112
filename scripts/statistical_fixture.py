#!/usr/bin/env python3
"""Writes Fixtures/statistical/air_passengers_statsforecast.json: statsforecast's AutoETS and
Theta forecasts of air passengers 1960 (12 months) from 1949-1959 (132 rows), season 12.
Run once with a venv holding statsforecast (see scripts/accuracy.sh); the Swift tests compare
the toolkit's ETS and Theta with these numbers."""
import json, sys
import numpy as np, pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, Theta, SeasonalNaive
import statsforecast

y = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "Fixtures/air_passengers.csv")["value"].astype(float).values
train = y[:132]
df = pd.DataFrame({"unique_id": "air", "ds": np.arange(132), "y": train})
sf = StatsForecast(models=[AutoETS(season_length=12), Theta(season_length=12), SeasonalNaive(season_length=12)], freq=1)
fc = sf.forecast(df=df, h=12)
out = {"statsforecast": statsforecast.__version__, "train_rows": 132, "season": 12, "horizon": 12,
       "actual": y[132:144].tolist(),
       "auto_ets": fc["AutoETS"].tolist(), "theta": fc["Theta"].tolist(), "seasonal_naive": fc["SeasonalNaive"].tolist()}
json.dump(out, open("Fixtures/statistical/air_passengers_statsforecast.json", "w"), indent=1)
print(json.dumps(out))
