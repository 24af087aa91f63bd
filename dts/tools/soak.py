#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The soak (issue 16): pollux-echo behind net_tap, the Linux stack in a
namespace as its peer, mixed traffic and attacks for a bounded time, with
faults injected both ways; then what must hold afterwards.

Traffic, each its own loop of kernel clients in the namespace:
  bulk      tcp_stream.py, 16 MiB a run through the echo, SHA-256 checked
  control   one connection, 64 bytes echoed every 10 ms; its round trips
            are the latency that must stay bounded while the rest runs
  churn     short connections (connect, 16 bytes echoed, close)
  slow      every PERIOD s, 24 connections that never read (zero windows,
            the pool at its reserve) for 5 s, then a fresh echo, then
            reset (tcp_slow_readers.py)
  synflood  every PERIOD s, 20 000 SYNs from random sources at 5 000/s
  fragflood every PERIOD s, 4 000 first fragments that never complete
and Pollux's fault stage drops, duplicates, reorders and corrupts a
share of what it receives and sends.

Verdict (exit 1 and the reasons if any fails): every bulk run and every
short connection byte-exact; the control flow's p99 in every 10 s window
under --p99-ms and its worst under --max-ms; afterwards no connection
block left, mbufs in use back to where they were, the app's exit
counters say mbuf.leaked=0.

usage: soak.py [--seconds N] [--build DIR] [--period S] [--p99-ms M]
               [--max-ms M]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "dts"))

from lib import topo  # noqa: E402

TOOLS = ROOT / "dts" / "tools"
FAULTS = "drop=0.2%,dup=0.2%,reorder=1%,corrupt=0.05%"

CONTROL = """
import json, socket, sys, time
ip, secs = sys.argv[1], float(sys.argv[2])
s = socket.create_connection((ip, 7), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
end = time.monotonic() + secs
win_end = time.monotonic() + 10
rtts, bad, i = [], 0, 0
def report(final):
    r = sorted(rtts)
    print(json.dumps(dict(final=final, n=len(r), bad=bad,
        p50=r[len(r) // 2] if r else None,
        p99=r[min(len(r) - 1, len(r) * 99 // 100)] if r else None,
        max=r[-1] if r else None)), flush=True)
while time.monotonic() < end:
    m = (b'%016d' % i) * 4
    i += 1
    t0 = time.monotonic()
    s.sendall(m)
    got = b''
    while len(got) < len(m):
        b = s.recv(len(m) - len(got))
        if not b:
            break
        got += b
    rtts.append((time.monotonic() - t0) * 1000)
    bad += got != m
    if time.monotonic() >= win_end:
        report(False)
        rtts = []
        win_end += 10
    time.sleep(0.01)
report(True)
"""

CHURN = """
import json, socket, sys, time
ip, secs = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + secs
ok = bad = err = 0
i = 0
while time.monotonic() < end:
    m = b'%016d' % i
    i += 1
    try:
        s = socket.create_connection((ip, 7), timeout=10)
        s.sendall(m)
        got = b''
        while len(got) < 16:
            b = s.recv(16 - len(got))
            if not b:
                break
            got += b
        s.close()
        ok += got == m
        bad += got != m
    except OSError:
        err += 1
print(json.dumps(dict(ok=ok, bad=bad, err=err)), flush=True)
"""

FRAGS = """
import socket, struct, sys
ifname, src_mac, dst_mac, src_ip, dst_ip, n = sys.argv[1:7]
def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
eth = mac(dst_mac) + mac(src_mac) + b'\\x08\\x00'
src, dst = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
payload = bytes(512)
for i in range(int(n)):
    # A first fragment (MF, offset 0) of a UDP datagram that never
    # completes: it sits in reassembly until its timeout.
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload),
                    i & 0xffff, 0x2000, 64, 17, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    s.send(eth + h + payload)
print('sent', n, flush=True)
"""


