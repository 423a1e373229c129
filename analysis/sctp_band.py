#!/usr/bin/python3
"""The SCTP sanity band: bulk goodput against loss, SCTP beside ns-3 TCP
NewReno, ns-3 TCP LinuxReno and the Mathis rate.

Reads results/sctp/band.csv (written by the sctp_band program) and writes
results/sctp/band.md (the per-loss table: means over runs, and the ratio of
SCTP to each TCP run by run) and, with matplotlib, results/sctp/band.png and
.svg.

Usage: analysis/sctp_band.py [results/sctp]
"""
import csv
import math
import os
import sys
from collections import defaultdict

import simlib

PROTOCOLS = ("sctp", "tcp-newreno", "tcp-linuxreno")
LABELS = {
    "sctp": "SCTP (sipim model)",
    "tcp-newreno": "ns-3 TCP NewReno",
    "tcp-linuxreno": "ns-3 TCP LinuxReno (counts bytes acked)",
}
STYLE = {"sctp": "o-", "tcp-newreno": "^-", "tcp-linuxreno": "s--"}


def load(path):
    """(protocol, loss) -> {run: row}; mathis by loss. Exits naming the
    file and line on a malformed row."""
    rows = defaultdict(dict)
    mathis = {}
    line_of = {}  # (protocol, loss, run) or loss -> the line that gave it
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        for r in reader:
            n = reader.line_num  # the file's line, blank lines counted
            if None in r:  # DictReader keeps fields past the header's under None
                sys.exit(f"sctp_band.py: {path}:{n}: {len(reader.fieldnames) + len(r[None])} fields, "
                         f"the header has {len(reader.fieldnames)}")
            try:
                proto, loss, run = r["protocol"], float(r["loss"]), int(r["run"])
                goodput, m = float(r["goodput_mbps"]), float(r["mathis_mbps"])
            except (KeyError, TypeError, ValueError) as e:
                sys.exit(f"sctp_band.py: {path}:{n}: bad row ({e})")
            # Values the table can divide by and average: nan, inf, 0 and
            # below are refused here rather than printed as nan or raised as
            # a ZeroDivisionError.
            if not 0 < loss < 1:
                sys.exit(f"sctp_band.py: {path}:{n}: loss must be a number above 0 and below 1, got {r['loss']!r}")
            if run < 1:
                sys.exit(f"sctp_band.py: {path}:{n}: run must be a whole number from 1, got {r['run']!r}")
            for name, v in (("goodput_mbps", goodput), ("mathis_mbps", m)):
                if not (math.isfinite(v) and v > 0):
                    sys.exit(f"sctp_band.py: {path}:{n}: {name} must be a finite number above 0, got {r[name]!r}")
            if proto not in PROTOCOLS:
                sys.exit(f"sctp_band.py: {path}:{n}: unknown protocol {proto!r}")
            # A row never silently replaces another: a repeated run, or a
            # Mathis rate other than the one given for that loss, is an error.
            if (proto, loss, run) in line_of:
                sys.exit(f"sctp_band.py: {path}:{n}: {proto} at loss {loss:g} run {run} again "
                         f"(first on line {line_of[(proto, loss, run)]})")
            if loss in mathis and mathis[loss] != m:
                sys.exit(f"sctp_band.py: {path}:{n}: mathis_mbps {m:g} at loss {loss:g}, "
                         f"but {mathis[loss]:g} on line {line_of[loss]}")
            line_of.setdefault((proto, loss, run), n)
            line_of.setdefault(loss, n)
            rows[(proto, loss)][run] = goodput
            mathis[loss] = m
    if not rows:
        sys.exit(f"sctp_band.py: no rows in {path}")
    # Means and run-by-run ratios compare like with like only if every
    # protocol has the same runs at every loss: a partial file (a run cut
    # short) is an error, not a table over different runs.
    runs = sorted(set().union(*(v.keys() for v in rows.values())))
    for loss in sorted(mathis):
        for proto in PROTOCOLS:
            have = rows.get((proto, loss), {})
            for run in runs:
                if run not in have:
                    sys.exit(f"sctp_band.py: {path}: no {proto} row at loss {loss:g} for run {run} "
                             f"(every protocol needs runs {', '.join(map(str, runs))} at every loss)")
    return rows, mathis


