#!/usr/bin/python3
"""CPU per IM of two runs of one scenario, side by side, point by point.

    analysis/cpu_compare.py A B [--label-a TEXT] [--label-b TEXT]

A and B are `sipim run` output directories (summary.csv, ims.csv,
sessions.csv, metadata.json) of the same scenario: for example the
calibrated run and a `--cpu live` one, or two machines' live runs. CPU per
IM is everything the nodes were charged for a point's IMs and sessions
(ims.csv and sessions.csv cpu_s) over its IMs sent, as
analysis/security.py counts it; a point is named by its swept keys, and
replications are averaged. Prints a Markdown table with B/A per point,
in the scenario's sweep order; points in one run only are listed under
it, and simulated parameters that differ (not the swept ones, nor cpu or
calibration) above it. Exit 2, naming the file, on input that is missing
or not such a run (a table without its columns, a value that is not a
finite number).
"""
import argparse
import csv
import json
import math
import os
import sys


def fail(message):
    sys.stderr.write(f"cpu_compare: {message}\n")
    sys.exit(2)


# Parameters that name where and how a run went, not what it simulated.
RUN_ONLY = {"out", "name", "description", "progress", "jobs", "memory_limit", "pcap", "wire_trace",
            "calibration", "cpu"}


def read_csv(run_dir, table, columns):
    """Rows of TABLE.csv as dicts; exit 2 unless it has a header with COLUMNS."""
    path = os.path.join(run_dir, table + ".csv")
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                fail(f"{path}: no column '{missing[0]}' (not a `sipim run` {table} table)")
            return path, list(reader)
    except OSError as e:
        fail(f"{path}: {e.strerror}")


def number(row, column, path):
    try:
        value = float(row[column])
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        fail(f"{path}: point {row['point']}: no finite number in column '{column}': {row[column]!r}")
    return value


def load(run_dir):
    """(metadata, swept keys, {swept values: CPU seconds per IM, mean over
    runs, or None for a point that sent no IM})."""
    meta_path = os.path.join(run_dir, "metadata.json")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except OSError as e:
        fail(f"{meta_path}: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(f"{meta_path}: not JSON ({e})")
    if not isinstance(meta, dict) or not isinstance(meta.get("sweeps", {}), dict):
        fail(f"{meta_path}: not the metadata of a `sipim run`")
    keys = list(meta.get("sweeps", {}).keys())
    charged = {}
    for table in ("ims", "sessions"):
        path, rows = read_csv(run_dir, table, ["point", "run", "cpu_s"])
        for r in rows:
            point_run = (r["point"], r["run"])
            charged[point_run] = charged.get(point_run, 0.0) + number(r, "cpu_s", path)
    path, rows = read_csv(run_dir, "summary", ["point", "run", "ims_sent"] + keys)
    if not rows:
        fail(f"{path}: no point")
    per_point = {}
    for r in rows:
        sent = number(r, "ims_sent", path)
        name = tuple(r[k] for k in keys)
        per_point.setdefault(name, []).append(charged.get((r["point"], r["run"]), 0.0) / sent if sent > 0 else None)
    # A point whose runs sent no IM has no CPU per IM; a mean over the runs that did.
    cpu = {}
    for name, values in per_point.items():
        sent = [v for v in values if v is not None]
        cpu[name] = sum(sent) / len(sent) if sent else None
    return meta, keys, cpu


def differing_parameters(meta_a, meta_b):
    """Simulated parameters (not swept, not about the run itself) that differ."""
    pa, pb = meta_a.get("parameters", {}), meta_b.get("parameters", {})
    swept = set(meta_a.get("sweeps", {}))
    return [(k, pa.get(k), pb.get(k)) for k in sorted(set(pa) | set(pb))
            if k not in RUN_ONLY and k not in swept and pa.get(k) != pb.get(k)]


def sweep_order(meta, keys):
    """Sort key: each swept value's position in the scenario's [sweep] list."""
    lists = meta.get("sweeps", {})
    def key(name):
        return [lists[k].index(v) if v in lists.get(k, []) else len(lists.get(k, [])) for k, v in zip(keys, name)]
    return key


def microseconds(seconds):
    return "no IM sent" if seconds is None else f"{seconds * 1e6:,.1f} µs"


def ratio(a, b):
    if a is None or b is None:
        return "n/a"
    return f"{b / a:.2f}" if a > 0 else "n/a (A charged nothing)"


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
    differ = differing_parameters(meta_a, meta_b)
    if differ:
        print("Not the same simulation: " + "; ".join(f"{k} = {va} in A, {vb} in B" for k, va, vb in differ) + "\n")
    print("| " + " | ".join(keys_a + ["A: CPU per IM", "B: CPU per IM", "B / A"]) + " |")
    print("|" + "---|" * len(keys_a) + "---:|---:|---:|")
    for name in sorted(set(a) & set(b), key=sweep_order(meta_a, keys_a)):
        print("| " + " | ".join(list(name) + [microseconds(a[name]), microseconds(b[name]),
                                              ratio(a[name], b[name])]) + " |")
    for only, where in ((set(a) - set(b), args.a), (set(b) - set(a), args.b)):
        for name in sorted(only, key=sweep_order(meta_a, keys_a)):
            print(f"\nOnly in {where}: " + ", ".join(f"{k} = {v}" for k, v in zip(keys_a, name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
