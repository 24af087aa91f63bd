# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""pollux-pipeline: a DPDK program with its own rx/tx loop (a learning L2
bridge between two net_tap ports) hosting a Pollux TCP endpoint through
the one-iteration poll API. Kernel hosts on both sides, one subnet."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
ECHO = str(TOOLS / "echo_server.py")
STREAM = str(TOOLS / "tcp_stream.py")
MIB = 1 << 20


def test_bridge_and_endpoint_together(tap_pair_factory):
    """Bridged kernel-to-kernel traffic and Pollux's TCP endpoint work at
    the same time.

    Steps: pollux-pipeline with its endpoint at .1; kernel hosts .2
    (west) and .3 (east), a kernel echo server on .3:7007. Ping .2 -> .3
    (bridged), .2 -> .1 and .3 -> .1 (the endpoint, ARP through the
    bridge's copy of broadcasts). Then, at once: stream 64 MiB from .2 to
    the kernel echo on .3 (through the bridge) and 64 MiB from .3 to
    Pollux's echo on .1:7.
    Verify: every ping answered; both streams byte-exact; the bridge
    forwarded both ways and handed frames to Pollux; Pollux's TCP saw
    the connection; exit 0 and no mbuf leaked.
    """
    server: list[subprocess.Popen] = []

    def start_server(t) -> None:
        p = subprocess.Popen(t.back.argv(["python3", ECHO, "7007", "600"]),
                             stdout=subprocess.PIPE, text=True)
        server.append(p)
        assert p.stdout.readline().strip() == "ready"

    t = tap_pair_factory("pipeline", before_app=start_server,
                         one_subnet=True, extra_args=["--ip", "{front_ip}/24"])
    try:
        west, east, px = t.front, t.back, t.front_ip
        for ns, dst in ((west, t.server_ip), (west, px), (east, px)):
            r = ns.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", dst],
                        timeout=30)
            assert r.returncode == 0, (dst, r.stdout + r.stderr)
        reps: dict[str, dict] = {}

        def stream(name: str, ns, host: str, port: int) -> None:
            r = ns.exec(["python3", STREAM, host, str(port), str(64 * MIB),
                         "9", "200"], timeout=260)
            reps[name] = (json.loads(r.stdout.strip().splitlines()[-1])
                          if r.returncode == 0 else {"error": r.stderr})

        th = [threading.Thread(target=stream, args=a) for a in (
            ("bridged", west, t.server_ip, 7007),
            ("endpoint", east, px, 7))]
        for x in th:
            x.start()
        for x in th:
            x.join(300)
    finally:
        for p in server:
            p.kill()
            p.communicate(timeout=10)
    for name in ("bridged", "endpoint"):
        rep = reps[name]
        assert rep["error"] == "", (name, rep)
        assert rep["sent"] == rep["received"] == 64 * MIB, (name, rep)
        assert rep["sent_sha256"] == rep["recv_sha256"], (name, rep)
    res = t.stop(timeout=15)
    assert res.rc == 0, res.out + res.err
    c = res.counters
    assert c["pipe.fwd_west_east"] > 0 and c["pipe.fwd_east_west"] > 0, c
    assert c["pipe.to_pollux"] > 0 and c["pipe.from_pollux"] > 0, c
    assert c["tcp.passive_opens"] == 1 and c["tcp.bytes_in"] == 64 * MIB, c
    assert c["mbuf.leaked"] == 0, res.out


SEND = """
import random, sys, time
from scapy.all import Ether, Raw, sendp
iface, mode = sys.argv[1], sys.argv[2]
X = "02:00:00:00:aa:01"
def frame(src, dst):
    return Ether(src=src, dst=dst, type=0x88b5) / Raw(b"pollux-pipeline" * 3)
if mode == "age":
    # Learn X on this side, then send to X twice: the first is filtered
    # (same side), the second, after the ageing time, is not.
    sendp(frame(X, "ff:ff:ff:ff:ff:ff"), iface=iface, verbose=False)
    time.sleep(0.3)
    sendp(frame("02:00:00:00:aa:02", X), iface=iface, verbose=False)
    time.sleep(float(sys.argv[3]))
    sendp(frame("02:00:00:00:aa:02", X), iface=iface, verbose=False)
else:
    rnd = random.Random(7)
    srcs = ["02:%02x:%02x:%02x:%02x:%02x" % tuple(rnd.randrange(256)
            for _ in range(5)) for _ in range(int(mode))]
    sendp([frame(s, "ff:ff:ff:ff:ff:ff") for s in srcs], iface=iface,
          verbose=False)
print("sent")
"""


def test_mac_ageing(tap_pair_factory):
    """A MAC not heard from within --mac-age is forgotten.

    Steps: pollux-pipeline with --mac-age 2; from the west namespace,
    a broadcast from MAC X (learned on west), a frame to X 0.3 s later,
    and another to X 3 s after that.
    Verify: the first frame to X is filtered (both ends on west), the
    second is not (X aged out and was counted as aged).
    """
    t = tap_pair_factory("pipeline", one_subnet=True,
                         extra_args=["--ip", "{front_ip}/24",
                                     "--mac-age", "2"])
    r = t.front.exec([sys.executable, "-c", SEND, t.fif, "age", "3"],
                     timeout=60)
    assert r.returncode == 0 and "sent" in r.stdout, r.stdout + r.stderr
    res = t.stop(timeout=15)
    assert res.rc == 0, res.out + res.err
    c = res.counters
    assert c["pipe.filtered"] == 1, c
    assert c["pipe.mac_aged"] >= 1, c


def test_mac_flood(tap_pair_factory):
    """A flood of random source MACs (four times the table) neither
    slows the bridge to a crawl nor breaks it: the stalest entries are
    evicted.

    Steps: pollux-pipeline; 4096 broadcasts with distinct random source
    MACs from west, then pings west -> east (bridged) and west -> the
    endpoint.
    Verify: every ping answered; the bridge learned every MAC and
    counted evictions; exit 0, no mbuf leaked.
    """
    t = tap_pair_factory("pipeline", one_subnet=True,
                         extra_args=["--ip", "{front_ip}/24"])
    r = t.front.exec([sys.executable, "-c", SEND, t.fif, "4096"], timeout=120)
    assert r.returncode == 0 and "sent" in r.stdout, r.stdout + r.stderr
    for dst in (t.server_ip, t.front_ip):
        p = t.front.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", dst],
                         timeout=30)
        assert p.returncode == 0, (dst, p.stdout + p.stderr)
    res = t.stop(timeout=15)
    assert res.rc == 0, res.out + res.err
    c = res.counters
    assert c["pipe.mac_learned"] >= 4096 and c["pipe.mac_evicted"] > 0, c
    assert c["mbuf.leaked"] == 0, res.out
