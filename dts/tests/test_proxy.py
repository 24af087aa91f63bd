# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""pollux-proxy between real kernels: a kernel client in one namespace,
the proxy on two net_tap ports, kernel backends in another namespace."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lib import env

TOOLS = Path(__file__).resolve().parents[1] / "tools"
ECHO = str(TOOLS / "echo_server.py")
STREAM = str(TOOLS / "tcp_stream.py")
MULTI = str(TOOLS / "tcp_multi.py")
GIB = 1 << 30
MIB = 1 << 20
LISTEN = 8000
BACKEND = 8080


class Backend:
    """echo_server.py on BACKEND in the back namespace."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def start(self, t) -> None:
        self.proc = subprocess.Popen(
            t.back.argv(["python3", ECHO, str(BACKEND), "900"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> str:
        """Kill it; returns what it printed."""
        if self.proc is None:
            return ""
        self.proc.kill()
        out, _ = self.proc.communicate(timeout=10)
        return out


def _proxy(factory, backend: Backend | None, *args: str, lcores="0@0"):
    return factory(
        "proxy", before_app=backend.start if backend else None,
        lcores=lcores, extra_args=[
            "--ip", "{front_ip}/24", "--back-ip", "{back_ip}/24",
            "--listen", str(LISTEN), "--backend", f"{{server_ip}}:{BACKEND}",
            *args])


def _stream(t, nbytes: int, timeout: float) -> dict:
    res = t.front.exec(["python3", STREAM, t.front_ip, str(LISTEN),
                        str(nbytes), "5", str(timeout)], timeout=timeout + 30)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def _exact(rep: dict, nbytes: int) -> None:
    assert rep["error"] == "", rep
    assert rep["sent"] == nbytes and rep["received"] == nbytes, rep
    assert rep["sent_sha256"] == rep["recv_sha256"], rep


def _stopped_clean(t):
    res = t.stop(timeout=20)
    assert res.rc == 0 and not res.signalled, res.out + res.err
    leaks = [ln for ln in res.out.splitlines() if ln.startswith("mbuf.leaked=")]
    assert leaks == ["mbuf.leaked=0", "mbuf.leaked=0"], res.out
    return res.counters


def _gib_through(factory, timeout: float, *args: str) -> dict:
    """1 GiB through a proxy (args) to the echo backend and back; asserts
    it came back byte-exact and the proxy stopped clean; its counters.
    Skipped on the sanitized build: the same relay code runs under ASan in
    the smaller cases, and CI time goes to byte volume otherwise."""
    if env.sanitized():
        pytest.skip("1 GiB cases run on the release build")
    be = Backend()
    t = _proxy(factory, be, *args)
    try:
        rep = _stream(t, GIB, timeout)
    finally:
        be.stop()
    _exact(rep, GIB)
    return _stopped_clean(t)


def test_proxy_1gib_clean(tap_pair_factory):
    """1 GiB through the proxy and back, byte-exact, with half-close.

    Steps: the kernel client streams 1 GiB to the proxy, which relays it
    to a kernel echo backend in the other namespace; the echo comes back
    the same way; the client shuts its side down after the last byte and
    reads to EOF.
    Verify: equal SHA-256 of sent and received; the proxy counted 1 GiB
    each way, one FIN passed each way (half-close) and no reset; it exits
    0 with no mbuf leaked on either port.
    """
    c = _gib_through(tap_pair_factory, 600)
    assert c["proxy.accepted"] == 1 and c["proxy.sessions_done"] == 1, c
    assert c["proxy.bytes_c2b"] == GIB and c["proxy.bytes_b2c"] == GIB, c
    assert c["proxy.fin_c2b"] == 1 and c["proxy.fin_b2c"] == 1, c
    assert c["proxy.rst_c2b"] == 0 and c["proxy.rst_b2c"] == 0, c


def test_proxy_1gib_loss(tap_pair_factory):
    """1 GiB byte-exact with 1 % of the frames the proxy receives lost on
    both ports (Pollux's fault stage, seeded).

    Verify: equal SHA-256; both sides of the proxy retransmitted (the
    kernel's retransmissions show as out-of-order data at the proxy);
    no mbuf leaked.
    """
    c = _gib_through(tap_pair_factory, 900, "--fault-rx", "drop=1%",
                     "--fault-seed", "3")
    assert c["front.tcp.ooo_in"] > 0 and c["back.tcp.ooo_in"] > 0, c
    assert c["front.tcp.retrans"] > 0 and c["back.tcp.retrans"] > 0, c


def test_proxy_backend_down_resets_client(tap_pair_factory):
    """No backend listening: the client gets a clean reset.

    Steps: no server in the back namespace (the kernel refuses the
    proxy's SYN); a client connects to the proxy and waits to read.
    Verify: the client's read (or its connect, if the reset comes first)
    fails with ECONNRESET (not a hang, not an orderly EOF, not a refusal);
    proxy.backend_fail = 1; no leak.
    """
    t = _proxy(tap_pair_factory, None)
    # The reset can beat the client's own return from connect(): Linux
    # then fails connect() itself with ECONNRESET (the handshake was done,
    # the socket died before the caller woke; seen on a loaded machine).
    # Either way it is a reset, never a refusal, an EOF or a hang.
    res = t.front.exec(["python3", "-c", f"""
import socket
try:
    s = socket.create_connection(("{t.front_ip}", {LISTEN}), timeout=10)
    print("eof" if s.recv(10) == b"" else "data")
except ConnectionResetError:
    print("reset")
"""], timeout=30)
    assert res.stdout.strip() == "reset", res.stdout + res.stderr
    c = _stopped_clean(t)
    assert c["proxy.backend_fail"] == 1, c


def test_proxy_limit_and_reset_propagation(tap_pair_factory):
    """--max-conns 2: a third client is reset; a client's reset reaches the
    backend as a reset.

    Steps: two clients connect and get an echo each; a third connects;
    then the first closes with SO_LINGER 0 (a RST).
    Verify: the third is reset without an echo; the backend saw a
    reset; proxy.rejected_limit = 1, rst passed client to backend.
    """
    be = Backend()
    t = _proxy(tap_pair_factory, be, "--max-conns", "2")
    try:
        res = t.front.exec(["python3", "-c", f"""
import socket, struct, time
def conn():
    s = socket.create_connection(("{t.front_ip}", {LISTEN}), timeout=5)
    s.sendall(b"ping")
    return s, s.recv(4)
a, ea = conn()
b, eb = conn()
try:
    c, ec = conn()
    third = "echo" if ec == b"ping" else "eof"
except (ConnectionResetError, BrokenPipeError):
    third = "reset"
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
a.close()
time.sleep(0.5)
b.close()
print(ea.decode(), eb.decode(), third)
"""], timeout=30)
        time.sleep(0.5)
    finally:
        out = be.stop()
    assert res.stdout.split() == ["ping", "ping", "reset"], \
        res.stdout + res.stderr
    assert "reset" in out.split(), out
    c = _stopped_clean(t)
    assert c["proxy.rejected_limit"] == 1 and c["proxy.accepted"] == 2, c
    assert c["proxy.rst_c2b"] >= 1, c


def test_proxy_1000_concurrent(tap_pair_factory):
    """1000 client connections at once, each 64 KiB byte-exact.

    Steps: tcp_multi.py opens 1000 connections through the proxy (two
    lcores on one core) to the kernel echo backend, each streaming 64 KiB
    of its own data while reading the echo.
    Verify: all 1000 byte-exact; 1000 accepted, none rejected or failed,
    all sessions done; no leak.
    """
    be = Backend()
    t = _proxy(tap_pair_factory, be, "--idle", "adaptive",
               lcores="0@0,1@0")
    try:
        res = t.front.exec(["python3", MULTI, t.front_ip, str(LISTEN), "1000",
                            str(64 << 10), "7", "240"], timeout=300)
    finally:
        be.stop()
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout.strip().splitlines()[-1])
    assert rep["ok"] == 1000, rep
    c = _stopped_clean(t)
    assert c["proxy.accepted"] == 1000 and c["proxy.backend_fail"] == 0, c
    assert c["proxy.sessions_done"] == 1000, c


def test_proxy_back_pressure(tap_pair_factory):
    """A client that writes and never reads: the proxy holds a bounded
    amount, not all that was written.

    Steps: --tcp-bufs 131072; a client writes as fast as it can for 4 s
    without reading its echo (so the backend's writes back stall, the
    backend stops reading, and the proxy's forward direction stalls in
    turn); SIGUSR1 prints the proxy's counters.
    Verify: the client could write only a few MiB in all (every buffer on
    the way full, none growing); the proxy's mbufs in use stay within
    its rings plus a few windows' worth.
    """
    be = Backend()
    t = _proxy(tap_pair_factory, be, "--tcp-bufs", "131072")
    try:
        p = subprocess.Popen(t.front.argv(["python3", "-c", f"""
import socket, sys, time
s = socket.create_connection(("{t.front_ip}", {LISTEN}), timeout=5)
s.setblocking(False)
sent, chunk, end = 0, b"x" * 65536, time.monotonic() + 4
while time.monotonic() < end:
    try:
        sent += s.send(chunk)
    except BlockingIOError:
        time.sleep(0.01)
print(sent, flush=True)
sys.stdin.readline()
"""]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        sent = int(p.stdout.readline())
        t.app.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while "front.mbuf_in_use" not in t.app.out and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        snap = t.app.out
        p.stdin.write("\n")
        p.stdin.flush()
        p.communicate(timeout=10)
    finally:
        be.stop()
    # Kernel buffers on both ends plus the proxy's: a few MiB, not 4 s
    # of a 100 MB/s link.
    assert 0 < sent < 24 * MIB, sent
    use = {k: int(v) for k, v in (ln.split("=") for ln in snap.splitlines()
                                 if ln.startswith(("front.mbuf_in_use=",
                                                   "back.mbuf_in_use=")))}
    # The rx rings hold 1024 each; one connection pair may hold its two
    # send buffers and two receive windows (4 x 128 KiB, ~400 mbufs).
    assert use["front.mbuf_in_use"] + use["back.mbuf_in_use"] < 2 * 1024 + 1200, \
        (use, snap)
    _stopped_clean(t)
