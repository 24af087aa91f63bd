# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Send and capture raw frames on an interface inside a namespace.

An AF_PACKET socket opened in the namespace (netns.socket_in) carries the
frames: scapy builds and parses them, the socket sends exactly the bytes
given (no padding, no checksum fixing), so malformed frames reach the tap
as written. The kernel refuses frames shorter than an Ethernet header
(14 bytes) on an Ethernet device, so runts cannot be sent this way.
"""

from __future__ import annotations

import select
import socket
import time
from typing import Callable, Optional, Union

from scapy.layers.l2 import Ether  # type: ignore

from . import netns

ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4

Frame = Union[bytes, "Ether"]


class RawPort:
    """An AF_PACKET socket on one interface of a namespace, or on every
    interface of the namespace (ifname None: also sees interfaces that
    appear later, e.g. a tap an app creates)."""

    def __init__(self, ns: str, ifname: Optional[str],
                 proto: int = ETH_P_ALL) -> None:
        self.ns = ns
        self.ifname = ifname
        self.sock = netns.socket_in(ns, socket.AF_PACKET, socket.SOCK_RAW,
                                    socket.htons(proto))
        if ifname:
            # Bind inside the namespace: the name is resolved there.
            netns.call_in(ns, lambda: self.sock.bind((ifname, proto)))
        self.sock.setblocking(False)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawPort":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, frame: Frame) -> int:
        """Send one frame as is; returns the bytes sent."""
        data = bytes(frame)
        assert self.ifname, "send needs a bound interface"
        return self.sock.send(data)

    def drain(self) -> None:
        """Drop whatever is queued."""
        while True:
            try:
                self.sock.recv(65536)
            except BlockingIOError:
                return

    def recv(self, match: Callable[[Ether], bool] = lambda p: True,
             timeout: float = 1.0, count: int = 1,
             outgoing: bool = False) -> list[Ether]:
        """Frames received (not sent) that match, until count of them or
        timeout; parsed with scapy."""
        got: list[Ether] = []
        end = time.monotonic() + timeout
        while len(got) < count:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                data, addr = self.sock.recvfrom(65536)
            except BlockingIOError:
                continue
            if addr[2] == PACKET_OUTGOING and not outgoing:
                continue
            pkt = Ether(data)
            if match(pkt):
                got.append(pkt)
        return got

    def exchange(self, frame: Frame, match: Callable[[Ether], bool],
                 timeout: float = 1.0) -> Optional[Ether]:
        """Send frame, return the first received frame that matches."""
        self.drain()
        self.send(frame)
        got = self.recv(match, timeout=timeout)
        return got[0] if got else None
