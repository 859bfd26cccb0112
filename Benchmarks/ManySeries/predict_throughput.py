#!/usr/bin/env python3
"""Predict throughput for every series of a long-format file, and PyTorch batch inference of the
same LSTM shape, in the same run.

forecast: `forecast predict` of all series on a file holding each series' last `lookback` rows
(whole process: start, CSV ingest, batched forward passes, CSV out). PyTorch: nn.LSTM(inputs,
hidden) + nn.Linear(hidden, horizon) on the same [series, lookback, inputs] batch, in chunks of
--chunk, torch.no_grad, --threads threads (forward only, no I/O). --repeats rounds, each running
every --forecast binary (order alternating between rounds) and then the PyTorch forward, so every
ratio is within one round; prints one JSON line with the per-round times, medians, the per-round
ratio PyTorch forward / whole predict (median and range), and with two binaries the ratio of
their times per round and whether their CSV outputs are byte-identical.

    /work/acc-env/bin/python Benchmarks/ManySeries/predict_throughput.py --data /tmp/m5.csv \\
        --model /tmp/m5.safetensors --forecast /tmp/forecast-before --forecast .build/release/forecast \\
        --lookback 14 --horizon 28
"""
import argparse
import json
import statistics
import os
import subprocess
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--forecast", required=True, action="append",
                    help="a forecast binary; give two (e.g. before and after) to time them as alternating pairs")
    ap.add_argument("--lookback", type=int, default=14)
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="rounds (each: every binary, then the PyTorch forward)")
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

    import torch
    torch.set_num_threads(a.threads)
    lstm = torch.nn.LSTM(1, a.hidden, batch_first=True)
    head = torch.nn.Linear(a.hidden, a.horizon)
    x = torch.randn(series, a.lookback, 1)

    def torch_forward():
        t0 = time.perf_counter()
        with torch.no_grad():
            for s in range(0, series, a.chunk):
                out, _ = lstm(x[s:s + a.chunk])
                head(out[:, -1])
        return time.perf_counter() - t0

    def predict(binary, k):
        out = os.path.join(tmp, f"p{k}.csv")
        t0 = time.perf_counter()
        subprocess.run([binary, "predict", "--model", a.model, "--data", tail, "--out", out], check=True, capture_output=True)
        return time.perf_counter() - t0, out

    # Rounds: every binary (order alternating by round) and the PyTorch forward, interleaved.
    binaries = a.forecast
    times = {b: [] for b in binaries}
    torch_times = []
    outputs = {}
    for r in range(a.repeats):
        order = binaries if r % 2 == 0 else list(reversed(binaries))
        for b in order:
            t, out = predict(b, binaries.index(b))
            times[b].append(t)
            outputs[b] = out
        torch_times.append(torch_forward())
    med = statistics.median
    result = dict(series=series, lookback=a.lookback, horizon=a.horizon, hidden=a.hidden, rounds=a.repeats,
                  torch_threads=a.threads, torch_chunk=a.chunk, torch_version=torch.__version__,
                  torch_forward_s=[round(t, 3) for t in torch_times],
                  torch_series_per_s_median=round(series / med(torch_times)))
    for k, b in enumerate(binaries):
        result[f"forecast{k}"] = dict(binary=b, predict_s=[round(t, 3) for t in times[b]],
                                      series_per_s_median=round(series / med(times[b])),
                                      # per round: PyTorch forward time / whole predict time (> 1: predict is faster)
                                      torch_over_predict_median=round(med([tt / t for tt, t in zip(torch_times, times[b])]), 3),
                                      torch_over_predict_range=[round(min(tt / t for tt, t in zip(torch_times, times[b])), 3),
                                                                round(max(tt / t for tt, t in zip(torch_times, times[b])), 3)])
    if len(binaries) == 2:
        ratios = [x / y for x, y in zip(times[binaries[0]], times[binaries[1]])]
        result["first_over_second_median"] = round(med(ratios), 3)
        result["first_over_second_range"] = [round(min(ratios), 3), round(max(ratios), 3)]
        result["outputs_identical"] = open(outputs[binaries[0]], "rb").read() == open(outputs[binaries[1]], "rb").read()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
