#!/usr/bin/env python3
"""Writes a daily CSV with its dates as R writes the time of a daily `ts` (frequency 365):
time_i = start + i * (1/365) with 15 significant digits, start = year + (day_of_year - 1)/365.
Usage: make_r_decimal_daily.py IN.csv OUT.csv  (IN has an ISO `date` first column)."""
import csv, sys, datetime

src, dst = sys.argv[1], sys.argv[2]
with open(src, newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
first = datetime.date.fromisoformat(body[0][0])
f = 365.0
start = first.year + (first.timetuple().tm_yday - 1) / f
with open(dst, "w", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["time"] + header[1:])
    for i, r in enumerate(body):
        w.writerow(["%.15g" % (start + i * (1 / f))] + r[1:])
