# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Software flow steering: with several lcores on a net_tap port (whose
queue choice the kernel makes by its own hash), every UDP flow is
delivered on the lcore px_flow_owner() names, computed here
independently."""

from __future__ import annotations

import ipaddress
import time

# The stack's Toeplitz key (lib/inet/netif.c, px_rss_key).
KEY = bytes([
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
])


def toeplitz(data: bytes, key: bytes = KEY) -> int:
    """The Toeplitz hash of data (as NICs compute RSS)."""
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                h ^= (k >> (klen - 32 - (i * 8 + b))) & 0xffffffff
    return h


def owner(src: str, dst: str, sport: int, dport: int, n: int) -> int:
    """Which executor index owns a received flow (px_flow_owner())."""
    data = (ipaddress.IPv4Address(src).packed +
            ipaddress.IPv4Address(dst).packed +
            sport.to_bytes(2, "big") + dport.to_bytes(2, "big"))
    return (toeplitz(data) & 127) % n


def wait_delivered(t, before, expect: list[int]):
    """Wait (3 s at most) until each lcore's udp_delivered grew by
    expect[i] since before; assert it did; the stats then."""
    deadline = time.monotonic() + 3
    while True:
        after = t.fresh_stats()
        got = [after.counter(f"lcore{i}.udp_delivered") -
               before.counter(f"lcore{i}.udp_delivered")
               for i in range(len(expect))]
        if got == expect or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert got == expect, after.dump()
    return after


def test_toeplitz_reference() -> None:
    """The Python hash matches the published RSS verification vector.

    Steps: hash 66.9.149.187:2794 -> 161.142.100.80:1766 with the key.
    Verify: 0x51ccc178 (with ports) and 0x323e8fc2 (addresses only).
    """
    src = ipaddress.IPv4Address("66.9.149.187").packed
    dst = ipaddress.IPv4Address("161.142.100.80").packed
    assert toeplitz(src + dst + (2794).to_bytes(2, "big") +
                    (1766).to_bytes(2, "big")) == 0x51ccc178
    assert toeplitz(src + dst) == 0x323e8fc2


def test_flows_land_on_owner(tap_echo_factory) -> None:
    """64 UDP flows over two lcores: each echoed, each on its owner.

    Steps: pollux-echo with --lcores=0@0,1@1 (two queues on net_tap);
    from the namespace send one datagram on each of 64 source ports and
    read the echo.
    Verify: every echo is byte-exact; per lcore, udp_delivered grew by
    exactly the number of flows the Toeplitz hash assigns to it; both
    lcores served flows; packets the kernel queued on the wrong lcore
    were handed over (steer counters) and none was dropped.
    """
    t = tap_echo_factory(lcores="0@0,1@1", extra_args=["--idle", "adaptive"])
    port = t.udp_ports[0]
    before = t.fresh_stats()
    expect = [0, 0]
    for i in range(64):
        sport = 20000 + i
        expect[owner(t.kernel_ip, t.pollux_ip, sport, port, 2)] += 1
        s = t.udp_socket(sport, timeout=2.0)
        try:
            payload = f"flow {sport}".encode() * 3
            s.sendto(payload, (t.pollux_ip, port))
            data, src = s.recvfrom(2048)
            assert data == payload
            assert src == (t.pollux_ip, port)
        finally:
            s.close()
    assert expect[0] > 0 and expect[1] > 0
    after = wait_delivered(t, before, expect)
    assert after.counter("steer.drop") == before.counter("steer.drop")
    steered = (after.counter("steer.in") - before.counter("steer.in"))
    assert steered == after.counter("steer.out") - before.counter("steer.out")


def test_fragments_resteered_by_ports(tap_echo_factory) -> None:
    """A datagram that arrives in fragments is reassembled on the lcore
    its addresses hash to, then handled on the one its ports do (TCP
    review A.5): UDP flows count on their owners, and a TCP segment in
    two fragments reaches its connection instead of drawing a RST.

    Steps: pollux-echo on two lcores; from the namespace, 32 UDP flows of
    3000-byte datagrams (the kernel fragments them); then a connection
    played by scapy from a source port whose owner is not the lcore of
    the address-only hash, and a data segment sent as two IP fragments.
    Verify: each UDP echo is byte-exact and per lcore udp_delivered grew
    by the flows the 4-tuple hash assigns to it; the fragmented TCP data
    is echoed, and Pollux sent no RST.
    """
    from scapy.layers.inet import IP, TCP, fragment  # type: ignore
    from scapy.layers.l2 import Ether  # type: ignore
    from lib.tcp_peer import Peer, kernel_rst_dropped

    t = tap_echo_factory(lcores="0@0,1@1", extra_args=["--idle", "adaptive"])
    port = t.udp_ports[0]
    before = t.fresh_stats()
    expect = [0, 0]
    for i in range(32):
        sport = 21000 + i
        expect[owner(t.kernel_ip, t.pollux_ip, sport, port, 2)] += 1
        s = t.udp_socket(sport, timeout=2.0)
        try:
            payload = bytes([i]) * 3000
            s.sendto(payload, (t.pollux_ip, port))
            data, _ = s.recvfrom(4096)
            assert data == payload
        finally:
            s.close()
    after = wait_delivered(t, before, expect)
    assert after.counter("ip.reassembled") - before.counter("ip.reassembled") >= 32

    # The address-only hash (what fragments are steered by).
    data = (ipaddress.IPv4Address(t.kernel_ip).packed +
            ipaddress.IPv4Address(t.pollux_ip).packed)
    l3 = (toeplitz(data) & 127) % 2
    sport = next(p for p in range(30000, 31000)
                 if owner(t.kernel_ip, t.pollux_ip, p, 7, 2) != l3)
    s0 = t.fresh_stats()
    with kernel_rst_dropped(t, sport), t.raw() as raw:
        p = Peer(t, raw, sport)
        p.connect()
        body = b"fragmented segment " * 40
        p.raw.drain()
        p.ts += 1
        seg = p.frame("PA", payload=body)
        p.seq += len(body)
        for f in fragment(seg[IP], fragsize=400):
            p.send(Ether(src=t.kernel_mac, dst=t.pollux_mac) / f)
        out = p.collect(len(body), timeout=3.0)
        rsts = [x for x in raw.recv(p.from_pollux, timeout=0.2, count=100)
                if x[TCP].flags & 0x04]
    assert out == body, (len(out), len(body))
    assert not rsts
    s1 = t.fresh_stats()
    assert s1.counter("tcp.rst_out") == s0.counter("tcp.rst_out")
    assert s1.counter("steer.drop") == before.counter("steer.drop")
