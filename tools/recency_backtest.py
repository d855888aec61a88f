#!/usr/bin/env python3
"""How much fresher training rows predict the next months of lambda-perf better.

For each (runtime, packaging, arch) group of data/lambda-perf/all-runtimes-init-2024.csv.gz
it takes the empirical p50 and p90 of a training span (no model at all) and counts the
groups whose p50 and p90 are both within 10% of a later test span's (the goal of issue 13,
as src/calibrate/runtimes_validation.rs counts it). Groups with fewer than 200 rows in either
span are left out. It is the evidence behind fitting the built-in runtime models on all
of 2024 (models/calibration/lambda-perf-all-2024.toml) once the method is validated on
January-June -> July-December (lambda-perf-all.toml). Standard library only.

    python3 tools/recency_backtest.py [CSV_GZ]
"""
import csv
import datetime
import gzip
import sys
from collections import defaultdict

GOAL = 0.10
MIN_ROWS = 200
D = datetime.date

# (test span, [training spans]), each span (name, first day, last day).
BACKTESTS = [
    (
        ("October-December", D(2024, 10, 1), D(2024, 12, 31)),
        [
            ("January-June", D(2024, 1, 1), D(2024, 6, 30)),
            ("January-September", D(2024, 1, 1), D(2024, 9, 30)),
            ("April-September", D(2024, 4, 1), D(2024, 9, 30)),
            ("July-September", D(2024, 7, 1), D(2024, 9, 30)),
        ],
    ),
    (
        ("July-December", D(2024, 7, 1), D(2024, 12, 31)),
        [
            ("January-March", D(2024, 1, 1), D(2024, 3, 31)),
            ("January-June", D(2024, 1, 1), D(2024, 6, 30)),
            ("April-June", D(2024, 4, 1), D(2024, 6, 30)),
        ],
    ),
]


def quantile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def within(a, b):
    return abs(a / b - 1.0) <= GOAL


def met(rows, train, test):
    """(groups meeting the goal, groups compared) for one training and one test span."""
    n = ok = 0
    for values in rows.values():
        tr = [v for d, v in values if train[1] <= d <= train[2]]
        te = [v for d, v in values if test[1] <= d <= test[2]]
        if len(tr) < MIN_ROWS or len(te) < MIN_ROWS:
            continue
        n += 1
        ok += within(quantile(tr, 0.5), quantile(te, 0.5)) and within(
            quantile(tr, 0.9), quantile(te, 0.9)
        )
    return ok, n


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "data/lambda-perf/all-runtimes-init-2024.csv.gz"
    rows = defaultdict(list)
    with gzip.open(path, "rt") as f:
        for r in csv.DictReader(f):
            key = (r["runtime"], r["packaging"], r["arch"])
            rows[key].append((D.fromisoformat(r["date"]), float(r["init_duration_ms"])))
    print(f"{len(rows)} groups; p50 and p90 of the test span both within {GOAL:.0%}")
    for test, trains in BACKTESTS:
        print(f"predicting {test[0]} 2024 from the empirical quantiles of")
        for train in trains:
            ok, n = met(rows, train, test)
            print(f"  {train[0]:<18} {ok:>4} of {n} groups ({100.0 * ok / n:.1f}%)")


if __name__ == "__main__":
    main()
