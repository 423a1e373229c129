#!/usr/bin/python3
"""CPU per IM of two runs of one scenario, side by side, point by point.

    analysis/cpu_compare.py A B [--label-a TEXT] [--label-b TEXT]

A and B are `sipim run` output directories (summary.csv, ims.csv,
sessions.csv, metadata.json) of the same scenario: for example the
calibrated run and a `--cpu live` one, or two machines' live runs. CPU per
IM is everything the nodes were charged for a point's IMs and sessions
(ims.csv and sessions.csv cpu_s) over its IMs sent, as
analysis/security.py counts it; a point is named by its swept keys, and
replications are averaged. Prints a Markdown table with B/A per point.
Points in one run only are listed under the table. Exit 2, naming the
file, on input that is missing or not such a run.
"""
import argparse
import csv
import json
import os
import sys


def fail(message):
    sys.stderr.write(f"cpu_compare: {message}\n")
    sys.exit(2)


def read_csv(run_dir, table):
    path = os.path.join(run_dir, table + ".csv")
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError as e:
        fail(f"{path}: {e.strerror}")


def number(row, column, path):
    try:
        return float(row[column])
    except (KeyError, ValueError):
        fail(f"{path}: point {row.get('point', '?')}: no number in column '{column}'")


def load(run_dir):
    """(metadata, {swept values: CPU seconds per IM, mean over runs})."""
    meta_path = os.path.join(run_dir, "metadata.json")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except OSError as e:
        fail(f"{meta_path}: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(f"{meta_path}: not JSON ({e})")
    keys = list(meta.get("sweeps", {}).keys())
    charged = {}
    for table in ("ims", "sessions"):
        path = os.path.join(run_dir, table + ".csv")
        for r in read_csv(run_dir, table):
            point_run = (r.get("point"), r.get("run"))
            charged[point_run] = charged.get(point_run, 0.0) + number(r, "cpu_s", path)
    per_point = {}
    summary_path = os.path.join(run_dir, "summary.csv")
    for r in read_csv(run_dir, "summary"):
        missing = [k for k in keys if k not in r]
        if missing:
            fail(f"{summary_path}: no column for the swept key '{missing[0]}'")
        sent = number(r, "ims_sent", summary_path)
        if sent <= 0:
            continue  # no IM: no CPU per IM (listed as absent below)
        name = tuple(r[k] for k in keys)
        per_point.setdefault(name, []).append(charged.get((r["point"], r["run"]), 0.0) / sent)
    return meta, keys, {k: sum(v) / len(v) for k, v in per_point.items()}


def microseconds(seconds):
    return f"{seconds * 1e6:,.1f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--label-a")
    parser.add_argument("--label-b")
    args = parser.parse_args()
    meta_a, keys_a, a = load(args.a)
    meta_b, keys_b, b = load(args.b)
    if meta_a.get("scenario") != meta_b.get("scenario"):
        fail(f"{args.a} is scenario '{meta_a.get('scenario')}', {args.b} is '{meta_b.get('scenario')}'")
    if keys_a != keys_b:
        fail(f"{args.a} sweeps {keys_a}, {args.b} sweeps {keys_b}")
    label_a = args.label_a or f"{args.a} (cpu = {meta_a.get('parameters', {}).get('cpu', '?')})"
    label_b = args.label_b or f"{args.b} (cpu = {meta_b.get('parameters', {}).get('cpu', '?')})"
    print(f"A: {label_a}  \nB: {label_b}\n")
    print("| " + " | ".join(keys_a + ["A: CPU per IM", "B: CPU per IM", "B / A"]) + " |")
    print("|" + "---|" * len(keys_a) + "---:|---:|---:|")
    for name in sorted(set(a) & set(b), key=lambda n: [(0, float(v)) if v.replace(".", "", 1).isdigit()
                                                         else (1, v) for v in n]):
        ratio = f"{b[name] / a[name]:.2f}" if a[name] > 0 else "n/a (A charged nothing)"
        print("| " + " | ".join(list(name) + [microseconds(a[name]), microseconds(b[name]), ratio]) + " |")
    for only, where in ((set(a) - set(b), args.a), (set(b) - set(a), args.b)):
        for name in sorted(only):
            print(f"\nOnly in {where}: " + ", ".join(f"{k} = {v}" for k, v in zip(keys_a, name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
