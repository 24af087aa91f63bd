# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Graceful shutdown of pollux-echo against kernel TCP clients: SIGTERM
stops accepting, open connections get --drain-ms to close, the rest are
reset, everything is freed, and the app exits 0 with no mbuf leaked and
its output complete."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
HOLD = str(TOOLS / "tcp_hold.py")


def _holder(t, held: int) -> subprocess.Popen:
    """tcp_hold.py in the namespace, its connections open and echoed."""
    p = subprocess.Popen(t.netns.argv(["python3", HOLD, t.pollux_ip, "7",
                                       str(held), "60"]),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        out, err = p.communicate(timeout=10)
        raise AssertionError(f"tcp_hold.py: {line}{out}{err}")
    return p


def _go(p: subprocess.Popen) -> float:
    """Tell tcp_hold.py to start; the time it was told."""
    p.stdin.write("go\n")
    p.stdin.flush()
    return time.monotonic()


def _report(p: subprocess.Popen) -> dict:
    out, err = p.communicate(timeout=90)
    assert p.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_sigterm_drains_then_resets(tap_echo_factory):
    """SIGTERM: no new connections, a closing one finishes, idle ones are
    reset at the deadline; exit 0, no mbuf leaked, output complete.

    Steps: pollux-echo --drain-ms 1500; a kernel client opens 3 idle
    connections and 1 more, each echoed once; SIGTERM the app while the
    client, 0.3 s later, tries a new connection and closes the extra one
    gracefully (request, echo, FIN, EOF).
    Verify: the new connection is refused; the graceful one gets its echo
    and an orderly EOF; the 3 idle ones are reset between 1.4 and 5 s
    after the signal; the app exits 0 within the deadline plus a margin;
    it printed its shutdown line (3 reset), every counter, tcp.conns=0,
    tcp.shutdown_rst=3 and mbuf.leaked=0; the stats file is whole JSON
    with the final counters.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--drain-ms", "1500"])
    p = _holder(t, 3)
    try:
        t0 = _go(p)
        res = t.stop(timeout=15)
        took = time.monotonic() - t0
    finally:
        rep = _report(p)
    assert res.rc == 0 and not res.signalled, res.out + res.err
    assert took < 6.0, took
    assert rep["new"]["how"] == "refused", rep
    assert rep["graceful"]["how"] == "eof", rep
    for h in rep["held"]:
        assert h["how"] == "reset" and 1.4 <= h["t"] <= 5.0, rep
    assert "pollux-echo: shutdown: drained in" in res.out, res.out
    assert "3 connection(s) reset" in res.out, res.out
    c = res.counters
    assert c["tcp.shutdown_rst"] == 3, res.out
    assert c["tcp.conns"] == 0, res.out
    assert c["tcp.rst_out"] >= 4, res.out   # 3 resets + the refused SYN
    assert c["mbuf.leaked"] == 0, res.out
    # The last line is the leak check: nothing was cut off before it.
    assert res.out.rstrip().splitlines()[-1] == "mbuf.leaked=0", res.out
    final = json.loads(t.stats_file.read_text())
    assert final["tcp"]["shutdown_rst"] == 3, final


def test_second_signal_cuts_the_drain(tap_echo_factory):
    """A second signal ends a long drain at once.

    Steps: pollux-echo --drain-ms 60000 with 2 idle kernel connections;
    SIGTERM, then SIGINT 0.5 s later.
    Verify: the app exits 0 within a few seconds (not 60), both
    connections reset, no mbuf leaked.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--drain-ms", "60000"])
    p = _holder(t, 2)
    try:
        t0 = _go(p)
        t.app.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        t.app.proc.send_signal(signal.SIGINT)
        res = t.stop(timeout=15)
        took = time.monotonic() - t0
    finally:
        rep = _report(p)
    assert res.rc == 0 and not res.signalled, res.out + res.err
    assert took < 5.0, took
    for h in rep["held"]:
        assert h["how"] == "reset" and h["t"] < 5.0, rep
    assert res.counters["tcp.shutdown_rst"] == 2, res.out
    assert res.counters["mbuf.leaked"] == 0, res.out


def test_sigusr1_prints_counters(tap_echo_factory):
    """SIGUSR1 prints the counters without stopping the app.

    Steps: ping the app twice, send SIGUSR1, ping again.
    Verify: a counters block with icmp.rx >= 2 appears on stdout while
    the app keeps answering.
    """
    t = tap_echo_factory(udp_ports=())
    t.assert_pings(2)
    t.app.proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while "counters:" not in t.app.out and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "counters:" in t.app.out, t.app.out
    t.assert_pings(1)
    res = t.stop()
    assert res.rc == 0, res.out + res.err
    first = res.out.split("counters:")[1]
    assert "icmp.rx=" in first and "port.rx=" in first, res.out


def test_sigusr2_dumps_tasks(tap_echo_factory):
    """SIGUSR2 lists the live tasks of every lcore.

    Steps: pollux-echo on two lcores (one core); a kernel client holds 3
    TCP connections open; send SIGUSR2.
    Verify: each lcore prints its task list; the connection handlers show
    up parked, with their spawn site in tcp_echo.c; the app keeps running
    and exits 0 afterwards.
    """
    t = tap_echo_factory(udp_ports=(), lcores="0@0,1@0")
    p = _holder(t, 2)
    try:
        t.app.proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 5
        while t.app.out.count("live tasks") < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        p.kill()
        p.communicate(timeout=10)
    out = t.app.out
    assert "lcore 0:" in out and "lcore 1:" in out, out
    handlers = [ln for ln in out.splitlines()
                if "parked" in ln and "tcp_echo.c" in ln]
    assert len(handlers) >= 3, out
    t.assert_pings(1)
    res = t.stop()
    assert res.rc == 0, res.out + res.err


def test_logs_quiet_by_default_verbose_on_request(tap_echo_factory):
    """Pollux logs through rte_log under pollux.* types, quiet by default;
    --verbose raises them.

    Steps: start pollux-echo twice, without and with --verbose; ping;
    stop.
    Verify: without, nothing from a pollux.* type; with, the port's
    "link up" (pollux.port) and the TCP listener (pollux.tcp) lines.
    """
    quiet = tap_echo_factory(udp_ports=())
    quiet.assert_pings(1)
    q = quiet.stop()
    quiet.close()
    loud = tap_echo_factory(udp_ports=(), extra_args=["--verbose"])
    loud.assert_pings(1)
    v = loud.stop()
    assert q.rc == 0 and v.rc == 0, q.err + v.err
    assert "pollux." not in q.err, q.err
    assert "pollux.port: port 0: link up" in v.err, v.err
    assert "pollux.tcp: listening on port 7" in v.err, v.err
