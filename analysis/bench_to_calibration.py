#!/usr/bin/python3
"""Writes the simulation's CPU calibration table from Google Benchmark JSON.

usage: /usr/bin/python3 analysis/bench_to_calibration.py BENCH.json RULE... > OUT.csv
  RULE is  NAME_PREFIX=OPERATION,ALGORITHM
  e.g.     BM_Parse/sipim/=parse,sip

Every benchmark whose name starts with NAME_PREFIX (the first rule that
matches) becomes one row:
operation, algorithm, size_bytes (the benchmark's message_bytes or
input_bytes counter), ns_per_op (its cpu_time in ns; the median where the run has repetitions), output_bytes (its
output_bytes counter, or 0). Rows are sorted by (operation, algorithm,
size). The simulation interpolates between rows of one operation and
algorithm. Format: see models/ns3/sip/README.md.
"""
import csv
import sys

from benchjson import cpu_ns, load_or_exit


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    _, benchmarks = load_or_exit(sys.argv[1], "bench_to_calibration")
    rules = []
    for rule in sys.argv[2:]:
        prefix, _, target = rule.partition("=")
        operation, _, algorithm = target.partition(",")
        if not prefix or not operation or not algorithm:
            sys.exit(f"bench_to_calibration: bad rule '{rule}' (want PREFIX=OPERATION,ALGORITHM)")
        rules.append((prefix, operation, algorithm))
    rows = []
    for name, b in benchmarks.items():
        for prefix, operation, algorithm in rules:
            if name.startswith(prefix):
                size = b.get("message_bytes", b.get("input_bytes"))
                if size is None:
                    sys.exit(f"bench_to_calibration: {name} has no message_bytes/input_bytes counter")
                ns = cpu_ns(b)
                rows.append((operation, algorithm, int(size), round(ns, 1), int(b.get("output_bytes", 0))))
                break
    if not rows:
        sys.exit("bench_to_calibration: no benchmark matched the rules")
    rows.sort()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["operation", "algorithm", "size_bytes", "ns_per_op", "output_bytes"])
    out.writerows(rows)


if __name__ == "__main__":
    main()
