#!/usr/bin/env python3
"""Side-by-side comparison with the peers, on this machine, in one run.

For each workload it alternates the PyTorch script and `forecast bench` (A B A B ...), so both
see the same machine state, and reports the median of the per-pair speed-up ratios. Absolute
times vary between machines and runs; only these same-run ratios mean anything.

  python3 Benchmarks/compare_peers.py --peers ../shared/peers --python peers-env/bin/python \
      [--forecast .build/release/forecast] [--rounds 3] [--seconds 2] [--ingest-rows 1000000]

Needs a Python with torch (and pandas, pyarrow for the ingest row).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

def run_json(cmd, env=None):
    """Runs cmd under /usr/bin/time (when present) and returns its JSON lines; the first one
    gets the process's peak resident memory as "max_rss_mb"."""
    timed = os.path.exists("/usr/bin/time")
    full = (["/usr/bin/time", "-f", "MAXRSS %M"] if timed else []) + cmd
    out = subprocess.run(full, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    rows = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    for line in out.stderr.splitlines():
        if line.startswith("MAXRSS") and rows:
            rows[0]["max_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    return rows

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True, help="folder with torch_rnn_bench.py and csv_ingest_bench.py")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--forecast", default=".build/release/forecast")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workloads", default="S-lstm,S-gru,M-lstm,L-lstm,infer-1,convlstm")
    ap.add_argument("--forecast-args", default="", help="extra arguments for forecast bench, e.g. '--shards 2'")
    ap.add_argument("--ingest-rows", type=int, default=0, help="also compare CSV ingest on a generated file of this many rows")
    a = ap.parse_args()
    torch_script = os.path.join(a.peers, "torch_rnn_bench.py")
    rows = []
    for w in a.workloads.split(","):
        ratios, ours, theirs, gfs, core, mem = [], [], [], [], "", ("", "")
        for _ in range(a.rounds):
            t = run_json([a.python, torch_script, "--threads", str(a.threads), "--seconds", str(a.seconds), "--only", w])[0]
            f = run_json([a.forecast, "bench", "--workload", w, "--seconds", str(a.seconds), "--json"] + a.forecast_args.split())[0]
            key = "latency_us" if "latency_us" in f else "train_step_ms"
            ours.append(f[key]); theirs.append(t[key]); ratios.append(t[key] / f[key])
            core = f.get("blas_core", "")
            if "gflops" in f: gfs.append(f["gflops"])
            mem = (t.get("max_rss_mb", ""), f.get("max_rss_mb", ""))
        rows.append((w, key, statistics.median(theirs), statistics.median(ours), statistics.median(ratios), min(ratios), max(ratios), core, statistics.median(gfs) if gfs else None, mem))
    print(f"| workload | PyTorch ({a.threads} threads) | forecast | speed-up (median of {a.rounds} pairs) | range | forecast GFLOP/s | peak memory PyTorch / forecast | kernel |")
    print("|---|---|---|---|---|---|---|---|")
    for w, key, t, f, r, lo, hi, core, gf, mem in rows:
        unit = "µs" if key == "latency_us" else "ms"
        print(f"| {w} | {t:.3f} {unit} | {f:.3f} {unit} | **{r:.2f}x** | {lo:.2f}–{hi:.2f} | {gf if gf is not None else ''} | {mem[0]} / {mem[1]} MB | {core} |")
    sgs = [run_json([a.forecast, "bench", "--workload", "sgemm", "--seconds", str(a.seconds), "--json"])[0] for _ in range(a.rounds)]
    sg = dict(sgs[0], gflops=statistics.median(s["gflops"] for s in sgs))
    print()
    print(f"sgemm 2048^3 in the same run: {sg['gflops']} GFLOP/s (median of {a.rounds}: {', '.join(str(s['gflops']) for s in sgs)}; {sg['blas_core']}, {sg['threads']} threads)")
    for w, key, t, f, r, lo, hi, core, gf, mem in rows:
        if gf:
            print(f"  {w}: {gf} GFLOP/s = {100 * gf / sg['gflops']:.0f}% of sgemm")
    if a.ingest_rows:
        d = tempfile.mkdtemp()
        path = os.path.join(d, "sensors.csv")
        ingest = os.path.join(a.peers, "csv_ingest_bench.py")
        subprocess.run([a.python, ingest, "make", path, str(a.ingest_rows)], check=True, capture_output=True)
        peers, ours = {}, []
        for _ in range(a.rounds):
            for row in run_json([a.python, ingest, "time", path]):
                peers.setdefault(row["peer"], []).append(row["mb_per_s"])
            ours.append(run_json([a.forecast, "bench", "--workload", "ingest", "--data", path, "--json"])[0]["mb_per_s"])
        f = statistics.median(ours)
        print()
        print(f"CSV ingest, {a.ingest_rows} rows ({os.path.getsize(path) / 1e6:.1f} MB), median of {a.rounds} alternating rounds:")
        print("| reader | MB/s | forecast speed-up |")
        print("|---|---|---|")
        print(f"| forecast | {f:.1f} | |")
        for peer, values in peers.items():
            m = statistics.median(values)
            print(f"| {peer} | {m:.1f} | **{f / m:.2f}x** |")

if __name__ == "__main__":
    main()
