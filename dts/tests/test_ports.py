# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The port layer unchanged on more PMDs: net_af_packet on a veth whose
peer is the kernel in a namespace, and a vhost-user / virtio_user pair of
Pollux processes (hugepages: vhost shares the virtio side's memory)."""

from __future__ import annotations

import os
import re


from lib import app, env, netns

REPORT = re.compile(r"client: sent=(\d+) received=(\d+) lost=(\d+) "
                    r"duplicates=(\d+) mismatched=(\d+)")


def _echo(build_dir):
    return build_dir / "apps" / "echo" / "pollux-echo"


def test_af_packet_ping_and_udp(build_dir, root):
    """pollux-echo on net_af_packet over a veth pair to the kernel.

    Steps: a veth pair, one end in a fresh namespace with 10.99.x.1 (tx
    checksum offload off), the other bound by net_af_packet; pollux-echo
    on it with 10.99.x.2;
    ping 100 times and echo a datagram with socat from the namespace.
    Verify: no ping lost, the datagram comes back; app exits 0.
    """
    ns = netns.NetNs().create()
    host_if, peer_if = netns.unique_ifname(), netns.unique_ifname()
    proc = None
    try:
        netns.run(["ip", "link", "add", host_if, "type", "veth", "peer",
                   "name", peer_if], check=True)
        ns.move_link(peer_if)
        # veth leaves UDP checksums to "hardware" (CHECKSUM_PARTIAL) and
        # AF_PACKET hands such frames over unfinished; net_af_packet does
        # not report that, so the stack would see bad checksums. Have the
        # kernel finish them, as a real NIC on the wire would.
        ns.exec(["ethtool", "-K", peer_if, "tx", "off"], timeout=10, check=True)
        ns.configure(peer_if, ns.cidr(1))
        netns.run(["ip", "link", "set", host_if, "up"], check=True)
        proc = app.start_bg(
            [str(_echo(build_dir)), *env.EAL_BASE, "--no-huge", "-m", "512",
             "-l", "0", f"--file-prefix=pxaf{os.getpid()}",
             f"--vdev=net_af_packet0,iface={host_if}",
             "--", "--ip", ns.cidr(2), "--idle", "adaptive"])
        app.wait_ready(proc)
        res = ns.exec(["ping", "-n", "-q", "-c", "100", "-i", "0.01", "-W", "1",
                       ns.ip(2)], timeout=60)
        assert " 0% packet loss" in res.stdout, res.stdout
        res = ns.exec(["socat", "-t", "1", "-", f"UDP:{ns.ip(2)}:7"],
                      input="af_packet says hi\n", timeout=15)
        assert res.stdout == "af_packet says hi\n", res
    finally:
        if proc is not None:
            app.stop(proc)
        netns.delete_link(host_if)
        ns.delete()


def test_vhost_virtio_user(build_dir, hugepages, tmp_path):
    """A vhost-user server and a virtio_user client, both pollux-echo.

    Steps: pollux-echo on net_vhost (server, hugepages) and pollux-echo
    --client on net_virtio_user (--single-file-segments) sending 5000
    datagrams.
    Verify: all 5000 come back byte-exact.
    """
    sock = tmp_path / "vhost.sock"
    tag = os.getpid()
    srv = app.start_bg(
        [str(_echo(build_dir)), *env.EAL_BASE, "-m", "256", "--lcores=0@0",
         f"--file-prefix=pxvh-s{tag}", f"--vdev=net_vhost0,iface={sock},queues=1",
         "--log-level=user1:warning",
         "--", "--ip", "10.78.0.1/24", "--idle", "adaptive"])
    try:
        app.wait_ready(srv)
        res = app.run(_echo(build_dir),
                      env.EAL_BASE + ["-m", "256", "--single-file-segments",
                                      "--lcores=0@1", f"--file-prefix=pxvh-c{tag}",
                                      f"--vdev=net_virtio_user0,path={sock},queues=1",
                                      "--log-level=user1:warning"],
                      ["--ip", "10.78.0.2/24", "--idle", "adaptive",
                       "--client", "10.78.0.1:7", "--count", "5000"],
                      timeout=90)
        m = REPORT.search(res.out)
        assert m and res.rc == 0, res.out + res.err
        assert tuple(int(x) for x in m.groups()) == (5000, 5000, 0, 0, 0)
    finally:
        app.stop(srv)
