# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Malformed frames from the namespace, sent as raw bytes on an AF_PACKET
socket (nothing fixes them up on the way): after each one Pollux is
alive, answers ping, counted the frame under the matching reason and
holds no more mbufs than before."""

from __future__ import annotations

import errno
import random
import struct
import time
from typing import Callable, Sequence, Union

import pytest
from scapy.layers.inet import ICMP, IP, UDP  # type: ignore
from scapy.layers.l2 import ARP, Dot1Q, Ether  # type: ignore
from scapy.utils import checksum  # type: ignore

from lib.pollux_app import diff


@pytest.fixture(scope="module")
def mbuf_base(tap_echo) -> int:
    """mbuf.in_use once the app has served some traffic and gone idle."""
    tap_echo.assert_pings(3)
    time.sleep(0.3)
    return tap_echo.fresh_stats().counter("mbuf.in_use")


def _ip_fix(ip: bytes) -> bytes:
    """Recompute the header checksum over the first 20 bytes."""
    b = bytearray(ip)
    b[10:12] = b"\0\0"
    b[10:12] = struct.pack("!H", checksum(bytes(b[:20])))
    return bytes(b)


def _patch(ip: bytes, off: int, val: bytes, fix: bool = True) -> bytes:
    b = bytearray(ip)
    b[off:off + len(val)] = val
    return _ip_fix(bytes(b)) if fix else bytes(b)


def _udp(t, **kw) -> bytes:
    return bytes(t.ip4() / UDP(sport=40000, dport=t.udp_ports[0], **kw) /
                 b"malformed")


def _echo(t, **ipkw) -> bytes:
    return bytes(t.ip4(**ipkw) / ICMP(id=0x4d, seq=1) / b"malformed")


def _eth(t, **kw) -> bytes:
    """Ethernet header alone (scapy's default EtherType without a payload
    is not IPv4, so say it)."""
    kw.setdefault("type", 0x0800)
    return bytes(t.eth(**kw))


# id: (frame builder, counter(s) of which one must grow by one)
Builder = Callable[..., bytes]
CASES: dict[str, tuple[Builder, Union[str, Sequence[str]]]] = {
    # Ethernet
    "eth_header_only": (lambda t: _eth(t, type=0x0800), "ip.runt"),
    "ethertype_unknown": (lambda t: _eth(t, type=0x88b5) + b"\0" * 46,
                          "eth.bad_ethertype"),
    "ethertype_ipv6": (lambda t: _eth(t, type=0x86dd) + b"\x60" + b"\0" * 45,
                       "eth.bad_ethertype"),
    "vlan_tagged": (lambda t: bytes(t.eth() / Dot1Q(vlan=5) /
                                    t.ip4() / ICMP()), "eth.vlan"),
    "mac_not_ours": (lambda t: _eth(t, dst="02:00:00:00:00:01") +
                     _echo(t), "eth.not_ours"),
    # IPv4 header
    "ip_truncated_header": (lambda t: _eth(t) + _echo(t)[:12], "ip.runt"),
    "ip_bad_checksum": (lambda t: _eth(t) + _patch(_echo(t), 10, b"\x12\x34",
                                                   fix=False),
                        "ip.bad_checksum"),
    "ip_version_6": (lambda t: _eth(t) + _patch(_echo(t), 0, b"\x65"),
                     "ip.bad_version"),
    "ip_ihl_4": (lambda t: _eth(t) + _patch(_echo(t), 0, b"\x44"),
                 "ip.bad_ihl"),
    "ip_ihl_0": (lambda t: _eth(t) + _patch(_echo(t), 0, b"\x40"),
                 "ip.bad_ihl"),
    "ip_ihl_past_packet": (lambda t: _eth(t) + _patch(
        bytes(t.ip4(proto=17)) + b"\0" * 8, 0, b"\x4f"),
        ("ip.bad_ihl", "ip.bad_len")),
    "ip_total_len_past_frame": (lambda t: _eth(t) + _patch(
        _echo(t), 2, struct.pack("!H", 1000)), "ip.bad_len"),
    "ip_total_len_below_header": (lambda t: _eth(t) + _patch(
        _echo(t), 2, struct.pack("!H", 12)), ("ip.bad_len", "ip.bad_ihl")),
    "ip_unknown_proto": (lambda t: _eth(t) + bytes(t.ip4(proto=253) /
                                                   (b"p" * 20)),
                         "ip.bad_proto"),
    "ip_not_ours": (lambda t: _eth(t) + _echo(t, dst=t.other_ip),
                    "ip.not_ours"),
    # ICMP
    "icmp_bad_checksum": (lambda t: _eth(t) + bytes(
        t.ip4() / ICMP(id=1, seq=1, chksum=0x1234) / b"x"), "icmp.bad"),
    "icmp_truncated": (lambda t: _eth(t) + bytes(t.ip4(proto=1) /
                                                 b"\x08\x00\x00"),
                       "icmp.bad"),
    # UDP
    "udp_len_past_ip": (lambda t: _eth(t) + _udp(t, len=200), "udp.bad_len"),
    "udp_len_below_header": (lambda t: _eth(t) + _udp(t, len=4),
                             "udp.bad_len"),
    "udp_truncated_header": (lambda t: _eth(t) + bytes(t.ip4(proto=17) /
                                                       b"\x9c\x40\x00"),
                             "udp.bad_len"),
    "udp_bad_checksum": (lambda t: _eth(t) + _udp(t, chksum=0x1234),
                         "udp.bad_checksum"),
    # ARP
    "arp_truncated": (lambda t: bytes(
        Ether(src=t.kernel_mac, dst="ff:ff:ff:ff:ff:ff") /
        ARP(hwsrc=t.kernel_mac, psrc=t.kernel_ip, pdst=t.pollux_ip))[:14 + 20],
        "arp.bad"),
    "arp_bad_hwtype": (lambda t: bytes(
        Ether(src=t.kernel_mac, dst="ff:ff:ff:ff:ff:ff") /
        ARP(hwtype=6, hwsrc=t.kernel_mac, psrc=t.kernel_ip,
            pdst=t.pollux_ip)), "arp.bad"),
}


def _check_case(t, base: int, frame: bytes,
                counters: Union[str, Sequence[str]], repeat: int = 1
                ) -> None:
    names = (counters,) if isinstance(counters, str) else tuple(counters)
    before = t.fresh_stats()
    for n in names:
        before.counter(n)  # exists, or fail with the JSON
    with t.raw() as port:
        for _ in range(repeat):
            port.send(frame)
    end = time.monotonic() + 2.0
    while True:
        after = t.stats()
        grown = [n for n in names
                 if after.counter(n) - before.counter(n) >= repeat]
        if grown:
            break
        if time.monotonic() > end or not t.app.alive():
            raise AssertionError(
                f"none of {names} grew by {repeat}; changed: "
                f"{diff(before, after)}\n{after.dump()}\n"
                f"{'' if t.app.alive() else t.app.describe()}")
        time.sleep(0.05)
    assert after.counter("port.rx") - before.counter("port.rx") >= repeat, \
        after.dump()
    t.assert_pings()
    t.wait_mbufs(base)


@pytest.mark.parametrize("case", list(CASES))
def test_malformed(tap_echo, mbuf_base, case):
    """One malformed frame is dropped, counted, and changes nothing else.

    Steps: send the frame (built by scapy, patched byte-wise, checksums
    recomputed unless the case is about the checksum) from the kernel
    side's MAC to Pollux's MAC on a raw socket.
    Verify: the counter named for the case grew by one (a missing name
    fails with the stats JSON); the app is alive and answers ping;
    mbuf.in_use returns to its baseline within 1 s.
    """
    build, counters = CASES[case]
    _check_case(tap_echo, mbuf_base, build(tap_echo), counters)


def test_malformed_eth_runt(tap_echo, mbuf_base):
    """A frame shorter than an Ethernet header.

    Steps: send 10 bytes on the raw socket.
    Verify: eth.runt grew, the app lives and answers ping. Linux refuses
    AF_PACKET frames shorter than the device's header on an Ethernet
    device (dev_validate_header: EINVAL), so no runt can reach the tap
    from the kernel side; then the case is skipped and eth.runt is left
    to the unit tests.
    """
    t = tap_echo
    before = t.fresh_stats()
    before.counter("eth.runt")
    with t.raw() as port:
        try:
            port.send(bytes.fromhex(t.pollux_mac.replace(":", "")) +
                      b"\x08\x00\x45\x00")
        except OSError as e:
            if e.errno == errno.EINVAL:
                pytest.skip("the kernel refuses frames < 14 bytes on "
                            "AF_PACKET (dev_validate_header)")
            raise
    t.app.wait_counter("eth.runt", before.counter("eth.runt") + 1)
    t.assert_pings()
    t.wait_mbufs(mbuf_base)


def test_ip_ttl_zero(tap_echo, mbuf_base):
    """An echo request arriving with TTL 0.

    Steps: send an ICMP echo request to Pollux with TTL 0.
    Verify: ip.ttl_zero grew by one. Pollux delivers such a packet (RFC
    1122 3.2.1.7 lets a host accept it; px_inet.h documents it), so an
    echo reply comes back and icmp.echo_replies grew; should the stack
    drop it instead, this test says so in its failure. Alive, ping, mbufs
    back.
    """
    t = tap_echo
    before = t.fresh_stats()
    frame = _eth(t) + bytes(t.ip4(ttl=0) / ICMP(id=0x77, seq=9) / b"ttl0")
    with t.raw() as port:
        reply = port.exchange(frame, lambda p: ICMP in p and
                              p[ICMP].type == 0 and p[ICMP].id == 0x77)
    after = t.app.wait_counter("ip.ttl_zero",
                               before.counter("ip.ttl_zero") + 1)
    if reply is not None:
        after = t.app.wait_counter("icmp.echo_replies",
                                   before.counter("icmp.echo_replies") + 1)
    replied = after.counter("icmp.echo_replies") > \
        before.counter("icmp.echo_replies")
    assert reply is not None and replied, \
        (f"TTL 0 echo not answered (reply seen: {reply is not None}, "
         f"echo_replies grew: {replied}): dropped, not delivered\n"
         f"{after.dump()}")
    assert reply[IP].ttl > 0
    t.assert_pings()
    t.wait_mbufs(mbuf_base)


def test_ip_options_skipped(tap_echo, mbuf_base):
    """An echo request whose IP header has options is answered.

    Steps: send an ICMP echo request with IHL 6 (four NOP options).
    Verify: an echo reply with the same id, seq and data comes back;
    ip.options grew.
    """
    t = tap_echo
    before = t.fresh_stats()
    frame = _eth(t) + bytes(t.ip4(options=b"\x01\x01\x01\x01") /
                            ICMP(id=0x78, seq=3) / b"options")
    assert frame[14] == 0x46
    with t.raw() as port:
        reply = port.exchange(frame, lambda p: ICMP in p and
                              p[ICMP].type == 0 and p[ICMP].id == 0x78)
    after = t.app.wait_counter("ip.options", before.counter("ip.options")
                               + 1)
    assert reply is not None, after.dump()
    assert reply[ICMP].seq == 3 and bytes(reply[ICMP].payload) == b"options"
    t.wait_mbufs(mbuf_base)


@pytest.mark.parametrize("where", ["first", "middle"])
def test_ip_lone_fragment_expires(tap_echo, mbuf_base, where):
    """A fragment whose datagram never completes is held, then freed.

    Steps: send one fragment (the first, MF set; or one at offset 800
    bytes) to the UDP echo port, then ping.
    Verify: ip.frags grew; ping is answered while the fragment is held;
    within the reassembly timeout (2 s) plus 1.5 s ip.frag_drop grew and
    mbuf.in_use is back to its baseline.
    """
    t = tap_echo
    before = t.fresh_stats()
    ident = 0x1000 + (1 if where == "first" else 2)
    if where == "first":
        ip = t.ip4(flags="MF", id=ident) / UDP(sport=40000,
                                              dport=t.udp_ports[0]) / (
            b"f" * 64)
    else:
        ip = t.ip4(frag=100, flags="MF", id=ident, proto=17) / (b"g" * 64)
    with t.raw() as port:
        port.send(_eth(t) + bytes(ip))
    t.app.wait_counter("ip.frags", before.counter("ip.frags") + 1)
    t.assert_pings()
    t.app.wait_counter("ip.frag_drop", before.counter("ip.frag_drop") + 1,
                       timeout=3.5)
    t.wait_mbufs(mbuf_base)


def test_ip_duplicate_first_fragment(tap_echo, mbuf_base):
    """The same first fragment twice spoils the datagram at once.

    Steps: send the first fragment of a datagram twice.
    Verify: ip.frags grew by two, ip.frag_drop by at least one within 1 s
    (the table drops the datagram, or holds one and times it out: then
    within 3.5 s); the app answers ping; mbufs back to baseline.
    """
    t = tap_echo
    before = t.fresh_stats()
    frame = _eth(t) + bytes(t.ip4(flags="MF", id=0x2001) /
                            UDP(sport=40000, dport=t.udp_ports[0]) /
                            (b"d" * 64))
    with t.raw() as port:
        port.send(frame)
        port.send(frame)
    t.app.wait_counter("ip.frags", before.counter("ip.frags") + 2)
    t.app.wait_counter("ip.frag_drop", before.counter("ip.frag_drop") + 1,
                       timeout=3.5)
    t.assert_pings()
    t.wait_mbufs(mbuf_base, timeout=3.5)


@pytest.mark.parametrize("kind", ["random", "ipv4", "arp"])
def test_garbage(tap_echo, mbuf_base, kind):
    """Random bytes of many sizes do not hurt.

    Steps: 200 frames of random bytes, sizes 14..1514 (seeded): fully
    random, or to Pollux's MAC with EtherType IPv4 or ARP and random
    payload.
    Verify: port.rx grew by the frames sent; alive; answers ping; mbufs
    back to baseline.
    """
    t = tap_echo
    rng = random.Random(kind)
    sizes = [14, 15, 20, 34, 42, 60, 64, 333, 1000, 1514]
    frames = []
    for i in range(200):
        n = sizes[i % len(sizes)] if i < len(sizes) else rng.randint(14, 1514)
        if kind == "random":
            f = rng.randbytes(n)
        else:
            head = bytes(t.eth(type=0x0800 if kind == "ipv4" else 0x0806))
            body = bytearray(rng.randbytes(n - 14))
            if kind == "ipv4" and body:
                body[0] = 0x45 if i % 2 else body[0]
            f = head + bytes(body)
        frames.append(f)
    before = t.fresh_stats()
    with t.raw() as port:
        for f in frames:
            port.send(f)
            time.sleep(0.0005)
    end = time.monotonic() + 2
    while True:
        after = t.stats()
        if after.counter("port.rx") - before.counter("port.rx") >= \
                len(frames) or time.monotonic() > end:
            break
        t.app.assert_alive()
        time.sleep(0.05)
    t.app.assert_alive()
    assert after.counter("port.rx") - before.counter("port.rx") >= \
        len(frames), after.dump()
    t.assert_pings()
    t.wait_mbufs(mbuf_base)


def test_malformed_burst(tap_echo, mbuf_base):
    """Every malformed case, 50 times each, back to back.

    Steps: send all the cases above interleaved, 50 rounds.
    Verify: alive; answers 10 pings; mbufs back to baseline; the clean
    echo still works.
    """
    t = tap_echo
    frames = [build(t) for build, _ in CASES.values()]
    with t.raw() as port:
        for _ in range(50):
            for f in frames:
                port.send(f)
    time.sleep(0.5)
    t.app.assert_alive()
    t.assert_pings(10)
    t.wait_mbufs(mbuf_base)

