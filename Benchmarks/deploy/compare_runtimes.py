#!/usr/bin/env python3
"""forecast's own runtime against ONNX Runtime and PyTorch on infer-1 and infer-256, and the
streaming update against re-running the window, in one run on one machine.

Per round and workload it runs, one after another (A B C A B C ...):
  forecast bench --workload W --json
  torch_rnn_bench.py --only W          (PyTorch, and ONNX Runtime on PyTorch's own export)
  ort_time.py infer.onnx --batch B     (ONNX Runtime on forecast's export of the same network,
                                        `forecast bench --workload infer-1 --export-onnx`)
and then `forecast bench --workload stream-1` beside `infer-1` (one thread each). --threads sets
the threads of all three (forecast's --workers); on a loaded machine use 1: spinning worker
threads of any runtime suffer badly when the cores are oversubscribed. Reports the median of the
per-round ratios and their range.

  python3 Benchmarks/deploy/compare_runtimes.py --peers ../shared/peers --python peers-env/bin/python \
      [--forecast .build/release/forecast] [--rounds 5] [--seconds 1.5] [--threads 2]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--forecast", default=".build/release/forecast")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--threads", type=int, default=2, help="threads of PyTorch and ONNX Runtime, and forecast's --workers")
    a = ap.parse_args()
    workers = ["--workers", str(a.threads)]
    tmp = tempfile.mkdtemp()
    model = os.path.join(tmp, "infer.onnx")
    subprocess.run([a.forecast, "bench", "--workload", "infer-1", "--export-onnx", model], check=True, capture_output=True)
    # PyTorch and ONNX Runtime as the peers measure them (OPENBLAS_CORETYPE slows a current numpy;
    # torch and onnxruntime bring their own kernels).
    peer_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    rows = {}
    for r in range(a.rounds):
        for w, batch in (("infer-1", 1), ("infer-256", 256)):
            ours = run_json([a.forecast, "bench", "--workload", w, "--seconds", str(a.seconds), "--json"] + workers)[0]
            peers = run_json([a.python, os.path.join(a.peers, "torch_rnn_bench.py"), "--only", w, "--seconds", str(a.seconds),
                              "--threads", str(a.threads)], env=peer_env)
            export = run_json([a.python, os.path.join(HERE, "ort_time.py"), model, "--batch", str(batch), "--seconds", str(a.seconds),
                               "--threads", str(a.threads), "--workload", w], env=peer_env)[0]
            torch = next(p for p in peers if p["peer"] == "torch")
            ort_torch = next((p for p in peers if p["peer"] == "onnxruntime"), None)
            row = {"round": r, "workload": w, "forecast_us": ours["latency_us"], "forecast_workers": ours["workers"],
                   "torch_us": torch["latency_us"], "ort_forecast_export_us": export["latency_us"],
                   "ort_torch_export_us": ort_torch["latency_us"] if ort_torch else None}
            print(json.dumps(row), flush=True)
            rows.setdefault(w, []).append(row)
        stream = run_json([a.forecast, "bench", "--workload", "stream-1", "--seconds", str(a.seconds), "--json"])[0]
        window = run_json([a.forecast, "bench", "--workload", "infer-1", "--seconds", str(a.seconds), "--json", "--workers", "1"])[0]
        row = {"round": r, "workload": "stream-1", "stream_update_us": stream["latency_us"], "window_rerun_us": window["latency_us"]}
        print(json.dumps(row), flush=True)
        rows.setdefault("stream-1", []).append(row)

    def summary(values):
        return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"
    print()
    print("| workload | forecast | ONNX Runtime, forecast's export | ONNX Runtime, PyTorch's export | PyTorch | ORT(ours)/forecast | ORT(torch)/forecast | PyTorch/forecast |")
    print("|---|---|---|---|---|---|---|---|")
    for w in ("infer-1", "infer-256"):
        rs = rows[w]
        med = lambda k: statistics.median([x[k] for x in rs if x[k] is not None]) if any(x[k] is not None for x in rs) else float("nan")
        ratio = lambda k: summary([x[k] / x["forecast_us"] for x in rs if x[k] is not None]) if any(x[k] is not None for x in rs) else "n/a"
        print(f"| {w} | {med('forecast_us'):.1f} µs | {med('ort_forecast_export_us'):.1f} µs | {med('ort_torch_export_us'):.1f} µs | "
              f"{med('torch_us'):.1f} µs | {ratio('ort_forecast_export_us')} | {ratio('ort_torch_export_us')} | {ratio('torch_us')} |")
    rs = rows["stream-1"]
    print(f"\nstream-1 update {statistics.median([x['stream_update_us'] for x in rs]):.2f} µs vs infer-1 window re-run "
          f"{statistics.median([x['window_rerun_us'] for x in rs]):.1f} µs: "
          f"{summary([x['window_rerun_us'] / x['stream_update_us'] for x in rs])} faster per observation ({a.rounds} rounds)")


if __name__ == "__main__":
    main()
