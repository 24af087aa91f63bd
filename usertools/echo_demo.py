#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The echo demo: pollux-echo on a net_tap port, the Linux stack in a
network namespace behind it as the client, and what it measured.

Runs ping, a UDP echo, sockperf ping-pong over TCP (latency), a TCP stream
through the echo (throughput, SHA-256 checked), and a burst of short TCP
connections; prints a table and Pollux's TCP counters; removes the
namespace and the app. Usage: echo_demo.py [BUILD_DIR] (default: build).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "dts"))

from lib import topo  # noqa: E402

STREAM = str(ROOT / "dts" / "tools" / "tcp_stream.py")


def row(what: str, value: str) -> None:
    print(f"  {what:<44} {value}")


def read_rtts(path: Path) -> list[float]:
    """Round trips (us) from sockperf's --full-log CSV (with --full-rtt)."""
    out: list[float] = []
    try:
        for line in path.read_text().splitlines():
            f = line.split(",")
            if len(f) == 4 and f[0].strip().isdigit():
                out.append(float(f[3]))
    except OSError:
        pass
    return sorted(out)


def pct(v: list[float], p: float) -> float:
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def print_histogram(v: list[float], width: int = 40) -> None:
    """A log-scale histogram of the round trips, with percentiles."""
    lo, hi = max(v[0], 0.1), pct(v, 99.9)
    edges = [lo]
    while edges[-1] < hi:
        edges.append(edges[-1] * 1.25)
    counts = [0] * len(edges)
    for x in v:
        i = 0
        while i + 1 < len(edges) and x >= edges[i + 1]:
            i += 1
        counts[i] += 1
    top = max(counts)
    print(f"\nTCP round-trip histogram ({len(v)} round trips, kernel client "
          f"-> Pollux over net_tap, us):")
    for k, (e, c) in enumerate(zip(edges, counts)):
        if c:
            bar = "#" * max(1, round(width * c / top))
            # The last bucket also takes the tail past p99.9.
            upper = "max" if k == len(edges) - 1 else f"{e * 1.25:.1f}"
            print(f"  {e:8.1f} - {upper:>8} {c:7d} {bar}")
    print("  p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}"
          .format(pct(v, 50), pct(v, 90), pct(v, 99), pct(v, 99.9), v[-1]))


def main() -> int:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
    work = Path("/tmp/pollux-echo-demo")
    work.mkdir(exist_ok=True)
    print("pollux-echo on net_tap, the kernel in a namespace as the client")
    t = topo.TapEcho(build, work, extra_args=["--idle", "adaptive"])
    t.start()
    ok = True
    hist: list[float] = []
    try:
        print(f"  pollux {t.pollux_ip} ({t.pollux_mac}), kernel {t.kernel_ip}\n")
        print("measured:")
        res = t.run(["ping", "-c", "20", "-i", "0.01", "-q", t.pollux_ip],
                    timeout=30)
        m = re.search(r"= [\d.]+/([\d.]+)/([\d.]+)", res.stdout)
        loss = re.search(r"(\d+)% packet loss", res.stdout)
        row("ping, 20 requests: loss / avg / max RTT",
            f"{loss.group(1) if loss else '?'}% / {m.group(1)} / {m.group(2)} ms"
            if m else "failed")
        ok &= bool(m) and loss is not None and loss.group(1) == "0"

        res = t.run(["socat", "-t", "1", "-", f"UDP:{t.pollux_ip}:7"],
                    input="hello over UDP\n", timeout=10)
        row("UDP echo (socat)", "ok" if res.stdout == "hello over UDP\n"
            else "FAILED")
        ok &= res.stdout == "hello over UDP\n"

        log = work / "sockperf-rtt.csv"
        res = t.run(["sockperf", "pp", "--tcp", "-i", t.pollux_ip, "-p",
                     "11111", "-t", "3", "-m", "64", "--full-rtt",
                     "--full-log", str(log)], timeout=60)
        rtts = read_rtts(log)
        row("TCP ping-pong 64 B (sockperf pp): p50 / p99",
            f"{pct(rtts, 50):.1f} / {pct(rtts, 99):.1f} us RTT"
            if rtts else "failed")
        ok &= bool(rtts)
        hist = rtts

        nbytes = 256 << 20
        res = t.run(["python3", STREAM, t.pollux_ip, "7", str(nbytes), "1",
                     "120"], timeout=150)
        rep = json.loads(res.stdout.strip().splitlines()[-1])
        good = (rep["received"] == nbytes and rep["error"] == "" and
                rep["sent_sha256"] == rep["recv_sha256"])
        row("TCP stream 256 MiB through the echo",
            f"{nbytes / rep['seconds'] / 1e6:.0f} MB/s each way, SHA-256 "
            f"{'equal' if good else 'DIFFERENT'}")
        ok &= good

        code = f"""
import socket, time
t0 = time.monotonic()
for i in range(2000):
    s = socket.create_connection(('{t.pollux_ip}', 7))
    s.sendall(b'x' * 64)
    n = 0
    while n < 64:
        n += len(s.recv(64))
    s.close()
print(2000 / (time.monotonic() - t0))
"""
        res = t.run(["python3", "-c", code], timeout=120)
        rate = res.stdout.strip()
        row("TCP connect + 64 B echo + close, 2000 in a row",
            f"{float(rate):.0f} per s" if rate else "failed")
        ok &= bool(rate)
        time.sleep(0.3)
        st = t.fresh_stats()
        if hist:
            print_histogram(hist)
        print("\nPollux's TCP counters:")
        tcp = st["tcp"]
        print("  " + ", ".join(f"{k}={tcp[k]}" for k in (
            "passive_opens", "established", "seg_in", "seg_out", "retrans",
            "dup_acks", "ooo_in", "rst_out", "conns")))
    finally:
        res = t.close()
    clean = res is not None and res.rc == 0
    print(f"\npollux-echo stopped {'cleanly' if clean else 'WITH ERRORS'}; "
          f"echo demo: {'OK' if ok and clean else 'FAILED'}")
    return 0 if ok and clean else 1


if __name__ == "__main__":
    sys.exit(main())
