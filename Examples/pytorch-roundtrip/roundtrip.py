#!/usr/bin/env python3
"""PyTorch <-> forecast model files, both ways (docs/model-format.md, "PyTorch round trip").

  roundtrip.py load MODEL.safetensors DATA.csv PREDICT.csv
      Loads a `forecast` recurrent model into torch.nn.LSTM/GRU/RNN + nn.Linear with
      load_state_dict(strict=True), forecasts the window at the end of DATA.csv exactly as
      `forecast predict` does (scaling, level normalisation, head decoding) and compares with
      PREDICT.csv (written by `forecast predict --out`). Exit 1 when the largest difference,
      divided by the target's standard deviation in DATA.csv, exceeds 1e-5.

  roundtrip.py train DATA.csv TARGET OUT.safetensors [--cell LSTM] [--lookback 24] [--horizon 12]
      Trains a small nn.LSTM regressor in PyTorch, saves its state_dict with safetensors plus
      the metadata `forecast` reads (format, config, checksums), and writes PyTorch's own
      forecast of the last window to OUT.torch.csv, to compare with `forecast predict --model OUT`.

Needs torch, safetensors and numpy (not needed by forecast itself).
"""
import argparse, csv, hashlib, json, math, struct, sys

import numpy as np
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file, save_file

CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN", "rnn_relu": "RNN"}


class Regressor(nn.Module):
    """The module whose state_dict a forecast recurrent model file is (docs/model-format.md)."""

    def __init__(self, cell, input_size, hidden, layers, outputs, bidirectional=False):
        super().__init__()
        kwargs = {"nonlinearity": "relu"} if cell == "rnn_relu" else {}
        self.rnn = getattr(nn, CELLS[cell])(input_size, hidden, layers, batch_first=True, bidirectional=bidirectional, **kwargs)
        self.head = nn.Linear((2 if bidirectional else 1) * hidden, outputs)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1])


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def column_scaler(spec, name):
    if name in spec["scaler"]["columns"]:
        s = spec["scaler"]["scalers"][spec["scaler"]["columns"].index(name)]
        return s["offset"], s["scale"]
    return 0.0, 1.0


def loss_layout(loss):
    """(outputs per target K, point block, gaussian?) of the config's loss."""
    name = next(iter(loss))
    if name == "gaussian":
        return 2, 0, True
    if name == "quantile":
        qs = loss["quantile"]["_0"]
        return len(qs), min(range(len(qs)), key=lambda k: abs(qs[k] - 0.5)), False
    return 1, 0, False


def forecast(model, spec, window):
    """`forecast predict` on one raw window [T, F] (float32 throughout, as forecast computes)."""
    names, targets = spec["inputNames"], spec["window"]["targets"]
    P, S = len(targets), spec["window"]["horizon"]
    off = np.array([column_scaler(spec, n)[0] for n in names], dtype=np.float32)
    sc = np.array([column_scaler(spec, n)[1] for n in names], dtype=np.float32)
    x = ((window.astype(np.float32) - off) / sc).astype(np.float32)
    levels = x[-1, :P].copy()
    if spec["levelNormalization"]:
        x[:, :P] -= levels
    with torch.no_grad():
        raw = model(torch.from_numpy(x[None])).numpy()[0]
    K, point, gaussian = loss_layout(spec["loss"])
    blocks = raw.reshape(K, S, P)
    if spec["levelNormalization"]:
        for k in range(1 if gaussian else K):
            blocks[k] += levels
    tsc = np.array([column_scaler(spec, t)[1] for t in targets], dtype=np.float32)
    toff = np.array([column_scaler(spec, t)[0] for t in targets], dtype=np.float32)
    return blocks[point] * tsc + toff                                   # [S, P]


def load(args):
    tensors = load_file(args.model)
    with safe_open(args.model, "pt") as f:
        meta = f.metadata()
    if meta.get("family", "recurrent") != "recurrent":
        sys.exit(f"{args.model}: a {meta['family']} model; this recipe covers the recurrent regressor")
    spec = json.loads(meta["config"])
    arch, rc = spec["architecture"], spec["architecture"]["recurrent"]
    if arch.get("readout", "last") != "last" or rc.get("dilations") or rc["cell"] not in CELLS:
        sys.exit(f"{args.model}: only undilated LSTM/GRU/RNN regressors with readout 'last' map onto torch.nn modules")
    if spec["window"]["calendar"]:
        sys.exit(f"{args.model}: calendar inputs are computed from timestamps; this script reads plain columns")
    model = Regressor(rc["cell"], rc["inputSize"], rc["hiddenSize"], rc["numLayers"], arch["outputs"], rc["bidirectional"]).eval()
    model.load_state_dict(tensors, strict=True)          # every name and shape must match
    rows = read_rows(args.data)
    T = spec["window"]["lookback"]
    window = np.array([[float(r[n]) for n in spec["inputNames"]] for r in rows[-T:]], dtype=np.float32)
    ours = forecast(model, spec, window)
    pred = read_rows(args.predict)
    worst = 0.0
    for p, t in enumerate(spec["window"]["targets"]):
        std = float(np.std([float(r[t]) for r in rows if r[t] not in ("", "NA")])) or 1.0
        theirs = np.array([float(r[t]) for r in pred])
        worst = max(worst, float(np.max(np.abs(theirs - ours[:, p]))) / std)
    ok = worst <= 1e-5
    print(json.dumps({"direction": "forecast->torch", "model": args.model, "cell": rc["cell"], "strict": True,
                      "max_diff_over_std": worst, "ok": ok}))
    sys.exit(0 if ok else 1)


