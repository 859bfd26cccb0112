"""Runs exported ONNX models in ONNX Runtime and compares them with forecast's own outputs.

Usage: ort_compare.py MANIFEST.json

The manifest is a list of cases; each prints one JSON line and the script exits 1 when any
case is off by more than its tolerance.

  {"kind": "predict", "name", "onnx", "data", "predict_csv", "tolerance"}
      Builds x [1, lookback, inputs] from the LAST `lookback` rows of the CSV `data` (raw
      values, the columns named in the model's metadata `forecast.inputs`; a seq2seq model's
      `future` [1, horizon, F_k] from the last `horizon` rows), runs the model and
      compares forecast (and lower/upper) with `forecast predict --out` (predict_csv). The
      difference is divided by the standard deviation of the target column in the file
      ("relative to the data's scale").
  {"kind": "grid", "name", "onnx", "data", "predict_csv", "tolerance", "printed_resolution"}
      A ConvLSTM nowcaster: x [1, in_frames, H, W] from the last frames of the long-format CSV
      `data` (time,y,x,value), compared with `forecast predict --out` (time,y,x,value, printed
      with 3 decimals): max difference / std of the value column must stay below `tolerance`
      plus the printing's rounding (`printed_resolution`, 0.0005, divided by the std); and, with
      "expected" (the library's Float32 forecast [out_frames * H * W]), ONNX against those
      unrounded values within `tolerance` alone.
  {"kind": "tensor", "name", "onnx", "x", "x_shape", "expected", "output", "tolerance"}
      Runs the model on x and compares output `output` with `expected` (absolute difference).
"""
import csv, json, sys

import numpy as np
import onnxruntime as ort


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def predict_case(c):
    sess = session(c["onnx"])
    meta = sess.get_modelmeta().custom_metadata_map
    inputs = json.loads(meta["forecast.inputs"])
    targets = json.loads(meta["forecast.targets"])
    T = int(meta["forecast.lookback"])
    with open(c["data"], newline="") as f:
        rows = list(csv.DictReader(f))
    window = np.array([[float(r[name]) for name in inputs] for r in rows[-T:]], dtype=np.float32)[None]
    feed = {"x": window}
    if "forecast.future_inputs" in meta and json.loads(meta["forecast.future_inputs"]):
        # Known-future inputs of the forecast steps: without future rows in the file, forecast
        # predict repeats the last `horizon` rows' values (docs/seq2seq.md); so do we.
        S = int(meta["forecast.horizon"])
        future = json.loads(meta["forecast.future_inputs"])
        feed["future"] = np.array([[float(r[name]) for name in future] for r in rows[-S:]], dtype=np.float32)[None]
    names = [o.name for o in sess.get_outputs()]
    outs = dict(zip(names, sess.run(None, feed)))
    with open(c["predict_csv"], newline="") as f:
        pred = list(csv.DictReader(f))
    worst = 0.0
    for p, t in enumerate(targets):
        column = np.array([float(r[t]) for r in rows if r[t] not in ("", "NA")], dtype=np.float64)
        scale = float(column.std()) or 1.0
        for key, suffix in (("forecast", ""), ("lower", "_lower"), ("upper", "_upper")):
            if key not in outs:
                continue
            ours = np.array([float(r[t + suffix]) for r in pred], dtype=np.float64)
            theirs = outs[key][0, :, p].astype(np.float64)
            if ours.shape != theirs.shape:
                raise SystemExit(f"{c['name']}: {key} has {theirs.shape[0]} steps in ONNX, {ours.shape[0]} in predict")
            worst = max(worst, float(np.max(np.abs(ours - theirs))) / scale)
    return worst, sorted(outs)


def grid_case(c):
    sess = session(c["onnx"])
    meta = sess.get_modelmeta().custom_metadata_map
    Tin, H, W = int(meta["forecast.in_frames"]), int(meta["forecast.height"]), int(meta["forecast.width"])
    value = meta["forecast.value"]
    with open(c["data"], newline="") as f:
        rows = list(csv.DictReader(f))
    times = sorted({r["time"] for r in rows})
    index = {t: i for i, t in enumerate(times)}
    frames = np.zeros((len(times), H, W), dtype=np.float32)
    for r in rows:
        frames[index[r["time"]], int(r["y"]), int(r["x"])] = float(r[value])
    out = sess.run(["forecast"], {"x": frames[-Tin:][None]})[0][0].astype(np.float64)     # [Tout, H, W]
    with open(c["predict_csv"], newline="") as f:
        pred = list(csv.DictReader(f))
    ptimes = sorted({r["time"] for r in pred})
    ours = np.zeros(out.shape)
    for r in pred:
        ours[ptimes.index(r["time"]), int(r["y"]), int(r["x"])] = float(r[value] if value in r else r["value"])
    std = float(np.array([float(r[value]) for r in rows]).std()) or 1.0
    worst = float(np.max(np.abs(ours - out))) / std
    slack = c["printed_resolution"] / std
    exact = None
    if "expected" in c:
        exact = float(np.max(np.abs(np.array(c["expected"], dtype=np.float64).reshape(out.shape) - out))) / std
    return worst, ["forecast"], slack, exact


def tensor_case(c):
    sess = session(c["onnx"])
    x = np.array(c["x"], dtype=np.float32).reshape(c["x_shape"])
    out = sess.run([c["output"]], {"x": x})[0].astype(np.float64)
    expected = np.array(c["expected"], dtype=np.float64).reshape(out.shape)
    return float(np.max(np.abs(out - expected))), [c["output"]]


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    failed = 0
    for c in cases:
        slack, exact = 0.0, None
        if c["kind"] == "predict":
            worst, outputs = predict_case(c)
        elif c["kind"] == "grid":
            worst, outputs, slack, exact = grid_case(c)
        else:
            worst, outputs = tensor_case(c)
        ok = worst <= c["tolerance"] + slack and (exact is None or exact <= c["tolerance"])
        failed += not ok
        line = {"case": c["name"], "max_diff": worst, "tolerance": c["tolerance"] + slack, "outputs": outputs, "ok": ok}
        if exact is not None:
            line["max_diff_vs_library_floats"] = exact
        print(json.dumps(line), flush=True)
    print(f"onnx: {len(cases) - failed} passed, {failed} failed, onnxruntime {ort.__version__}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
