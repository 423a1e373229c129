#!/usr/bin/python3
"""Chart: the answerer's pause vs RTT and the rate of duplicate media
connections (results/connect-race/)."""
from simlib import num, parameters, pyplot, read_table, save
from units import seconds


def main():
    summary = read_table("connect-race", "summary")
    plt = pyplot()
    if plt is None:
        return
    access = seconds(parameters("connect-race")["access.delay"])
    fig, ax = plt.subplots()
    for i, delay in enumerate(sorted({r["core.delay"] for r in summary}, key=seconds)):
        for setup, style in (("both", "-o"), ("active", "--x")):
            rows = sorted((r for r in summary if r["core.delay"] == delay and r["connection_setup"] == setup),
                          key=lambda r: seconds(r["answer_pause"]))
            rtt = 2 * (seconds(delay) + 2 * access)  # UA-proxy, proxy-proxy, proxy-UA and back
            x = [seconds(r["answer_pause"]) / rtt for r in rows]
            y = [num(r["duplicate_connections"]) / max(1.0, num(r["sessions"])) for r in rows]
            ax.plot(x, y, style, color=f"C{i}", label=f"{setup}, RTT {rtt * 1000:g} ms")
    ax.set_xlabel("answerer's pause / RTT")
    ax.set_ylabel("duplicate connections per session")
    ax.legend(fontsize=8)
    save(fig, "connect-race", "connect-race")


if __name__ == "__main__":
    main()
