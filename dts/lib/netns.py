# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Network namespaces for the dts topologies.

Every name this module makes starts with "pxdts" (namespaces) or "pxt"
(interfaces) followed by the pid of the pytest process, so a run only ever
touches what it made, and leftovers of a dead run can be recognised. Test
addresses come from 10.99.0.0/16, one /24 per namespace, and are only ever
set inside namespaces made here: the host's interfaces are never touched.

Commands run with a timeout and return subprocess.CompletedProcess. Sockets
can be opened inside a namespace from this process (socket_in()): the
opening thread enters the namespace with setns(2) and the socket stays in
it, so tests can use plain sockets and AF_PACKET on the namespace's
interfaces without a helper process.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import re
import socket
import subprocess
import threading
import time
from typing import Callable, Optional, Sequence, TypeVar, Union

NS_PREFIX = "pxdts"
IF_PREFIX = "pxt"
SUBNET = "10.99"           # 10.99.<n>.0/24 per namespace
_CLONE_NEWNET = 0x40000000
_seq = itertools.count(1)
_subnets = itertools.cycle(range(1, 255))
_T = TypeVar("_T")

Cmd = Union[str, Sequence[str]]


def _argv(cmd: Cmd) -> list[str]:
    return ["sh", "-c", cmd] if isinstance(cmd, str) else [str(c) for c in cmd]


def run(cmd: Cmd, timeout: float = 30.0, check: bool = False,
        input: Optional[Union[str, bytes]] = None,
        text: bool = True) -> subprocess.CompletedProcess:
    """Run a command in this (the host's) namespace, output captured.

    On timeout the command is killed and AssertionError raised with its
    output; with check, a non-zero exit raises AssertionError too.
    """
    argv = _argv(cmd)
    if isinstance(input, str) and not text:
        input = input.encode()
    try:
        res = subprocess.run(argv, capture_output=True, timeout=timeout,
                             input=input, text=text)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{argv} did not finish in {timeout} s:\n"
                             f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}"
                             ) from None
    if check and res.returncode != 0:
        raise AssertionError(f"{argv} exited {res.returncode}:\n"
                             f"stdout: {res.stdout}\nstderr: {res.stderr}")
    return res


def unique_suffix() -> str:
    """"<pid>n<k>": unique for this process, at most 10 characters."""
    return f"{os.getpid()}n{next(_seq)}"


def unique_ifname() -> str:
    """An interface name of our own (IFNAMSIZ allows 15 characters)."""
    name = IF_PREFIX + unique_suffix()
    assert len(name) <= 15, name
    return name


def namespaces() -> list[str]:
    """Names of all network namespaces (ip netns list)."""
    res = run(["ip", "netns", "list"], timeout=10, check=True)
    # Lines look like "name" or "name (id: 3)".
    return [line.split()[0] for line in res.stdout.splitlines()
            if line.strip()]


def links(ns: Optional[str] = None) -> list[str]:
    """Interface names in ns (or in the host namespace)."""
    cmd = ["ip", "-j", "link", "show"]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    res = run(cmd, timeout=10, check=True)
    return [link["ifname"] for link in json.loads(res.stdout or "[]")]


def link_exists(ifname: str, ns: Optional[str] = None) -> bool:
    """Whether ifname exists in ns (or in the host namespace)."""
    cmd = ["ip", "link", "show", "dev", ifname]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    return run(cmd, timeout=10).returncode == 0


def delete_link(ifname: str) -> None:
    """Delete ifname from the host namespace if it is there."""
    if ifname.startswith(IF_PREFIX) and link_exists(ifname):
        run(["ip", "link", "del", "dev", ifname], timeout=10)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_OURS = re.compile(r"^(?:%s|%s)(\d+)n\d+$" % (NS_PREFIX, IF_PREFIX))


def owner_pid(name: str) -> Optional[int]:
    """The pid embedded in a name this module made, or None."""
    m = _OURS.match(name)
    return int(m.group(1)) if m else None


def leftovers(pid: Optional[int] = None) -> dict[str, list[str]]:
    """Namespaces and host interfaces of ours still there: of process pid
    (default: this one), or of any process with pid=-1."""
    pid = os.getpid() if pid is None else pid

    def mine(name: str) -> bool:
        owner = owner_pid(name)
        return owner is not None and (pid == -1 or owner == pid)

    return {"netns": [n for n in namespaces() if mine(n)],
            "links": [link for link in links() if mine(link)]}


