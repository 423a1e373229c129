#!/usr/bin/python3
"""Writes results/FINDINGS.md: every number in it is computed here from the
CSVs under results/ (standard library only; no plotting needed)."""
import json
import math
import os
import sys

import benchjson

import proxy_hol
import sctp_interleaving
import security
import session_transport
from simlib import (MODES, break_even, linear_fit, mean, num, parameters, quantile, read_table, results_dir,
                    results_root)
from units import seconds


def fmt(x, digits=0):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isfinite(x):
        x = round(x, digits) + 0.0  # a fit's -1e-12 is 0, not "-0.0"
    return f"{x:,.{digits}f}"


def by(rows, **match):
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def one(rows, **match):
    found = by(rows, **match)
    if len(found) != 1:
        raise SystemExit(f"expected one row for {match}, found {len(found)}")
    return found[0]


def first_attempt(ims, summary):
    """{loss: {size: (measured, analytic)}} for UDP pager transactions.

    measured: share of IMs delivered without any retransmission.
    analytic: (1 - p)^n, n = IP packets (fragments counted) one clean
    transaction puts on the lossy links: 2 of its 3 hops are access links
    with loss p, so n = 2/3 of its packets in the loss-free run.
    """
    points = {r["point"]: r for r in summary if r["transport"] == "udp"}
    clean = {}
    for r in ims:
        p = points.get(r["point"])
        if p and float(p["access.loss"]) == 0 and r["outcome"] == "delivered":
            clean.setdefault(int(p["message_size"]), []).append(num(r["packets"]))
    stats = {}
    for r in ims:
        p = points.get(r["point"])
        if not p:
            continue
        key = (float(p["access.loss"]), int(p["message_size"]))
        ok = r["outcome"] == "delivered" and int(r["retransmissions"]) == 0
        s = stats.setdefault(key, [0, 0])
        s[0] += ok
        s[1] += 1
    out = {}
    for (loss, size), (ok, n) in stats.items():
        if size not in clean:
            continue  # not sendable at all (no loss-free reference)
        packets = sum(clean[size]) / len(clean[size]) * 2 / 3
        out.setdefault(loss, {})[size] = (ok / n, (1 - loss) ** packets)
    return out


def accounting_lines():
    # The same folder as every other section reads (SIPIM_RESULTS included).
    lines = []
    for scenario in sorted(os.listdir(results_root())):
        meta = os.path.join(results_dir(scenario), "metadata.json")
        if not os.path.exists(meta):
            continue
        with open(meta) as f:
            m = json.load(f)
        a = m.get("accounting")
        if not a:
            continue
        lines.append(f"| {scenario} | {a['sent']:,} | {a['delivered']:,} | {a['failed']:,} | {a['unfinished']:,} | "
                     f"{'OK' if a['ok'] else 'MISMATCH'} | {m['code_version']} |")
    return lines


def wire_sequence(scenario, attributions):
    seq = []
    for r in read_table(scenario, "wire"):
        if r["first_line"] and r["attribution"].split(":")[0] in attributions:
            line = r["first_line"]
            label = line[8:11] if line.startswith("SIP/2.0 ") else line.split(" ")[0]
            seq.append(f"{label} ({r['link_name']}, {r['protocol']})")
    return seq


def section_flows(out):
    out.append("## Figures 1 and 2: the flows on the wire\n")
    for scenario, attrs, title in (("fig1-pager", ("im",), "Figure 1, pager mode"),
                                   ("fig2-session", ("im", "session"), "Figure 2, session mode")):
        seq = wire_sequence(scenario, attrs)
        s = read_table(scenario, "summary")[0]
        out.append(f"**{title}** ({len(seq)} SIP messages on the links, IP-forwarded copies included, "
                   f"registrations excluded): " + " → ".join(seq) + "\n")
        out.append(f"IP bytes on all links for the one IM: {fmt(num(s['ip_bytes_per_im']))} "
                   f"(IM {fmt(num(s['im_ip_bytes']))} + session set-up/teardown {fmt(num(s['session_ip_bytes']))}).\n")


