# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Topologies the dts fixtures build.

TapEcho: pollux-echo on a net_tap port whose kernel side sits in a fresh
network namespace, addressed in the same /24 as Pollux. By default the
app itself runs inside the namespace, so net_tap creates the interface
there and nothing ever appears in the host namespace (and a capture opened
in the namespace before the start sees the gratuitous ARP). With
move=True the app runs in the host namespace and the interface is moved
into the namespace after the app is ready, which is how one would attach
a tap to an existing namespace.

close() always runs: it stops the app (net_tap then deletes the interface),
deletes the namespace (which destroys the interface if the app is still
holding it), removes an interface of ours left in the host namespace, and
EAL's files for the app's file prefix.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import netns, packet
from .pollux_app import PolluxApp, Stats, Stopped, eal_args

POLLUX_HOST = 1   # Pollux is .1 of the namespace's /24
KERNEL_HOST = 2   # the kernel side is .2
OTHER_HOST = 77   # an address nobody has
UDP_PORTS = (7, 5000)
CLOSED_PORT = 9


def echo_binary(build_dir: Path, app: str = "echo") -> Path:
    """build/apps/<app>/pollux-<app>."""
    return build_dir / "apps" / app / f"pollux-{app}"


def eal_cleanup(prefix: str) -> None:
    """Remove what EAL leaves for a file prefix when a process dies
    without cleaning up: hugepage files (they would keep the pages) and
    the runtime directory."""
    with open("/proc/mounts", encoding="ascii") as f:
        mounts = [line.split()[1] for line in f
                  if line.split()[2:3] == ["hugetlbfs"]]
    for m in mounts:
        for p in glob.glob(os.path.join(m, f"{prefix}map_*")):
            try:
                os.unlink(p)
            except OSError:
                pass
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


