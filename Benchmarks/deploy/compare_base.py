#!/usr/bin/env python3
# Alternating rounds, one line per round and workload: forecast of a base build, forecast of this
# build, ONNX Runtime on this build's export of the same network (ort_time.py), and with --torch
# PyTorch and ONNX Runtime on PyTorch's export (torch_rnn_bench.py); prints median ratios and
# ranges. Used for performance.md, "Inference on AVX2 machines":
#   compare_base.py --base /work/.build-base/release/forecast --new .build/release/forecast --rounds 7 --threads 1
import argparse, json, os, statistics, subprocess, sys
ap = argparse.ArgumentParser()
ap.add_argument("--base", required=True); ap.add_argument("--new", required=True)
ap.add_argument("--python", default="/work/peers-env/bin/python")
ap.add_argument("--rounds", type=int, default=7); ap.add_argument("--seconds", type=float, default=1.0)
ap.add_argument("--threads", type=int, default=1); ap.add_argument("--workloads", default="infer-1,infer-256")
ap.add_argument("--torch", action="store_true"); ap.add_argument("--peers", default="../shared/peers"); ap.add_argument("--out", default="compare_base.jsonl")
a = ap.parse_args()
here = os.path.dirname(os.path.abspath(__file__))
model = os.path.join(os.environ.get("TMPDIR", "/tmp"), "compare_base_infer.onnx")
subprocess.run([a.new, "bench", "--workload", "infer-1", "--export-onnx", model], check=True, capture_output=True)
env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
def js(cmd, env=None):
    o = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if o.returncode: sys.exit(o.stderr)
    return [json.loads(l) for l in o.stdout.splitlines() if l.startswith("{")]
rows = []
f = open(a.out, "a")
for r in range(a.rounds):
    for w in a.workloads.split(","):
        batch = 1 if w == "infer-1" else 256
        row = {"round": r, "workload": w, "threads": a.threads}
        row["base"] = js([a.base, "bench", "--workload", w, "--seconds", str(a.seconds), "--json", "--workers", str(a.threads)])[0]["latency_us"]
        row["new"] = js([a.new, "bench", "--workload", w, "--seconds", str(a.seconds), "--json", "--workers", str(a.threads)])[0]["latency_us"]
        row["ort"] = js([a.python, os.path.join(here, "ort_time.py"), model, "--batch", str(batch), "--seconds", str(a.seconds), "--threads", str(a.threads)], env=env)[0]["latency_us"]
        if a.torch:
            peers = js([a.python, os.path.join(a.peers, "torch_rnn_bench.py"), "--only", w, "--seconds", str(a.seconds), "--threads", str(a.threads)], env=env)
            row["torch"] = next(p for p in peers if p["peer"] == "torch")["latency_us"]
            o = next((p for p in peers if p["peer"] == "onnxruntime"), None)
            row["ort_torch"] = o["latency_us"] if o else None
        row["load"] = os.getloadavg()[0]
        print(json.dumps(row), flush=True); f.write(json.dumps(row) + "\n"); f.flush()
        rows.append(row)
def s(v): return f"{statistics.median(v):.2f}x ({min(v):.2f}-{max(v):.2f})"
for w in a.workloads.split(","):
    rs = [x for x in rows if x["workload"] == w]
    med = lambda k: statistics.median([x[k] for x in rs])
    line = f"{w} threads {a.threads}: base {med('base'):.1f} new {med('new'):.1f} ort {med('ort'):.1f} us | base/new {s([x['base']/x['new'] for x in rs])} | ort/new {s([x['ort']/x['new'] for x in rs])} | ort/base {s([x['ort']/x['base'] for x in rs])}"
    if a.torch:
        line += f" | torch {med('torch'):.1f} torch/new {s([x['torch']/x['new'] for x in rs])}"
        ot = [x for x in rs if x.get('ort_torch')]
        if ot: line += f" | ort(torch export)/new {s([x['ort_torch']/x['new'] for x in ot])}"
    print(line)
