#!/usr/bin/python3
"""Prints a Markdown table of a Google Benchmark JSON file (parse benchmark).

usage: /usr/bin/python3 analysis/bench_table.py results/bench/parse.json

One row per message, one column per parser: MB/s and ns per message, and
sipim's speed-up over the faster of osip2 and sofia-sip, all taken from the
same run (medians where the run has repetitions).
"""
import sys

from benchjson import cpu_ns as ns
from benchjson import load_or_exit


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    context, rows = load_or_exit(sys.argv[1], "bench_table")
    corpus_order = ["message-2proxies", "invite-msrp", "ok-200", "register", "message-4k", "msrp-send"]
    messages = []
    for name in rows:
        family, parser, message = name.split("/", 2)
        if family == "BM_Parse" and message not in messages:
            messages.append(message)
    messages.sort(key=lambda m: (corpus_order.index(m) if m in corpus_order else len(corpus_order), m))
    print(f"Machine: {context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz, "
          f"{context.get('date', '')}")
    print()
    print("| message | bytes | sipim | osip2 | sofia-sip | memchr floor | sipim vs best peer |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for m in messages:
        cells, size = {}, None
        for parser in ("sipim", "osip2", "sofia", "memchr"):
            b = rows.get(f"BM_Parse/{parser}/{m}")
            if b is None:
                cells[parser] = "—"
                continue
            size = int(b.get("message_bytes", 0))
            cells[parser] = f"{b['bytes_per_second'] / 1e6:,.0f} MB/s ({ns(b):,.0f} ns)"
        peers = [ns(rows[f"BM_Parse/{p}/{m}"]) for p in ("osip2", "sofia") if f"BM_Parse/{p}/{m}" in rows]
        own = rows.get(f"BM_Parse/sipim/{m}")
        ratio = f"{min(peers) / ns(own):.1f}×" if peers and own else "—"
        print(f"| {m} | {size} | {cells['sipim']} | {cells['osip2']} | {cells['sofia']} | "
              f"{cells['memchr']} | {ratio} |")
    others = sorted(n for n in rows if not n.startswith("BM_Parse/"))
    if others:
        print()
        print("| operation | bytes | throughput | ns per message |")
        print("|---|---:|---:|---:|")
        for n in others:
            b = rows[n]
            print(f"| {n} | {int(b.get('message_bytes', 0))} | "
                  f"{b['bytes_per_second'] / 1e6:,.0f} MB/s | {ns(b):,.0f} |")


if __name__ == "__main__":
    main()
