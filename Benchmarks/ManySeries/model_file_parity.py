#!/usr/bin/env python3
"""Compares two model files (safetensors) byte for byte except the training time stamps.

A model file is an 8-byte header length, a JSON header and the tensor bytes; the header's
`__metadata__` holds JSON strings, of which the provenance carries `createdAt` and each epoch's
wall `seconds` (also inside an ensemble's members), and `sha256_file` is a checksum of the rest.
This prints `identical` when the tensor bytes and the headers with every `createdAt` and
`seconds` value blanked and without `sha256_file` are equal, else the differing header fields.

Usage: python3 Benchmarks/ManySeries/model_file_parity.py A.safetensors B.safetensors
"""
import json
import re
import struct
import sys


def parts(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = b[8:8 + n].decode()
    header = re.sub(r'(\\?"createdAt\\?"\s*:\s*\\?")[^"\\]*', r"\1", header)
    header = re.sub(r'(\\?"seconds\\?"\s*:\s*)[-+0-9.eE]+', r"\1", header)
    h = json.loads(header)
    h.get("__metadata__", {}).pop("sha256_file", None)
    return json.dumps(h, sort_keys=True), b[8 + n:]


def main():
    (ha, ta), (hb, tb) = parts(sys.argv[1]), parts(sys.argv[2])
    if ta != tb:
        sys.exit("tensor bytes differ")
    if ha != hb:
        a, b = json.loads(ha).get("__metadata__", {}), json.loads(hb).get("__metadata__", {})
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        sys.exit(f"headers differ (apart from createdAt) in {keys}")
    print("identical")


if __name__ == "__main__":
    main()
