# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""End-to-end runs of pollux-demo: every phase on several lcores, with and
without hugepages, and its command line handling."""

from __future__ import annotations

import re
import subprocess

import pytest

from lib import app, env


def _demo(build_dir):
    return build_dir / "apps" / "demo" / "pollux-demo"


def _check_run(res: app.Result) -> None:
    assert res.rc == 0, res.out + res.err
    out = res.out
    assert "pollux-demo: OK" in out
    # Timers on all three lcores, none early.
    woke = re.findall(r"lcore (\d+): (\d+) tasks woke, .* early (\d+)", out)
    assert len(woke) == 3, out
    for _, n, early in woke:
        assert int(n) == 500
        assert int(early) == 0
    # Both worker lcores fed the channel, in order.
    m = re.search(r"2 producer lcores -> 1 consumer, (\d+) items .* in order",
                  out)
    assert m and int(m.group(1)) == 2 * 50000, out
    assert re.search(r"remote spawn\+join round trip .* p50 [\d.]+ us", out)
    # Nothing left behind: every executor ends with no live task and no
    # stack in use.
    lives = re.findall(r"live=(\d+)", out)
    assert lives and all(v == "0" for v in lives), out
    stacks = re.findall(r"stacks=(\d+)/(\d+)", out)
    assert stacks and all(used == "0" for used, _ in stacks), out


def test_demo_no_huge(build_dir):
    """Demo on three lcores mapped onto the two cores, no hugepages.

    Steps: run pollux-demo --no-huge with --lcores=0@0,1@1,2@0.
    Verify: exit 0; every phase reports; no early timer; items in order;
    no live task or stack left.
    """
    res = app.run(_demo(build_dir),
                  env.EAL_BASE + ["--no-huge", "-m", "512",
                                  "--lcores=0@0,1@1,2@0",
                                  "--file-prefix=dts-demo-nohuge"],
                  ["--tasks", "500", "--items", "50000", "--rounds", "2000"])
    _check_run(res)


def test_demo_hugepages(build_dir, hugepages):
    """Demo on hugepage memory, as the README's first command runs it.

    Steps: run pollux-demo on hugepages with three lcores.
    Verify: the same as without hugepages.
    """
    res = app.run(_demo(build_dir),
                  env.EAL_BASE + ["-m", "512", "--lcores=0@0,1@1,2@0",
                                  "--file-prefix=dts-demo-huge"],
                  ["--tasks", "500", "--items", "50000", "--rounds", "2000"])
    _check_run(res)


def test_demo_help(build_dir):
    """--help prints usage without starting EAL.

    Steps: pollux-demo --help.
    Verify: exit 0, every option listed.
    """
    res = app.run(_demo(build_dir), ["--help"])
    assert res.rc == 0
    for opt in ("--tasks", "--sleep-us", "--items", "--rounds", "--idle"):
        assert opt in res.out


@pytest.mark.parametrize("args, msg", [
    (["--tasks", "abc"], "bad number 'abc' for --tasks"),
    (["--idle", "sometimes"], "--idle takes busy or adaptive"),
    (["stray"], "unexpected argument 'stray'"),
])
def test_demo_bad_args(build_dir, args, msg):
    """Bad application arguments are clear errors, not crashes.

    Steps: run pollux-demo with a malformed option.
    Verify: exit status 2 and a message naming the problem.
    """
    res = app.run(_demo(build_dir),
                  env.EAL_BASE + ["--no-huge", "-m", "256", "-l", "0",
                                  "--file-prefix=dts-demo-bad"], args)
    assert res.rc == 2, res.out + res.err
    assert msg in res.err


def test_demo_bad_eal(build_dir):
    """A bad EAL argument fails cleanly through px_init().

    Steps: run pollux-demo with an lcore list naming a core that does
    not exist.
    Verify: non-zero exit, a "runtime start failed" message, no crash.
    """
    res = app.run(_demo(build_dir),
                  env.EAL_BASE + ["--no-huge", "-m", "256", "-l", "0,999",
                                  "--file-prefix=dts-demo-bad-eal"])
    assert res.rc == 1, res.out + res.err
    assert "runtime start failed" in res.err


def test_echo_demo(build_dir, source_dir, root, hugepages):
    """The README's first command: the echo demo against the Linux stack.

    Steps: run usertools/echo_demo.py on the build (what
    `usertools/setup.sh demo` runs after installing and building).
    Verify: it exits 0, reports every measurement (ping, UDP, sockperf
    p50/p99, stream MB/s with equal SHA-256, connection rate), prints the
    round-trip histogram (buckets whose counts add up to the round trips
    it names, and its percentiles), and that pollux-echo stopped cleanly.
    """
    res = subprocess.run(["/usr/bin/python3",
                          str(source_dir / "usertools" / "echo_demo.py"),
                          str(build_dir)], capture_output=True, text=True,
                         timeout=240)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "echo demo: OK" in out, out
    assert re.search(r"p50 / p99\s+[\d.]+ / [\d.]+ us", out), out
    assert re.search(r"\d+ MB/s each way, SHA-256 equal", out), out
    assert re.search(r"in a row\s+\d+ per s", out), out
    m = re.search(r"TCP round-trip histogram \((\d+) round trips", out)
    assert m, out
    buckets = re.findall(r"^\s+[\d.]+ -\s+(?:[\d.]+|max)\s+(\d+) #+$", out,
                         re.M)
    # Every round trip is in a bucket (the last one takes the tail).
    assert sum(map(int, buckets)) == int(m.group(1)) > 1000, out
    assert re.search(r"p50 [\d.]+  p90 [\d.]+  p99 [\d.]+  p99.9 [\d.]+  "
                     r"max [\d.]+", out), out
    assert "stopped cleanly" in out, out