class Soak:
    def __init__(self, args) -> None:
        self.args = args
        self.failures: list[str] = []
        self.procs: list[subprocess.Popen] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.bulk = {"runs": 0, "bad": 0}
        self.attacks = {"slow": 0, "slow_fresh_fail": 0, "synflood": 0,
                        "fragflood": 0}

    # --- processes ------------------------------------------------------
    def popen(self, cmd) -> subprocess.Popen:
        """A process in the namespace, in its own process group (killed
        with all it started when the soak ends)."""
        p = subprocess.Popen(self.t.netns.argv(cmd), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        with self.lock:
            self.procs.append(p)
        return p

    def run(self, cmd, timeout: float) -> tuple[int, str, str]:
        p = self.popen(cmd)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            return -1, out, "timeout " + err
        return p.returncode, out, err

    def kill_all(self) -> None:
        with self.lock:
            for p in self.procs:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    p.wait()

    def fail(self, why: str) -> None:
        with self.lock:
            self.failures.append(why)
        print(f"soak: FAIL {why}", flush=True)

    # --- loops ----------------------------------------------------------
    def bulk_loop(self) -> None:
        while not self.stop.is_set():
            rc, out, err = self.run(["python3", str(TOOLS / "tcp_stream.py"),
                                     self.t.pollux_ip, "7", str(16 << 20),
                                     str(self.bulk["runs"] + 1), "120"], 180)
            if self.stop.is_set() and rc != 0:
                return
            self.bulk["runs"] += 1
            try:
                rep = json.loads(out.strip().splitlines()[-1])
                ok = (rep["error"] == "" and rep["received"] == rep["sent"]
                      and rep["sent_sha256"] == rep["recv_sha256"])
            except (ValueError, IndexError, KeyError):
                ok, rep = False, {"rc": rc, "stderr": err[-300:]}
            if not ok:
                self.bulk["bad"] += 1
                self.fail(f"bulk run {self.bulk['runs']}: {rep}")

    def attack_loop(self) -> None:
        t, period = self.t, self.args.period
        k = 0
        while not self.stop.wait(period / 3):
            which = k % 3
            k += 1
            if which == 0:
                rc, out, err = self.run(
                    ["python3", str(TOOLS / "tcp_slow_readers.py"),
                     t.pollux_ip, "7", "24", str(256 << 10), "5"], 90)
                self.attacks["slow"] += 1
                try:
                    rep = json.loads(out.strip().splitlines()[-1])
                    fresh = rep.get("fresh", False)
                except (ValueError, IndexError):
                    fresh, rep = False, {"rc": rc, "stderr": err[-300:]}
                if not fresh:
                    self.attacks["slow_fresh_fail"] += 1
                    self.fail(f"slow readers: the fresh echo failed: {rep}")
            elif which == 1:
                rc, out, err = self.run(
                    ["python3", str(TOOLS / "syn_flood.py"), t.ifname,
                     t.kernel_mac, t.pollux_mac, t.pollux_ip, "7", "20000",
                     "5000", "10", str(k)], 60)
                self.attacks["synflood"] += 1
                if rc != 0:
                    self.fail(f"syn flood tool: rc {rc} {err[-300:]}")
            else:
                rc, out, err = self.run(
                    ["python3", "-c", FRAGS, t.ifname, t.kernel_mac,
                     t.pollux_mac, t.kernel_ip, t.pollux_ip, "4000"], 60)
                self.attacks["fragflood"] += 1
                if rc != 0:
                    self.fail(f"fragment flood: rc {rc} {err[-300:]}")

    # --- the run ----------------------------------------------------------
    def main(self) -> int:
        a = self.args
        work = Path(tempfile.mkdtemp(prefix="pollux-soak-"))
        self.t = topo.TapEcho(
            Path(a.build), work, udp_ports=(), extra_args=[
                "--gw", "{kernel_ip}", "--mbufs", "4095", "--backlog", "64",
                "--msl-ms", "1000", "--synack-retries", "2",
                "--fault-rx", FAULTS, "--fault-tx", FAULTS,
                "--fault-seed", str(a.seed)])
        t0 = time.monotonic()
        try:
            self.t.start()
            s0 = self.t.fresh_stats()
            print(f"soak: {a.seconds} s against {self.t.pollux_ip}, faults "
                  f"{FAULTS} both ways, attacks every {a.period} s",
                  flush=True)
            control = self.popen(["python3", "-c", CONTROL,
                                  self.t.pollux_ip, str(a.seconds)])
            churn = self.popen(["python3", "-c", CHURN, self.t.pollux_ip,
                                str(a.seconds)])
            threads = [threading.Thread(target=self.bulk_loop, daemon=True),
                       threading.Thread(target=self.attack_loop, daemon=True)]
            for th in threads:
                th.start()
            windows = []
            for line in control.stdout:
                w = json.loads(line)
                if w["n"] > 0:
                    windows.append(w)
                    s = self.t.fresh_stats()
                    print(f"soak: {time.monotonic() - t0:6.0f} s  control "
                          f"p50 {w['p50']:.2f} ms p99 {w['p99']:.2f} ms "
                          f"max {w['max']:.1f} ms  bulk runs "
                          f"{self.bulk['runs']}  conns "
                          f"{s.counter('tcp.conns')}  mbufs "
                          f"{s.counter('mbuf.in_use')}", flush=True)
                if w["final"]:
                    break
            control.wait(timeout=30)
            out, _ = churn.communicate(timeout=60)
            self.stop.set()
            # The bulk run in progress ends within its timeout; attacks
            # end at their next check.
            for th in threads:
                th.join(timeout=200)
            self.kill_all()
            churn_rep = json.loads(out.strip().splitlines()[-1])
            self.verdict(windows, churn_rep, s0)
        finally:
            self.stop.set()
            self.kill_all()
            res = self.t.close()
        if res is None or "mbuf.leaked=0" not in res.out:
            self.fail("the app's exit counters do not say mbuf.leaked=0")
        print(f"soak: bulk {self.bulk}, attacks {self.attacks}")
        if self.failures:
            print(f"soak: FAIL ({len(self.failures)} failures)")
            return 1
        print(f"soak: PASS in {time.monotonic() - t0:.0f} s")
        return 0

    def verdict(self, windows, churn, s0) -> None:
        a = self.args
        if not windows:
            self.fail("the control flow reported no round trip")
            windows = [{"bad": 0, "p99": 0, "max": 0}]
        bad = sum(w["bad"] for w in windows)
        if bad:
            self.fail(f"control flow: {bad} echoes differed")
        worst99 = max((w["p99"] or 0) for w in windows)
        worst = max((w["max"] or 0) for w in windows)
        print(f"soak: control worst p99 {worst99:.2f} ms, worst "
              f"{worst:.1f} ms over {len(windows)} windows")
        if worst99 > a.p99_ms:
            self.fail(f"control flow p99 {worst99:.1f} ms > {a.p99_ms}")
        if worst > a.max_ms:
            self.fail(f"control flow max {worst:.1f} ms > {a.max_ms}")
        print(f"soak: churn {churn}")
        if churn["bad"] or churn["ok"] == 0 or \
                churn["err"] > max(2, churn["ok"] // 100):
            self.fail(f"churn: {churn}")
        if self.bulk["runs"] == 0:
            self.fail("no bulk run finished")
        # Afterwards: nothing left (half-open blocks go after the SYN-ACK
        # retries, TIME_WAIT after 2 MSL = 2 s).
        end = time.monotonic() + 30
        while True:
            s = self.t.fresh_stats()
            if (s.counter("tcp.conns") == 0 and s.counter("mbuf.in_use") <=
                    s0.counter("mbuf.in_use") + 64) or time.monotonic() > end:
                break
            time.sleep(0.5)
        for name in ("tcp.conns", "mbuf.in_use"):
            print(f"soak: {name} {s0.counter(name)} before, "
                  f"{s.counter(name)} after")
        if s.counter("tcp.conns") != 0:
            self.fail(f"{s.counter('tcp.conns')} connection blocks left")
        if s.counter("mbuf.in_use") > s0.counter("mbuf.in_use") + 64:
            self.fail(f"mbufs in use {s.counter('mbuf.in_use')}, were "
                      f"{s0.counter('mbuf.in_use')}")
        for name in ("tcp.retrans", "tcp.tlp_probes", "tcp.syncookies_sent",
                     "tcp.drop_nomem", "ip.frag_drop", "tcp.dsack_out",
                     "fault.rx_drop", "fault.rx_dup", "fault.rx_corrupt"):
            try:
                print(f"soak: {name} {s.counter(name)}")
            except AssertionError:
                pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=1800)
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--period", type=int, default=60,
                    help="seconds between rounds of the three attacks")
    # A request or reply the fault stage drops costs the Linux end one
    # RTO (200 ms at least, the max of nearly every window): at these
    # fault rates a 10 s window of ~900 round trips holds several, so a
    # p99 near 100 ms is loss, not a wedge (one CI run: 103 ms). Above a
    # Linux RTO, more than 1 % of round trips took longer than a loss
    # does.
    ap.add_argument("--p99-ms", type=float, default=250.0)
    ap.add_argument("--max-ms", type=float, default=2000.0)
    ap.add_argument("--seed", type=int, default=1)
    return Soak(ap.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