def section_overhead(out):
    summary = read_table("overhead", "summary")
    be = break_even(summary)
    out.append("## Overhead: pager vs session mode (scenarios/overhead.ini)\n")
    out.append("IP bytes on all links per IM (session set-up and teardown, TCP handshakes and pure ACKs "
               "included), and SIP messages handled by the proxies per IM:\n")
    ns = sorted({int(r["messages_per_conversation"]) for r in summary})
    out.append("| IMs per conversation | " + " | ".join(f"{m} bytes/IM" for m in MODES) + " | " +
               " | ".join(f"{m} proxy msgs/IM" for m in MODES) + " |")
    out.append("|---" * (1 + 2 * len(MODES)) + "|")
    for n in ns:
        cells = []
        for metric, digits in (("ip_bytes_per_im", 0), ("proxy_messages_per_im", 2)):
            for m in MODES:
                rows = by(summary, mode=m, messages_per_conversation=str(n))
                cells.append(fmt(num(rows[0][metric]), digits) if rows else "n/a")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    out.append("")
    for mode, b in be.items():
        out.append(f"- **Break-even, {mode} vs pager** (bytes): fitting cost(N) = set-up + per-IM·N to each mode, "
                   f"session mode costs {fmt(b['setup'])} B more to set up and tear down and "
                   f"{fmt(b['per_im_session'])} B per IM against pager's {fmt(b['per_im_pager'])} B, so it pays back "
                   f"after **N* = {fmt(b['fitted_n'], 1)} IMs**; the first swept N where it is measured cheaper per IM "
                   f"is {b['first_swept_n']}. At N = {b['at_max'][2]} it costs {fmt(b['at_max'][0])} B/IM vs "
                   f"{fmt(b['at_max'][1])} B/IM ({fmt(100 * (1 - b['at_max'][0] / b['at_max'][1]), 0)} % less).")
    load = break_even(summary, "proxy_messages_per_im")
    for mode, b in load.items():
        out.append(f"- **Proxy load, {mode} vs pager**: proxies handle {fmt(b['per_im_pager'], 2)} messages per "
                   f"pager IM and {fmt(b['per_im_session'], 2)} per in-session IM; the session's signalling "
                   f"pays back after N* = {fmt(b['fitted_n'], 1)} IMs (first swept N: {b['first_swept_n']}).")
    out.append("")


def transports_of(summary):
    """The transports of a summary's rows, in the order UDP, TCP, SCTP."""
    order = ("udp", "tcp", "sctp")
    present = {r["transport"] for r in summary}
    unknown = present - set(order)
    if unknown:
        raise SystemExit(f"findings: unknown transport(s) {sorted(unknown)} in summary.csv")
    return [t for t in order if t in present]


def sctp_vs_tcp(summary, sizes, losses):
    """Lines comparing the two congestion-safe transports point by point:
    IMs failed, and SCTP's mean latency and IP bytes per IM against TCP's."""
    lines = []
    safe = [r for r in summary if r["transport"] in ("tcp", "sctp")]
    lost = sum(int(r["failed"]) + int(r["unfinished"]) for r in safe)
    lines.append(f"Over TCP and SCTP, {sum(int(r['delivered']) for r in safe)} of "
                 f"{sum(int(r['ims_sent']) for r in safe)} IMs were delivered ({lost} failed or unfinished), "
                 f"up to {max(sizes)} B at every loss rate. SCTP against TCP, point by point (min – median – max "
                 f"over the {len(sizes)} sizes):\n")
    lines.append("| loss | mean latency SCTP/TCP | largest at | IP bytes per IM SCTP/TCP |")
    lines.append("|---|---|---|---|")
    for l in losses:
        lat, byt = [], []  # lat: (SCTP/TCP mean latency, size)
        for size in sizes:
            s = one(summary, transport="sctp", message_size=str(size), **{"access.loss": l})
            t = one(summary, transport="tcp", message_size=str(size), **{"access.loss": l})
            if num(t["latency_mean"]) > 0 and num(s["latency_mean"]) > 0:
                lat.append((num(s["latency_mean"]) / num(t["latency_mean"]), size))
            byt.append(num(s["ip_bytes_per_im"]) / num(t["ip_bytes_per_im"]))
        lat.sort()
        byt.sort()
        lines.append(f"| {float(l) * 100:g} % | {fmt(lat[0][0], 2)} – {fmt(lat[len(lat) // 2][0], 2)} – "
                     f"{fmt(lat[-1][0], 2)} | {lat[-1][1]} B | {fmt(byt[0], 3)} – {fmt(byt[len(byt) // 2], 3)} – "
                     f"{fmt(byt[-1], 3)} |")
    lines.append("")
    lines.append("Without loss the gap opens for IMs of more than 4 DATA packets: RFC 9260's Max.Burst (4 "
                 "packets, then a SACK, §6.1 D) and initial window (4,380 bytes, §7.2.1) against ns-3 TCP's 10 "
                 "segments cost it round trips on each of the three hops. Run again with "
                 "`NS_ATTRIBUTE_DEFAULT='ns3::SctpSocket::MaxBurst=100;ns3::SctpSocket::InitialCwnd=14520'` "
                 "(`--sweep.transport sctp,tcp --sweep.access.loss 0`), most of that gap closes. Under loss, "
                 "SIP over SCTP sends each message as one SCTP message on stream 0 with the U bit (RFC 4168 "
                 "§5.1), so a lost MESSAGE delays only its own transaction; over TCP it holds back every "
                 "message behind it on the connection. "
                 "`NS_ATTRIBUTE_DEFAULT='ns3::SipUserAgent::SctpUnordered=false;ns3::SipProxy::SctpUnordered=false'` "
                 "(`--sweep.transport sctp`) sends them ordered instead, for comparison.\n")
    return lines


