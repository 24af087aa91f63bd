# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""pollux-echo --pcap: the port's traffic in a pcapng file that tshark
reads, checked on a kernel client's TCP handshake, echo and close."""

from __future__ import annotations

import shutil
import subprocess

import pytest

TSHARK = shutil.which("tshark")

CLIENT = """
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=5)
s.sendall(b"captured!")
got = b""
while len(got) < 9:
    got += s.recv(9 - len(got))
s.shutdown(socket.SHUT_WR)
assert s.recv(10) == b""
s.close()
print(got.decode())
"""


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_pcapng_capture_of_a_handshake(tap_echo_factory, tmp_path):
    """The capture holds the handshake, the echo and the close, in both
    directions, and its count matches the port's counter.

    Steps: pollux-echo --pcap FILE; a kernel client connects to the TCP
    echo, sends 9 bytes, reads them back, closes; stop the app; read the
    file with tshark.
    Verify: tshark parses it; the TCP frames between the two addresses
    include the kernel's SYN (inbound), Pollux's SYN-ACK (outbound), the
    9-byte payload inbound and its echo outbound, and a FIN each way;
    port.captured equals the frames in the file and port.capture_drop is
    0; no mbuf leaked.
    """
    pcap = tmp_path / "echo.pcapng"
    t = tap_echo_factory(udp_ports=(), extra_args=["--pcap", str(pcap)])
    res = t.run(["python3", "-c", CLIENT, t.pollux_ip], timeout=30)
    assert res.returncode == 0 and res.stdout.strip() == "captured!", \
        res.stdout + res.stderr
    stopped = t.stop()
    assert stopped.rc == 0, stopped.out + stopped.err
    out = subprocess.run(
        [TSHARK, "-r", str(pcap), "-T", "fields", "-E", "separator=|",
         "-e", "frame.packet_flags_direction", "-e", "ip.src", "-e",
         "ip.dst", "-e", "tcp.flags", "-e", "tcp.len", "-e", "tcp.payload"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    frames = [line.split("|") for line in out.stdout.splitlines()]
    c = stopped.counters
    assert c["port.captured"] == len(frames) > 0, (c, out.stdout)
    assert c["port.capture_drop"] == 0, c
    assert c["mbuf.leaked"] == 0, stopped.out
    tcp = [(int(d, 16), src, dst, int(fl, 16), int(ln or 0), pl)
           for d, src, dst, fl, ln, pl in frames if fl]
    kern, px = t.kernel_ip, t.pollux_ip
    IN, OUT = 1, 2   # pcapng EPB direction: inbound, outbound

    def has(direction, src, flags_set, length=None, payload=None):
        return any(d == direction and s == src and (f & flags_set) ==
                   flags_set and (length is None or ln == length) and
                   (payload is None or pl == payload)
                   for d, s, _, f, ln, pl in tcp)

    hexed = b"captured!".hex()
    assert has(IN, kern, 0x002), out.stdout            # SYN
    assert has(OUT, px, 0x012), out.stdout             # SYN-ACK
    assert has(IN, kern, 0x010, 9, hexed), out.stdout  # the request
    assert has(OUT, px, 0x010, 9, hexed), out.stdout   # its echo
    assert has(IN, kern, 0x001), out.stdout            # FIN from the client
    assert has(OUT, px, 0x001), out.stdout             # FIN from Pollux
