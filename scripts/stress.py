#!/usr/bin/python3
"""Runs sipim on random hard configurations and reports the runs that go wrong.

Each run is one point of a scenario (default scenarios/proxy-hol.ini) with a
random mode (pager, session-stripped, session-msrp), security (none, S/MIME,
MIKEY in sessions), SIP and media transports (SIP over SCTP ordered or not,
on 1 or 8 streams, with or without interleaving), a=setup and answer pause,
devices per user (forking), message sizes and heavy loss (2-20 % on the
core link, 0-8 % on the access links). A run goes
wrong when sipim exits non-zero (a crash shows as "crashed (signal N)" in
its output), its summary is missing, its IM accounting does not balance, or
IMs are still "unfinished" at the stop: the simulation never decided them.
Every bad run is printed with the command that repeats it.

This is how the heavy-loss crashes and stalls of models/ns3/sip/README.md
were found. It takes a few seconds per run on this machine.

usage: scripts/stress.py [--sipim build/sim/sipim] [--runs 50] [--seed 1]
                         [--scenario scenarios/proxy-hol.ini] [--out DIR]
exit status: 0 when every run is good, 1 when one is not, 2 on bad usage.
"""
import argparse
import csv
import os
import random
import shlex
import subprocess
import sys
import tempfile


def random_config(rng):
    """The command-line overrides of one run."""
    mode = rng.choice(["pager", "session-stripped", "session-msrp"])
    security = rng.choice(["none", "none", "smime"] + (["mikey"] if mode != "pager" else []))
    args = ["--seed", str(rng.randint(1, 10**6)), "--replications", "1",
            "--sweep.core.loss", str(rng.choice([0.02, 0.05, 0.08, 0.12, 0.2])),
            "--access.loss", str(rng.choice([0, 0.01, 0.04, 0.08])),
            "--message_size", rng.choice(["200", "uniform:10:3000", "exponential:4000", "uniform:10:70000"]),
            "--mode", mode, "--security", security, "--conversations", str(rng.choice([20, 40, 60]))]
    args += ["--devices_per_user", str(rng.choice([1, 1, 2, 3]))]
    transport = rng.choice(["udp", "tcp", "sctp"])
    if mode != "pager":
        args += ["--session_transport", rng.choice(["tcp", "sctp"]),
                 "--connection_setup", rng.choice(["active", "passive", "both"]),
                 "--answer_pause", rng.choice(["0", "5ms", "50ms", "300ms"])]
    ordering = "unordered"
    if transport == "sctp":
        ordering = rng.choice(["unordered", "ordered"])
        args += ["--sctp_streams", str(rng.choice([1, 8])),
                 "--sctp_interleaving", rng.choice(["false", "true"])]
    return args + ["--sweep.transport", transport, "--sweep.sctp_ordering", ordering]


def judge(returncode, output, summary_path):
    """(good, what) for one finished run."""
    problems = []
    if returncode != 0:
        problems.append(f"exit status {returncode}")
    lines = output.strip().splitlines()
    crashed = [line for line in lines if "crashed" in line]
    problems += crashed[:1] if crashed else lines[-1:] if returncode != 0 else []
    try:
        with open(summary_path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        return False, "; ".join(problems + [f"no summary.csv ({e.strerror})"])
    if len(rows) != 1:
        return False, "; ".join(problems + [f"summary.csv has {len(rows)} rows, not 1"])
    r = rows[0]
    sent, delivered, failed, unfinished = (int(r[k]) for k in ("ims_sent", "delivered", "failed", "unfinished"))
    if sent != delivered + failed + unfinished:
        problems.append(f"accounting: {sent} sent != {delivered} delivered + {failed} failed + {unfinished} unfinished")
    if unfinished:
        problems.append(f"{unfinished} IMs unfinished at the stop")
    what = f"{sent} IMs: {delivered} delivered, {failed} failed ({r['failed_reasons'] or '-'})"
    return not problems, "; ".join(problems) if problems else what


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sipim", default="build/sim/sipim")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--seed", type=int, default=1, help="seed of the configurations drawn")
    p.add_argument("--scenario", default="scenarios/proxy-hol.ini")
    p.add_argument("--out", help="directory for the runs (default: a temporary one)")
    a = p.parse_args()
    if not os.access(a.sipim, os.X_OK):
        p.error(f"{a.sipim}: not an executable sipim; build it first (scripts/build.sh) or name it with --sipim")
    if not os.path.isfile(a.scenario):
        p.error(f"{a.scenario}: no such scenario file")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    out = os.path.abspath(a.out or tempfile.mkdtemp(prefix="sipim-stress-"))
    sipim, scenario = os.path.abspath(a.sipim), os.path.abspath(a.scenario)
    # sipim finds results/calibration from the project's root.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rng = random.Random(a.seed)
    bad = 0
    for i in range(1, a.runs + 1):
        run_dir = os.path.join(out, f"run-{i}")
        cmd = [sipim, "run", scenario, "--out", run_dir, "--progress=false"] + random_config(rng)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
        good, what = judge(proc.returncode, proc.stdout + proc.stderr, os.path.join(run_dir, "summary.csv"))
        bad += not good
        print(f"{'ok ' if good else 'BAD'} {i}/{a.runs}: {what}", flush=True)
        if not good:
            print(f"    repeat (in {root}): " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    print(f"stress: {a.runs - bad} of {a.runs} runs good ({out})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
