#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The kernel peer of px-posix-sem (test/posix/sem.c): 7001 echoes until
EOF and then closes; 7002 resets each connection after 300 ms; 7003 sends
"hello" and a FIN, then reads until EOF; 7004 reads a port number and
a newline and connects back to the caller's address on that port, holding
the connection for 3 s. Prints "ready" once all four listen; runs for
LIFETIME_S.

usage: sem_peer.py [LIFETIME_S]
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time


def echo(c: socket.socket) -> None:
    with c:
        while True:
            data = c.recv(65536)
            if not data:
                return
            c.sendall(data)


def reset(c: socket.socket) -> None:
    time.sleep(0.3)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def hello_fin(c: socket.socket) -> None:
    with c:
        c.sendall(b"hello")
        c.shutdown(socket.SHUT_WR)
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass


def connect_back(c: socket.socket) -> None:
    with c:
        c.settimeout(5)
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = c.recv(16)
            if not chunk:
                return
            buf += chunk
        back = socket.create_connection((c.getpeername()[0], int(buf)), 5)
        time.sleep(3)
        back.close()


def serve(port: int, fn) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()


def main() -> None:
    life = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    for port, fn in ((7001, echo), (7002, reset), (7003, hello_fin),
                     (7004, connect_back)):
        threading.Thread(target=serve, args=(port, fn), daemon=True).start()
    time.sleep(0.2)
    print("ready", flush=True)
    time.sleep(life)


if __name__ == "__main__":
    main()
