# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The dts topology helpers themselves, on a veth pair between two
namespaces of ours (no Pollux app): namespaces are made and always
deleted, interfaces move, commands and sockets run inside, raw frames
go out and are captured."""

from __future__ import annotations

import os
import socket

import pytest
from scapy.layers.inet import ICMP, IP  # type: ignore
from scapy.layers.l2 import Ether  # type: ignore

from lib import netns, packet

pytestmark = pytest.mark.usefixtures("root")


@pytest.fixture
def veth_pair():
    """Two namespaces joined by a veth pair, .2 and .3 of one /24."""
    a, b = netns.NetNs(), netns.NetNs()
    b.index = a.index
    ifa, ifb = netns.unique_ifname(), netns.unique_ifname()
    try:
        a.create()
        b.create()
        netns.run(["ip", "link", "add", ifa, "type", "veth", "peer", "name",
                   ifb], timeout=10, check=True)
        a.move_link(ifa)
        b.move_link(ifb)
        a.configure(ifa, a.cidr(2))
        b.configure(ifb, b.cidr(3))
        yield a, ifa, b, ifb
    finally:
        a.delete()
        b.delete()
        netns.delete_link(ifa)
        netns.delete_link(ifb)
    assert not netns.link_exists(ifa) and not netns.link_exists(ifb)
    assert a.name not in netns.namespaces()
    assert b.name not in netns.namespaces()


def test_netns_lifecycle():
    """A namespace of ours is created and deleted, also when the body
    raises.

    Steps: create a NetNs in a with block that raises.
    Verify: it existed inside the block; it is gone after; its name and
    our interface names carry this process's pid.
    """
    with pytest.raises(RuntimeError):
        with netns.NetNs() as ns:
            assert ns.name in netns.namespaces()
            assert netns.owner_pid(ns.name) == os.getpid()
            assert ns.exec(["ip", "link", "show", "lo"]).returncode == 0
            raise RuntimeError("boom")
    assert ns.name not in netns.namespaces()
    name = netns.unique_ifname()
    assert len(name) <= 15 and netns.owner_pid(name) == os.getpid()


def test_netns_veth_ping(veth_pair):
    """Commands run inside a namespace over a moved interface.

    Steps: ping from one namespace to the other over the veth pair.
    Verify: replies; the interface is in its namespace, not the host's.
    """
    a, ifa, b, ifb = veth_pair
    assert a.has_link(ifa) and not netns.link_exists(ifa)
    res = a.exec(["ping", "-n", "-c", "3", "-i", "0.01", "-W", "1",
                  b.ip(3)], timeout=20)
    assert res.returncode == 0, res.stdout + res.stderr
    assert any(n.get("dst") == b.ip(3) for n in a.neigh(ifa))


def test_netns_sockets(veth_pair):
    """Sockets opened in a namespace from this process work there.

    Steps: UDP socket in b bound to its address; UDP socket in a sends to
    it; a raw AF_PACKET socket on a's interface sends an ICMP echo built
    with scapy and captures the reply.
    Verify: the datagram arrives byte-exact; the echo reply is captured.
    """
    a, ifa, b, ifb = veth_pair
    rx = b.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = a.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind((b.ip(3), 4242))
        rx.settimeout(2)
        tx.sendto(b"hello", (b.ip(3), 4242))
        data, src = rx.recvfrom(100)
        assert data == b"hello" and src[0] == a.ip(2)
    finally:
        rx.close()
        tx.close()
    with packet.RawPort(a.name, ifa) as port:
        frame = (Ether(src=a.mac(ifa), dst=b.mac(ifb)) /
                 IP(src=a.ip(2), dst=b.ip(3)) / ICMP(id=77, seq=1) /
                 (b"x" * 8))
        reply = port.exchange(frame, lambda p: ICMP in p and
                              p[ICMP].type == 0 and p[ICMP].id == 77)
        assert reply is not None
        assert reply[IP].src == b.ip(3)


def test_every_suite_is_registered(source_dir):
    """Every dts/tests/test_*.py is a meson test (dts/meson.build), so CI
    runs it: a new file that is not listed there would never run.

    Verify: the set of test files equals the set in dts_tests.
    """
    import re
    listed = set(re.findall(r"\['(test_\w+)',\s*\d+\]",
                            (source_dir / "dts" / "meson.build").read_text()))
    files = {p.stem for p in (source_dir / "dts" / "tests").glob("test_*.py")}
    assert files == listed, (f"not in meson: {sorted(files - listed)}; "
                             f"no file: {sorted(listed - files)}")
