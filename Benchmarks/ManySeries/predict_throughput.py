#!/usr/bin/env python3
"""Predict throughput for every series of a long-format file, and PyTorch batch inference of the
same LSTM shape, in the same run.

forecast: `forecast predict` of all series on a file holding each series' last `lookback` rows
(whole process: start, CSV ingest, batched forward passes, CSV out), best of --repeats.
PyTorch: nn.LSTM(inputs, hidden) + nn.Linear(hidden, horizon) on the same [series, lookback,
inputs] batch, in chunks of --chunk, torch.no_grad, --threads threads (forward only, no I/O),
best of --repeats. Prints one JSON line with series per second for both.

    /work/acc-env/bin/python Benchmarks/ManySeries/predict_throughput.py --data /tmp/m5.csv \\
        --model /tmp/m5.safetensors --forecast .build/release/forecast --lookback 14 --horizon 28
"""
import argparse
import json
import os
import subprocess
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--forecast", required=True)
    ap.add_argument("--lookback", type=int, default=14)
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()

    # The last `lookback` rows of every series (the file is grouped by series, in time order).
    tmp = tempfile.mkdtemp(prefix="thr-")
    tail = os.path.join(tmp, "tail.csv")
    series = 0
    with open(a.data) as f, open(tail, "w") as out:
        out.write(f.readline())
        current, buf = None, []
        for line in f:
            key = line[: line.index(",")]
            if key != current:
                if buf:
                    out.writelines(buf[-a.lookback:]); series += 1
                current, buf = key, []
            buf.append(line)
        if buf:
            out.writelines(buf[-a.lookback:]); series += 1

    best_forecast = float("inf")
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        subprocess.run([a.forecast, "predict", "--model", a.model, "--data", tail, "--out", os.path.join(tmp, "p.csv")],
                       check=True, capture_output=True)
        best_forecast = min(best_forecast, time.perf_counter() - t0)

    import torch
    torch.set_num_threads(a.threads)
    lstm = torch.nn.LSTM(1, a.hidden, batch_first=True)
    head = torch.nn.Linear(a.hidden, a.horizon)
    x = torch.randn(series, a.lookback, 1)
    best_torch = float("inf")
    with torch.no_grad():
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            for s in range(0, series, a.chunk):
                out, _ = lstm(x[s:s + a.chunk])
                head(out[:, -1])
            best_torch = min(best_torch, time.perf_counter() - t0)
    print(json.dumps(dict(series=series, lookback=a.lookback, horizon=a.horizon, hidden=a.hidden,
                          forecast_predict_s=round(best_forecast, 3), forecast_series_per_s=round(series / best_forecast),
                          torch_forward_s=round(best_torch, 3), torch_series_per_s=round(series / best_torch),
                          torch_threads=a.threads, torch_chunk=a.chunk, torch_version=torch.__version__)))


if __name__ == "__main__":
    main()
