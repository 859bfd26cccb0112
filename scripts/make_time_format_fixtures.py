#!/usr/bin/env python3
"""Writes the time-format corpus in Fixtures/time-formats/: one small file per format, each a
`time,value` (or named) column pair, as R, pandas, Excel, databases and loggers write them.
The expected frequency, season and endpoints are in EXPECTED.tsv (kept by hand, checked by
TimeFormatCorpusTests). Re-running gives the same files."""
import datetime as dt, math, os, random

out = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "time-formats")
os.makedirs(out, exist_ok=True)
rng = random.Random(17)

def values(n):
    v, xs = 100.0, []
    for i in range(n):
        v += rng.gauss(0, 1)
        xs.append("%.2f" % (v + 10 * math.sin(2 * math.pi * i / 12)))
    return xs

def write(name, header, times):
    with open(os.path.join(out, name), "w", newline="") as f:
        f.write(header + ",value\n")
        for t, v in zip(times, values(len(times))):
            f.write("%s,%s\n" % (t, v))

def r_decimal(start_year, start_step, freq, n):
    start = start_year + start_step / freq
    return ["%.15g" % (start + i * (1 / freq)) for i in range(n)]

# R decimal years, any frequency.
write("decimal_yearly.csv", "time", r_decimal(1950, 0, 1, 30))
write("decimal_quarterly.csv", "time", r_decimal(1990, 1, 4, 20))
write("decimal_monthly.csv", "time", r_decimal(1990, 0, 12, 36))
write("decimal_weekly.csv", "time", r_decimal(2000, 0, 52, 110))
write("decimal_daily.csv", "time", r_decimal(1981, 0, 365, 800))
write("decimal_daily_36525.csv", "time", r_decimal(2019, 10, 365.25, 400))
write("decimal_hourly.csv", "time", r_decimal(2015, 0, 24 * 365, 300))

days = lambda start, n, step=dt.timedelta(days=1): [start + i * step for i in range(n)]
months = lambda y, m, n: [dt.date(y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1, 1) for i in range(n)]

# Quarters, ISO weeks, month names.
q = months(1990, 1, 60)[::3]
write("quarter_space.csv", "quarter", ["%d Q%d" % (d.year, (d.month - 1) // 3 + 1) for d in q])
write("quarter_dash.csv", "quarter", ["%d-Q%d" % (d.year, (d.month - 1) // 3 + 1) for d in q])
write("quarter_compact.csv", "quarter", ["%dQ%d" % (d.year, (d.month - 1) // 3 + 1) for d in q])
weeks = days(dt.date(2020, 1, 27), 60, dt.timedelta(days=7))
write("iso_week.csv", "week", ["%d-W%02d" % (d.isocalendar()[0], d.isocalendar()[1]) for d in weeks])
m = months(1990, 1, 30)
write("month_abbr_year.csv", "month", [d.strftime("%b %Y") for d in m])
write("year_month_abbr.csv", "month", [d.strftime("%Y-%b") for d in m])
write("month_full_year.csv", "month", [d.strftime("%B %Y") for d in m])
write("year_month_iso.csv", "month", [d.strftime("%Y-%m") for d in m])

# Dates with slashes and dots, both day/month orders.
d = days(dt.date(1990, 1, 20), 40)
write("ymd_slash.csv", "date", [x.strftime("%Y/%m/%d") for x in d])
write("us_dates.csv", "date", [x.strftime("%m/%d/%Y") for x in d])
write("european_dates.csv", "date", [x.strftime("%d.%m.%Y") for x in d])
write("ambiguous_dates.csv", "date", [x.strftime("%d/%m/%Y") for x in months(1990, 1, 12)])

# 12-hour clock.
h = days(dt.datetime(1990, 1, 30, 20), 40, dt.timedelta(hours=1))
write("us_12h_clock.csv", "timestamp", [x.strftime("%m/%d/%Y %I:%M %p") for x in h])

# Excel serial days (1900 system).
excel0 = dt.date(1899, 12, 30)
write("excel_serial.csv", "date", [str((x - excel0).days) for x in days(dt.date(2020, 2, 20), 30)])

# Epoch seconds ... nanoseconds, hourly.
epoch = [int(dt.datetime(2023, 3, 1, tzinfo=dt.timezone.utc).timestamp()) + 3600 * i for i in range(48)]
write("epoch_s.csv", "timestamp", [str(t) for t in epoch])
write("epoch_ms.csv", "timestamp", [str(t * 1000) for t in epoch])
write("epoch_us.csv", "timestamp", [str(t * 1000_000) for t in epoch])
write("epoch_ns.csv", "timestamp", [str(t * 1000_000_000) for t in epoch])

# ISO date-times with offsets across the European spring DST change (2021-03-28 01:00Z).
start = dt.datetime(2021, 3, 27, 20, tzinfo=dt.timezone.utc)
cells = []
for i in range(24):
    u = start + dt.timedelta(hours=i)
    off = 2 if u >= dt.datetime(2021, 3, 28, 1, tzinfo=dt.timezone.utc) else 1
    cells.append(u.astimezone(dt.timezone(dt.timedelta(hours=off))).isoformat())
write("iso_offsets_dst.csv", "time", cells)
