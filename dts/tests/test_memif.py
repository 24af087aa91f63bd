# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Pollux <-> Pollux over a net_memif pair, no kernel in the path: one
pollux-echo serves, another runs as a client (--client) and checks every
echo; sizes up to fragmented datagrams, two lcores per side, and a lossy
link from the fault stage."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from lib import app, env

REPORT = re.compile(r"client: sent=(\d+) received=(\d+) lost=(\d+) "
                    r"duplicates=(\d+) mismatched=(\d+) .*pps=(\d+)")


def _eal(prefix: str, lcores: str, vdev: str) -> list[str]:
    return env.EAL_BASE + ["--no-huge", "-m", "512", f"--lcores={lcores}",
                           f"--file-prefix={prefix}", f"--vdev={vdev}",
                           "--log-level=user1:warning"]


@pytest.fixture
def memif_server(build_dir, tmp_path) -> Iterator:
    """start(lcores) runs a memif server pollux-echo on 10.77.0.1; stopped
    (SIGTERM, then SIGKILL) at the end."""
    procs: list[subprocess.Popen] = []
    sock = tmp_path / "memif.sock"

    def start(lcores: str = "0@0", extra: tuple[str, ...] = ()) -> Path:
        binary = build_dir / "apps" / "echo" / "pollux-echo"
        p = app.start_bg(
            [str(binary), *_eal(f"pxmemif-s{os.getpid()}", lcores,
                                f"net_memif0,role=server,socket={sock},id=0"),
             "--", "--ip", "10.77.0.1/24", "--idle", "adaptive", *extra])
        procs.append(p)
        # memif sockets are abstract by default (no file to wait for):
        # wait for the ready line, after its bounded wait for a link.
        app.wait_ready(p)
        return sock

    start.procs = procs  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for p in procs:
            app.stop(p)


def _client(build_dir, sock: Path, lcores: str, args: list[str]
            ) -> tuple[int, ...]:
    res = app.run(build_dir / "apps" / "echo" / "pollux-echo",
                  _eal(f"pxmemif-c{os.getpid()}", lcores,
                       f"net_memif0,role=client,socket={sock},id=0"),
                  ["--ip", "10.77.0.2/24", "--idle", "adaptive",
                   "--client", "10.77.0.1:7", *args], timeout=120)
    m = REPORT.search(res.out)
    assert m, res.out + res.err
    assert res.rc == 0, res.out + res.err
    return tuple(int(x) for x in m.groups())


@pytest.mark.parametrize("size, count", [(64, 20000), (1472, 3000),
                                         (8000, 500)])
def test_memif_echo(build_dir, memif_server, size, count):
    """Every datagram comes back byte-exact, fragmented ones included.

    Steps: memif server echo on one core, memif client on the other
    sending COUNT datagrams of SIZE bytes, 32 in flight.
    Verify: sent == received == COUNT, nothing lost, duplicated or
    different.
    """
    sock = memif_server("0@0")
    sent, recvd, lost, dups, bad, pps = _client(
        build_dir, sock, "0@1", ["--count", str(count), "--size", str(size)])
    assert (sent, recvd, lost, dups, bad) == (count, count, 0, 0, 0)
    assert pps > 0


def test_memif_two_lcores(build_dir, memif_server):
    """Two lcores and two memif queue pairs (--queues 2) on each side.

    Steps: both processes with --lcores=0@0,1@1 and --queues 2; the
    client sends 20000 datagrams from its main lcore.
    Verify: all come back byte-exact (flows steered to their owner lcore
    on both sides).
    """
    sock = memif_server("0@0,1@1", ("--queues", "2"))
    sent, recvd, lost, dups, bad, _ = _client(
        build_dir, sock, "0@1,1@0", ["--count", "20000", "--queues", "2"])
    assert (recvd, lost, dups, bad) == (20000, 0, 0, 0)


def test_memif_lossy(build_dir, memif_server):
    """A 2 % lossy client transmit path: losses are counted, never
    corrupt what arrives.

    Steps: client with --fault-tx drop=2% --fault-seed 11, 10000
    datagrams.
    Verify: lost about 2 % (4 sigma), nothing mismatched or duplicated.
    """
    sock = memif_server("0@0")
    sent, recvd, lost, dups, bad, _ = _client(
        build_dir, sock, "0@1", ["--count", "10000", "--fault-tx", "drop=2%",
                                 "--fault-seed", "11"])
    assert sent == 10000 and bad == 0 and dups == 0
    assert recvd + lost == sent
    assert abs(lost - 200) <= 4 * (10000 * 0.02 * 0.98) ** 0.5 + 2


