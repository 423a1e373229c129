#!/usr/bin/python3
"""Head-of-line blocking on the proxy-to-proxy link (results/proxy-hol/):
pager-mode IM latency (mean, 95th percentile) and the share of late IMs
against core-link loss, for UDP, TCP, and SCTP unordered (RFC 4168) and
ordered. Latencies are pooled over the runs of a point from ims.csv."""
from simlib import mean, num, pyplot, quantile, read_table, save

SCENARIO = "proxy-hol"
# (transport, sctp_ordering) in the order the chart and FINDINGS list them.
VARIANTS = (("udp", "unordered"), ("tcp", "unordered"), ("sctp", "unordered"), ("sctp", "ordered"))
LABEL = {("udp", "unordered"): "UDP", ("tcp", "unordered"): "TCP",
         ("sctp", "unordered"): "SCTP unordered (RFC 4168)", ("sctp", "ordered"): "SCTP ordered"}
# An IM is late when it arrives this long after its variant's loss-free
# median: more than the core round trip (20 ms) a fast retransmission
# takes, less than a retransmission timeout (T1 500 ms, RTO.Min 1 s).
LATE_S = 0.1
# An IM this late waited for more than one retransmission timeout; one sent
# this soon after its run's first IM may have waited for the proxies'
# connection or association to come up (ns-3 TCP's SYN timeout is 3 s).
SLOW_S = 2.0
START_S = 3.0


def stats(ims, summary):
    """{(transport, ordering, loss): dict} with the sorted latencies (s) of
    delivered IMs, IMs sent and failed, the share of late IMs (LATE_S past
    the variant's loss-free median), and the IMs slower than SLOW_S: all,
    and those sent within START_S of their run's first IM."""
    point_key = {r["point"]: (r["transport"], r["sctp_ordering"], float(r["core.loss"])) for r in summary}
    run_start = {}
    for r in ims:
        run = (r["point"], r["run"])
        run_start[run] = min(run_start.get(run, float("inf")), num(r["send_time"]))
    out = {}
    for r in ims:
        s = out.setdefault(point_key[r["point"]],
                           {"latency": [], "sent": 0, "failed": 0, "slow": 0, "slow_at_start": 0, "slow_runs": set()})
        s["sent"] += 1
        if r["outcome"] != "delivered":
            s["failed"] += 1
            continue
        latency = num(r["latency"])
        s["latency"].append(latency)
        if latency > SLOW_S:
            s["slow"] += 1
            s["slow_runs"].add(int(r["run"]))
            s["slow_at_start"] += num(r["send_time"]) - run_start[(r["point"], r["run"])] < START_S
    for s in out.values():
        s["latency"].sort()
    for (transport, ordering, loss), s in out.items():
        base = quantile(out[(transport, ordering, 0.0)]["latency"], 0.5)
        s["late"] = sum(l > base + LATE_S for l in s["latency"]) / s["sent"] if s["sent"] else float("nan")
    return out


def load():
    return stats(read_table(SCENARIO, "ims"), read_table(SCENARIO, "summary"))


def main():
    pts = load()
    plt = pyplot()
    if plt is None:
        return
    losses = sorted({k[2] for k in pts})
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for i, v in enumerate(VARIANTS):
        rows = [pts[v + (l,)] for l in losses if v + (l,) in pts]
        x = [l * 100 for l in losses if v + (l,) in pts]
        axes[0].plot(x, [mean(s["latency"]) * 1000 for s in rows], "-o", color=f"C{i}", label=LABEL[v])
        axes[1].plot(x, [quantile(s["latency"], 0.95) * 1000 for s in rows], "-o", color=f"C{i}", label=LABEL[v])
        axes[2].plot(x, [s["late"] * 100 for s in rows], "-o", color=f"C{i}", label=LABEL[v])
    axes[2].plot([l * 100 for l in losses], [l * 100 for l in losses], ":", color="grey",
                 label="loss rate (an IM's own MESSAGE lost)")
    axes[0].set_ylabel("mean latency (ms)")
    axes[1].set_ylabel("95th percentile latency (ms)")
    axes[2].set_ylabel(f"IMs later than loss-free median + {LATE_S * 1000:g} ms (%)")
    for ax in axes:
        ax.set_xlabel("packet loss on the proxy-to-proxy link (%)")
    axes[0].legend(fontsize=8)
    axes[2].legend(fontsize=8)
    save(fig, SCENARIO, "proxy-hol")


if __name__ == "__main__":
    main()