def mean(xs):
    return sum(xs) / len(xs)


def table(rows, mathis):
    """The markdown table: per loss, mean goodput of each protocol over its
    runs, Mathis, and SCTP over each TCP as the ratio of means with the
    run-by-run range (same seed paired)."""
    out = [
        "| loss | SCTP Mb/s | NewReno Mb/s | LinuxReno Mb/s | Mathis Mb/s | SCTP/Mathis "
        "| SCTP/NewReno (runs) | SCTP/LinuxReno (runs) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for loss in sorted(mathis):
        cells = {proto: rows[(proto, loss)] for proto in PROTOCOLS}  # load() checked they are all there
        s = cells["sctp"]

        def ratio(other):
            o = cells[other]
            paired = sorted(s[k] / o[k] for k in s if k in o and o[k] > 0)
            if not paired:
                return "n/a"
            return f"{mean(s.values()) / mean(o.values()):.2f} ({paired[0]:.2f}-{paired[-1]:.2f})"

        out.append(
            f"| {loss * 100:g} % | {mean(s.values()):.3f} | {mean(cells['tcp-newreno'].values()):.3f} "
            f"| {mean(cells['tcp-linuxreno'].values()):.3f} | {mathis[loss]:.3f} "
            f"| {mean(s.values()) / mathis[loss]:.2f} | {ratio('tcp-newreno')} | {ratio('tcp-linuxreno')} |"
        )
    runs = sorted(rows[("sctp", min(mathis))])  # every protocol and loss has these (load)
    named = f"{runs[0]}-{runs[-1]}" if runs == list(range(runs[0], runs[-1] + 1)) else ", ".join(map(str, runs))
    out.append("")
    out.append(
        f"Means over {len(runs)} runs (seed 1, runs {named}); ratios are of the means, with the lowest and "
        "highest run-by-run ratio (same run number) in brackets. Written by analysis/sctp_band.py from "
        "band.csv (sctp_band)."
    )
    return "\n".join(out) + "\n"


def chart(rows, mathis, out_dir):
    try:
        import matplotlib
    except ImportError:
        print("sctp_band.py: matplotlib missing: chart not drawn", file=sys.stderr)
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = sorted(mathis)
    x = [p * 100 for p in losses]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    m = [mathis[p] for p in losses]
    ax.fill_between(x, [v / 3 for v in m], [v * 1.5 for v in m], color="0.9", label="Mathis band (1/3 to 1.5x)")
    ax.plot(x, m, "k:", label="Mathis rate")
    newreno = [mean(rows[("tcp-newreno", p)].values()) for p in losses]
    ax.plot(x, [2 * v for v in newreno], color="tab:orange", linestyle=(0, (1, 3)), label="2x NewReno")
    for proto in PROTOCOLS:
        means = [mean(rows[(proto, p)].values()) for p in losses]
        lo = [min(rows[(proto, p)].values()) for p in losses]
        hi = [max(rows[(proto, p)].values()) for p in losses]
        err = [[mv - l for mv, l in zip(means, lo)], [h - mv for mv, h in zip(means, hi)]]
        ax.errorbar(x, means, yerr=err, fmt=STYLE[proto], capsize=3, label=LABELS[proto])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{v:g}" for v in x])
    ax.set_xlabel("packet loss on the data direction (%)")
    ax.set_ylabel("goodput (Mb/s), mean and range over runs")
    ax.set_title("Bulk transfer, 10 Mb/s / 20 ms: SCTP against ns-3 TCP and Mathis")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    simlib.save_at(fig, os.path.join(out_dir, "band"), dpi=120)
    plt.close(fig)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "results", "sctp")
    rows, mathis = load(os.path.join(out_dir, "band.csv"))
    text = table(rows, mathis)
    with open(os.path.join(out_dir, "band.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    chart(rows, mathis, out_dir)


if __name__ == "__main__":
    main()
