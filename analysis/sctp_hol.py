#!/usr/bin/python3
"""Head-of-line latency chart: concurrent conversations on one SCTP association
(one stream each, or all on one stream) against one TCP connection, versus loss.

Reads results/sctp/hol.csv (written by the sctp_hol program) and writes
results/sctp/hol_latency.png and .svg.

Usage: analysis/sctp_hol.py [results/sctp]
"""
import csv
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import simlib  # noqa: E402

LABELS = {
    "sctp-multistream": "SCTP, one stream per conversation",
    "sctp-onestream": "SCTP, all conversations on one stream",
    "tcp": "TCP NewReno, one connection",
}
STYLE = {"sctp-multistream": "o-", "sctp-onestream": "s--", "tcp": "^-"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "results", "sctp")
    path = os.path.join(out_dir, "hol.csv")
    # (protocol, loss) -> list of per-run rows
    rows = defaultdict(list)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows[(r["protocol"], float(r["loss"]))].append(r)
    if not rows:
        sys.exit(f"sctp_hol.py: no rows in {path}")

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    metrics = [("mean_ms", "mean latency (ms)"), ("p95_ms", "95th percentile (ms)"),
               ("p99_ms", "99th percentile (ms)")]
    for ax, (key, title) in zip(axes, metrics):
        for proto in LABELS:
            losses = sorted(l for (p, l) in rows if p == proto)
            if not losses:
                continue
            ys = []
            lo = []
            hi = []
            for l in losses:
                vals = [float(r[key]) for r in rows[(proto, l)]]
                ys.append(sum(vals) / len(vals))
                lo.append(ys[-1] - min(vals))
                hi.append(max(vals) - ys[-1])
            xs = [100 * l for l in losses]
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt=STYLE[proto], capsize=3, label=LABELS[proto])
        ax.set_yscale("log")
        ax.set_xlabel("packet loss on the data direction (%)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("one-way message latency (ms)")
    axes[0].legend(fontsize=8)
    n_runs = max(len(v) for v in rows.values())
    fig.suptitle("Head-of-line blocking: 8 conversations sharing one transport, "
                 f"10 Mb/s, 20 ms one way (mean of {n_runs} runs, bars: min-max)")
    fig.tight_layout()
    simlib.save_at(fig, os.path.join(out_dir, "hol_latency"), dpi=120)
    # Also note send failures (TCP buffer full at high loss): they are not in the latency.
    for (proto, loss), rs in sorted(rows.items()):
        failed = sum(int(r["send_failed"]) for r in rs)
        undelivered = sum(int(r["sent"]) - int(r["send_failed"]) - int(r["delivered"]) for r in rs)
        if failed or undelivered:
            print(f"{proto} loss {loss}: {failed} sends refused, {undelivered} sent but not delivered")


if __name__ == "__main__":
    main()
