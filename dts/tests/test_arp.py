# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""ARP against the Linux stack over net_tap: the kernel resolves Pollux,
Pollux answers requests for its address only, announces itself when it
starts, and resolves a neighbour it has not heard from."""

from __future__ import annotations

import socket

from scapy.layers.l2 import ARP, Ether  # type: ignore

from lib import packet

BCAST = "ff:ff:ff:ff:ff:ff"


def _arp_request(t, pdst: str) -> Ether:
    return (Ether(src=t.kernel_mac, dst=BCAST) /
            ARP(op=1, hwsrc=t.kernel_mac, psrc=t.kernel_ip,
                hwdst="00:00:00:00:00:00", pdst=pdst))


def test_arp_kernel_resolves(tap_echo):
    """The Linux stack learns Pollux's MAC through ARP.

    Steps: flush the namespace's neighbour table; ping Pollux once; read
    `ip neigh`.
    Verify: the ping is answered; the entry for Pollux's address has
    Pollux's MAC (the one on the ready line) and is not FAILED.
    """
    t = tap_echo
    t.run(["ip", "neigh", "flush", "dev", t.ifname], timeout=10)
    t.assert_pings()
    entries = [n for n in t.netns.neigh(t.ifname)
               if n.get("dst") == t.pollux_ip]
    assert entries, t.netns.neigh(t.ifname)
    e = entries[0]
    assert e.get("lladdr", "").lower() == t.pollux_mac, e
    assert "FAILED" not in e.get("state", []), e


def test_arp_request_reply(tap_echo):
    """A broadcast ARP request for Pollux's address gets a correct reply.

    Steps: send an ARP who-has for Pollux's IP from the kernel side's MAC
    and IP, built with scapy, on a raw socket.
    Verify: an is-at reply from Pollux's MAC to the kernel's MAC, with
    hwsrc/psrc Pollux and hwdst/pdst the asker; arp.replies grew.
    """
    t = tap_echo
    before = t.fresh_stats()
    with t.raw(packet.ETH_P_ARP) as port:
        reply = port.exchange(_arp_request(t, t.pollux_ip),
                              lambda p: ARP in p and p[ARP].op == 2 and
                              p[ARP].psrc == t.pollux_ip)
    assert reply is not None, f"no ARP reply\n{t.stats().dump()}"
    assert reply[Ether].src == t.pollux_mac
    assert reply[Ether].dst == t.kernel_mac
    a = reply[ARP]
    assert (a.hwtype, a.ptype, a.hwlen, a.plen) == (1, 0x0800, 6, 4), \
        reply.show(dump=True)
    assert a.hwsrc == t.pollux_mac and a.psrc == t.pollux_ip
    assert a.hwdst == t.kernel_mac and a.pdst == t.kernel_ip
    t.app.wait_counter("arp.replies", before.counter("arp.replies") + 1)


def test_arp_other_ip_no_reply(tap_echo):
    """ARP for an address Pollux does not own is not answered.

    Steps: send an ARP who-has for an unused address of the subnet.
    Verify: no reply within 500 ms; arp.not_ours grew; arp.replies did
    not.
    """
    t = tap_echo
    before = t.fresh_stats()
    with t.raw(packet.ETH_P_ARP) as port:
        reply = port.exchange(_arp_request(t, t.other_ip),
                              lambda p: ARP in p and p[ARP].op == 2,
                              timeout=0.5)
    assert reply is None, reply.show(dump=True)
    after = t.app.wait_counter("arp.not_ours",
                               before.counter("arp.not_ours") + 1)
    assert after.counter("arp.replies") == before.counter("arp.replies"), \
        after.dump()


def test_arp_gratuitous_at_start(tap_echo_factory):
    """Pollux announces itself with a gratuitous ARP when it starts.

    Steps: in a fresh namespace open a capture on all interfaces (the tap
    does not exist yet), start pollux-echo inside the namespace, read
    what arrived until 2 s after the ready line.
    Verify: a broadcast ARP from Pollux's MAC with sender and target
    address both Pollux's IP.
    """
    ports = []

    def capture(topo):
        ports.append(packet.RawPort(topo.ns, None, packet.ETH_P_ARP))

    t = tap_echo_factory(before_app=capture, huge=False)
    port = ports[0]
    try:
        got = port.recv(lambda p: ARP in p and p[ARP].psrc == t.pollux_ip
                        and p[ARP].pdst == t.pollux_ip, timeout=2.0)
    finally:
        port.close()
    assert got, f"no gratuitous ARP seen\n{t.app.describe()}"
    g = got[0]
    assert g[Ether].dst == BCAST, g.show(dump=True)
    assert g[Ether].src == t.pollux_mac and g[ARP].hwsrc == t.pollux_mac, \
        g.show(dump=True)


def test_arp_pollux_resolves_neighbour(tap_echo):
    """Pollux resolves an address it has not heard from before replying.

    Steps: pin Pollux's MAC in the kernel's table (so the kernel does not
    ARP and Pollux learns nothing from it); add a second kernel address
    .3; send a UDP datagram from .3 to Pollux's echo port.
    Verify: Pollux sends an ARP who-has for .3 from its MAC, the kernel
    answers, and the echo reaches the socket on .3; arp.requests grew.
    """
    t = tap_echo
    third = t.netns.ip(3)
    t.run(["ip", "neigh", "replace", t.pollux_ip, "lladdr", t.pollux_mac,
           "nud", "permanent", "dev", t.ifname], timeout=10, check=True)
    t.run(["ip", "addr", "add", f"{third}/24", "dev", t.ifname],
          timeout=10, check=True)
    try:
        before = t.fresh_stats()
        s = t.netns.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((third, 0))
            s.settimeout(2)
            with t.raw(packet.ETH_P_ARP) as port:
                s.sendto(b"who are you", (t.pollux_ip, t.udp_ports[0]))
                data, src = s.recvfrom(2048)
                asks = port.recv(lambda p: ARP in p and p[ARP].op == 1 and
                                 p[ARP].pdst == third and
                                 p[ARP].psrc == t.pollux_ip, timeout=0.5,
                                 outgoing=False)
        finally:
            s.close()
        assert data == b"who are you" and src == (t.pollux_ip,
                                                  t.udp_ports[0])
        assert asks, "the echo came back without Pollux asking for .3"
        assert asks[0][ARP].hwsrc == t.pollux_mac
        t.app.wait_counter("arp.requests",
                           before.counter("arp.requests") + 1)
    finally:
        t.run(["ip", "addr", "del", f"{third}/24", "dev", t.ifname],
              timeout=10)
        t.run(["ip", "neigh", "del", t.pollux_ip, "dev", t.ifname],
              timeout=10)