class TapEcho:
    """pollux-echo behind net_tap, kernel side in a namespace."""

    def __init__(self, build_dir: Path, workdir: Path,
                 udp_ports: Sequence[int] = UDP_PORTS,
                 lcores: str = "0@0", huge: Optional[bool] = None,
                 move: bool = False, extra_args: Sequence[str] = (),
                 ready_timeout: float = 30.0,
                 telemetry: bool = False, app: str = "echo") -> None:
        """app: which pollux-<app> runs behind the tap; pollux-echo gets
        a stats file and --udp, the others only --ip and extra_args."""
        self.binary = echo_binary(build_dir, app)
        self.netns = netns.NetNs()
        self.ns = self.netns.name
        self.ifname = netns.unique_ifname()
        self.prefix = self.ns          # EAL file prefix: unique as well
        self.pollux_ip = self.netns.ip(POLLUX_HOST)
        self.kernel_ip = self.netns.ip(KERNEL_HOST)
        self.other_ip = self.netns.ip(OTHER_HOST)
        self.udp_ports = tuple(udp_ports)
        self.closed_port = CLOSED_PORT
        self.stats_file = workdir / f"{self.ns}-stats.json"
        self.move = move
        self.ready_timeout = ready_timeout
        args = ["--ip", f"{self.pollux_ip}/24"]
        if app == "echo":
            args += ["--stats-file", str(self.stats_file)]
            if self.udp_ports:
                args += ["--udp", ",".join(str(p) for p in self.udp_ports)]
        # "{kernel_ip}" in an argument is the namespace side's address.
        args += [a.replace("{kernel_ip}", self.kernel_ip) for a in extra_args]
        eal = eal_args(self.prefix, [f"net_tap0,iface={self.ifname}"],
                       lcores=lcores, huge=huge)
        if telemetry:   # the EAL's socket for dpdk-telemetry.py
            eal.remove("--no-telemetry")
        self.app = PolluxApp(
            self.binary, eal,
            args, netns=None if move else self.ns,
            stats_file=self.stats_file if app == "echo" else None)
        self.pollux_mac: Optional[str] = None
        self.kernel_mac: Optional[str] = None
        self.result: Optional[Stopped] = None

    # --- life --------------------------------------------------------
    def start(self, before_app: Optional[Callable[["TapEcho"], None]] = None
              ) -> "TapEcho":
        """Build the topology; before_app(self) runs once the namespace
        exists and before the app starts (e.g. to open a capture)."""
        if not self.binary.exists():
            raise AssertionError(f"{self.binary} is not built (ninja -C "
                                 f"{self.binary.parents[2]})")
        try:
            self.netns.create()
            if before_app:
                before_app(self)
            self.app.start()
            self.app.wait_ready(self.ready_timeout)
            self.pollux_mac = self.app.mac
            if self.app.ip != self.pollux_ip:
                raise AssertionError(f"ready line says ip={self.app.ip}, "
                                     f"started with {self.pollux_ip}")
            if self.move:
                if not netns.link_exists(self.ifname):
                    raise AssertionError(f"{self.ifname} not in the host "
                                         f"namespace after ready")
                self.netns.move_link(self.ifname)
            else:
                self.netns.wait_link(self.ifname)
            self.netns.configure(self.ifname, self.netns.cidr(KERNEL_HOST))
            self.kernel_mac = self.netns.mac(self.ifname)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> Optional[Stopped]:
        """Stop the app and delete everything; idempotent. Returns how the
        app stopped (None if it never started)."""
        try:
            if self.app.proc is not None and self.result is None:
                self.result = self.app.stop()
        finally:
            self.netns.delete()
            netns.delete_link(self.ifname)
            if self.app.proc is not None:
                eal_cleanup(self.prefix)
        return self.result

    def __enter__(self) -> "TapEcho":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- helpers -----------------------------------------------------
    def stats(self, timeout: float = 3.0) -> Stats:
        return self.app.stats(timeout)

    def fresh_stats(self, timeout: float = 3.0) -> Stats:
        return self.app.fresh_stats(timeout)

    def assert_tcp_clean(self, before: Stats, timeout: float = 10.0) -> Stats:
        """Wait up to timeout for the app to hold no TCP connection block,
        then assert none is left and its mbufs in use are back to where
        they were in `before` (give or take the lcore caches). Returns
        the last stats."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.fresh_stats()
            if s.counter("tcp.conns") == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert s.counter("tcp.conns") == 0, s.dump()
        assert s.counter("mbuf.in_use") <= before.counter("mbuf.in_use") + 64, \
            s.dump()
        return s

    def stop(self, timeout: float = 10.0) -> Stopped:
        self.result = self.app.stop(timeout)
        return self.result

    def run(self, cmd, timeout: float = 30.0, check: bool = False,
            input=None, text: bool = True) -> subprocess.CompletedProcess:
        """Run a command in the namespace."""
        return self.netns.exec(cmd, timeout=timeout, check=check,
                               input=input, text=text)

    def ping(self, count: int = 1, interval: Optional[float] = None,
             size: Optional[int] = None, wait: float = 1.0,
             deadline: Optional[float] = None, dst: Optional[str] = None,
             timeout: Optional[float] = None) -> subprocess.CompletedProcess:
        """Kernel ping from the namespace (to Pollux by default)."""
        if shutil.which("ping") is None:
            raise AssertionError("ping not found: install iputils-ping "
                                 "(usertools/setup.sh deps)")
        cmd = ["ping", "-n", "-q", "-c", str(count), "-W", str(wait)]
        if interval is not None:
            cmd += ["-i", str(interval)]
        if size is not None:
            cmd += ["-s", str(size)]
        if deadline is None:
            deadline = 5 + count * max(interval or 1.0, 0.002) * 2
        cmd += ["-w", str(int(deadline) + 1), dst or self.pollux_ip]
        return self.run(cmd, timeout=timeout or deadline + 15)

    def assert_pings(self, count: int = 1) -> None:
        """Pollux answers ping (the app is alive and serving)."""
        self.app.assert_alive()
        res = self.ping(count=count, interval=0.01 if count > 1 else None)
        assert res.returncode == 0 and " 0% packet loss" in res.stdout, \
            f"ping failed:\n{res.stdout}{res.stderr}\n{self.app.describe()}"

    def raw(self, proto: int = packet.ETH_P_ALL) -> packet.RawPort:
        """An AF_PACKET socket on the kernel side of the tap."""
        return packet.RawPort(self.ns, self.ifname, proto)

    def udp_socket(self, port: int = 0, timeout: float = 1.0
                   ) -> socket.socket:
        """A kernel UDP socket in the namespace, bound to the kernel ip."""
        s = self.netns.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((self.kernel_ip, port))
        s.settimeout(timeout)
        return s

    def wait_mbufs(self, baseline: int, timeout: float = 1.0) -> Stats:
        """Poll until mbuf.in_use is back to baseline (or below); fail
        with the JSON."""
        end = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s.counter("mbuf.in_use") <= baseline:
                return s
            if time.monotonic() > end:
                raise AssertionError(
                    f"mbuf.in_use {s.counter('mbuf.in_use')} did not return "
                    f"to {baseline} in {timeout} s:\n{s.dump()}")
            time.sleep(0.05)

    # --- frames ------------------------------------------------------
    def eth(self, **kw):
        """Ether from the kernel side to Pollux (scapy)."""
        from scapy.layers.l2 import Ether  # type: ignore
        kw.setdefault("src", self.kernel_mac)
        kw.setdefault("dst", self.pollux_mac)
        return Ether(**kw)

    def ip4(self, **kw):
        """IP from the kernel address to Pollux (scapy)."""
        from scapy.layers.inet import IP  # type: ignore
        kw.setdefault("src", self.kernel_ip)
        kw.setdefault("dst", self.pollux_ip)
        return IP(**kw)


class TapPair:
    """A Pollux app with two net_tap ports: the first port's tap in
    namespace `front` (the clients' side), the second's in `back` (the
    servers' side). The app runs in the host namespace and the taps move
    into their namespaces once it is ready. In extra_args, {front_ip},
    {back_ip} (Pollux's addresses), {client_ip} and {server_ip} (the
    kernel's, one per namespace) are filled in. With one_subnet, both
    namespaces share the front's /24 (the back host is .3): a bridge's
    view."""

    def __init__(self, build_dir: Path, app: str,
                 extra_args: Sequence[str] = (), lcores: str = "0@0",
                 huge: Optional[bool] = None,
                 ready_timeout: float = 30.0,
                 one_subnet: bool = False) -> None:
        self.binary = echo_binary(build_dir, app)
        self.front = netns.NetNs()
        self.back = netns.NetNs()
        self.fif = netns.unique_ifname()
        self.bif = netns.unique_ifname()
        self.prefix = self.front.name
        self.front_ip = self.front.ip(POLLUX_HOST)
        self.client_ip = self.front.ip(KERNEL_HOST)
        self.back_ip = self.back.ip(POLLUX_HOST)
        self.server_ip = self.back.ip(KERNEL_HOST)
        self.one_subnet = one_subnet
        if one_subnet:
            self.server_ip = self.front.ip(3)
        self.ready_timeout = ready_timeout
        fill = {"front_ip": self.front_ip, "back_ip": self.back_ip,
                "client_ip": self.client_ip, "server_ip": self.server_ip}
        args = [a.format(**fill) for a in extra_args]
        self.app = PolluxApp(
            self.binary,
            eal_args(self.prefix, [f"net_tap0,iface={self.fif}",
                                   f"net_tap1,iface={self.bif}"],
                     lcores=lcores, huge=huge),
            args, netns=None)
        self.result: Optional[Stopped] = None

    def start(self, before_app: Optional[Callable[["TapPair"], None]] = None
              ) -> "TapPair":
        """Both namespaces, before_app(self) (e.g. start the servers),
        the app, then the taps into their namespaces."""
        if not self.binary.exists():
            raise AssertionError(f"{self.binary} is not built")
        try:
            self.front.create()
            self.back.create()
            if before_app:
                before_app(self)
            self.app.start()
            self.app.wait_ready(self.ready_timeout)
            back_cidr = (self.front.cidr(3) if self.one_subnet
                         else self.back.cidr(KERNEL_HOST))
            for ns, ifname, cidr in ((self.front, self.fif,
                                      self.front.cidr(KERNEL_HOST)),
                                     (self.back, self.bif, back_cidr)):
                if not netns.link_exists(ifname):
                    raise AssertionError(f"{ifname} missing after ready")
                ns.move_link(ifname)
                ns.configure(ifname, cidr)
        except BaseException:
            self.close()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> Stopped:
        self.result = self.app.stop(timeout)
        return self.result

    def close(self) -> Optional[Stopped]:
        """Stop the app and delete everything; idempotent."""
        try:
            if self.app.proc is not None and self.result is None:
                self.result = self.app.stop()
        finally:
            self.front.delete()
            self.back.delete()
            netns.delete_link(self.fif)
            netns.delete_link(self.bif)
            if self.app.proc is not None:
                eal_cleanup(self.prefix)
        return self.result
