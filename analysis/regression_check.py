#!/usr/bin/python3
"""Checks a Google Benchmark run against a committed baseline for throughput
regressions.

usage: /usr/bin/python3 analysis/regression_check.py BASELINE.json NEW.json
           [--reference NAME] [--tolerance 0.25] [--filter PREFIX]

Shared, noisy machines make absolute times meaningless across runs, so every
benchmark is first divided by a reference benchmark measured in the SAME run
(default: BM_Parse/memchr/message-4k, a plain memory-bound pass). A benchmark
regresses when its normalised CPU time in NEW exceeds the baseline's by more
than the tolerance (25 % by default). Benchmarks present in only one file are
listed, not judged.

exit status: 0 no regression; 1 a regression; 2 bad input.
"""
import argparse
import sys

import benchjson


def load(path):
    try:
        _, rows = benchjson.load(path)
    except (OSError, ValueError, KeyError) as e:
        print(f"regression_check: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)
    return {name: benchjson.cpu_ns(row) for name, row in rows.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("baseline")
    ap.add_argument("new")
    ap.add_argument("--reference", default="BM_Parse/memchr/message-4k")
    ap.add_argument("--tolerance", type=float, default=0.25)
    ap.add_argument("--filter", default="", help="only benchmarks whose name starts with this")
    args = ap.parse_args()

    base, new = load(args.baseline), load(args.new)
    for name, times in ((args.baseline, base), (args.new, new)):
        if args.reference not in times:
            print(f"regression_check: {name} has no reference benchmark {args.reference}", file=sys.stderr)
            sys.exit(2)
    regressions = 0
    print(f"{'benchmark':<48} {'baseline':>10} {'new':>10} {'change':>8}")
    for name in sorted(set(base) & set(new)):
        if name == args.reference or not name.startswith(args.filter):
            continue
        b = base[name] / base[args.reference]
        n = new[name] / new[args.reference]
        change = n / b - 1.0
        flag = ""
        if change > args.tolerance:
            flag = "  REGRESSION"
            regressions += 1
        print(f"{name:<48} {b:>10.3f} {n:>10.3f} {change:>+7.1%}{flag}")
    for name in sorted(set(base) ^ set(new)):
        print(f"{name:<48} only in {'baseline' if name in base else 'new run'}")
    print(f"times are CPU time / {args.reference} in the same run; tolerance {args.tolerance:.0%}")
    if regressions:
        print(f"regression_check: {regressions} benchmark(s) regressed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
