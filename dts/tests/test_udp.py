# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""UDP echo against the Linux stack over net_tap: socat and nc, kernel
sockets and scapy-built datagrams of many sizes, byte-exact with correct
headers; fragmented datagrams; ICMP port unreachable for a closed port,
rate limited; ICMP errors reported to a connected socket as Linux
reports them."""

from __future__ import annotations

import random
import re
import shutil
import socket
import time

import pytest
from scapy.layers.inet import ICMP, IP, UDP, UDPerror, IPerror  # type: ignore
from scapy.utils import checksum  # type: ignore


SIZES = [0, 1, 2, 3, 64, 511, 1000, 1471, 1472]


def _payload(n: int, seed: int = 0) -> bytes:
    return random.Random(n * 7919 + seed).randbytes(n)


@pytest.mark.parametrize("tool", ["socat", "nc"])
def test_udp_echo_tools(tap_echo, tool):
    """Everyday tools get their datagram back.

    Steps: from the namespace, pipe a line into `socat - UDP:<pollux>:7`
    or `nc -u <pollux> 5000`.
    Verify: the tool prints exactly the line it sent.
    """
    t = tap_echo
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not installed (Debian: "
                    f"{'socat' if tool == 'socat' else 'netcat-openbsd'})")
    msg = f"hello pollux via {tool}\n"
    if tool == "socat":
        cmd = ["socat", "-t", "0.5", "-",
               f"UDP:{t.pollux_ip}:{t.udp_ports[0]}"]
    else:
        cmd = ["nc", "-u", "-w", "1", t.pollux_ip, str(t.udp_ports[-1])]
    res = t.run(cmd, input=msg, timeout=15)
    assert res.stdout == msg, (res.returncode, res.stdout, res.stderr)


@pytest.mark.parametrize("size", SIZES)
def test_udp_echo_sizes(tap_echo, size):
    """Datagrams from empty to the largest unfragmented size come back
    byte-exact.

    Steps: a kernel UDP socket in the namespace sends SIZE random bytes to
    each echo port.
    Verify: the reply comes from Pollux's address and that port, and is
    the same bytes (the kernel checked both checksums on the way in).
    """
    t = tap_echo
    s = t.udp_socket()
    try:
        for port in t.udp_ports:
            data = _payload(size, port)
            s.sendto(data, (t.pollux_ip, port))
            try:
                got, src = s.recvfrom(65536)
            except socket.timeout:
                raise AssertionError(f"no echo of {size} bytes on port "
                                     f"{port}\n{t.stats().dump()}") from None
            assert src == (t.pollux_ip, port)
            assert got == data, f"{len(got)} bytes back for {size}"
    finally:
        s.close()


@pytest.mark.parametrize("size", [1, 2, 64, 1000, 1472])
def test_udp_echo_scapy_headers(tap_echo, size):
    """The echo swaps addresses and ports and carries valid checksums.

    Steps: send a scapy-built Ether/IP/UDP frame of SIZE payload bytes
    from a port a kernel socket holds (so the kernel does not answer the
    echo with port unreachable); capture the reply on the raw socket.
    Verify: MACs, addresses and ports swapped; IP version 4, IHL 5, total
    length and UDP length right, TTL > 0, not a fragment, header checksum
    valid; UDP checksum zero or valid; payload byte-exact; udp.delivered
    and udp.tx grew.
    """
    t = tap_echo
    holder = t.udp_socket()
    sport = holder.getsockname()[1]
    dport = t.udp_ports[0]
    data = _payload(size, 99)
    try:
        before = t.fresh_stats()
        frame = t.eth() / t.ip4(ttl=64) / UDP(sport=sport, dport=dport) / data
        with t.raw() as port:
            reply = port.exchange(frame, lambda p: UDP in p and
                                  p[UDP].sport == dport and
                                  p[UDP].dport == sport)
        assert reply is not None, f"no echo\n{t.stats().dump()}"
    finally:
        holder.close()
    assert reply.src == t.pollux_mac and reply.dst == t.kernel_mac
    ip = reply[IP]
    assert ip.src == t.pollux_ip and ip.dst == t.kernel_ip
    assert ip.version == 4 and ip.ihl == 5, reply.show(dump=True)
    assert ip.len == 20 + 8 + size, reply.show(dump=True)
    assert ip.ttl > 0 and ip.flags.MF == 0 and ip.frag == 0
    raw_ip = bytes(ip)[:20]
    assert checksum(raw_ip) == 0, f"bad IP checksum\n{reply.show(dump=True)}"
    udp = reply[UDP]
    assert udp.len == 8 + size
    assert bytes(udp.payload) == data
    if udp.chksum != 0:
        pseudo = (socket.inet_aton(ip.src) + socket.inet_aton(ip.dst) +
                  bytes([0, 17]) + (8 + size).to_bytes(2, "big"))
        seg = bytes(ip)[20:20 + 8 + size]
        assert checksum(pseudo + seg) == 0, \
            f"bad UDP checksum\n{reply.show(dump=True)}"
    for name in ("udp.delivered", "udp.tx"):
        t.app.wait_counter(name, before.counter(name) + 1)


def test_udp_echo_many(tap_echo):
    """A long run of request/response datagrams loses nothing and leaks
    no buffer.

    Steps: 2000 datagrams of 1..1472 bytes, one at a time, each waiting
    for its echo.
    Verify: every echo byte-exact; mbuf.in_use back to its value before.
    """
    t = tap_echo
    t.assert_pings()
    base = t.fresh_stats().counter("mbuf.in_use")
    rng = random.Random(5)
    s = t.udp_socket(timeout=1.0)
    lost = 0
    try:
        for i in range(2000):
            data = rng.randbytes(rng.randint(1, 1472))
            s.sendto(data, (t.pollux_ip, t.udp_ports[i % 2]))
            try:
                got, _ = s.recvfrom(65536)
            except socket.timeout:
                lost += 1
                continue
            assert got == data, f"datagram {i} differs"
    finally:
        s.close()
    assert lost == 0, f"{lost} of 2000 not echoed\n{t.stats().dump()}"
    t.wait_mbufs(base)


def test_udp_closed_port_unreachable(tap_echo):
    """A datagram to a port nobody serves gets ICMP port unreachable.

    Steps: a connected kernel UDP socket sends to a closed port; capture
    on the raw socket.
    Verify: ICMP type 3 code 3 from Pollux quoting the datagram's IP
    header and UDP ports; the socket sees ECONNREFUSED; udp.no_port and
    icmp.unreach_sent grew.
    """
    t = tap_echo
    time.sleep(1.1)  # a fresh second of the ICMP rate limit
    before = t.fresh_stats()
    s = t.udp_socket()
    try:
        s.connect((t.pollux_ip, t.closed_port))
        sport = s.getsockname()[1]
        with t.raw() as port:
            port.drain()
            s.send(b"anyone?")
            got = port.recv(lambda p: ICMP in p and p[ICMP].type == 3,
                            timeout=1.0)
        with pytest.raises(ConnectionRefusedError):
            s.recv(100)
    finally:
        s.close()
    assert got, f"no ICMP error\n{t.stats().dump()}"
    p = got[0]
    assert p[IP].src == t.pollux_ip and p[IP].dst == t.kernel_ip
    assert p[ICMP].code == 3, p.show(dump=True)
    assert IPerror in p and UDPerror in p, p.show(dump=True)
    assert p[IPerror].src == t.kernel_ip and p[IPerror].dst == t.pollux_ip
    assert p[UDPerror].sport == sport and p[UDPerror].dport == t.closed_port
    for name in ("udp.no_port", "icmp.unreach_sent"):
        t.app.wait_counter(name, before.counter(name) + 1)


@pytest.mark.parametrize("icmp,expect", [
    ("port-unreachable", "Connection refused"),
    ("host-unreachable", "timeout"),
], ids=["port", "host"])
def test_udp_icmp_error_like_linux(tap_echo_factory, icmp, expect):
    """ICMP errors reach a connected UDP socket as on Linux (issue 16):
    port unreachable is a hard error, the next call fails with
    ECONNREFUSED; host unreachable is a soft one a socket without
    IP_RECVERR never sees.

    Steps: in the namespace, nftables answers UDP to port 4446 with
    `reject with icmp type ICMP`; pollux-echo --client (a connected
    socket) sends to the kernel's port 4446, and a connected kernel
    socket in the namespace sends to 127.0.0.1:4446 (the same rule,
    over lo) and waits 1 s for a reply.
    Verify: both report the same thing: "Connection refused" for port
    unreachable, nothing but silence (a timeout) for host unreachable;
    Pollux counted the error as reported (udp.icmp_err) or ignored
    (udp.icmp_ignored).
    """
    rules = f"""
