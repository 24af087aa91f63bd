# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Run Pollux apps: bounded in time, always reaped, output captured."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass
class Result:
    """What a finished app left behind."""

    rc: int
    out: str
    err: str


def run(binary: Path, eal: Sequence[str], args: Sequence[str] = (),
        timeout: float = 120.0) -> Result:
    """Run binary with EAL args, "--", app args; kill it after timeout."""
    cmd = [str(binary), *eal]
    if args:
        cmd += ["--", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{cmd} did not finish in {timeout} s:\n"
                             f"{out}\n{err}") from None
    return Result(proc.returncode, out, err)
