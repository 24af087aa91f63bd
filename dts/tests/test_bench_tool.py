# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""pollux-bench, the load generator on Pollux, against a kernel echo
server (TCP and UDP) in a network namespace behind net_tap."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
ECHO = str(TOOLS / "echo_server.py")
PORT = 7007
RESULT = re.compile(r"^result: (.*) (OK|FAILED)$", re.M)


def _bench(tap_echo_factory, args: list[str], echo: bool = True,
           timeout: float = 60.0):
    """Run pollux-bench against the namespace's kernel echo server (none
    if not echo); returns (Stopped, result fields, server process)."""
    server: list[subprocess.Popen] = []

    def start_server(t) -> None:
        if not echo:
            return
        p = subprocess.Popen(t.netns.argv(["python3", ECHO, str(PORT), "120"]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        server.append(p)
        assert p.stdout.readline().strip() == "ready", p.stderr.read()

    t = tap_echo_factory(before_app=start_server, app="bench", udp_ports=(),
                         extra_args=["--target", f"{{kernel_ip}}:{PORT}",
                                     *args])
    try:
        t.app.proc.wait(timeout)
        res = t.stop()
    finally:
        for p in server:
            p.kill()
            p.communicate(timeout=10)
    m = RESULT.search(res.out)
    fields = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
    if m:
        fields["status"] = m.group(2)
    return res, fields


def test_tcp_closed_loop_json_csv(tap_echo_factory, tmp_path):
    """Closed loop over 4 TCP connections, with JSON and CSV written.

    Steps: pollux-bench --conns 4 --duration 2 --warmup 0.5 against the
    kernel echo server, --json and --csv into the test directory.
    Verify: exit 0, result OK with responses and no loss or mismatch;
    p50 <= p99 <= max; the JSON has the same response count and its
    percentile table rises monotonically to the max; the CSV has its
    header and rows; no mbuf leaked.
    """
    js, csv = tmp_path / "r.json", tmp_path / "r.csv"
    res, f = _bench(tap_echo_factory, [
        "--conns", "4", "--duration", "2", "--warmup", "0.5",
        "--json", str(js), "--csv", str(csv)])
    assert res.rc == 0, res.out + res.err
    assert f["status"] == "OK" and int(f["responses"]) > 100, f
    assert f["lost"] == "0" and f["mismatched"] == "0", f
    assert float(f["p50_us"]) <= float(f["p99_us"]) <= float(f["max_us"]), f
    d = json.loads(js.read_text())
    assert d["ok"] is True and d["responses"] == int(f["responses"]), d
    assert d["conns"] == 4 and d["proto"] == "tcp", d
    lat = [row[1] for row in d["percentiles"]]
    assert lat == sorted(lat) and lat[-1] == d["latency_us"]["max"], d
    rows = csv.read_text().splitlines()
    assert rows[0] == "percentile,latency_us" and len(rows) > 10, rows
    assert "mbuf.leaked=0" in res.out, res.out


def test_tcp_open_loop_poisson_holds_rate(tap_echo_factory):
    """Open loop, Poisson arrivals at 2000 requests/s: the rate holds.

    Steps: pollux-bench --conns 8 --rate 2000 --poisson for 3 s.
    Verify: exit 0; the response rate is within 10 % of 2000; nothing
    lost or skipped; a progress line was printed (the run is over 3 s).
    """
    res, f = _bench(tap_echo_factory, [
        "--conns", "8", "--rate", "2000", "--poisson", "--duration", "3",
        "--warmup", "0.5"])
    assert res.rc == 0, res.out + res.err
    assert abs(float(f["rate"]) - 2000) < 200, f
    assert f["lost"] == "0", f
    assert "skipped" in res.out and " 0 skipped" in res.out, res.out
    assert "req/s" in res.out + res.err, res.out + res.err


def test_udp_closed_and_plot(tap_echo_factory, tmp_path):
    """UDP closed loop over 2 sockets, plotted to PNG.

    Steps: pollux-bench --proto udp --conns 2 --duration 2 --plot FILE.
    Verify: exit 0, responses counted, none mismatched; the PNG exists
    and starts with the PNG signature (when gnuplot is installed).
    """
    png = tmp_path / "lat.png"
    res, f = _bench(tap_echo_factory, [
        "--proto", "udp", "--conns", "2", "--duration", "2", "--warmup",
        "0.5", "--plot", str(png)])
    assert res.rc == 0, res.out + res.err
    assert f["proto"] == "udp" and int(f["responses"]) > 100, f
    assert f["mismatched"] == "0", f
    if shutil.which("gnuplot"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_server_fails_cleanly(tap_echo_factory):
    """Nobody listening: a clear message and exit 1, no crash, no leak.

    Steps: pollux-bench against the namespace with no echo server
    (the kernel answers the SYNs with RST), --wait 1.
    Verify: exit status 1; it says the target did not answer; no mbuf
    leaked.
    """
    res, _ = _bench(tap_echo_factory, ["--wait", "1", "--duration", "1"],
                    echo=False)
    assert res.rc == 1, res.out + res.err
    assert "did not answer" in res.err, res.err
    assert "mbuf.leaked=0" in res.out, res.out


@pytest.mark.parametrize("args,msg", [
    (["--proto", "sctp"], "--proto takes tcp or udp"),
    (["--poisson"], "--poisson needs --rate"),
    (["--proto", "udp", "--size", "8"], "16-byte header"),
    (["--crr", "--rate", "100"], "--crr is TCP closed loop only"),
    (["--conns", "0"], "bad --conns"),
])
def test_bad_options(build_dir, args, msg):
    """Bad options: exit 2 with a message, before touching DPDK."""
    binary = build_dir / "apps" / "bench" / "pollux-bench"
    res = subprocess.run([str(binary), "--no-pci", "--", "--ip",
                          "10.0.0.1/24", "--target", "10.0.0.2:7", *args],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2, res.stdout + res.stderr
    assert msg in res.stderr, res.stderr
