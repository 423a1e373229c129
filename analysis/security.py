#!/usr/bin/python3
"""Table and chart: S/MIME per message vs MIKEY once + sealing, by
simulation (results/security/, from scenarios/security.ini): IP bytes,
latency and CPU per IM as the messages per conversation grow.

CPU per IM is everything the nodes were charged for the point's IMs and
sessions (parsing, S/MIME, MIKEY, sealing; ims.csv and sessions.csv
cpu_s), divided by the IMs sent; bytes per IM include the session's set-up
and teardown (summary.csv ip_bytes_per_im). Writes
results/security/security.md and, with matplotlib, security.png/.svg.
"""
import os
import sys

from simlib import MODES, num, parameters, pyplot, read_table, results_dir, save

LABEL = {"none": "no security", "smime": "S/MIME per message", "mikey": "MIKEY once + sealing"}


def algorithms():
    """The S/MIME, MIKEY and sealing choices the run used, from metadata.json."""
    p = parameters("security")
    return (f"{p['smime.algorithm']} with {p['smime.cipher']}; MIKEY mode {p['mikey.mode']}, "
            f"sealing {p['seal.suite']}")


def points():
    """One dict per point: security, mode, n, bytes, app bytes, latency, CPU per IM."""
    summary = read_table("security", "summary")
    cpu = {}
    for table in ("ims", "sessions"):
        for r in read_table("security", table):
            key = (r["point"], r["run"])
            cpu[key] = cpu.get(key, 0.0) + num(r["cpu_s"])
    out = []
    for r in summary:
        sent = num(r["ims_sent"])
        out.append({"security": r["security"], "mode": r["mode"], "n": int(r["messages_per_conversation"]),
                    "ip": num(r["ip_bytes_per_im"]), "app": num(r["app_bytes_per_im"]),
                    "latency": num(r["latency_mean"]), "cpu": cpu.get((r["point"], r["run"]), 0.0) / sent,
                    "delivered": r["delivered"], "sent": r["ims_sent"]})
    return out


def table(rows):
    lines = ["| security | mode | IMs per conversation | IP bytes per IM | SIP/MSRP bytes per IM | mean latency | "
             "CPU per IM (all nodes) | delivered |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for p in rows:
        lines.append(f"| {LABEL[p['security']]} | {p['mode']} | {p['n']} | {p['ip']:,.0f} | {p['app']:,.0f} | "
                     f"{p['latency'] * 1e3:.2f} ms | {p['cpu'] * 1e6:,.1f} µs | {p['delivered']}/{p['sent']} |")
    return "\n".join(lines) + "\n"


def compact(rows):
    """The README's table: IP bytes and CPU per IM, one row per security and
    mode, one column pair per number of IMs per conversation."""
    ns = sorted({p["n"] for p in rows})
    lines = ["| security | mode | " + " | ".join(f"{n} IM{'s' if n > 1 else ''}: IP bytes / CPU per IM" for n in ns)
             + " |", "|---|---|" + "---:|" * len(ns)]
    for sec in LABEL:
        for mode in MODES:
            cells = {p["n"]: p for p in rows if p["security"] == sec and p["mode"] == mode}
            if not cells:
                continue
            lines.append(f"| {LABEL[sec]} | {mode} | " + " | ".join(
                f"{cells[n]['ip']:,.0f} B / {cells[n]['cpu'] * 1e6:,.1f} µs" if n in cells else "—" for n in ns)
                + " |")
    return "\n".join(lines) + "\n"


def main():
    rows = sorted(points(), key=lambda p: (list(LABEL).index(p["security"]), MODES.index(p["mode"]), p["n"]))
    if "--readme" in sys.argv[1:]:
        # The table README.md quotes (`analysis/security.py --readme`).
        sys.stdout.write(compact(rows))
        return
    path = os.path.join(results_dir("security"), "security.md")
    with open(path, "w") as f:
        f.write("<!-- written by analysis/security.py from results/security/*.csv; do not edit -->\n")
        f.write("S/MIME per message vs MIKEY once + sealing (scenarios/security.ini): 100-byte IMs, Dan to "
                "Shirley (pager mode through both proxies, session modes on the direct connection), one "
                "conversation per point; S/MIME protects each IM's body in every mode.\n\n")
        f.write(table(rows))
    print(f"wrote {path}")
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for sec in LABEL:
        for mode in MODES:
            pts = sorted((p for p in rows if p["security"] == sec and p["mode"] == mode), key=lambda p: p["n"])
            if not pts:
                continue
            n = [p["n"] for p in pts]
            style = {"marker": "o", "ls": {"none": ":", "smime": "--", "mikey": "-"}[sec]}
            label = f"{LABEL[sec]}, {mode}"
            axes[0].plot(n, [p["ip"] for p in pts], label=label, **style)
            axes[1].plot(n, [p["latency"] * 1e3 for p in pts], label=label, **style)
            axes[2].plot(n, [p["cpu"] * 1e6 for p in pts], label=label, **style)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("IMs per conversation")
    axes[0].set_yscale("log")
    axes[2].set_yscale("log")
    axes[0].set_ylabel("IP bytes on all links per IM\n(incl. session set-up/teardown)")
    axes[1].set_ylabel("mean latency (ms)")
    axes[2].set_ylabel("CPU charged per IM, all nodes (µs)")
    axes[0].set_title("Bytes per IM")
    axes[1].set_title("Latency")
    axes[2].set_title("CPU per IM (parse + crypto)")
    axes[2].legend(fontsize=7)
    save(fig, "security", "security")


if __name__ == "__main__":
    main()
