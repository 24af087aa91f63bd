# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The port's fault-injection stage against a real peer: measured drop,
duplication, corruption and delay match the configuration and the app's
counters, and the same seed drops the same datagrams."""

from __future__ import annotations

import socket
import time

N = 600


def _exchange(t, n: int = N, gap: float = 0.0005, wait: float = 1.0
              ) -> dict[int, int]:
    """Send n numbered datagrams (paced, so the tap loses none by itself)
    and count the echoes of each number."""
    got: dict[int, int] = {}
    s = t.udp_socket(timeout=0.2)
    try:
        s.setblocking(False)
        for i in range(n):
            s.sendto(i.to_bytes(4, "big") * 4, (t.pollux_ip, t.udp_ports[0]))
            time.sleep(gap)
            _drain(s, got)
        end = time.monotonic() + wait
        while time.monotonic() < end:
            _drain(s, got)
            time.sleep(0.01)
    finally:
        s.close()
    return got


def _drain(s: socket.socket, got: dict[int, int]) -> None:
    while True:
        try:
            data = s.recv(2048)
        except BlockingIOError:
            return
        seq = int.from_bytes(data[:4], "big")
        assert data == seq.to_bytes(4, "big") * 4, "corrupted echo delivered"
        got[seq] = got.get(seq, 0) + 1


def _warm(t) -> None:
    """Resolve ARP both ways first (the stage sees those packets too)."""
    for _ in range(20):
        if t.ping(1).returncode == 0:
            return
    raise AssertionError("no ping through the faulty link")


def test_fault_drop_rate_and_seed(tap_echo_factory):
    """10 % receive loss, twice with one seed.

    Steps: pollux-echo --fault-rx drop=10% --fault-seed 7; send 600
    numbered datagrams, paced; repeat with a fresh app and the same seed.
    Verify: the echoes missing are exactly fault_rx.dropped minus the
    warm-up's losses, 10 % within 4 sigma; both runs lose the same
    numbers.
    """
    lost_sets = []
    for _ in range(2):
        t = tap_echo_factory(extra_args=["--fault-rx", "drop=10%",
                                         "--fault-seed", "7"])
        _warm(t)
        before = t.fresh_stats()
        got = _exchange(t)
        after = t.fresh_stats()
        dropped = (after.counter("fault_rx.dropped") -
                   before.counter("fault_rx.dropped"))
        lost = sorted(set(range(N)) - set(got))
        assert len(lost) == dropped, (lost, after.dump())
        assert abs(dropped - N * 0.1) <= 4 * (N * 0.1 * 0.9) ** 0.5 + 1
        lost_sets.append(lost)
        t.close()
    assert lost_sets[0] == lost_sets[1]


def test_fault_corrupt_caught(tap_echo_factory):
    """5 % of received packets get a bit flipped: checksums catch them.

    Steps: --fault-rx corrupt=5%; send 600 datagrams.
    Verify: no corrupted payload is echoed; every datagram missing is
    accounted for by a checksum, length or header counter, and the
    number missing is at most fault_rx.corrupted.
    """
    t = tap_echo_factory(extra_args=["--fault-rx", "corrupt=5%",
                                     "--fault-seed", "3"])
    _warm(t)
    before = t.fresh_stats()
    got = _exchange(t)
    after = t.fresh_stats()
    corrupted = (after.counter("fault_rx.corrupted") -
                 before.counter("fault_rx.corrupted"))
    missing = N - len(got)
    assert corrupted > 0
    assert missing <= corrupted, after.dump()
    caught = sum(after.counter(c) - before.counter(c) for c in (
        "ip.bad_checksum", "udp.bad_checksum", "ip.bad_len", "udp.bad_len",
        "ip.bad_version", "ip.bad_ihl", "ip.not_ours", "udp.no_port",
        "ip.bad_proto", "ip.frags", "eth.bad_ethertype", "ip.options"))
    assert caught >= missing, after.dump()


def test_fault_duplicate_and_delay(tap_echo_factory):
    """Transmit faults: 20 % duplicates, 30 ms added delay.

    Steps: --fault-tx dup=20%,delay=30ms; send 300 datagrams.
    Verify: every datagram comes back, about 20 % twice (as
    fault_tx.duplicated says); a ping takes at least 30 ms.
    """
    t = tap_echo_factory(extra_args=["--fault-tx", "dup=20%,delay=30ms",
                                     "--fault-seed", "5"])
    _warm(t)
    before = t.fresh_stats()
    got = _exchange(t, n=300, wait=1.5)
    after = t.fresh_stats()
    assert set(got) == set(range(300))
    twice = sum(1 for v in got.values() if v == 2)
    dup = (after.counter("fault_tx.duplicated") -
           before.counter("fault_tx.duplicated"))
    assert twice == dup, after.dump()
    assert abs(dup - 60) <= 4 * (300 * 0.2 * 0.8) ** 0.5 + 1
    t0 = time.monotonic()
    assert t.ping(1).returncode == 0
    assert time.monotonic() - t0 >= 0.030
