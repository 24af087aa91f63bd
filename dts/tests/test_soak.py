# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The soak (usertools/soak.sh, dts/tools/soak.py) for a short bounded
time in CI; the 30-minute run is local."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lib import env

SOAK = Path(__file__).resolve().parents[1] / "tools" / "soak.py"


def test_soak_short(build_dir):
    """Mixed traffic and attacks for 100 s, faults both ways.

    Steps: dts/tools/soak.py --seconds 100 --period 30 (bulk streams, a
    control flow every 10 ms, connection churn, then in turn 24 slow
    readers, a SYN flood of 20 000, a flood of 4 000 fragments that
    never complete; 0.2 % loss and duplication, 1 % reordering, 0.05 %
    corruption on Pollux's receive and transmit).
    Verify: it prints PASS and exits 0: every bulk run and short
    connection byte-exact, the control flow's p99 under 250 ms in every
    10 s window and its worst under 2 s, no connection block or mbuf
    left afterwards, mbuf.leaked=0 at exit; and at least one bulk run
    and one round of each attack happened.
    """
    if env.sanitized():
        pytest.skip("the soak runs on the release build")
    p = subprocess.Popen([sys.executable, str(SOAK), "--seconds", "100",
                          "--period", "30", "--build", str(build_dir)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        raise AssertionError("soak did not end in 420 s:\n" + out)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 0 and "soak: PASS" in out, out
    m = re.search(r"attacks \{'slow': (\d+), 'slow_fresh_fail': 0, "
                  r"'synflood': (\d+), 'fragflood': (\d+)\}", out)
    assert m and all(int(x) >= 1 for x in m.groups()), out
    assert re.search(r"bulk \{'runs': [1-9]\d*, 'bad': 0\}", out), out