def section_size(out):
    summary = read_table("size-limit", "summary")
    ims = read_table("size-limit", "ims")
    out.append("## Around the 1300-byte limit (scenarios/size-limit.ini)\n")
    transports = transports_of(summary)
    out.append("Pager MESSAGEs sent anyway over UDP (large_message = fragment) vs over the congestion-safe "
               f"{' and '.join(t.upper() for t in transports if t != 'udp')}; loss on both access "
               "links. Delivery ratio / mean latency (ms) / IP fragments per IM:\n")
    sizes = sorted({int(r["message_size"]) for r in summary})
    losses = sorted({r["access.loss"] for r in summary}, key=float)
    out.append("| body bytes | " + " | ".join(f"{t} p={float(l) * 100:g}%" for t in transports for l in losses) + " |")
    out.append("|---" * (1 + len(transports) * len(losses)) + "|")
    for size in sizes:
        cells = []
        for t in transports:
            for l in losses:
                r = one(summary, transport=t, message_size=str(size), **{"access.loss": l})
                sent = max(1.0, num(r["ims_sent"]))
                cells.append(f"{fmt(num(r['delivery_ratio']), 2)} / {fmt(num(r['latency_mean']) * 1000, 0)} / "
                             f"{fmt(num(r['im_fragments']) / sent, 1)}")
        out.append(f"| {size} | " + " | ".join(cells) + " |")
    out.append("")
    fa = first_attempt(ims, summary)
    worst = max(((abs(m - a), loss, size, m, a) for loss, pts in fa.items() for size, (m, a) in pts.items()
                 if loss > 0), default=None)
    if worst:
        out.append(f"First-attempt success over UDP vs the analytic (1 − p)^n (n = IP packets and fragments of a "
                   f"clean transaction on the lossy links): largest gap {fmt(worst[0], 3)} at p = "
                   f"{worst[1] * 100:g} %, {worst[2]} B (measured {fmt(worst[3], 3)}, analytic {fmt(worst[4], 3)}); "
                   f"40 IMs per point, so a gap of ±0.15 is within sampling noise.\n")
        big = [(loss, size, m, a) for loss, pts in fa.items() for size, (m, a) in pts.items() if loss == 0.05]
        if big:
            lo = min(big, key=lambda t: t[3])
            out.append(f"At p = 5 % the analytic first-try success falls to {fmt(lo[3], 3)} at {lo[1]} B "
                       f"(measured {fmt(lo[2], 3)}).\n")
    if "sctp" in transports and "tcp" in transports:
        out.extend(sctp_vs_tcp(summary, sizes, losses))
    failed = [r for r in summary if num(r["failed"]) > 0]
    for r in failed:
        out.append(f"- {r['transport']} {r['message_size']} B, p = {float(r['access.loss']) * 100:g} %: "
                   f"{r['failed']} of {r['ims_sent']} failed ({r['failed_reasons']}).")
    out.append("")


