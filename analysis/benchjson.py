"""Reads Google Benchmark JSON the same way for every sipim script.

It follows the C++ reader of bench/security/report.cc (LoadRows), so a
Python table and a C++ report of one file agree:
- with --benchmark_repetitions each benchmark is its median row, wherever
  that row is in the file; without a median, the LAST row of that name (the
  C++ map keeps the last assignment);
- rows that report an error are left out with a warning on stderr naming
  the benchmark and its error_message;
- a "/min_time:..." or "/iterations:..." suffix is cut from names: it is how
  a benchmark was run, not which benchmark it is, so runs with different
  min_time or fixed iterations compare;
- a row without "time_unit" or with an unknown one is an error (ValueError
  naming the file, the row and what is wrong), never silently read as ns.
Median rows are keyed by their run_name, iteration rows by their name.
"""
import json
import math
import sys

SCALE_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def _warn(message):
    print(f"benchjson: {message}", file=sys.stderr)


def strip_run_options(name):
    """The benchmark's name without its "/min_time:..." or "/iterations:..."
    suffix (from the first of them, as report.cc's BaseName cuts)."""
    for option in ("/min_time:", "/iterations:"):
        name = name.split(option, 1)[0]
    return name


def _is_number(v):
    # bool is an int in Python; JSON true is not a time.
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _checked_cpu_ns(b, where):
    """The row's CPU time in ns, or ValueError saying what is wrong."""
    cpu = b.get("cpu_time")
    if not _is_number(cpu):
        raise ValueError(f'{where}: no "cpu_time" number')
    unit = b.get("time_unit")
    if not isinstance(unit, str):
        raise ValueError(f'{where}: no "time_unit" string')
    if not math.isfinite(cpu) or cpu < 0:
        raise ValueError(f'{where}: "cpu_time" is not a time')
    if unit not in SCALE_TO_NS:
        raise ValueError(f'{where}: unknown time_unit "{unit}" (ns, us, ms or s)')
    return cpu * SCALE_TO_NS[unit]


def _row_key(b, where):
    """(name, is_median) for a row to use; None for aggregates other than
    the median (mean, stddev, cv, BigO, RMS)."""
    if b.get("run_type") != "aggregate":
        return b["name"], False
    if b.get("aggregate_name") != "median":
        return None
    if not isinstance(b.get("run_name"), str):
        raise ValueError(f'{where}: median row without a "run_name" string')
    return b["run_name"], True


def load(path):
    """Returns (context, {name: row}) with one row per benchmark.

    Raises OSError when the file cannot be read, ValueError (naming the
    file and the row) when its content is not Google Benchmark JSON."""
    with open(path, "rb") as f:
        text = f.read()
    try:
        data = json.loads(text)  # bytes: UTF-8/16/32 detected as the JSON RFC says
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"{path}: not JSON: {e}") from None
    benchmarks = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(benchmarks, list):
        raise ValueError(f'{path}: no "benchmarks" array')
    rows, medians = {}, set()
    for i, b in enumerate(benchmarks):
        where = f"{path}: benchmarks[{i}]"
        if not isinstance(b, dict):
            raise ValueError(f"{where}: not an object")
        if not isinstance(b.get("name"), str):
            raise ValueError(f'{where}: no "name" string')
        where += f" ({b['name']})"
        key = _row_key(b, where)
        if key is None:
            continue
        if b.get("error_occurred") is True:
            message = b.get("error_message")
            _warn(f"skipping {b['name']}: it reported an error" +
                  (f": {message}" if isinstance(message, str) else ""))
            continue
        _checked_cpu_ns(b, where)
        name, is_median = strip_run_options(key[0]), key[1]
        if name in medians and not is_median:
            continue  # the median wins over the repetitions, in either order
        rows[name] = b
        if is_median:
            medians.add(name)
    context = data.get("context", {})
    return context if isinstance(context, dict) else {}, rows


def cpu_ns(row):
    """CPU time of a row returned by load(), in ns."""
    return _checked_cpu_ns(row, f"benchmark {row.get('name')}")


def load_or_exit(path, prog):
    """load(), for command-line scripts: bad input ends the script with one
    line naming the file and what is wrong (exit status 1), not a traceback."""
    try:
        return load(path)
    except (OSError, ValueError) as e:
        sys.exit(f"{prog}: {e}")
