# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""A TCP peer played by hand with scapy from the namespace side of a
TapEcho topology: one connection to Pollux's echo port whose every
segment the test builds, with the kernel's own RSTs for its port
dropped by nftables (kernel_rst_dropped())."""

from __future__ import annotations

import contextlib
import random
import time
from typing import Iterator, Optional

from scapy.layers.inet import IP, TCP  # type: ignore
from scapy.layers.l2 import Ether  # type: ignore

PORT = 7


class Peer:
    """A hand-played TCP peer: scapy frames on the namespace's side."""

    def __init__(self, t, raw, sport: int) -> None:
        self.t, self.raw, self.sport = t, raw, sport
        self.seq = random.randrange(1 << 31)
        self.ack = 0
        self.ts = 1000
        self.ts_recent = 0

    def frame(self, flags: str = "A", seq: Optional[int] = None,
              ack: Optional[int] = None, payload: bytes = b"",
              options=None, window: int = 8192, chksum=None) -> Ether:
        if options is None:
            options = [("Timestamp", (self.ts, self.ts_recent))]
        tcp = TCP(sport=self.sport, dport=PORT, flags=flags,
                  seq=self.seq if seq is None else seq,
                  ack=self.ack if ack is None else ack,
                  window=window, options=options)
        if chksum is not None:
            tcp.chksum = chksum
        return (Ether(src=self.t.kernel_mac, dst=self.t.pollux_mac) /
                IP(src=self.t.kernel_ip, dst=self.t.pollux_ip) / tcp / payload)

    def from_pollux(self, pkt: Ether) -> bool:
        return (pkt.haslayer(TCP) and pkt[IP].src == self.t.pollux_ip and
                pkt[TCP].dport == self.sport)

    def expect(self, timeout: float = 1.0, count: int = 1) -> list[Ether]:
        return self.raw.recv(self.from_pollux, timeout=timeout, count=count)

    def send(self, frame: Ether) -> None:
        self.raw.send(frame)

    def note(self, pkt: Ether) -> None:
        for name, val in pkt[TCP].options:
            if name == "Timestamp":
                self.ts_recent = val[0]

    def connect(self) -> None:
        self.raw.drain()
        self.send(self.frame("S", ack=0, options=[
            ("MSS", 1460), ("SAckOK", b""), ("Timestamp", (self.ts, 0)),
            ("NOP", None), ("WScale", 7)]))
        got = self.expect()
        assert got and got[0][TCP].flags == "SA", got
        self.note(got[0])
        self.seq += 1
        self.ack = got[0][TCP].seq + 1
        self.ts += 1
        self.send(self.frame("A"))

    def collect(self, n: int, timeout: float = 2.0) -> bytes:
        """Read Pollux's data in order, ACKing each segment at once (its
        Nagle holds a small segment until the previous one is ACKed),
        until n bytes or the timeout."""
        out = b""
        end = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < end:
            for pkt in self.expect(timeout=0.2, count=1):
                self.note(pkt)
                body = bytes(pkt[TCP].payload)
                if body and pkt[TCP].seq == self.ack:
                    out += body
                    self.ack += len(body)
                    self.send(self.frame("A"))
        return out

    def echo(self, data: bytes) -> bytes:
        """Send data, collect the echo."""
        self.raw.drain()
        self.ts += 1
        self.send(self.frame("PA", payload=data))
        self.seq += len(data)
        return self.collect(len(data))


@contextlib.contextmanager
def kernel_rst_dropped(t, sport: int) -> Iterator[None]:
    """While inside, the namespace's kernel sends no RST from sport (it
    knows nothing of the connection scapy plays)."""
    rules = f"""
table inet pxhost {{
  chain out {{
    type filter hook output priority 0;
    tcp sport {sport} tcp flags rst drop
  }}
}}
"""
    assert t.run(["nft", "-f", "-"], input=rules, timeout=10).returncode == 0
    try:
        yield
    finally:
        t.run(["nft", "delete", "table", "inet", "pxhost"], timeout=10)
