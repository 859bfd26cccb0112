#!/usr/bin/env python3
"""Writes drops/drop-01.csv .. drop-04.csv from Fixtures/elecdemand_halfhourly.csv (Victoria 2014,
half-hourly; the file has no time column: its rows are half-hours from 2014-01-01, so the drops
carry that time). drop-01 holds three weeks, each later drop one more week; drop-03 re-sends the
last day of drop-02 (de-duplicated by time, the later drop wins).

usage: Examples/nightly-seq2seq/make_drops.py   (from anywhere; writes next to this file)
"""
import datetime, os

here = os.path.dirname(os.path.abspath(__file__))
rows = open(os.path.join(here, "../../Fixtures/elecdemand_halfhourly.csv")).read().splitlines()[1:]
t0 = datetime.datetime(2014, 1, 1)

def line(i):
    _, demand, workday, temperature = rows[i].split(",")
    return f"{(t0 + datetime.timedelta(minutes=30 * i)).strftime('%Y-%m-%dT%H:%M')},{demand},{workday},{temperature}\n"

os.makedirs(os.path.join(here, "drops"), exist_ok=True)
for k, (a, b) in enumerate([(0, 1008), (1008, 1344), (1296, 1680), (1680, 2016)], 1):
    with open(os.path.join(here, f"drops/drop-{k:02d}.csv"), "w") as f:
        f.write("time,Demand,WorkDay,Temperature\n")
        for i in range(a, b):
            f.write(line(i))
