#!/usr/bin/env python3
"""The roofline of infer-1 and infer-256 on this machine, in one run: what OpenBLAS's sgemm
reaches (GFLOP/s) on 1 and 2 threads for a large square product and for the shapes of these
workloads, and the GFLOP/s that forecast and ONNX Runtime reach on the workloads themselves.

The workloads' flops are their matrix products (docs/deploy.md): per layer and step
2·B·4H·(in + H), so infer-256 (B = 256, 48 steps, LSTM 8 → 64 × 2) is 1.26 GFLOP and infer-1
4.9 MFLOP. Rounds alternate every measurement (A B C ... A B C ...); the report gives the
median of the rounds and their range.

  python3 Benchmarks/deploy/roofline.py --python /work/acc-env/bin/python [--rounds 5] [--seconds 1]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

from compare_runtimes import run_json  # the same runner (this folder is on sys.path when run as a script)

HERE = os.path.dirname(os.path.abspath(__file__))
FLOPS = {"infer-1": 2 * 1 * 48 * 256 * (8 + 64 + 64 + 64) + 2 * 64, "infer-256": 2 * 256 * 48 * 256 * (8 + 64 + 64 + 64) + 2 * 256 * 64}
# Products these workloads are made of (C = A · Bᵀ, MxNxK): one step of 256 or 128 rows (the
# batch, or one thread's part of it) against the hidden or upper input weights [256, 64], the first
# layer's input weights [256, 8]; the whole window's input projections (48 · 256 rows), as a plan that
# hoists them would run them; and one window's step (1 row).
SHAPES = ["2048x2048x2048", "256x256x64", "128x256x64", "256x256x8", "12288x256x8", "12288x256x64", "1x256x64"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable, help="a Python with onnxruntime")
    ap.add_argument("--forecast", default=".build/release/forecast")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    model = os.path.join(tmp, "infer.onnx")
    subprocess.run([a.forecast, "bench", "--workload", "infer-1", "--export-onnx", model], check=True, capture_output=True)
    peer_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    results = {}

    def add(key, value):
        results.setdefault(key, []).append(value)

    for r in range(a.rounds):
        for threads in (1, 2):
            for shape in SHAPES:
                g = run_json([a.forecast, "bench", "--workload", "sgemm", "--shape", shape, "--workers", str(threads),
                              "--seconds", str(a.seconds / 2), "--json"])[0]
                add(("sgemm " + shape, threads), g["gflops"])
            for w, batch in (("infer-1", 1), ("infer-256", 256)):
                ours = run_json([a.forecast, "bench", "--workload", w, "--workers", str(threads), "--seconds", str(a.seconds), "--json"])[0]
                add(("forecast " + w, threads), FLOPS[w] / ours["latency_us"] / 1e3)
                ort = run_json([a.python, os.path.join(HERE, "ort_time.py"), model, "--batch", str(batch), "--threads", str(threads),
                                "--seconds", str(a.seconds), "--workload", w], env=peer_env)[0]
                add(("ONNX Runtime " + w, threads), FLOPS[w] / ort["latency_us"] / 1e3)
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr, flush=True)

    print(f"infer-256: {FLOPS['infer-256'] / 1e9:.3f} GFLOP per call; infer-1: {FLOPS['infer-1'] / 1e6:.2f} MFLOP per call")
    print("| what | GFLOP/s, 1 thread | GFLOP/s, 2 threads |")
    print("|---|---|---|")
    keys = sorted({k for k, _ in results}, key=lambda k: (not k.startswith("sgemm"), k))
    for k in keys:
        cells = []
        for t in (1, 2):
            v = results.get((k, t), [])
            cells.append(f"{statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})" if v else "")
        print(f"| {k} | {cells[0]} | {cells[1]} |")
    for t in (1, 2):
        ceiling = statistics.median(results[("sgemm 2048x2048x2048", t)])
        ort = statistics.median(results[("ONNX Runtime infer-256", t)])
        print(f"{t} thread(s): ONNX Runtime reaches {ort / ceiling:.2f} of the large-sgemm ceiling on infer-256; "
              f"3x its throughput would need {3 * ort / ceiling:.2f} of it")


if __name__ == "__main__":
    main()
