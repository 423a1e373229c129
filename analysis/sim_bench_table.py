#!/usr/bin/python3
"""Markdown table of the simulation comparisons in a bench_sim JSON file.

usage: analysis/sim_bench_table.py [results/sim-bench/pager-vs-bare.json]

One row per BM_PagerVsBareNs3 / BM_ModelsVsBareNs3 benchmark (the median
when the run has repetitions): IMs per wall second, ns per link packet for
sipim and for both bare ns-3 baselines, and the four ratios.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson  # noqa: E402


def main(argv):
    path = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "results", "sim-bench", "pager-vs-bare.json")
    ctx, rows = benchjson.load_or_exit(path, "sim_bench_table")
    loads = ", ".join(f"{x:.1f}" for x in ctx.get("load_avg", []))
    print(f"Run {ctx.get('date', '?')}, load average {loads}; medians where the run has repetitions.\n")
    print("| benchmark | IMs per wall s | sipim ns/pkt | bare hop-by-hop ns/pkt | **ratio** | ratio_cpu "
          "| bare IP-forwarding ns/pkt | ratio_ipfwd | ratio_ipfwd_cpu |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, b in sorted(rows.items()):
        if not name.startswith(("BM_PagerVsBareNs3", "BM_ModelsVsBareNs3")):
            continue
        if "ratio_ipfwd" not in b:
            sys.exit(f"{path}: {name} has no ratio_ipfwd (a run from before both baselines)")
        sim = b.get("sipim_ns_per_pkt", b.get("models_ns_per_pkt"))
        print(f"| `{name.replace('/real_time', '')}` | {b['ims_per_s']:,.0f} | {sim:,.0f} | "
              f"{b['bare_ns_per_pkt']:,.0f} | **{b['ratio']:.2f}x** | {b['ratio_cpu']:.2f}x | "
              f"{b['ipfwd_ns_per_pkt']:,.0f} | {b['ratio_ipfwd']:.2f}x | {b['ratio_ipfwd_cpu']:.2f}x |")


if __name__ == "__main__":
    main(sys.argv)
