#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Many kernel TCP streams at once through an echo server, for dts: CONNS
connections to HOST:PORT, each sending BYTES of its own pseudo-random
data while reading the echo, all driven by one selector loop. Every byte
that comes back is compared with what was sent at that offset. Prints
one JSON line: connections that finished byte-exact, the first mismatch
or error per failed one, and the time taken. Gives up after TIMEOUT_S.

usage: tcp_multi.py HOST PORT CONNS BYTES [SEED] [TIMEOUT_S]
"""

from __future__ import annotations

import json
import random
import selectors
import socket
import sys
import time

CHUNK = 64 << 10


class Stream:
    def __init__(self, host: str, port: int, i: int, total: int,
                 block: bytes) -> None:
        r = (i * 7919) % len(block)
        self.data = block[r:] + block[:r]      # this stream's pattern
        self.total, self.sent, self.got = total, 0, 0
        self.err = ""
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setblocking(False)

    def expect(self, off: int, n: int) -> bytes:
        size = len(self.data)
        out = b""
        while n > 0:
            k = off % size
            piece = self.data[k:k + n]
            out += piece
            off += len(piece)
            n -= len(piece)
        return out


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    conns, total = int(sys.argv[3]), int(sys.argv[4])
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 300.0
    block = random.Random(seed).randbytes(1 << 20)
    sel = selectors.DefaultSelector()
    streams = []
    t0 = time.monotonic()
    for i in range(conns):
        st = Stream(host, port, i, total, block)
        streams.append(st)
        sel.register(st.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    live = conns
    while live > 0 and time.monotonic() - t0 < timeout:
        for key, ev in sel.select(timeout=1.0):
            st = key.data
            try:
                if ev & selectors.EVENT_WRITE and st.sent < st.total:
                    n = min(CHUNK, st.total - st.sent)
                    st.sent += st.sock.send(st.expect(st.sent, n))
                    if st.sent == st.total:
                        st.sock.shutdown(socket.SHUT_WR)
                        sel.modify(st.sock, selectors.EVENT_READ, st)
                if ev & selectors.EVENT_READ:
                    b = st.sock.recv(1 << 20)
                    if not b:
                        if st.got != st.total:
                            st.err = f"EOF after {st.got} bytes"
                        sel.unregister(st.sock)
                        st.sock.close()
                        live -= 1
                        continue
                    if b != st.expect(st.got, len(b)):
                        st.err = f"mismatch at byte {st.got}"
                        sel.unregister(st.sock)
                        st.sock.close()
                        live -= 1
                        continue
                    st.got += len(b)
            except BlockingIOError:
                pass
            except OSError as e:
                st.err = f"{e}"
                sel.unregister(st.sock)
                st.sock.close()
                live -= 1
    secs = time.monotonic() - t0
    for st in streams:
        if st.sock.fileno() >= 0:
            if not st.err:
                st.err = f"timeout: sent {st.sent} got {st.got}"
            st.sock.close()
    ok = sum(1 for st in streams if not st.err and st.got == st.total)
    errors = [st.err for st in streams if st.err][:5]
    print(json.dumps({"conns": conns, "bytes": total, "ok": ok,
                      "errors": errors, "seconds": round(secs, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
