#!/usr/bin/python3
"""Sender-side head-of-line blocking on the proxies' SCTP association
(results/sctp-interleaving/): latency of small IMs (body up to SMALL_B) and
of the larger ones against core-link loss, with and without I-DATA
interleaving over 8 streams. Latencies are pooled over the runs of a point
from ims.csv; each run's mean is kept too, to show how far runs differ."""
from simlib import mean, num, pyplot, quantile, read_table, save

SCENARIO = "sctp-interleaving"
SMALL_B = 1300  # RFC 3428's limit: a MESSAGE this small fits one packet
# sctp_interleaving as the chart and FINDINGS list them.
VARIANTS = ("false", "true")
LABEL = {"false": "DATA (RFC 9260)", "true": "I-DATA, round-robin (RFC 8260)"}


def load():
    """{(interleaving, loss): {"small": [...], "large": [...], "runs": {run:
    [...]}, "sent": n, "failed": n}} with sorted latencies (s) of delivered
    IMs, and every IM's latency by run."""
    point_key = {r["point"]: (r["sctp_interleaving"], float(r["core.loss"])) for r in read_table(SCENARIO, "summary")}
    out = {}
    for r in read_table(SCENARIO, "ims"):
        s = out.setdefault(point_key[r["point"]], {"small": [], "large": [], "runs": {}, "sent": 0, "failed": 0})
        s["sent"] += 1
        if r["outcome"] != "delivered":
            s["failed"] += 1
            continue
        latency = num(r["latency"])
        s["small" if int(r["size"]) <= SMALL_B else "large"].append(latency)
        s["runs"].setdefault(r["run"], []).append(latency)
    for s in out.values():
        s["small"].sort()
        s["large"].sort()
    return out


def main():
    pts = load()
    plt = pyplot()
    if plt is None:
        return
    losses = sorted({k[1] for k in pts})
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for i, v in enumerate(VARIANTS):
        x = [l * 100 for l in losses]
        rows = [pts[(v, l)] for l in losses]
        axes[0].plot(x, [mean(s["small"]) * 1000 for s in rows], "-o", color=f"C{i}", label=LABEL[v])
        axes[1].plot(x, [quantile(s["small"], 0.95) * 1000 for s in rows], "-o", color=f"C{i}", label=LABEL[v])
        axes[2].plot(x, [mean(s["large"]) * 1000 for s in rows], "-o", color=f"C{i}", label=LABEL[v])
    axes[0].set_ylabel(f"mean latency, IMs up to {SMALL_B} B (ms)")
    axes[1].set_ylabel(f"95th percentile latency, IMs up to {SMALL_B} B (ms)")
    axes[2].set_ylabel(f"mean latency, IMs over {SMALL_B} B (ms)")
    for ax in axes:
        ax.set_xlabel("packet loss on the proxy-to-proxy link (%)")
    axes[0].legend(fontsize=8)
    save(fig, SCENARIO, "sctp-interleaving")


if __name__ == "__main__":
    main()
