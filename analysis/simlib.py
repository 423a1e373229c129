"""Shared helpers of the sipim simulation charts and findings.

Reads the tidy CSVs `sipim run` writes (results/<scenario>/*.csv) with the
standard library only, so that findings.py runs without matplotlib; the
chart scripts import matplotlib through `pyplot()` and skip cleanly when it
is missing (plotting is optional).
"""
import csv
import math
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RESULTS = os.path.join(ROOT, "results")
MODES = ("pager", "session-stripped", "session-msrp")
MODE_LABEL = {"pager": "pager (MESSAGE via proxies, UDP)",
              "session-stripped": "session, stripped MESSAGE (TCP)",
              "session-msrp": "session, MSRP (TCP)"}


def results_root():
    """The folder of every scenario's results: $SIPIM_RESULTS, else results/."""
    return os.environ.get("SIPIM_RESULTS", RESULTS)


def results_dir(scenario):
    return os.path.join(results_root(), scenario)


def read_table(scenario, table):
    """Rows of results/<scenario>/<table>.csv as dicts (strings)."""
    path = os.path.join(results_dir(scenario), table + ".csv")
    if not os.path.exists(path):
        sys.exit(f"{path}: missing; run `sipim run scenarios/{scenario}.ini` first")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(text):
    """A CSV number; empty means missing (NaN)."""
    return float(text) if text not in ("", None) else math.nan


def quantile(sorted_values, q):
    """The q-quantile of sorted values (nearest rank), NaN when empty."""
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def mean(values):
    """The mean, NaN when empty."""
    return sum(values) / len(values) if values else math.nan


def linear_fit(xs, ys):
    """Least-squares a + b*x."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - b * mx, b


def break_even(summary, metric="ip_bytes_per_im"):
    """Where each session mode's cost per IM falls to pager mode's.

    Per conversation of N IMs, cost(N) = metric * N. Fitting
    cost = setup + per_im * N to each mode's points, session mode pays
    back its set-up at N* = (setup_s - setup_p) / (per_im_p - per_im_s).
    Also returns the first swept N at which the measured session cost per
    IM is at or below pager's, for a check that needs no fit.
    """
    by_mode = {}
    for r in summary:
        n = int(r["messages_per_conversation"])
        by_mode.setdefault(r["mode"], {})[n] = num(r[metric])
    out = {}
    pager = by_mode.get("pager", {})
    if not pager:
        return out
    ns = sorted(pager)
    a_p, b_p = linear_fit(ns, [pager[n] * n for n in ns])
    for mode in MODES[1:]:
        pts = by_mode.get(mode, {})
        if not pts:
            continue
        common = sorted(set(pts) & set(pager))
        a_s, b_s = linear_fit(common, [pts[n] * n for n in common])
        fitted = (a_s - a_p) / (b_p - b_s) if b_p > b_s else math.inf
        first = next((n for n in common if pts[n] <= pager[n]), None)
        out[mode] = {"setup": a_s - a_p, "per_im_session": b_s, "per_im_pager": b_p,
                     "fitted_n": fitted, "first_swept_n": first,
                     "at_1": (pts.get(1), pager.get(1)), "at_max": (pts[common[-1]], pager[common[-1]], common[-1])}
    return out


def pyplot():
    """matplotlib.pyplot with a file backend, or None (plots are optional)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.rcParams.update({"figure.figsize": (7, 4.5), "axes.grid": True, "grid.alpha": 0.3,
                             "svg.hashsalt": "sipim", "savefig.dpi": 110})
        return plt
    except ImportError:
        print("matplotlib not installed: skipping the chart (python3-matplotlib)", file=sys.stderr)
        return None


def save_at(fig, base, **savefig_args):
    """base.png and base.svg, the same bytes on every run of the same data:
    no date or software version in them, SVG ids from a fixed salt."""
    import matplotlib
    with matplotlib.rc_context({"svg.hashsalt": "sipim"}):
        fig.savefig(base + ".png", metadata={"Software": None}, **savefig_args)
        fig.savefig(base + ".svg", metadata={"Date": None, "Creator": None}, **savefig_args)


def save(fig, scenario, name):
    """results/<scenario>/<name>.png and .svg (see save_at)."""
    base = os.path.join(results_dir(scenario), name)
    save_at(fig, base, bbox_inches="tight")
    print(f"wrote {base}.png, {base}.svg")


def parameters(scenario):
    """The resolved parameters recorded in results/<scenario>/metadata.json."""
    import json
    with open(os.path.join(results_dir(scenario), "metadata.json")) as f:
        return json.load(f)["parameters"]