def section_forking(out):
    summary = read_table("forking", "summary")
    out.append("## Forking to several devices (scenarios/forking.ini)\n")
    out.append("| mode | devices | IP bytes/IM | copies delivered beyond the first, per IM | failed IMs (reasons) |")
    out.append("|---|---|---|---|---|")
    for m in MODES:
        for r in sorted(by(summary, mode=m), key=lambda r: int(r["devices_per_user"])):
            sent = max(1.0, num(r["ims_sent"]))
            out.append(f"| {m} | {r['devices_per_user']} | {fmt(num(r['ip_bytes_per_im']))} | "
                       f"{fmt(num(r['extra_deliveries']) / sent, 2)} | {r['failed']} ({r['failed_reasons'] or '-'}) |")
    out.append("")


def section_race(out):
    summary = read_table("connect-race", "summary")
    out.append("## Connection race (scenarios/connect-race.ini)\n")
    out.append("Duplicate media connections per session, by the answerer's pause before answering and the "
               "core's one-way delay:\n")
    delays = sorted({r["core.delay"] for r in summary}, key=seconds)
    pauses = sorted({r["answer_pause"] for r in summary}, key=seconds)
    out.append("| setup | core delay | " + " | ".join(f"pause {p}" for p in pauses) + " |")
    out.append("|---|---" + "|---" * len(pauses) + "|")
    for setup in ("both", "active"):
        for d in delays:
            cells = []
            for p in pauses:
                r = one(summary, connection_setup=setup, answer_pause=p, **{"core.delay": d})
                cells.append(fmt(num(r["duplicate_connections"]) / max(1.0, num(r["sessions"])), 2))
            out.append(f"| {setup} | {d} | " + " | ".join(cells) + " |")
    out.append("")


def section_session_transport(out):
    st = session_transport
    pts = st.load()
    ms = lambda v: fmt(v * 1000, 0)
    out.append("## Session mode over TCP vs SCTP (scenarios/session-transport.ini)\n")
    out.append("The session's direct connection over TCP or SCTP, signalling over UDP through the proxies; "
               "loss on both access links; latencies pooled over the runs of each point. A conversation's "
               "first IM waits for the INVITE and the connection, the later ones only for the connection. "
               "Latency in ms:\n")
    out.append("| mode | transport | loss | IMs failed (reasons) | first IM: mean / p95 | later IMs: mean / p50 / "
               "p95 / p99 | IP bytes per IM |")
    out.append("|---|---|---|---|---|---|---|")
    modes = [m for m in MODES if any(k[0] == m for k in pts)]
    losses = sorted({k[2] for k in pts})
    for m in modes:
        for t in st.TRANSPORTS:
            for l in losses:
                s = pts[(m, t, l)]
                failed = sum(s["failed"].values())
                reasons = ", ".join(f"{r} {n}" for r, n in sorted(s["failed"].items()))
                out.append(f"| {m} | {t} | {l * 100:g} % | {failed} of {s['sent']}{f' ({reasons})' if reasons else ''} | "
                           f"{ms(mean(s['first']))} / {ms(quantile(s['first'], 0.95))} | "
                           f"{ms(mean(s['rest']))} / {ms(quantile(s['rest'], 0.5))} / "
                           f"{ms(quantile(s['rest'], 0.95))} / {ms(quantile(s['rest'], 0.99))} | "
                           f"{fmt(s['ip_bytes_per_im'])} |")
    out.append("")
    for m in modes:
        ratio = lambda part: ", ".join(
            fmt(mean(pts[(m, "sctp", l)][part]) / mean(pts[(m, "tcp", l)][part]), 2) for l in losses)
        out.append(f"- **{m}**: SCTP's mean latency against TCP's at {', '.join(f'{l * 100:g} %' for l in losses)} "
                   f"loss: later IMs {ratio('rest')}×; first IM {ratio('first')}×.")
    out.append("- Without loss the first IM over SCTP waits two round trips for its connection (INIT / INIT ACK, "
               "then COOKIE ECHO / COOKIE ACK: the socket is connected on the COOKIE ACK) where TCP's is up after "
               "one (SYN / SYN-ACK). Under loss a lost SYN costs ns-3's TCP its 3 s connection timeout and a lost "
               "INIT costs SCTP its 1 s RTO.Initial (compare the first IM's 95th percentiles in the table).")
    out.append("- Both ends send on one session and each end's conversation closes it with BYE when it ends. "
               "An IM in flight when the other end's BYE arrives keeps its true outcome: the session waits for it "
               "and fails it `session-closed` only if the other end closes its connections (or 64*T1 passes) "
               "before reading it, which here happens when the connection is stalled by loss; IMs not yet sent "
               "go on a new session (models/ns3/sip/README.md).")
    out.append("")


