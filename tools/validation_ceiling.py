#!/usr/bin/env python3
"""What any model fitted to January-June 2024 can reach on the all-runtimes validation.

For each (runtime, packaging, arch) group of data/lambda-perf/all-runtimes-init-2024.csv.gz
it takes the training rows' own empirical p50 and p90 (no model at all: a perfect fit of
the training half) over a trailing window ending 2024-06-30, and counts the groups whose
p50 and p90 are both within 10% of July-December's (the goal of issue 13, as
src/calibrate/runtimes_recipe.rs counts it). Standard library only.

    python3 tools/validation_ceiling.py [CSV_GZ]
"""
import csv
import datetime
import gzip
import sys
from collections import defaultdict

CUT = datetime.date(2024, 6, 30)
GOAL = 0.10
WINDOWS_DAYS = [14, 28, 42, 56, 70, 91, 182]


def quantile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def within(a, b):
    return abs(a / b - 1.0) <= GOAL


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "data/lambda-perf/all-runtimes-init-2024.csv.gz"
    rows = defaultdict(list)
    with gzip.open(path, "rt") as f:
        reader = csv.DictReader(f)
        for r in reader:
            key = (r["runtime"], r["packaging"], r["arch"])
            rows[key].append((datetime.date.fromisoformat(r["date"]), float(r["init_duration_ms"])))
    print(f"{len(rows)} groups; the goal: held-out p50 and p90 both within {GOAL:.0%}")
    for days in WINDOWS_DAYS:
        start = CUT - datetime.timedelta(days=days)
        met = n = 0
        for values in rows.values():
            train = [x for d, x in values if start < d <= CUT]
            held = [x for d, x in values if d > CUT]
            if len(train) < 100 or len(held) < 100:
                continue
            n += 1
            met += within(quantile(train, 0.5), quantile(held, 0.5)) and within(
                quantile(train, 0.9), quantile(held, 0.9)
            )
        print(f"training rows of the last {days:3d} days as the model: {met} of {n} groups ({met / n:.0%})")


if __name__ == "__main__":
    main()
