# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""TapPreload: an unmodified program under pollux-run (the preload
library) on a net_tap port, the kernel side in a fresh namespace.

The program runs inside the namespace, so net_tap creates the interface
there when the library brings the stack up (at the program's first
listen() or connect() on a Pollux address); start() waits for the
library's "pollux-preload: ready" line on stderr, then gives the kernel
side its address. close() stops the program (SIGTERM), reads the exit
line ("mbuf.leaked=N") and the counters file, and deletes everything.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence

from . import netns
from .pollux_app import PolluxApp, Stopped, eal_args
from .topo import KERNEL_HOST, POLLUX_HOST, eal_cleanup

READY = re.compile(r"pollux-preload: ready mac=([0-9a-fA-F:]{17}) ip=(\S+)")
EXIT = re.compile(r"pollux-preload: exit, mbuf.leaked=(\d+)")


def pollux_run(build_dir: Path) -> Path:
    return build_dir / "apps" / "preload" / "pollux-run"


class TapPreload:
    """program (argv) under pollux-run behind net_tap."""

    def __init__(self, build_dir: Path, workdir: Path,
                 program: Sequence[str], pollux_args: Sequence[str] = (),
                 lcores: str = "0@0", huge: Optional[bool] = None,
                 mem_mb: int = 512) -> None:
        self.netns = netns.NetNs()
        self.ns = self.netns.name
        self.ifname = netns.unique_ifname()
        self.prefix = self.ns
        self.pollux_ip = self.netns.ip(POLLUX_HOST)
        self.kernel_ip = self.netns.ip(KERNEL_HOST)
        self.stats_file = workdir / f"{self.ns}-posix.txt"
        eal = eal_args(self.prefix, [f"net_tap0,iface={self.ifname}"],
                       lcores=lcores, huge=huge, mem_mb=mem_mb)
        args = ["--ip", f"{self.pollux_ip}/24", "--stats",
                str(self.stats_file), *pollux_args, "--",
                *[a.replace("{pollux_ip}", self.pollux_ip) for a in program]]
        self.app = PolluxApp(pollux_run(build_dir), eal, args,
                             netns=self.ns)
        self.result: Optional[Stopped] = None

    def start(self, ready_timeout: float = 30.0) -> "TapPreload":
        """Start the program and wait until the stack is up (the
        program's first Pollux socket) and the kernel side configured."""
        try:
            self.netns.create()
            self.app.start()
            m = self.app.wait_for(READY, ready_timeout, stderr=True)
            if m.group(2) != self.pollux_ip:
                raise AssertionError(f"ready line says {m.group(2)}")
            self.netns.wait_link(self.ifname)
            self.netns.configure(self.ifname, self.netns.cidr(KERNEL_HOST))
        except BaseException:
            self.close()
            raise
        return self

    def run(self, cmd, timeout: float = 60.0, check: bool = False,
            **kw):
        """A command on the kernel side (inside the namespace)."""
        return netns.run(self.netns.argv(cmd), timeout=timeout, check=check,
                         **kw)

    def counters(self) -> dict[str, int]:
        """The library's counters file (written at exit)."""
        out: dict[str, int] = {}
        if self.stats_file.exists():
            for line in self.stats_file.read_text().splitlines():
                k, _, v = line.partition("=")
                if v.isdigit():
                    out[k] = int(v)
        return out

    def stop(self, timeout: float = 10.0) -> Stopped:
        self.result = self.app.stop(timeout)
        return self.result

    def leaked(self) -> Optional[int]:
        """mbuf.leaked from the exit line, None if there was none."""
        m = EXIT.search(self.app.err)
        return int(m.group(1)) if m else None

    def close(self) -> Optional[Stopped]:
        try:
            if self.app.proc is not None and self.result is None:
                self.result = self.app.stop()
        finally:
            self.netns.delete()
            netns.delete_link(self.ifname)
            if self.app.proc is not None:
                eal_cleanup(self.prefix)
        return self.result