def section_proxy_hol(out):
    ph = proxy_hol
    pts = ph.load()
    ms = lambda v: fmt(v * 1000, 0)
    losses = sorted({k[2] for k in pts})
    out.append("## Head-of-line blocking between proxies (scenarios/proxy-hol.ini)\n")
    out.append("Pager-mode MESSAGEs of 200 B between 20 users in each of two domains, 20 conversations at a time, "
               "so the two proxies carry many users' transactions on one connection or association; only the "
               "proxy-to-proxy link loses packets. Latency is the recipient's delivery time after the send, "
               f"pooled over the runs of each point; *late* is more than {ph.LATE_S * 1000:g} ms after the "
               "variant's loss-free median, against the loss rate, which is the share of IMs whose own MESSAGE "
               "the core link drops. Latency in ms:\n")
    out.append("| SIP transport | core loss | IMs failed | mean / p50 / p95 / p99 | late IMs | late / loss rate |")
    out.append("|---|---|---|---|---|---|")
    for v in ph.VARIANTS:
        for l in losses:
            s = pts[v + (l,)]
            lat = s["latency"]
            out.append(f"| {ph.LABEL[v]} | {l * 100:g} % | {s['failed']} of {s['sent']} | {ms(mean(lat))} / "
                       f"{ms(quantile(lat, 0.5))} / {ms(quantile(lat, 0.95))} / {ms(quantile(lat, 0.99))} | "
                       f"{fmt(s['late'] * 100, 1)} % | {fmt(s['late'] / l, 2) if l else 'n/a'} |")
    out.append("")
    top = losses[-1]
    late = lambda v: fmt(pts[v + (top,)]["late"] * 100, 1)
    out.append(f"- At {top * 100:g} % loss: late IMs over UDP {late(('udp', 'unordered'))} %, SCTP unordered "
               f"{late(('sctp', 'unordered'))} %, SCTP ordered {late(('sctp', 'ordered'))} %, TCP "
               f"{late(('tcp', 'unordered'))} %. Over UDP only an IM whose own MESSAGE is lost is late (it waits "
               "for timer E); unordered SCTP adds the IMs bundled in a lost packet; an ordered stream or a TCP "
               "connection makes every message behind a lost one wait for its repair.")
    for v in ph.VARIANTS:
        slow = [(l, pts[v + (l,)]) for l in losses if pts[v + (l,)]["slow"]]
        if slow:
            out.append(f"- {ph.LABEL[v]}: IMs later than {ph.SLOW_S:g} s: " + ", ".join(
                f"{s['slow']} at {l * 100:g} % ({s['slow_at_start']} of them sent in the first {ph.START_S:g} s of "
                f"their run; run {', '.join(map(str, sorted(s['slow_runs'])))})" for l, s in slow) + ".")
    out.append("- TCP's slow IMs at the start of a run queued behind the proxies' first SYN, which the core link "
               "dropped (the pcap of that run shows the SYN again 3 s later: ns-3 TCP's connection timeout; "
               "`sipim run scenarios/proxy-hol.ini --sweep.transport tcp --sweep.sctp_ordering unordered "
               "--sweep.core.loss 0.01 --run N --replications 1 --pcap`). Retransmission timeouts make the p99 "
               "column: UDP's timer E (T1, 500 ms), SCTP's T3 (RTO.Min 1 s, doubling on each expiry), TCP's "
               "RTO (ns-3 MinRto 1 s) and its 3 s SYN timeout.")
    out.append("")


