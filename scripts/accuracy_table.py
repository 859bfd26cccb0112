#!/usr/bin/env python3
"""Markdown table of accuracy_peers.py JSON lines (scripts/accuracy.sh): MASE of forecast and
of every peer on the same windows, MASE relative to seasonal naive, training times, and the
geometric means of MASE / seasonal naive over the sets where every method ran."""
import json, math, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
methods = [("forecast", lambda r: r["forecast"].get("model")),
           ("AutoETS", lambda r: r.get("peers", {}).get("AutoETS", {}).get("mase")),
           ("AutoTheta", lambda r: r.get("peers", {}).get("AutoTheta", {}).get("mase")),
           ("AutoARIMA", lambda r: r.get("peers", {}).get("AutoARIMA", {}).get("mase")),
           ("NF LSTM", lambda r: r.get("nf_lstm", {}).get("mase"))]
def f3(x): return "—" if x is None else f"{x:.3f}"
print("| data set | n | h | m | windows | " + " | ".join(m for m, _ in methods) +
      " | seasonal naive | forecast train s | NF LSTM train s | NF / forecast time | replication |")
print("|---|---|---|---|---|" + "---|" * (len(methods) + 5))
for r in rows:
    fc = r["forecast"]
    if "model" not in fc:
        print(f"| {r['label']} | forecast failed: {fc.get('error', '?')[:80]} |")
        continue
    vals = [get(r) for _, get in methods]
    best = min(v for v in vals if v is not None)
    cells = [("**%s**" % f3(v)) if v == best else f3(v) for v in vals]
    nf = r.get("nf_lstm", {})
    print(f"| {r['label']} | {r.get('n')} | {r.get('h')} | {r.get('m')} | {r.get('windows')} | " + " | ".join(cells) +
          f" | {f3(fc.get('seasonal_naive'))} | {fc.get('train_s')} | {nf.get('train_s', '—')} | "
          f"{r.get('nf_over_forecast_train_time', '—')} | {'ok' if r.get('replication', {}).get('ok') else 'MISMATCH'} |")
print()
print("Geometric mean of MASE / seasonal naive, each method against forecast on the sets where both ran:")
print()
print("| method | sets | method | forecast | sets where it beats forecast |")
print("|---|---|---|---|---|")
done = [r for r in rows if "model" in r["forecast"]]
def gm(xs): return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")
for name, get in methods[1:]:
    both = [r for r in done if get(r) is not None]
    sn = lambda r: r["forecast"]["seasonal_naive"]
    print(f"| {name} | {len(both)} | {gm([get(r) / sn(r) for r in both]):.3f} | {gm([r['forecast']['model'] / sn(r) for r in both]):.3f} | "
          f"{sum(get(r) < r['forecast']['model'] for r in both)} of {len(both)} |")
print()
print(f"forecast against seasonal naive: never worse on {sum(r['forecast']['model'] <= r['forecast']['seasonal_naive'] for r in done)} of {len(done)} sets; "
      f"geometric mean {gm([r['forecast']['model'] / r['forecast']['seasonal_naive'] for r in done]):.3f} over all {len(done)}.")
