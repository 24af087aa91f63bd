# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""pollux-echo reads its addresses from a config file; a missing or bad
file is a clear error at start (file, line, what is wrong), never a
crash."""

from __future__ import annotations

import pytest

from lib import app, env


def _run(build_dir, args):
    return app.run(build_dir / "apps" / "echo" / "pollux-echo",
                   env.EAL_BASE + ["--no-huge", "-m", "256", "-l", "0",
                                   "--file-prefix=dts-config"], args)


@pytest.mark.parametrize("text, msg", [
    ("ip = 10.1.0.2/24\nudp = 7,x\n", ":2: in 'udp = 7,x'"),
    ("ip = 10.1.0.2/33\n", ":1: in 'ip = 10.1.0.2/33'"),
    ("ip 10.1.0.2/24\n", ":1: expected key = value"),
    ("ip = 10.1.0.2/24\ncolour = blue\n", ":2: in 'colour = blue'"),
    ("mac = ff:ff:ff:ff:ff:ff\nip = 10.1.0.2/24\n", ":1: in 'mac = "),
    ("# only a comment\n", "--ip A.B.C.D/PREFIX is required"),
])
def test_config_errors(build_dir, tmp_path, text, msg):
    """A bad config file stops the app with a message naming the line.

    Steps: write the file, run pollux-echo -- --config FILE.
    Verify: exit status 2 and the message on stderr.
    """
    f = tmp_path / "echo.conf"
    f.write_text(text)
    res = _run(build_dir, ["--config", str(f)])
    assert res.rc == 2, res.out + res.err
    assert msg in res.err, res.err


def test_config_missing_file(build_dir, tmp_path):
    """A config file that does not exist is named in the error.

    Steps: --config /nonexistent.
    Verify: exit status 2, the path and the reason on stderr.
    """
    res = _run(build_dir, ["--config", str(tmp_path / "nope.conf")])
    assert res.rc == 2
    assert "nope.conf: No such file or directory" in res.err


def test_config_applies(tap_echo_factory, tmp_path):
    """Addresses and ports come from the file; the command line overrides.

    Steps: a file with a MAC, UDP port 7777 and ip 10.1.1.1/24; the
    fixture's --ip on the command line (its namespace's address) wins.
    Verify: the ready line shows the file's MAC; UDP on 7777 echoes.
    """
    f = tmp_path / "echo.conf"
    f.write_text("# pollux-echo\nmac = 02:aa:bb:cc:dd:01\nudp = 7777\n"
                 "ip = 10.1.1.1/24\nidle = adaptive\n")
    t = tap_echo_factory(udp_ports=(), extra_args=["--config", str(f)])
    assert t.pollux_mac.lower() == "02:aa:bb:cc:dd:01"
    s = t.udp_socket()
    try:
        s.sendto(b"from the config", (t.pollux_ip, 7777))
        data, _ = s.recvfrom(100)
        assert data == b"from the config"
    finally:
        s.close()
