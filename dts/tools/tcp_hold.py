#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Kernel TCP connections across an echo server's shutdown, for dts.

Opens HOLD connections to HOST:PORT that stay idle, and one more that
closes gracefully; checks an echo on each, prints "ready", then waits
for a line "go" on stdin (the test signals the server at the same
moment). After "go":
  - at 0.3 s a new connection is attempted (a server that stopped
    accepting refuses it);
  - at 0.3 s the graceful connection sends "bye", reads the echo, shuts
    its side down and reads to EOF;
  - the idle ones wait for whatever the server does to them: a reset
    (and when), or an orderly EOF.
Prints one JSON line {"new": ..., "graceful": ..., "held": [{"how",
"t"}...]}; t is seconds since "go". Gives up after TIMEOUT_S.

usage: tcp_hold.py HOST PORT HOLD [TIMEOUT_S]
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time


def connect(host: str, port: int, timeout: float) -> socket.socket:
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(b"hello")
    got = b""
    while len(got) < 5:
        chunk = s.recv(5 - len(got))
        if not chunk:
            raise OSError("EOF before the echo")
        got += chunk
    if got != b"hello":
        raise OSError(f"echo differs: {got!r}")
    return s


def wait_end(s: socket.socket, t0: float, out: dict) -> None:
    """Read until the server ends the connection; record how and when."""
    try:
        while True:
            if not s.recv(4096):
                out["how"] = "eof"
                break
    except ConnectionResetError:
        out["how"] = "reset"
    except socket.timeout:
        out["how"] = "timeout"
    except OSError as e:
        out["how"] = f"error: {e}"
    out["t"] = round(time.monotonic() - t0, 3)


def graceful(s: socket.socket, t0: float, out: dict) -> None:
    time.sleep(max(0.0, t0 + 0.3 - time.monotonic()))
    try:
        s.sendall(b"bye")
        got = b""
        while len(got) < 3:
            chunk = s.recv(3 - len(got))
            if not chunk:
                break
            got += chunk
        s.shutdown(socket.SHUT_WR)
        rest = s.recv(4096)
        out["how"] = "eof" if got == b"bye" and rest == b"" else \
            f"echo {got!r} then {rest!r}"
    except OSError as e:
        out["how"] = f"error: {e}"
    out["t"] = round(time.monotonic() - t0, 3)


def new_conn(host: str, port: int, t0: float, out: dict) -> None:
    time.sleep(max(0.0, t0 + 0.3 - time.monotonic()))
    try:
        c = socket.create_connection((host, port), timeout=2.0)
        c.close()
        out["how"] = "connected"
    except ConnectionRefusedError:
        out["how"] = "refused"
    except OSError as e:
        out["how"] = f"error: {e}"


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    host, port, hold = argv[1], int(argv[2]), int(argv[3])
    timeout = float(argv[4]) if len(argv) == 5 else 30.0
    held = [connect(host, port, 5.0) for _ in range(hold)]
    grace = connect(host, port, 5.0)
    for s in held + [grace]:
        s.settimeout(timeout)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 2
    t0 = time.monotonic()
    res: dict = {"new": {}, "graceful": {}, "held": [{} for _ in held]}
    threads = [threading.Thread(target=wait_end, args=(s, t0, r))
               for s, r in zip(held, res["held"])]
    threads.append(threading.Thread(target=graceful,
                                    args=(grace, t0, res["graceful"])))
    threads.append(threading.Thread(target=new_conn,
                                    args=(host, port, t0, res["new"])))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
