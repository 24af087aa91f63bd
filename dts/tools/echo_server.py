#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""A kernel TCP and UDP echo server on PORT, for dts: a thread per TCP
connection, one for UDP. Prints "ready" once both sockets listen, and
"reset" for each TCP connection the peer reset; runs until killed or for
LIFETIME_S.

usage: echo_server.py PORT [LIFETIME_S]
"""

from __future__ import annotations

import socket
import sys
import threading
import time


def tcp_conn(c: socket.socket) -> None:
    with c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                data = c.recv(65536)
            except ConnectionResetError:
                print("reset", flush=True)   # the test looks for it
                return
            except OSError:
                return
            if not data:
                return
            c.sendall(data)


def tcp_accept(s: socket.socket) -> None:
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()


def udp_echo(u: socket.socket) -> None:
    while True:
        data, peer = u.recvfrom(65536)
        u.sendto(data, peer)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    port = int(argv[1])
    life = float(argv[2]) if len(argv) == 3 else 600.0
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1024)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    threading.Thread(target=tcp_accept, args=(s,), daemon=True).start()
    threading.Thread(target=udp_echo, args=(u,), daemon=True).start()
    print("ready", flush=True)
    time.sleep(life)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
