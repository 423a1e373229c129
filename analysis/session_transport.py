#!/usr/bin/python3
"""Session mode's direct connection over TCP vs SCTP (results/session-transport/):
IM latency (mean, median, 95th percentile; each conversation's first IM,
which waits for the session and its connection, apart from the rest) and
IP bytes per IM against access-link loss, for the stripped MESSAGE and MSRP.
Latencies are pooled over the runs of a point from ims.csv."""
from simlib import MODE_LABEL, mean, num, pyplot, quantile, read_table, save

SCENARIO = "session-transport"
TRANSPORTS = ("tcp", "sctp")


def stats(ims, summary):
    """{(mode, transport, loss): dict} with the pooled latencies (s) of
    delivered IMs (all, first of each conversation, the rest), IMs sent,
    failed by reason, and the runs' mean IP bytes per IM."""
    point_key = {}
    bytes_per_im = {}
    for r in summary:
        key = (r["mode"], r["session_transport"], float(r["access.loss"]))
        point_key[r["point"]] = key
        bytes_per_im.setdefault(key, []).append(num(r["ip_bytes_per_im"]))
    first_send = {}
    for r in ims:
        conv = (r["point"], r["run"], r["conversation"])
        t = num(r["send_time"])
        if conv not in first_send or t < first_send[conv]:
            first_send[conv] = t
    out = {}
    for r in ims:
        key = point_key[r["point"]]
        s = out.setdefault(key, {"all": [], "first": [], "rest": [], "sent": 0, "failed": {},
                                 "ip_bytes_per_im": mean(bytes_per_im[key])})
        s["sent"] += 1
        if r["outcome"] != "delivered":
            s["failed"][r["reason"]] = s["failed"].get(r["reason"], 0) + 1
            continue
        latency = num(r["latency"])
        s["all"].append(latency)
        first = num(r["send_time"]) == first_send[(r["point"], r["run"], r["conversation"])]
        s["first" if first else "rest"].append(latency)
    for s in out.values():
        for part in ("all", "first", "rest"):
            s[part].sort()
    return out


def load():
    return stats(read_table(SCENARIO, "ims"), read_table(SCENARIO, "summary"))


def main():
    pts = load()
    plt = pyplot()
    if plt is None:
        return
    modes = sorted({k[0] for k in pts}, key=lambda m: list(MODE_LABEL).index(m))
    losses = sorted({k[2] for k in pts})
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for i, mode in enumerate(modes):
        for transport, style in zip(TRANSPORTS, ("-o", "--s")):
            rows = [pts[(mode, transport, l)] for l in losses if (mode, transport, l) in pts]
            x = [l * 100 for l in losses if (mode, transport, l) in pts]
            label = f"{MODE_LABEL[mode].split(' (')[0]} over {transport.upper()}"
            axes[0].plot(x, [mean(s["rest"]) * 1000 for s in rows], style, color=f"C{i}", label=label)
            axes[1].plot(x, [quantile(s["all"], 0.95) * 1000 for s in rows], style, color=f"C{i}", label=label)
            axes[2].plot(x, [s["ip_bytes_per_im"] for s in rows], style, color=f"C{i}", label=label)
    axes[0].set_ylabel("mean latency of IMs after the first (ms)")
    axes[1].set_ylabel("95th percentile latency, all IMs (ms)")
    axes[2].set_ylabel("IP bytes per IM (all links, set-up included)")
    for ax in axes:
        ax.set_xlabel("packet loss on each access link (%)")
    axes[0].legend(fontsize=8)
    save(fig, SCENARIO, "session-transport")


if __name__ == "__main__":
    main()