TCP_REPORT = re.compile(r"tcp-client: conns=(\d+) lcores=(\d+) sent=(\d+) "
                        r"received=(\d+) mismatched=(\d+) .* (OK|FAILED)")


def _tcp_ok(res: app.Result, memif_server) -> re.Match:
    """The --tcp-client's report, which must say OK; if not, the failure
    shows both ends' connections (the server's through SIGUSR1)."""
    m = TCP_REPORT.search(res.out)
    if not m or res.rc != 0 or m.group(6) != "OK":
        server = app.dump(memif_server.procs[0])
        raise AssertionError(f"client:\n{res.out}{res.err}\nserver:\n{server}")
    return m


@pytest.mark.parametrize("srv_lcores, cli_lcores, conns, nbytes", [
    ("0@0", "0@1", 1, 256 << 20),
    ("0@0,1@1", "0@1,1@0", 8, 256 << 20),
])
def test_memif_tcp(build_dir, memif_server, srv_lcores, cli_lcores, conns,
                   nbytes):
    """Pollux TCP client <-> Pollux TCP echo server, no kernel anywhere.

    Steps: memif server echo (one or two lcores, as many queue pairs);
    the other side, with the same count of each, runs
    --tcp-client with CONNS connections spread over its lcores, each
    opened by the lcore that uses it, streaming NBYTES in all.
    Verify: every byte comes back in order (OK); with two lcores, both
    opened connections (the port choice made every reply land on the
    lcore that connected: a reply on another lcore would have found no
    connection there) and both counted active opens.
    """
    queues = ("--queues", str(srv_lcores.count("@")))
    sock = memif_server(srv_lcores, queues)
    res = app.run(build_dir / "apps" / "echo" / "pollux-echo",
                  _eal(f"pxmemif-c{os.getpid()}", cli_lcores,
                       f"net_memif0,role=client,socket={sock},id=0"),
                  ["--ip", "10.77.0.2/24", "--idle", "adaptive",
                   "--tcp-client", "10.77.0.1:7", "--bytes", str(nbytes),
                   "--conns", str(conns), "--client-ms", "120000", *queues],
                  timeout=180)
    m = _tcp_ok(res, memif_server)
    assert int(m.group(4)) == nbytes and int(m.group(5)) == 0
    n_lcores = cli_lcores.count("@")
    assert int(m.group(2)) == n_lcores, res.out
    opens = [int(x) for x in re.findall(r"lcore\d+\.tcp_active_opens=(\d+)",
                                        res.out)]
    assert len(opens) == n_lcores and all(o > 0 for o in opens), res.out
    assert sum(opens) == conns, res.out
    # No connection was reset for landing on the wrong lcore.
    assert re.search(r"tcp\.rst_in=0\b", res.out), res.out


@pytest.mark.parametrize("srv_lcores, cli_lcores", [
    ("0@0,1@0", "0@1"),
    ("0@0", "0@1,1@1"),
])
def test_memif_lcore_mismatch(build_dir, memif_server, srv_lcores,
                              cli_lcores):
    """Ends with different lcore counts still link and work: net_memif
    connects only the queue pairs its client has (and DPDK's server then
    misuses the others), so a memif port defaults to one pair whatever
    the lcores.

    Steps: a pollux-echo server and a --tcp-client, one with two lcores
    and the other with one, no --queues; 16 connections, 1 MiB in all.
    Verify: both ports report one queue pair; every byte comes back; the
    two-lcore end used both lcores (its second one through the first
    one's queue).
    """
    sock = memif_server(srv_lcores)
    res = app.run(build_dir / "apps" / "echo" / "pollux-echo",
                  _eal(f"pxmemif-c{os.getpid()}", cli_lcores,
                       f"net_memif0,role=client,socket={sock},id=0"),
                  ["--ip", "10.77.0.2/24", "--idle", "adaptive",
                   "--tcp-client", "10.77.0.1:7", "--bytes", str(1 << 20),
                   "--conns", "16", "--client-ms", "60000"],
                  timeout=120)
    assert "1 queue pair(s)" in res.out, res.out
    m = _tcp_ok(res, memif_server)
    assert int(m.group(4)) == 1 << 20 and int(m.group(5)) == 0
    if cli_lcores.count("@") == 2:
        opens = re.findall(r"lcore\d+\.tcp_active_opens=(\d+)", res.out)
        assert len(opens) == 2 and all(int(o) > 0 for o in opens), res.out
