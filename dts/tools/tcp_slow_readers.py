#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Slow readers against an echo server, for dts (TCP review A.1).

Opens N kernel connections to HOST:PORT with a 4 KiB receive buffer,
each writing NBYTES and never reading: the server's send queue for each
fills with the echo it cannot deliver, then its receive queue. After
HOLD_S seconds a fresh connection echoes 1000 bytes (timeout 10 s) and
the slow ones are reset (SO_LINGER 0). Prints one JSON line {"slow":
connected, "sent": bytes the slow ones got out, "fresh": true/false,
"fresh_s": seconds, "error": ...}.

usage: tcp_slow_readers.py HOST PORT N NBYTES HOLD_S
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    n, nbytes, hold = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    socks: list[socket.socket] = []
    sent = [0] * n
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5.0)
        s.connect((host, port))
        socks.append(s)

    def push(i: int) -> None:
        s = socks[i]
        s.settimeout(hold + 2.0)
        chunk = bytes(16384)
        try:
            while sent[i] < nbytes:
                sent[i] += s.send(chunk[:nbytes - sent[i]])
        except OSError:
            pass

    threads = [threading.Thread(target=push, args=(i,), daemon=True)
               for i in range(n)]
    for th in threads:
        th.start()
    time.sleep(hold)
    rep = {"slow": len(socks), "sent": sum(sent), "fresh": False}
    t0 = time.monotonic()
    try:
        f = socket.create_connection((host, port), timeout=10.0)
        f.settimeout(10.0)
        msg = bytes(range(256)) * 4
        f.sendall(msg[:1000])
        got = b""
        while len(got) < 1000:
            chunk = f.recv(1000 - len(got))
            if not chunk:
                break
            got += chunk
        rep["fresh"] = got == msg[:1000]
        f.close()
    except OSError as e:
        rep["error"] = str(e)
    rep["fresh_s"] = round(time.monotonic() - t0, 3)
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    print(json.dumps(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