def train(args):
    torch.manual_seed(0)
    rows = read_rows(args.data)
    values = np.array([float(r[args.target]) for r in rows], dtype=np.float32)
    T, S, n = args.lookback, args.horizon, len(values)
    train_end = int(n * 0.8)
    mean, std = float(values[:train_end].mean()), float(values[:train_end].std())
    scaled = (values - np.float32(mean)) / np.float32(std)
    xs, ys = [], []
    for e in range(T, train_end - S + 1):
        w = scaled[e - T:e]
        xs.append(w - w[-1]); ys.append(scaled[e:e + S] - w[-1])     # level normalisation
    x = torch.tensor(np.array(xs))[:, :, None]; y = torch.tensor(np.array(ys))
    cell = args.cell.lower()
    model = Regressor(cell, 1, 16, 1, S)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(80):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    model.eval()
    spec = {
        "architecture": {"outputs": S, "readout": "last",
                         "recurrent": {"bidirectional": False, "cell": cell, "dropout": 0, "hiddenSize": 16, "inputSize": 1, "numLayers": 1}},
        "inputNames": [args.target], "levelNormalization": True, "loss": {"mse": {}}, "missing": "interpolate",
        "scaler": {"columns": [args.target], "scalers": [{"kind": "standard", "offset": mean, "scale": std}]},
        "seasonLength": S, "split": {"boundary": "targets", "test": 0.1, "validation": 0.1},
        "window": {"calendar": [], "features": [], "horizon": S, "knownFuture": [], "lookback": T, "mode": "manyToOne",
                   "stride": 1, "targets": [args.target]},
    }
    if args.time_column:
        spec["timeColumn"] = args.time_column
    if args.frequency:
        count, unit = args.frequency.split(":")
        spec["frequency"] = {"count": int(count), "unit": unit}
    # float32 values rounded as forecast's Float32 reads them
    spec["scaler"]["scalers"][0]["offset"] = float(np.float32(mean)); spec["scaler"]["scalers"][0]["scale"] = float(np.float32(std))
    tensors = {k: v.detach().contiguous().float() for k, v in model.state_dict().items()}
    meta = {"format": "forecast", "format_version": "1", "kind": "model", "family": "recurrent",
            "config": json.dumps(spec, sort_keys=True, separators=(",", ":"))}
    # safetensors writes tensors of one dtype sorted by name: the order the checksums cover.
    order = sorted(tensors)
    data = b"".join(tensors[k].numpy().astype("<f4").tobytes() for k in order)
    meta["sha256"] = hashlib.sha256(data).hexdigest()
    body = "".join(f"{json_string(k)}:{json_string(v)}\n" for k, v in sorted(meta.items()))
    meta["sha256_file"] = hashlib.sha256(body.encode() + data).hexdigest()
    save_file(tensors, args.out, metadata=meta)
    check_order(args.out, order)
    window = values[-T:][:, None]
    out = forecast(model, spec, window)
    with open(args.out + ".torch.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["step", args.target])
        for s in range(S):
            w.writerow([f"+{s + 1}", repr(float(out[s, 0]))])
    print(json.dumps({"direction": "torch->forecast", "model": args.out, "cell": cell, "torch_forecast": args.out + ".torch.csv"}))


def json_string(s):
    """JSON string as forecast's checksum writes it (ArchiveChecksum): only quote, backslash and
    control characters escaped; everything else literal UTF-8."""
    out = ['"']
    for ch in s:
        if ch == '"': out.append('\\"')
        elif ch == "\\": out.append("\\\\")
        elif ch == "\n": out.append("\\n")
        elif ch == "\r": out.append("\\r")
        elif ch == "\t": out.append("\\t")
        elif ord(ch) < 0x20: out.append("\\u%04x" % ord(ch))
        else: out.append(ch)
    out.append('"')
    return "".join(out)


def check_order(path, order):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    in_file = sorted((v["data_offsets"][0], k) for k, v in header.items() if k != "__metadata__")
    if [k for _, k in in_file] != order:
        sys.exit(f"{path}: safetensors wrote the tensors in another order than the checksum assumed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("load"); a.add_argument("model"); a.add_argument("data"); a.add_argument("predict")
    b = sub.add_parser("train"); b.add_argument("data"); b.add_argument("target"); b.add_argument("out")
    b.add_argument("--cell", default="LSTM"); b.add_argument("--lookback", type=int, default=24); b.add_argument("--horizon", type=int, default=12)
    b.add_argument("--time-column"); b.add_argument("--frequency", help="COUNT:UNIT as in a forecast config, e.g. 1:month")
    args = ap.parse_args()
    load(args) if args.command == "load" else train(args)


if __name__ == "__main__":
    main()