def section_sctp_interleaving(out):
    si = sctp_interleaving
    pts = si.load()
    ms = lambda v: fmt(v * 1000, 0)
    losses = sorted({k[1] for k in pts})
    out.append("## Small behind large on the proxies' SCTP association (scenarios/sctp-interleaving.ini)\n")
    out.append("The proxy-hol load over SCTP with IM sizes exponential (mean 4,000 B), SIP on 8 streams "
               "(`sctp_streams`, each transaction on one), with DATA or with I-DATA and round-robin between "
               "streams (`sctp_interleaving`, RFC 8260). Latencies pooled over the runs of each point, in ms; "
               f"*small* is a body of at most {si.SMALL_B} B; the last column is the range of the runs' mean "
               "latencies.\n")
    out.append("| chunks | core loss | IMs failed | small IMs: n / mean / p50 / p95 | larger IMs: n / mean / p95 | "
               "run means |")
    out.append("|---|---|---|---|---|---|")
    for v in si.VARIANTS:
        for l in losses:
            s = pts[(v, l)]
            sm, lg = s["small"], s["large"]
            run_means = sorted(mean(r) for r in s["runs"].values())
            out.append(f"| {si.LABEL[v]} | {l * 100:g} % | {s['failed']} of {s['sent']} | {len(sm)} / {ms(mean(sm))} / "
                       f"{ms(quantile(sm, 0.5))} / {ms(quantile(sm, 0.95))} | {len(lg)} / {ms(mean(lg))} / "
                       f"{ms(quantile(lg, 0.95))} | {ms(run_means[0])} – {ms(run_means[-1])} |")
    out.append("")
    ratio = lambda part, stat: ", ".join(fmt(stat(pts[("true", l)][part]) / stat(pts[("false", l)][part]), 2)
                                         for l in losses)
    p95 = lambda xs: quantile(xs, 0.95)
    at = ", ".join(f"{l * 100:g} %" for l in losses)
    out.append(f"- I-DATA round-robin against DATA, at {at} loss: small IMs' mean {ratio('small', mean)}×, "
               f"p95 {ratio('small', p95)}×; larger IMs' mean {ratio('large', mean)}×. Without loss this is the "
               "sender-side effect alone: a small MESSAGE no longer waits for a large one's remaining fragments. "
               "Under loss the runs spread widely (last column), so compare the lossy rows with care.")
    out.append("")


def section_security(out):
    rows = security.points()
    out.append("## Security: S/MIME per message vs MIKEY once + sealing (scenarios/security.ini)\n")
    out.append("100-byte IMs from Dan to Shirley: through both proxies in pager mode, on the session's direct "
               "connection otherwise. S/MIME protects every IM's body in every mode (the pager MESSAGE, the "
               "stripped MESSAGE, the MSRP SEND); MIKEY keys a session once. Every byte on the links is the "
               "output of `models/security` (S/MIME sign-then-encrypt, " + security.algorithms() + "); every "
               "node is charged the calibrated cost of what it does. CPU per IM is all nodes' parse and crypto "
               "time for the point's IMs and sessions over the IMs sent.\n")
    out.append("| security | mode | IMs per conversation | IP bytes per IM | mean latency | CPU per IM |")
    out.append("|---|---|---:|---:|---:|---:|")
    for p in sorted(rows, key=lambda p: (list(security.LABEL).index(p["security"]), MODES.index(p["mode"]), p["n"])):
        out.append(f"| {security.LABEL[p['security']]} | {p['mode']} | {p['n']} | {fmt(p['ip'])} | "
                   f"{fmt(p['latency'] * 1e3, 2)} ms | {fmt(p['cpu'] * 1e6, 1)} µs |")
    out.append("")
    # Per conversation of N IMs, cost(N) = per-IM value * N; fitting set-up
    # + per-IM * N to S/MIME and to MIKEY gives where MIKEY's one-off
    # exchange pays for itself: against S/MIME in pager mode (no session at
    # all), and against S/MIME in the same session mode (the same transport,
    # so only the security differs).
    def fit(sec, mode, key):
        pts = sorted((p["n"], p[key] * p["n"]) for p in rows if p["security"] == sec and p["mode"] == mode)
        return linear_fit([n for n, _ in pts], [c for _, c in pts]) if len(pts) >= 2 else None
    for mode in MODES[1:]:
        for smime_mode in ("pager", mode):
            for key, unit, scale, what in (("cpu", "µs", 1e6, "CPU"), ("ip", "B", 1, "IP bytes")):
                s, m = fit("smime", smime_mode, key), fit("mikey", mode, key)
                if not s or not m:
                    continue
                n_star = (m[0] - s[0]) / (s[1] - m[1]) if s[1] > m[1] else math.inf
                out.append(f"- **{what}, MIKEY + sealing ({mode}) vs S/MIME ({smime_mode})**: fitted set-up "
                           f"{fmt(m[0] * scale, 1)} {unit} and {fmt(m[1] * scale, 1)} {unit} per IM against "
                           f"S/MIME's {fmt(s[1] * scale, 1)} {unit} per IM (set-up {fmt(s[0] * scale, 1)} {unit}): "
                           f"MIKEY pays back after **N* = {fmt(n_star, 1)} IMs** per conversation.")
    out.append("")