table inet pxreject {{
  chain in {{
    type filter hook input priority 0;
    udp dport 4446 reject with icmp type {icmp}
  }}
}}
"""

    def reject(t):
        assert t.run(["ip", "link", "set", "lo", "up"],
                     timeout=10).returncode == 0
        assert t.run(["nft", "-f", "-"], input=rules,
                     timeout=10).returncode == 0

    # One datagram in flight at a time, 20 ms apart, for up to 5 s:
    # some go before the namespace's side of the link is up.
    t = tap_echo_factory(before_app=reject, udp_ports=(), extra_args=[
        "--client", "{kernel_ip}:4446", "--count", "100", "--window", "1",
        "--client-ms", "5000"])
    m = t.app.wait_for(re.compile(r"client: (error: .*|sent=.*)"), 30)
    pollux = m.group(1)
    code = """
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 4446))
s.settimeout(1.0)
try:
    s.send(b"x")
    s.recv(100)
    print("reply")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(os.strerror(e.errno))
"""
    res = t.run(["python3", "-c", code], timeout=30)
    linux = res.stdout.strip()
    assert linux == expect, (linux, res.stderr)
    res = t.stop()
    if expect == "timeout":
        assert pollux.startswith("sent=") and "received=0" in pollux, pollux
        assert re.search(r"^udp\.icmp_ignored=[1-9]", res.out, re.M), res.out
        assert re.search(r"^udp\.icmp_err=0$", res.out, re.M), res.out
    else:
        assert pollux == f"error: {expect}", pollux
        assert res.rc == 1 and re.search(r"^udp\.icmp_err=[1-9]", res.out,
                                         re.M), res.out + res.err
    t.run(["nft", "delete", "table", "inet", "pxreject"], timeout=10)


def test_udp_closed_port_rate_limited(tap_echo):
    """ICMP errors are rate limited, and every refused datagram is
    accounted for.

    Steps: 400 datagrams to a closed port as fast as the socket sends.
    Verify: icmp.ratelimited grew; the growth of unreach_sent plus
    ratelimited equals that of udp.no_port; the app still answers ping.
    """
    t = tap_echo
    before = t.fresh_stats()
    s = t.udp_socket()
    try:
        for _ in range(400):
            s.sendto(b"x", (t.pollux_ip, t.closed_port))
    finally:
        s.close()
    time.sleep(0.3)
    after = t.fresh_stats()
    d = {k: after.counter(k) - before.counter(k) for k in
         ("udp.no_port", "icmp.unreach_sent", "icmp.ratelimited")}
    assert d["icmp.ratelimited"] > 0, (d, after.dump())
    assert d["icmp.unreach_sent"] + d["icmp.ratelimited"] == \
        d["udp.no_port"], (d, after.dump())
    t.assert_pings()


# 8 fragments of 1480 bytes (RTE_LIBRTE_IP_FRAG_MAX_FRAG in DPDK 22.11)
# hold 11840 bytes of IP payload: 11832 of UDP data.
FRAG_SIZES = [1473, 2000, 4000, 8192, 11832]


@pytest.mark.parametrize("size", FRAG_SIZES)
def test_udp_fragmented(tap_echo, size):
    """Datagrams the kernel fragments are reassembled and echoed, the echo
    fragmented to the MTU on the way out.

    Steps: a kernel UDP socket sends SIZE random bytes (2 to 8 fragments).
    Verify: the same bytes come back; ip.reassembled and ip.frag_tx grew.
    """
    t = tap_echo
    before = t.fresh_stats()
    data = _payload(size, 3)
    s = t.udp_socket(timeout=1.0)
    try:
        s.sendto(data, (t.pollux_ip, t.udp_ports[0]))
        try:
            got, _ = s.recvfrom(65536)
        except socket.timeout:
            raise AssertionError(f"no echo of {size} bytes\n"
                                 f"{t.stats().dump()}") from None
    finally:
        s.close()
    assert got == data, f"{len(got)} bytes back for {size}"
    for name in ("ip.reassembled", "ip.frag_tx"):
        t.app.wait_counter(name, before.counter(name) + 1)


def test_udp_too_many_fragments(tap_echo):
    """A datagram of more fragments than reassembly holds is dropped
    without harm.

    Steps: a kernel UDP socket sends 16000 bytes (11 fragments; DPDK 22.11
    reassembles at most 8); then a datagram of 100 bytes.
    Verify: no echo of the large one (should a later increment reassemble
    it, the echo must be exact); ip.frag_drop grew; the small one is
    echoed; mbuf.in_use back to its value before within the reassembly
    timeout (2 s) plus 1 s.
    """
    t = tap_echo
    t.assert_pings()
    before = t.fresh_stats()
    base = before.counter("mbuf.in_use")
    data = _payload(16000, 4)
    s = t.udp_socket(timeout=1.0)
    try:
        s.sendto(data, (t.pollux_ip, t.udp_ports[0]))
        try:
            got, _ = s.recvfrom(65536)
        except socket.timeout:
            got = None
        if got is not None:
            assert got == data, f"{len(got)} bytes back for 16000"
        s.sendto(b"s" * 100, (t.pollux_ip, t.udp_ports[0]))
        assert s.recvfrom(65536)[0] == b"s" * 100
    finally:
        s.close()
    if got is None:
        t.app.wait_counter("ip.frag_drop", before.counter("ip.frag_drop") + 1,
                           timeout=4.0)
    t.wait_mbufs(base, timeout=3.0)
