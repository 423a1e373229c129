#!/usr/bin/python3
"""Chart: bytes per IM and proxy load vs messages per conversation
(results/overhead/), with the break-even points computed by simlib."""
from simlib import MODES, MODE_LABEL, break_even, num, pyplot, read_table, save


def main():
    summary = read_table("overhead", "summary")
    plt = pyplot()
    if plt is None:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for mode in MODES:
        rows = sorted((r for r in summary if r["mode"] == mode), key=lambda r: int(r["messages_per_conversation"]))
        n = [int(r["messages_per_conversation"]) for r in rows]
        ax1.plot(n, [num(r["ip_bytes_per_im"]) for r in rows], marker="o", label=MODE_LABEL[mode])
        ax2.plot(n, [num(r["proxy_messages_per_im"]) for r in rows], marker="o", label=MODE_LABEL[mode])
    for mode, be in break_even(summary).items():
        if be["fitted_n"] != float("inf"):
            ax1.axvline(be["fitted_n"], ls=":", color="grey")
            ax1.annotate(f"break-even, {mode}: N = {be['fitted_n']:.1f}", (be["fitted_n"], ax1.get_ylim()[0] * 1.1),
                         fontsize=8, rotation=90, ha="right", va="bottom")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("IMs per conversation")
    ax1.set_yscale("log")
    ax1.set_ylabel("IP bytes on all links per IM\n(incl. session set-up/teardown, ACKs)")
    ax2.set_ylabel("SIP messages handled by proxies per IM")
    ax1.legend(fontsize=8)
    ax1.set_title("Bytes per IM")
    ax2.set_title("Proxy load")
    save(fig, "overhead", "overhead")


if __name__ == "__main__":
    main()