def section_notes(out):
    """Observations about the models that the numbers above show."""
    out.append("## What the numbers say about the models\n")
    race = read_table("connect-race", "summary")
    both = by(race, connection_setup="both")
    rates = [num(r["duplicate_connections"]) / max(1.0, num(r["sessions"])) for r in both]
    if rates and max(rates) - min(rates) < 0.05:
        out.append(f"- Connection race: with both ends connecting, duplicate connections per session stay at "
                   f"{fmt(min(rates), 2)}-{fmt(max(rates), 2)} over every pause and RTT swept: in these models "
                   f"the pause does not change who connects.")
    elif rates:
        access = seconds(parameters("connect-race")["access.delay"])
        for delay in sorted({r["core.delay"] for r in both}, key=seconds):
            rows = sorted(by(both, **{"core.delay": delay}), key=lambda r: seconds(r["answer_pause"]))
            rate = [num(r["duplicate_connections"]) / max(1.0, num(r["sessions"])) for r in rows]
            first_zero = next((r["answer_pause"] for r, x in zip(rows, rate) if x == 0), None)
            rtt = 2 * (seconds(delay) + 2 * access)
            out.append(f"- Connection race, core delay {delay} (RTT {rtt * 1000:g} ms UA to UA): duplicate "
                       f"connections per session go from "
                       f"{fmt(rate[0], 2)} with no pause to {fmt(rate[-1], 2)} at {rows[-1]['answer_pause']}"
                       + (f"; none from a pause of {first_zero} on." if first_zero else "."))
    fork = read_table("forking", "summary")
    bad = [r for r in fork if r["mode"] != "pager" and num(r["failed"]) > 0]
    if bad:
        worst = max(bad, key=lambda r: num(r["failed"]))
        out.append(f"- Forking in session mode: {sum(int(r['failed']) for r in bad)} session-mode IMs failed across "
                   f"the forking points (worst: {worst['mode']} with {worst['devices_per_user']} devices, "
                   f"{worst['failed']} of {worst['ims_sent']}: {worst['failed_reasons']}), where pager mode "
                   f"delivered all of them; the forked INVITE answered by several devices is not handled cleanly "
                   f"by the UA/proxy models yet.")
    size = read_table("size-limit", "summary")
    udp_max = [r for r in size if r["transport"] == "udp" and num(r["delivery_ratio"]) == 0]
    if udp_max:
        out.append(f"- {len(udp_max)} UDP points delivered nothing: a {udp_max[0]['message_size']}-byte body "
                   f"makes a MESSAGE larger than a UDP datagram can be (65,507 bytes), so the send fails "
                   f"({udp_max[0]['failed_reasons']}).")
    out.append("")


