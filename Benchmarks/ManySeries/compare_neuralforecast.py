#!/usr/bin/env python3
"""forecast vs NeuralForecast's LSTM on one long-format file, in the same run.

Both models get the same data (every series but its last H days), horizon H, lookback L and
the same number of training windows (steps x windows per step: NeuralForecast's defaults,
max_steps 1000 x windows_batch_size 128; forecast --batch 128 and --windows-per-epoch x
--epochs = 1000 batches; --steps changes both). forecast trains its LSTM (`--model lstm`;
`--forecast-model default` passes no --model, so forecast picks its default model: the LSTM on
intermittent many-series files, else the auto ensemble); everything else is each tool's default.
--nf-seed sets NeuralForecast's random_seed (default 1). NeuralForecast runs
first (the long half; --nf-timeout stops it), then forecast. Each tool runs as its own
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
import signal
import subprocess
import time
import sys
import tempfile

import numpy as np
import pandas as pd

NF_SCRIPT = r'''
import sys, time, pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import LSTM
train, out, h, L = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
steps, windows, seed = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
df = pd.read_csv(train, parse_dates=["ds"])
t0 = time.time()
nf = NeuralForecast(models=[LSTM(h=h, input_size=L, max_steps=steps, windows_batch_size=windows, random_seed=seed, enable_progress_bar=False, logger=False,
                                 enable_checkpointing=False, accelerator="cpu")], freq="D")
nf.fit(df)
t1 = time.time()
fc = nf.predict()
t2 = time.time()
fc.reset_index().to_csv(out, index=False)
print(f"fit {t1 - t0:.1f} predict {t2 - t1:.1f}", file=sys.stderr)
'''


def timed(cmd, env=None, timeout=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MB, stderr).
    Past `timeout` seconds the process group is stopped and None is returned."""
    p = subprocess.Popen(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, start_new_session=True)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1)
    parts = [float(x) for x in wall.split(":")]
    seconds = sum(v * 60 ** (len(parts) - 1 - i) for i, v in enumerate(parts))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    return seconds, rss, err


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
    ap.add_argument("--steps", type=int, default=1000, help="training steps for both tools (NeuralForecast max_steps)")
    ap.add_argument("--windows-per-step", type=int, default=128, help="windows per step (NeuralForecast windows_batch_size)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--nf-timeout", type=float, default=None, help="stop NeuralForecast after this many seconds")
    ap.add_argument("--skip-nf", action="store_true")
    ap.add_argument("--nf-seed", type=int, default=1, help="NeuralForecast's random_seed")
    ap.add_argument("--forecast-model", default="lstm",
                    help="forecast's --model (default lstm); 'default' passes none, so forecast picks its default model")
    ap.add_argument("--forecast-args", default="", help="extra `forecast train` options (e.g. '--loss mae'), space-separated")
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
    rows = {"load_start": os.getloadavg()[0], "started": time.strftime("%H:%M:%S", time.gmtime())}

    # NeuralForecast first (the long half), then forecast, in the same run.
    if not a.skip_nf:
        script = os.path.join(tmp, "nf.py")
        open(script, "w").write(NF_SCRIPT)
        out = os.path.join(tmp, "nf.csv")
        env = dict(os.environ, OMP_NUM_THREADS=str(a.workers), MKL_NUM_THREADS=str(a.workers))
        t0 = time.time()
        r = timed([sys.executable, script, train_path, out, str(H), str(L), str(a.steps), str(a.windows_per_step), str(a.nf_seed)],
                  env=env, timeout=a.nf_timeout)
        if r is None:
            rows["neuralforecast_lstm"] = dict(stopped_after_s=round(time.time() - t0, 1))
        else:
            t_nf, r_nf, err = r
            g = pd.read_csv(out)
            fc_nf = {uid: x["LSTM"].to_numpy(dtype=float) for uid, x in g.groupby("unique_id", sort=False)}
            m_nf, _ = mase(train, test, fc_nf, "LSTM")
            split = re.search(r"fit ([\d.]+) predict ([\d.]+)", err)
            rows["neuralforecast_lstm"] = dict(total_s=t_nf, fit_s=float(split.group(1)) if split else None,
                                               predict_s=float(split.group(2)) if split else None, peak_rss_mb=r_nf,
                                               mase=m_nf)
        print(json.dumps(rows), file=sys.stderr, flush=True)

    # forecast: the same windows as NeuralForecast (steps x windows per step), its LSTM (the default model is
    # the auto ensemble; the comparison is LSTM against LSTM), everything else default.
    per_epoch = a.steps * a.windows_per_step // a.epochs
    model = os.path.join(tmp, "m.safetensors")
    pred = os.path.join(tmp, "forecast.csv")
    model_args = [] if a.forecast_model == "default" else ["--model", a.forecast_model]
    t_train, r_train, _ = timed([a.forecast, "train", "--data", train_path] + model_args + [
                                 "--horizon", str(H), "--lookback", str(L),
                                 "--batch", str(a.windows_per_step), "--windows-per-epoch", str(per_epoch),
                                 "--epochs", str(a.epochs), "--val-fraction", "0", "--test-fraction", "0",
                                 "--workers", str(a.workers), "--out", model, "--quiet"] + a.forecast_args.split())
    t_pred, r_pred, _ = timed([a.forecast, "predict", "--model", model, "--data", train_path, "--out", pred])
    f = pd.read_csv(pred)
    col = "value" if "value" in f.columns else "y"          # long-format forecasts: unique_id,ds,value
    fc = {uid: g[col].to_numpy(dtype=float) for uid, g in f.groupby("unique_id", sort=False)}
    m, sn = mase(train, test, fc, "y")
    rows["forecast"] = dict(train_s=t_train, predict_s=t_pred, total_s=t_train + t_pred,
                            peak_rss_mb=max(r_train, r_pred), mase=m)
    rows["seasonal_naive"] = dict(mase=sn)
    rows["setup"] = dict(forecast_model=a.forecast_model, forecast_args=a.forecast_args, nf_seed=a.nf_seed, series=len(test), horizon=H, lookback=L, steps=a.steps, windows_per_step=a.windows_per_step,
                         windows_trained=a.steps * a.windows_per_step)
    rows["load_end"] = os.getloadavg()[0]
    rows["ended"] = time.strftime("%H:%M:%S", time.gmtime())
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
