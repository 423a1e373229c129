"""Reads Google Benchmark JSON the same way for every sipim script.

With --benchmark_repetitions the file holds one row per repetition plus
aggregates; each benchmark is then represented by its median. Without, by
its single iteration row. Rows that report an error are left out.
"""
import json

SCALE_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    """Returns (context, {name: row}) with one row per benchmark."""
    with open(path) as f:
        data = json.load(f)
    iterations, medians = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
        else:
            iterations.setdefault(name, b)
    iterations.update(medians)
    return data.get("context", {}), iterations


def cpu_ns(row):
    return row["cpu_time"] * SCALE_TO_NS[row.get("time_unit", "ns")]
