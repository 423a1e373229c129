#!/usr/bin/python3
"""Charts around the 1300-byte limit (results/size-limit/): delivery ratio,
latency and bytes vs IM size for UDP (IP fragments), TCP and SCTP at each
loss rate; first-attempt success over UDP against the analytic (1 - p)^n."""
from simlib import num, pyplot, read_table, save
import findings


def main():
    summary = read_table("size-limit", "summary")
    plt = pyplot()
    if plt is None:
        return
    losses = sorted({r["access.loss"] for r in summary}, key=float)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    styles = {"udp": "-", "tcp": "--", "sctp": ":"}
    for transport in findings.transports_of(summary):
        style = styles[transport]
        for i, loss in enumerate(losses):
            rows = sorted((r for r in summary if r["transport"] == transport and r["access.loss"] == loss),
                          key=lambda r: int(r["message_size"]))
            x = [int(r["message_size"]) for r in rows]
            label = f"{transport} loss {float(loss) * 100:g} %"
            color = f"C{i}"
            axes[0].plot(x, [num(r["delivery_ratio"]) for r in rows], style, marker=".", color=color, label=label)
            axes[1].plot(x, [num(r["latency_mean"]) * 1000 for r in rows], style, marker=".", color=color, label=label)
            axes[2].plot(x, [num(r["ip_bytes_per_im"]) for r in rows], style, marker=".", color=color, label=label)
    for ax in axes:
        ax.set_xscale("log")
        ax.axvline(1300, color="grey", ls=":")
        ax.set_xlabel("IM body bytes (RFC 3428 limit 1300 dotted)")
    axes[0].set_ylabel("delivery ratio")
    axes[1].set_ylabel("mean latency (ms)")
    axes[1].set_yscale("log")
    axes[2].set_ylabel("IP bytes per IM (all links)")
    axes[2].set_yscale("log")
    axes[0].legend(fontsize=7)
    save(fig, "size-limit", "size-limit")

    fig, ax = plt.subplots()
    for i, (loss, pts) in enumerate(sorted(findings.first_attempt(read_table("size-limit", "ims"), summary).items())):
        if loss == 0:
            continue
        sizes = sorted(pts)
        ax.plot(sizes, [pts[s][0] for s in sizes], "o", color=f"C{i}", label=f"measured, p = {loss * 100:g} %")
        ax.plot(sizes, [pts[s][1] for s in sizes], "-", color=f"C{i}", label=f"(1 - p)^n, p = {loss * 100:g} %")
    ax.set_xscale("log")
    ax.set_xlabel("IM body bytes")
    ax.set_ylabel("UDP transactions done without a retransmission")
    ax.set_title("First-attempt success over UDP vs (1 - p)^n\n(n = IP packets and fragments on lossy links)")
    ax.legend(fontsize=7)
    save(fig, "size-limit", "first-attempt")


if __name__ == "__main__":
    main()
