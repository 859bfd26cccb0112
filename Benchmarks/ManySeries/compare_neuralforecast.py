#!/usr/bin/env python3
"""forecast vs NeuralForecast's LSTM on one long-format file, in the same run.

Both models get the same data (every series but its last H days), horizon H, lookback L and
the same number of training windows (steps x windows per step: NeuralForecast's defaults,
max_steps 1000 x windows_batch_size 128; forecast --batch 128 and --windows-per-epoch x
--epochs = 1000 batches). Everything else is each tool's default. Each tool runs as its own
process under /usr/bin/time -v (wall time, peak RSS); MASE is scored here on the held-out last
H days (scale: in-sample seasonal-naive MAE, season 7, of each series' training days; mean over
series), with the seasonal-naive forecast as the reference.

Usage (the venv needs neuralforecast; forecast built in release mode):

    python3 Benchmarks/ManySeries/generate_m5.py --series 3000 --out /tmp/m3k.csv
    /work/acc-env/bin/python Benchmarks/ManySeries/compare_neuralforecast.py --data /tmp/m3k.csv \\
        --forecast .build/release/forecast
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

NF_SCRIPT = r'''
import sys, time, pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import LSTM
train, out, h, L = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
df = pd.read_csv(train, parse_dates=["ds"])
t0 = time.time()
nf = NeuralForecast(models=[LSTM(h=h, input_size=L, random_seed=1, enable_progress_bar=False, logger=False,
                                 enable_checkpointing=False, accelerator="cpu")], freq="D")
nf.fit(df)
t1 = time.time()
fc = nf.predict()
t2 = time.time()
fc.reset_index().to_csv(out, index=False)
print(f"fit {t1 - t0:.1f} predict {t2 - t1:.1f}", file=sys.stderr)
'''


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MB, stderr)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    seconds = sum(v * 60 ** (len(parts) - 1 - i) for i, v in enumerate(parts))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return seconds, rss, p.stderr


def mase(train, test, fc, col):
    scores, snaive = [], []
    m = 7
    for uid, g in train.groupby("unique_id", sort=False):
        y = g["y"].to_numpy(dtype=float)
        scale = np.mean(np.abs(y[m:] - y[:-m]))
        scale = scale if scale > 0 else 1.0
        actual = test[uid]
        f = fc[uid]
        scores.append(np.mean(np.abs(actual - f)) / scale)
        sn = np.array([y[-m + (i % m)] for i in range(len(actual))])
        snaive.append(np.mean(np.abs(actual - sn)) / scale)
    return float(np.mean(scores)), float(np.mean(snaive))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--forecast", required=True)
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--lookback", type=int, default=56)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--windows-per-step", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-nf", action="store_true")
    a = ap.parse_args()
    H, L = a.horizon, a.lookback
    df = pd.read_csv(a.data)
    df = df.sort_values(["unique_id", "ds"], kind="stable")
    last = df.groupby("unique_id")["ds"].transform(lambda s: s.iloc[-H:].min())
    train = df[df["ds"] < last]
    test = {uid: g["y"].to_numpy(dtype=float) for uid, g in df[df["ds"] >= last].groupby("unique_id", sort=False)}
    tmp = tempfile.mkdtemp(prefix="nfcmp-")
    train_path = os.path.join(tmp, "train.csv")
    train.to_csv(train_path, index=False)
    rows = {}

    # forecast: same windows seen as NeuralForecast (steps x windows per step).
    per_epoch = a.steps * a.windows_per_step // a.epochs
    model = os.path.join(tmp, "m.safetensors")
    pred = os.path.join(tmp, "forecast.csv")
    t_train, r_train, _ = timed([a.forecast, "train", "--data", train_path, "--horizon", str(H), "--lookback", str(L),
                                 "--batch", str(a.windows_per_step), "--windows-per-epoch", str(per_epoch),
                                 "--epochs", str(a.epochs), "--val-fraction", "0", "--test-fraction", "0",
                                 "--workers", str(a.workers), "--out", model, "--quiet"])
    t_pred, r_pred, _ = timed([a.forecast, "predict", "--model", model, "--data", train_path, "--out", pred])
    f = pd.read_csv(pred)
    col = "value" if "value" in f.columns else "y"          # long-format forecasts: unique_id,ds,value
    fc = {uid: g[col].to_numpy(dtype=float) for uid, g in f.groupby("unique_id", sort=False)}
    m, sn = mase(train, test, fc, "y")
    rows["forecast"] = dict(train_s=t_train, predict_s=t_pred, total_s=t_train + t_pred, peak_rss_mb=max(r_train, r_pred), mase=m)

    if not a.skip_nf:
        script = os.path.join(tmp, "nf.py")
        open(script, "w").write(NF_SCRIPT)
        out = os.path.join(tmp, "nf.csv")
        env = dict(os.environ, OMP_NUM_THREADS=str(a.workers), MKL_NUM_THREADS=str(a.workers))
        t_nf, r_nf, err = timed([sys.executable, script, train_path, out, str(H), str(L)], env=env)
        g = pd.read_csv(out)
        fc_nf = {uid: x["LSTM"].to_numpy(dtype=float) for uid, x in g.groupby("unique_id", sort=False)}
        m_nf, _ = mase(train, test, fc_nf, "LSTM")
        split = re.search(r"fit ([\d.]+) predict ([\d.]+)", err)
        rows["neuralforecast_lstm"] = dict(total_s=t_nf, fit_s=float(split.group(1)) if split else None,
                                           predict_s=float(split.group(2)) if split else None, peak_rss_mb=r_nf, mase=m_nf)
    rows["seasonal_naive"] = dict(mase=sn)
    rows["setup"] = dict(series=len(test), horizon=H, lookback=L, windows_trained=a.steps * a.windows_per_step)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