def section_performance(out):
    """From bench_sim's Google Benchmark JSON files, when they have been run:
    build/bench/sim/bench_sim --benchmark_out=results/sim-bench/NAME.json
    --benchmark_out_format=json"""
    folder = results_dir("sim-bench")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json")) if os.path.isdir(folder) else []
    if not files:
        return
    out.append("## Simulation speed (bench/sim, Google Benchmark)\n")
    for name in files:
        section_bench(out, name, *benchjson.load_or_exit(os.path.join(folder, name), "findings"))
    out.append("Instruction counts (callgrind), which this shared machine does not disturb, are in "
               "models/ns3/sip/README.md (Performance).\n")


def section_bench(out, file_name, ctx, rows):
    """One line per benchmark: its median over the repetitions, if any."""
    out.append(f"`results/sim-bench/{file_name}`: run {ctx.get('date', '?')} on {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
               f"load average {', '.join(f'{x:.1f}' for x in ctx.get('load_avg', []))} (other jobs shared the "
               f"machine: wall-clock rates are lower bounds; medians where the run has repetitions).\n")
    for name, b in sorted(rows.items()):
        cpu = f", {fmt(b['ratio_cpu'], 2)} by CPU time" if "ratio_cpu" in b else ""
        # Runs from before the IP-forwarding baseline was added have only `ratio`.
        ipfwd = (f"; against bare ns-3 end to end with IP forwarding in the proxies "
                 f"{fmt(b['ipfwd_ns_per_pkt'])} ns: ratio {fmt(b['ratio_ipfwd'], 2)}, "
                 f"{fmt(b['ratio_ipfwd_cpu'], 2)} by CPU time" if "ratio_ipfwd" in b else "")
        if name.startswith("BM_PagerVsBareNs3"):
            out.append(f"- `{name}` (the whole `sipim run` point): {fmt(b['ims_per_s'])} simulated IMs per wall "
                       f"second; sipim {fmt(b['sipim_ns_per_pkt'])} ns per packet on a link vs bare ns-3 "
                       f"(UdpClient/UdpServer hop by hop between the same nodes, same packet count and mean size) "
                       f"{fmt(b['bare_ns_per_pkt'])} ns ({fmt(b['bare_pkts_per_s'])} packets/s): "
                       f"**ratio {fmt(b['ratio'], 2)}**{cpu} (target ≤ 1.5){ipfwd}.")
        elif name.startswith("BM_ModelsVsBareNs3"):
            out.append(f"- `{name}` (the models alone, no metrics or CSVs): {fmt(b['ims_per_s'])} simulated IMs "
                       f"per wall second; sipim {fmt(b['models_ns_per_pkt'])} ns per packet vs bare ns-3 hop by "
                       f"hop {fmt(b['bare_ns_per_pkt'])} ns: **ratio {fmt(b['ratio'], 2)}**{cpu}{ipfwd}.")
        elif name.startswith("BM_Scale"):
            out.append(f"- `{name}`: {fmt(b['ims_sent'])} IMs sent, {fmt(b['delivered'])} delivered, "
                       f"{fmt(b['failed'])} failed or unfinished, in {fmt(b['real_time'], 0)} {b['time_unit']} "
                       f"wall ({fmt(b['cpu_time'], 0)} {b['time_unit']} CPU), {fmt(b['ims_per_s'])} IMs per wall "
                       f"second, peak RSS {fmt(b['peak_rss_MiB'])} MiB, accounting "
                       f"{'OK' if b['accounting_ok'] else 'MISMATCH'}.")
    out.append("")


def main():
    out = ["# Findings\n",
           "Generated by `analysis/findings.py` from the CSVs in this folder (`analysis/regenerate.sh` reruns "
           "every scenario and chart). Bytes are IP bytes summed over every link a packet crosses, measured "
           "from the packets the ns-3 devices transmitted (retransmissions, fragments and pure TCP ACKs "
           "included), never estimated.\n"]
    section_flows(out)
    section_overhead(out)
    section_size(out)
    section_forking(out)
    section_race(out)
    section_session_transport(out)
    section_proxy_hol(out)
    section_sctp_interleaving(out)
    section_security(out)
    section_notes(out)
    section_performance(out)
    out.append("## Accounting check of every run\n")
    out.append("| scenario | IMs sent | delivered | failed | unfinished | check | code version |")
    out.append("|---|---|---|---|---|---|---|")
    out.extend(accounting_lines())
    out.append("")
    path = os.path.join(results_root(), "FINDINGS.md")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
