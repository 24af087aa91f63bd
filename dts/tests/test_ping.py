# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""ICMP echo against the Linux stack over net_tap, and the app's life:
ready line, counters, clean stop on SIGTERM and SIGINT, hugepages or not,
tap created in the namespace or moved into it, one lcore or two."""

from __future__ import annotations

import re
import signal
import time

import pytest

from lib import netns


def _loss(out: str) -> str:
    m = re.search(r"(\d+(?:\.\d+)?)% packet loss", out)
    return m.group(1) if m else "?"


def test_ping_1000(tap_echo):
    """A thousand echo requests at 500 per second, none lost.

    Steps: kernel `ping -c 1000 -i 0.002 -W 1` from the namespace to
    Pollux.
    Verify: 0% loss; icmp.echo_replies grew by at least 1000; the app is
    alive; mbuf.in_use back to where it was.
    """
    t = tap_echo
    t.assert_pings()
    before = t.fresh_stats()
    res = t.ping(count=1000, interval=0.002, wait=1, deadline=30)
    assert res.returncode == 0 and _loss(res.stdout) == "0", \
        res.stdout + res.stderr
    for name in ("icmp.echo_replies", "port.rx", "port.tx"):
        t.app.wait_counter(name, before.counter(name) + 1000)
    t.wait_mbufs(before.counter("mbuf.in_use"))


@pytest.mark.parametrize("size", [0, 56, 1000, 1400, 1472, 1473, 4000, 8000])
def test_ping_sizes(tap_echo, size):
    """Echo requests with payloads from empty to a full 1500-byte frame,
    and larger ones the kernel fragments (reassembled by Pollux, the reply
    fragmented again).

    Steps: kernel ping -s SIZE, 20 requests, 10 ms apart.
    Verify: 0% loss (ping checks the echoed data); echo replies counted.
    """
    t = tap_echo
    before = t.fresh_stats()
    res = t.ping(count=20, interval=0.01, size=size)
    assert res.returncode == 0 and _loss(res.stdout) == "0", \
        res.stdout + res.stderr
    t.app.wait_counter("icmp.echo_replies",
                       before.counter("icmp.echo_replies") + 20)


def test_ping_counters_consistent(tap_echo):
    """The stats file is well formed and every block of the contract is
    there.

    Steps: read the stats file twice, 300 ms apart.
    Verify: the blocks port, eth, arp, ip, icmp, udp, mbuf exist with
    integer counters; it is rewritten (mtime moves); counters never go
    down; mbuf.in_use <= mbuf.size.
    """
    t = tap_echo
    s1 = t.stats()
    for block in ("port", "eth", "arp", "ip", "icmp", "udp", "mbuf"):
        assert isinstance(s1.get(block), dict), s1.dump()
        assert all(isinstance(v, int) for v in s1[block].values()), s1.dump()
    for name in ("port.rx", "port.tx", "port.rx_drop", "port.tx_drop",
                 "mbuf.in_use", "mbuf.size", "icmp.echo_replies",
                 "arp.replies"):
        s1.counter(name)
    t.assert_pings()
    time.sleep(0.3)
    s2 = t.fresh_stats()
    for name, v in s1.flat().items():
        if name != "mbuf.in_use":
            assert s2.flat().get(name, -1) >= v, (name, s1.dump(), s2.dump())
    assert 0 <= s2.counter("mbuf.in_use") <= s2.counter("mbuf.size"), \
        s2.dump()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT],
                         ids=["SIGTERM", "SIGINT"])
def test_stop_prints_counters(tap_echo_factory, sig):
    """A signal stops the app cleanly and it prints its counters.

    Steps: start pollux-echo (no hugepages), ping it 5 times, read the
    stats file, send SIGTERM or SIGINT.
    Verify: exit 0 without needing SIGKILL; a `counters:` section with
    block.name=value lines naming the same counters as the stats file,
    none smaller than in the file, icmp.echo_replies >= 5; the tap
    interface is gone.
    """
    t = tap_echo_factory(huge=False)
    t.assert_pings(5)
    s = t.app.wait_counter("icmp.echo_replies", 5)
    res = t.app.stop(sig=sig)
    assert res.rc == 0 and not res.signalled, res.out + res.err
    assert "counters:" in res.out, res.out
    c = res.counters
    flat = s.flat()
    missing = sorted(set(flat) - set(c))
    assert not missing, f"not in the exit counters: {missing}\n{res.out}"
    for name, v in flat.items():
        if name != "mbuf.in_use":
            assert c[name] >= v, (name, v, res.out)
    assert c["icmp.echo_replies"] >= 5, res.out
    assert not t.netns.has_link(t.ifname), "net_tap left its interface"


def test_ping_moved_tap_no_huge(tap_echo_factory):
    """The tap interface works after being moved into a namespace.

    Steps: start pollux-echo --no-huge in the host namespace, move its
    tap interface into a fresh namespace once it is ready, address it,
    ping 50 times.
    Verify: 0% loss; the interface is not left in the host namespace.
    """
    t = tap_echo_factory(move=True, huge=False)
    assert not netns.link_exists(t.ifname)
    res = t.ping(count=50, interval=0.005)
    assert res.returncode == 0 and _loss(res.stdout) == "0", \
        res.stdout + res.stderr
    t.close()
    assert t.result is not None and t.result.rc == 0, \
        t.result.out + t.result.err
    assert not netns.link_exists(t.ifname)


def test_ping_two_lcores(tap_echo_factory):
    """Two lcores on the two cores serve the port.

    Steps: start pollux-echo with --lcores=0@0,1@1; ping 200 times, 5 ms
    apart.
    Verify: 0% loss; clean stop.
    """
    t = tap_echo_factory(lcores="0@0,1@1", huge=False)
    res = t.ping(count=200, interval=0.005)
    assert res.returncode == 0 and _loss(res.stdout) == "0", \
        res.stdout + res.stderr
    stopped = t.stop()
    assert stopped.rc == 0, stopped.out + stopped.err



def test_ping_idle_adaptive(tap_echo_factory):
    """The adaptive idle mode (sleeping when there is no traffic) still
    answers everything.

    Steps: start pollux-echo with --idle adaptive; ping 100 times, 10 ms
    apart (so it idles between requests), then 200 times, 2 ms apart.
    Verify: 0% loss both times; clean stop.
    """
    t = tap_echo_factory(huge=False, extra_args=["--idle", "adaptive"])
    for count, interval in ((100, 0.01), (200, 0.002)):
        res = t.ping(count=count, interval=interval)
        assert res.returncode == 0 and _loss(res.stdout) == "0", \
            res.stdout + res.stderr
    stopped = t.stop()
    assert stopped.rc == 0, stopped.out + stopped.err