def reap_stale() -> list[str]:
    """Delete namespaces and interfaces left by dts runs that are dead.
    Returns what was deleted."""
    gone = []
    left = leftovers(-1)
    for n in left["netns"]:
        owner = owner_pid(n)
        if owner is not None and not _pid_alive(owner):
            run(["ip", "netns", "del", n], timeout=10)
            gone.append(n)
    for link in left["links"]:
        owner = owner_pid(link)
        if owner is not None and not _pid_alive(owner):
            run(["ip", "link", "del", "dev", link], timeout=10)
            gone.append(link)
    return gone


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def call_in(ns: str, fn: Callable[[], _T], timeout: float = 10.0) -> _T:
    """Call fn() on a short-lived thread that has entered namespace ns.

    Only that thread changes namespace; whatever fn() creates there (a
    socket) stays in ns after the thread ends.
    """
    box: dict = {}

    def body() -> None:
        try:
            fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc().setns(fd, _CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({ns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            box["value"] = fn()
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=body, name=f"netns-{ns}", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise AssertionError(f"call in namespace {ns} did not finish in "
                             f"{timeout} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def socket_in(ns: str, family: int, type_: int, proto: int = 0
              ) -> socket.socket:
    """A socket that lives in namespace ns."""
    return call_in(ns, lambda: socket.socket(family, type_, proto))


class NetNs:
    """A network namespace of our own; a context manager that always
    deletes it (and the interfaces of ours it held) on exit."""

    def __init__(self, index: Optional[int] = None) -> None:
        self.name = NS_PREFIX + unique_suffix()
        # A /24 of our own: namespaces are isolated, but distinct subnets
        # keep captures and logs unambiguous.
        self.index = index if index is not None else next(_subnets)
        self.created = False
        self.moved: list[str] = []

    # --- addresses ---------------------------------------------------
    def ip(self, host: int) -> str:
        """Address .host of this namespace's /24."""
        return f"{SUBNET}.{self.index}.{host}"

    def cidr(self, host: int) -> str:
        return f"{self.ip(host)}/24"

    # --- life --------------------------------------------------------
    def create(self) -> "NetNs":
        run(["ip", "netns", "add", self.name], timeout=10, check=True)
        self.created = True
        try:
            self.exec(["ip", "link", "set", "lo", "up"], check=True)
            # No IPv6 chatter (router solicitations, MLD, DAD) on the test
            # links: it would only be noise in the counters.
            for key in ("all", "default"):
                self.exec(["sysctl", "-qw",
                           f"net.ipv6.conf.{key}.disable_ipv6=1"])
        except BaseException:
            self.delete()
            raise
        return self

    def delete(self) -> None:
        """Delete the namespace; idempotent. Interfaces moved into it that
        came back to the host namespace are deleted as well."""
        if self.created:
            if self.name in namespaces():
                run(["ip", "netns", "del", self.name], timeout=10)
            self.created = False
        for ifname in self.moved:
            delete_link(ifname)

    def __enter__(self) -> "NetNs":
        return self.create()

    def __exit__(self, *exc) -> None:
        self.delete()

    # --- commands ----------------------------------------------------
    def argv(self, cmd: Cmd) -> list[str]:
        """cmd prefixed to run inside the namespace."""
        return ["ip", "netns", "exec", self.name] + _argv(cmd)

    def exec(self, cmd: Cmd, timeout: float = 30.0, check: bool = False,
             input: Optional[Union[str, bytes]] = None,
             text: bool = True) -> subprocess.CompletedProcess:
        """Run cmd inside the namespace (see run())."""
        return run(self.argv(cmd), timeout=timeout, check=check,
                   input=input, text=text)

    # --- links -------------------------------------------------------
    def move_link(self, ifname: str) -> None:
        """Move a host interface into this namespace."""
        run(["ip", "link", "set", "dev", ifname, "netns", self.name],
            timeout=10, check=True)
        self.moved.append(ifname)

    def addr_add(self, ifname: str, cidr: str) -> None:
        self.exec(["ip", "addr", "add", cidr, "dev", ifname], timeout=10,
                  check=True)

    def link_up(self, ifname: str, mtu: Optional[int] = None) -> None:
        cmd = ["ip", "link", "set", "dev", ifname, "up"]
        if mtu:
            cmd += ["mtu", str(mtu)]
        self.exec(cmd, timeout=10, check=True)

    def configure(self, ifname: str, cidr: str, arp: bool = True) -> None:
        """Address, ARP on or off, link up."""
        self.addr_add(ifname, cidr)
        self.exec(["ip", "link", "set", "dev", ifname,
                   "arp", "on" if arp else "off"], timeout=10, check=True)
        self.link_up(ifname)

    def link_info(self, ifname: str) -> dict:
        """`ip -j -d link show` of ifname."""
        res = self.exec(["ip", "-j", "-d", "link", "show", "dev", ifname],
                        timeout=10, check=True)
        return json.loads(res.stdout)[0]

    def mac(self, ifname: str) -> str:
        return self.link_info(ifname)["address"]

    def has_link(self, ifname: str) -> bool:
        return link_exists(ifname, self.name)

    def wait_link(self, ifname: str, timeout: float = 5.0) -> None:
        """Wait until ifname exists in the namespace."""
        end = time.monotonic() + timeout
        while not self.has_link(ifname):
            if time.monotonic() > end:
                raise AssertionError(f"{ifname} did not appear in "
                                     f"{self.name} in {timeout} s; links: "
                                     f"{links(self.name)}")
            time.sleep(0.05)

    def neigh(self, ifname: str) -> list[dict]:
        """The neighbour table of ifname (ip -j neigh)."""
        res = self.exec(["ip", "-j", "neigh", "show", "dev", ifname],
                        timeout=10, check=True)
        return json.loads(res.stdout or "[]")

    def socket(self, family: int, type_: int, proto: int = 0
               ) -> socket.socket:
        """A socket inside this namespace."""
        return socket_in(self.name, family, type_, proto)

