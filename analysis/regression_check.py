#!/usr/bin/python3
"""Checks a Google Benchmark run against a committed baseline for throughput
regressions.

usage: /usr/bin/python3 analysis/regression_check.py BASELINE.json NEW.json
           [--reference NAME] [--tolerance 0.25] [--filter PREFIX]

Shared, noisy machines make absolute times meaningless across runs, so every
benchmark is first divided by a reference benchmark measured in the SAME run
(default: BM_Parse/memchr/message-4k, a plain memory-bound pass). A benchmark
regresses when its normalised CPU time in NEW exceeds the baseline's by more
than the tolerance (25 % by default; exactly at the tolerance is not a
regression). Benchmarks present in only one file are listed, not judged.
--filter limits both to the names that start with PREFIX.

Both files are read by analysis/benchjson.py as the C++ reports read them:
the median where a run has repetitions, errored runs left out with a
warning, "/min_time:..." and "/iterations:..." cut from names, every
time_unit converted.

Normalising by the reference cancels a machine's speed, not its kind: the
ratio between two benchmarks moves with the CPU model and the code paths
OpenSSL picks for it. sipim's benchmarks name their machine in the JSON
context (cpu_model, cpu_id, cpu_flags, openssl, openssl_cpu:
bench/machine); when the two files name different machines, or one names
none, the check says so on stderr and still judges.

exit status: 0 no regression; 1 a regression; 2 bad input (a file that
cannot be read or is not Google Benchmark JSON, no reference benchmark or
one with zero CPU time, or no benchmark left to judge, counting those with
zero CPU time in the baseline as not judged).
"""
import argparse
import sys

import benchjson


def fail(message):
    print(f"regression_check: {message}", file=sys.stderr)
    sys.exit(2)


MACHINE_KEYS = ("cpu_model", "cpu_id", "cpu_flags", "openssl", "openssl_cpu")


def load(path):
    """Returns ({name: CPU ns}, {machine key: value})."""
    try:
        context, rows = benchjson.load(path)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror or e}")
    except ValueError as e:  # its message names the file and the row
        fail(str(e))
    machine = {k: context[k] for k in MACHINE_KEYS if isinstance(context.get(k), str)}
    return {name: benchjson.cpu_ns(row) for name, row in rows.items()}, machine


def machine_warnings(baseline, base_machine, new, new_machine):
    """Lines saying where the two runs' machines differ or are not named."""
    unnamed = [path for path, m in ((baseline, base_machine), (new, new_machine)) if not m]
    if unnamed:
        return [f"warning: {path} does not name its machine (no cpu_model in its context): "
                "runs from different CPUs cannot be told apart" for path in unnamed]
    return [f"warning: the runs come from different machines: {k} {base_machine.get(k)!r} "
            f"in {baseline}, {new_machine.get(k)!r} in {new}"
            for k in MACHINE_KEYS if base_machine.get(k) != new_machine.get(k)]


def tolerance(text):
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is not a fraction >= 0")
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("baseline")
    ap.add_argument("new")
    ap.add_argument("--reference", default="BM_Parse/memchr/message-4k")
    ap.add_argument("--tolerance", type=tolerance, default=0.25, help="e.g. 0.25 for 25 %%")
    ap.add_argument("--filter", default="", help="only benchmarks whose name starts with this")
    args = ap.parse_args()
    # Names are read without "/min_time:..." or "/iterations:..."; so is the reference.
    args.reference = benchjson.strip_run_options(args.reference)

    (base, base_machine), (new, new_machine) = load(args.baseline), load(args.new)
    for line in machine_warnings(args.baseline, base_machine, args.new, new_machine):
        print(f"regression_check: {line}", file=sys.stderr)
    for name, times in ((args.baseline, base), (args.new, new)):
        if args.reference not in times:
            fail(f"{name} has no reference benchmark {args.reference}")
        if times[args.reference] <= 0:
            fail(f"{name}: reference benchmark {args.reference} has zero CPU time")
    wanted = {n for n in set(base) | set(new) if n != args.reference and n.startswith(args.filter)}
    judged = sorted(n for n in wanted if n in base and n in new)
    if not judged:
        fail(f"no benchmark other than the reference is in both files{' under --filter ' + args.filter if args.filter else ''}")
    regressions = compared = 0
    print(f"{'benchmark':<48} {'baseline':>10} {'new':>10} {'change':>8}")
    for name in judged:
        b = base[name] / base[args.reference]
        n = new[name] / new[args.reference]
        if b == 0:
            print(f"{name:<48} {b:>10.3f} {n:>10.3f}      n/a  (zero CPU time in baseline: not judged)")
            continue
        compared += 1
        change = n / b - 1.0
        flag = ""
        # The margin keeps a change of exactly the tolerance (e.g. 2.5 vs 2.0
        # at 0.25) from tipping over by a rounding error in the divisions.
        if change > args.tolerance * (1 + 1e-9) + 1e-12:
            flag = "  REGRESSION"
            regressions += 1
        print(f"{name:<48} {b:>10.3f} {n:>10.3f} {change:>+7.1%}{flag}")
    for name in sorted(n for n in wanted if (n in base) != (n in new)):
        print(f"{name:<48} only in {'baseline' if name in base else 'new run'}")
    print(f"times are CPU time / {args.reference} in the same run; tolerance {args.tolerance:.0%}")
    if not compared:  # every one had zero baseline time: checking nothing is not a pass
        fail("no benchmark was judged: every one in both files has zero CPU time in the baseline")
    if regressions:
        print(f"regression_check: {regressions} benchmark(s) regressed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
