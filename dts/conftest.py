# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Fixtures shared by the dts suite: where the build is, what the machine
allows (root, hugepages), and the topologies: tap_echo (pollux-echo behind
a net_tap port whose kernel side is in a fresh network namespace). Every
topology is torn down also when a test fails, and the session ends by
checking that no namespace, interface or app process of this run is left."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lib import env, netns, pollux_app, topo  # noqa: E402


@pytest.fixture(scope="session")
def build_dir() -> Path:
    """The meson build directory under test."""
    return env.build_dir()


@pytest.fixture(scope="session")
def source_dir() -> Path:
    """The source tree."""
    return env.source_dir()


@pytest.fixture(scope="session")
def hugepages() -> None:
    """Skip unless 2 MiB hugepages are reserved and hugetlbfs is mounted."""
    reason = env.hugepages_missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def root() -> None:
    """Skip unless running as root."""
    if os.geteuid() != 0:
        pytest.skip("needs root (run through usertools/setup.sh test)")


@pytest.fixture(scope="session", autouse=True)
def no_leaks() -> Iterator[None]:
    """Around the whole session: clear what dead dts runs left, and at the
    end fail if an app, namespace or interface of this run is left (after
    removing it, so the next run starts clean)."""
    if os.geteuid() != 0:
        yield
        return
    netns.reap_stale()
    yield
    apps = pollux_app.live_apps()
    for a in apps:
        a.kill()
    left = netns.leftovers()
    for n in left["netns"]:
        netns.run(["ip", "netns", "del", n], timeout=10)
    for link in left["links"]:
        netns.delete_link(link)
    problems = []
    if apps:
        problems.append("apps still running: " +
                        "; ".join(" ".join(a.cmd) for a in apps))
    if left["netns"] or left["links"]:
        problems.append(f"left behind: {left}")
    if problems:
        pytest.fail("dts leak check: " + "\n".join(problems))


@pytest.fixture(scope="module")
def tap_echo(build_dir, tmp_path_factory) -> Iterator[topo.TapEcho]:
    """pollux-echo on net_tap (hugepages if reserved, else --no-huge),
    kernel side in a fresh namespace: .1 is Pollux, .2 the kernel, UDP
    echo on ports 7 and 5000. One per test module; the teardown checks
    that the app stops cleanly on SIGTERM."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces and net_tap "
                    "(run through usertools/setup.sh test)")
    t = topo.TapEcho(build_dir, tmp_path_factory.mktemp("tap_echo"))
    try:
        t.start()
        yield t
    finally:
        res = t.close()
    assert res is not None
    assert res.rc == 0 and not res.signalled, \
        f"pollux-echo did not stop cleanly (rc {res.rc}):\n{res.out}{res.err}"


def _factory(start) -> Iterator:
    """Yield a make(...) that starts topologies with start(...) (which
    returns the topology and a function starting it) and close every one
    it made at the end of the test, also on failure."""
    made: list = []

    def make(*args, **kw):
        if os.geteuid() != 0:
            pytest.skip("needs root for network namespaces and net_tap "
                        "(run through usertools/setup.sh test)")
        t, started = start(*args, **kw)
        made.append(t)
        return started()

    try:
        yield make
    finally:
        for t in made:
            t.close()


@pytest.fixture
def tap_echo_factory(build_dir, tmp_path) -> Iterator:
    """make(before_app=None, **TapEcho options) starts another TapEcho;
    each is closed at the end of the test, also on failure."""
    def start(before_app=None, **kw):
        t = topo.TapEcho(build_dir, tmp_path, **kw)
        return t, lambda: t.start(before_app)

    yield from _factory(start)


@pytest.fixture
def tap_pair_factory(build_dir) -> Iterator:
    """make(app, before_app=None, **TapPair options) starts a two-port
    app (topo.TapPair); each is closed at the end of the test."""
    def start(app: str, before_app=None, **kw):
        t = topo.TapPair(build_dir, app, **kw)
        return t, lambda: t.start(before_app)

    yield from _factory(start)
