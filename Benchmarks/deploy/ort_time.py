#!/usr/bin/env python3
"""Times an ONNX model exported by forecast in ONNX Runtime, as torch_rnn_bench.py times its own
export: x = standard normal [batch, lookback, inputs], one session with intra_op_num_threads =
--threads, 3 warm-up runs, then runs until --seconds have passed. Prints one JSON line.

  ort_time.py MODEL.onnx --batch 256 [--seconds 2] [--threads 2] [--workload infer-256]
"""
import argparse, json, time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workload", default="")
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    shape = sess.get_inputs()[0].shape
    x = np.random.default_rng(0).standard_normal((a.batch, shape[1], shape[2])).astype(np.float32)
    run = lambda: sess.run(None, {"x": x})
    for _ in range(3):
        run()
    n, t0 = 0, time.perf_counter()
    while True:
        run(); n += 1
        dt = time.perf_counter() - t0
        if dt >= a.seconds and n >= 5:
            break
    s = dt / n
    print(json.dumps({"peer": "onnxruntime-forecast-export", "version": ort.__version__, "threads": a.threads,
                      "workload": a.workload or f"batch-{a.batch}", "latency_us": round(s * 1e6, 1),
                      "samples_per_s": round(a.batch / s, 1)}), flush=True)


if __name__ == "__main__":
    main()
