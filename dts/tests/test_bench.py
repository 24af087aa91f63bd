# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""bench/compare runs every micro pair and prints a ratio for each. This
checks the tool works end to end; the figures themselves are reported in
doc/benchmarks.md, not asserted (a shared 2-core VM is too noisy)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

PAIRS = ["timer_arm_cancel", "timer_arm_expire", "task_switch",
         "task_spawn_join", "xchan_burst32"]


def compare(source_dir, build_dir, suite: str, out_json, *args: str,
            timeout: float = 280) -> str:
    """Run bench/compare SUITE --build BUILD --out OUT ARGS; assert it
    exits 0 and return what it printed."""
    res = subprocess.run([str(source_dir / "bench" / "compare"), suite,
                          "--build", str(build_dir), "--out", str(out_json),
                          *args], capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_compare_micro(build_dir, source_dir, tmp_path):
    """Run `bench/compare micro` with a short minimum time.

    Steps: bench/compare micro --build BUILD --min-time 0.05 --out J.
    Verify: exit 0; one `<pair>: pollux=... ratio=...` line per micro
    pair with a positive ratio; the JSON file holds the same pairs.
    """
    if not (build_dir / "bench" / "px-bench").exists():
        pytest.skip("Google Benchmark not found: bench/ not built")
    out_json = tmp_path / "micro.json"
    out = compare(source_dir, build_dir, "micro", out_json,
                  "--min-time", "0.05")
    for pair in PAIRS:
        m = re.search(rf"^{pair}: pollux=\S+ \w+=\S+ ratio=([\d.]+)",
                      out, re.M)
        assert m, f"no line for {pair}:\n{out}"
        assert float(m.group(1)) > 0
    data = json.loads(out_json.read_text())
    names = json.dumps(data)
    for pair in PAIRS:
        assert pair in names


def test_compare_udp(build_dir, source_dir, tmp_path, hugepages):
    """`bench/compare udp` runs both reflectors and prints its ratio.

    Steps: bench/compare udp --rounds 1 --seconds 1 (one short round:
    the tool's plumbing, not a figure).
    Verify: exit 0; a `udp_echo_pps: pollux=... testpmd=... ratio=...`
    line with both rates positive; the JSON file names the pair.
    """
    if not (build_dir / "bench" / "px-udpgen").exists():
        pytest.skip("bench/ not built")
    if shutil.which("dpdk-testpmd") is None:
        pytest.fail("dpdk-testpmd missing (Debian dpdk-dev, usertools/setup.sh)")
    out_json = tmp_path / "udp.json"
    out = compare(source_dir, build_dir, "udp", out_json, "--rounds", "1",
                  "--seconds", "1", timeout=200)
    m = re.search(r"^udp_echo_pps: pollux=(\d+) testpmd=(\d+) ratio=([\d.]+)",
                  out, re.M)
    assert m, out
    assert int(m.group(1)) > 0 and int(m.group(2)) > 0
    assert "udp_echo_pps" in out_json.read_text()


def test_compare_tcp(build_dir, source_dir, tmp_path):
    """`bench/compare tcp` runs Pollux and its Linux baselines side by
    side and prints every ratio.

    Steps: bench/compare tcp --rounds 1 --seconds 2 (the plumbing, not a
    figure): ping-pong (pollux-echo --tcp-rr against pollux-echo over
    net_memif; sockperf over loopback), echo throughput over 128
    connections (the same Pollux pair; px-tcp-rr against px-epoll-echo
    and against the Tokio current_thread server built from bench/tokio),
    the connection rate (--tcp-crr; px-tcp-rr --crr) and bulk goodput
    (--tcp-send; px-tcp-rr --bulk into px-epoll-echo --discard).
    Verify: exit 0; the nine metric lines with positive figures on both
    sides; the JSON file names every pair.
    """
    if not (build_dir / "bench" / "px-tcp-rr").exists():
        pytest.skip("bench/ not built")
    if shutil.which("sockperf") is None:
        pytest.fail("sockperf missing (usertools/setup.sh installs it)")
    out_json = tmp_path / "tcp.json"
    out = compare(source_dir, build_dir, "tcp", out_json, "--rounds", "1",
                  "--seconds", "2", timeout=300)
    for name, base in (("tcp_pingpong_rtt_p50_us", "linux"),
                       ("tcp_pingpong_rtt_p99_us", "linux"),
                       ("tcp_echo_128conns_msgs_per_s", "epoll"),
                       ("tcp_echo_server_cpu_us_per_msg", "epoll"),
                       ("tcp_echo_128conns_msgs_per_s", "tokio"),
                       ("tcp_echo_server_cpu_us_per_msg", "tokio"),
                       ("tcp_conn_rate_per_s", "epoll"),
                       ("tcp_bulk_gbps", "linux"),
                       ("tcp_bulk_rx_ns_per_kib", "linux")):
        m = re.search(rf"^{name}: pollux=([\d.e+]+) {base}=([\d.e+]+) "
                      rf"ratio=([\d.e+]+)", out, re.M)
        assert m, out
        assert float(m.group(1)) > 0 and float(m.group(2)) > 0, m.group(0)
        assert name in out_json.read_text() and base in out_json.read_text()


def test_compare_proxy_and_report(build_dir, source_dir, tmp_path):
    """`bench/compare proxy` runs Pollux's proxy chain and the epoll one
    and prints both ratios; `bench/compare all --report-only` turns the
    JSON into the Markdown table and the ratio plot.

    Steps: bench/compare proxy --rounds 1 --seconds 2 --out
    DIR/bench-proxy.json (pollux-bench -> pollux-proxy -> pollux-echo over
    two net_memif pairs; px-tcp-rr -> px-epoll-proxy -> px-epoll-echo over
    loopback); then bench/compare all --report-only --results DIR.
    Verify: both metric lines with positive figures; the table has a row
    per proxy metric with the same ratio; the PNG is a PNG (with
    gnuplot).
    """
    if not (build_dir / "bench" / "px-epoll-proxy").exists():
        pytest.skip("bench/ not built")
    out_json = tmp_path / "bench-proxy.json"
    out = compare(source_dir, build_dir, "proxy", out_json, "--rounds", "1",
                  "--seconds", "2", timeout=200)
    ratios = {}
    for name in ("proxy_64conns_msgs_per_s", "proxy_cpu_us_per_msg"):
        m = re.search(rf"^{name}: pollux=([\d.e+]+) epoll=([\d.e+]+) "
                      rf"ratio=([\d.e+]+)", out, re.M)
        assert m, out
        assert float(m.group(1)) > 0 and float(m.group(2)) > 0, m.group(0)
        ratios[name] = float(m.group(3))
    res = subprocess.run([str(source_dir / "bench" / "compare"), "all",
                          "--build", str(build_dir), "--report-only",
                          "--results", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    table = (tmp_path / "bench-all.md").read_text()
    for name, ratio in ratios.items():
        row = next((ln for ln in table.splitlines() if f"| {name} |" in ln),
                   None)
        assert row is not None, table
        assert abs(float(row.split("|")[5]) - ratio) <= 0.01 * ratio, row
    if shutil.which("gnuplot"):
        assert res.returncode == 0, res.stdout + res.stderr
        png = (tmp_path / "bench-all.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
