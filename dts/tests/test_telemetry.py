# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Pollux's rte_telemetry endpoints, read with DPDK's own client
(dpdk-telemetry.py) from a running pollux-echo with kernel connections
open."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
HOLD = str(TOOLS / "tcp_hold.py")
CLIENT = shutil.which("dpdk-telemetry.py")

COMMANDS = ["/", "/pollux/exec", "/pollux/port", "/pollux/inet",
            "/pollux/tcp", "/pollux/conns", "/pollux/tasks",
            "/pollux/inet,7", "/pollux/tcp,x"]


def _query(prefix: str, cmds: list[str]) -> dict:
    """Each command's reply from dpdk-telemetry.py, by command."""
    res = subprocess.run([CLIENT, "-f", prefix], input="\n".join(cmds) + "\n",
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    replies = [json.loads(line) for line in res.stdout.splitlines()
               if line.startswith("{")]
    assert len(replies) == len(cmds), res.stdout
    return dict(zip(cmds, replies))


@pytest.mark.skipif(CLIENT is None, reason="dpdk-telemetry.py not installed")
def test_telemetry_endpoints(tap_echo_factory):
    """dpdk-telemetry.py reads executor, port, IP, TCP, connection and
    task data from a running app.

    Steps: pollux-echo with the EAL's telemetry socket on; a kernel client
    in the namespace opens 3 TCP connections to the echo (tcp_hold.py: 2
    idle ones and 1 for a graceful close, each echoed once) and keeps them
    open; ping 3 times; query every /pollux/
    endpoint, plus two with a bad parameter.
    Verify: "/" lists the endpoints; /pollux/exec shows the lcore's loop
    running and its tasks; /pollux/port and /pollux/inet count the
    traffic (ICMP echo replies included); /pollux/tcp counts 3 passive
    opens; /pollux/conns lists the 3 connections ESTABLISHED with the
    kernel's address; /pollux/tasks lists the handler tasks parked, with
    their spawn site; a bad interface index gets a null reply, not a
    crash, and the app answers pings afterwards.
    """
    t = tap_echo_factory(udp_ports=(), telemetry=True)
    holder = subprocess.Popen(
        t.netns.argv(["python3", HOLD, t.pollux_ip, "7", "2", "60"]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        t.assert_pings(3)
        r = _query(t.prefix, COMMANDS)
    finally:
        holder.kill()
        holder.communicate(timeout=10)
    listed = r["/"]["/"]
    for cmd in COMMANDS[1:7]:
        assert cmd in listed, listed
    ex = r["/pollux/exec"]["/pollux/exec"]
    assert ex["lcore0"]["loops"] > 0 and ex["lcore0"]["tasks_live"] >= 3, ex
    port = r["/pollux/port"]["/pollux/port"]
    assert port["rx"] > 0 and port["tx"] > 0, port
    assert 0 < port["mbuf_in_use"] < port["mbuf_size"], port
    inet = r["/pollux/inet"]["/pollux/inet"]
    assert inet["icmp"]["echo_replies"] >= 3 and inet["ip"]["rx"] > 0, inet
    tcp = r["/pollux/tcp"]["/pollux/tcp"]
    assert tcp["passive_opens"] == 3 and tcp["conns"] == 3, tcp
    conns = r["/pollux/conns"]["/pollux/conns"]["lcore0"]
    est = [c for c in conns if "ESTABLISHED" in c and t.kernel_ip in c]
    assert len(est) == 3, conns
    assert all(c.startswith(f"{t.pollux_ip}:7 ") for c in est), conns
    tasks = r["/pollux/tasks"]["/pollux/tasks"]["lcore0"]
    handlers = [x for x in tasks if "parked" in x and "tcp_echo.c" in x]
    assert len(handlers) >= 3, tasks
    # Bad parameters: an error reply (null), and the app lives on.
    assert r["/pollux/inet,7"]["/pollux/inet"] is None, r["/pollux/inet,7"]
    assert r["/pollux/tcp,x"]["/pollux/tcp"] is None, r["/pollux/tcp,x"]
    t.assert_pings(1)
    res = t.stop()
    assert res.rc == 0 and res.counters["mbuf.leaked"] == 0, res.out + res.err
