#!/usr/bin/python3
"""Prints a Markdown table of a Google Benchmark JSON file (parse benchmark).

usage: /usr/bin/python3 analysis/bench_table.py results/bench/parse.json

One row per message, one column per parser: MB/s and ns per message, and
sipim's speed-up over the faster of osip2 and sofia-sip, all taken from the
same run.
"""
import json
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        rows[b["name"]] = b
    return data.get("context", {}), rows


def ns(b):
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    context, rows = load(sys.argv[1])
    messages = []
    for name in rows:
        family, parser, message = name.split("/", 2)
        if family == "BM_Parse" and message not in messages:
            messages.append(message)
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
    others = [n for n in rows if not n.startswith("BM_Parse/")]
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
