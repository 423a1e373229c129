#!/usr/bin/python3
"""Chart: forking to 1-4 devices (results/forking/): bytes per IM and extra
copies delivered, pager vs session."""
from simlib import MODES, MODE_LABEL, num, pyplot, read_table, save


def main():
    summary = read_table("forking", "summary")
    plt = pyplot()
    if plt is None:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for mode in MODES:
        rows = sorted((r for r in summary if r["mode"] == mode), key=lambda r: int(r["devices_per_user"]))
        d = [int(r["devices_per_user"]) for r in rows]
        ax1.plot(d, [num(r["ip_bytes_per_im"]) for r in rows], marker="o", label=MODE_LABEL[mode])
        ax2.plot(d, [num(r["extra_deliveries"]) / max(1.0, num(r["ims_sent"])) for r in rows], marker="o",
                 label=MODE_LABEL[mode])
    ax1.set_ylabel("IP bytes per IM (all links)")
    ax2.set_ylabel("extra copies delivered per IM")
    for ax in (ax1, ax2):
        ax.set_xlabel("devices registered by the recipient")
        ax.set_xticks([1, 2, 3, 4])
    ax1.legend(fontsize=8)
    save(fig, "forking", "forking")


if __name__ == "__main__":
    main()
