#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""A kernel TCP client for dts, run inside the peer namespace: stream
BYTES of seeded pseudo-random data to HOST:PORT from one thread while
another reads what comes back, then print one JSON line with the byte
counts, both SHA-256 digests and the time taken.

usage: tcp_stream.py HOST PORT BYTES [SEED] [TIMEOUT_S] [--no-echo]
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import sys
import threading
import time


def main() -> int:
    host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 120.0
    echo = "--no-echo" not in sys.argv
    block = random.Random(seed).randbytes(1 << 20)
    sent_h, recv_h = hashlib.sha256(), hashlib.sha256()
    s = socket.create_connection((host, port), timeout=timeout)
    state = {"sent": 0, "err": ""}

    def tx() -> None:
        try:
            k = 0
            while state["sent"] < total:
                n = min(len(block), total - state["sent"])
                # Rotate the block so a shifted or repeated chunk shows.
                r = k % 251
                chunk = (block[r:] + block[:r])[:n]
                s.sendall(chunk)
                sent_h.update(chunk)
                state["sent"] += n
                k += 1
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            state["err"] = f"send: {e}"

    t0 = time.monotonic()
    th = threading.Thread(target=tx)
    th.start()
    got = 0
    err = ""
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            recv_h.update(b)
            got += len(b)
    except OSError as e:
        err = f"recv: {e}"
    th.join(timeout)
    s.close()
    secs = time.monotonic() - t0
    print(json.dumps({
        "sent": state["sent"], "received": got,
        "sent_sha256": sent_h.hexdigest(), "recv_sha256": recv_h.hexdigest(),
        "seconds": round(secs, 3), "error": state["err"] or err,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
