#!/usr/bin/env python3
"""Extra golden parity cases with wider layers (hidden sizes that run the step kernel's full
64-column blocks and its leftovers), made exactly like ../shared/peers/make_golden.py's cases.

Usage: python3 make_extra.py PATH/TO/make_golden.py OUTDIR   (needs torch and safetensors)
"""
import importlib.util, json, os, sys

spec = importlib.util.spec_from_file_location("make_golden", sys.argv[1])
mg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mg)
from safetensors.torch import save_file

CASES = [
    lambda: mg.rnn_case("x_lstm_h64_2layer", "lstm", 5, 64, 2, False, 6, 9, 2, "last", 201, with_state=True),
    lambda: mg.rnn_case("x_gru_h70_bidir", "gru", 3, 70, 1, True, 5, 6, 1, "all", 202),
    lambda: mg.rnn_case("x_rnn_h96", "rnn", 4, 96, 1, False, 9, 5, 1, "last", 203),
]

if __name__ == "__main__":
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for make in CASES:
        name, tensors, cfg = make()
        tensors = {k: v.contiguous() for k, v in tensors.items()}
        save_file(tensors, os.path.join(out, name + ".safetensors"), metadata={"config": json.dumps(cfg)})
        print(name, json.dumps(cfg))
