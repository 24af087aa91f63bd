# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Run Pollux apps: bounded in time, always reaped, output captured."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
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


def start_bg(cmd: Sequence[str]) -> subprocess.Popen:
    """Start an app in its own session (stop() signals the whole group);
    stdout and stderr merged into one pipe for wait_ready()."""
    return subprocess.Popen(list(cmd), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(p: subprocess.Popen, timeout: float = 30.0,
               marker: str = "pollux-echo: ready") -> str:
    """Read p's output until marker; return what was read. Raw reads: a
    buffered readline() could hide a second line from select()."""
    seen = ""
    end = time.monotonic() + timeout
    while marker not in seen:
        assert p.poll() is None, seen
        assert time.monotonic() < end, f"not ready:\n{seen}"
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            seen += os.read(p.stdout.fileno(), 4096).decode(errors="replace")
    return seen


def dump(p: subprocess.Popen, timeout: float = 5.0) -> str:
    """SIGUSR1 a running pollux-echo started by start_bg(): its counters
    and connections as it prints them (for a failure message)."""
    if p.poll() is not None:
        return f"(exited with {p.returncode})"
    os.kill(p.pid, signal.SIGUSR1)
    seen = ""
    end = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < end and quiet < 2:
        r, _, _ = select.select([p.stdout], [], [], 0.25)
        if not r:
            quiet += "connections:" in seen
            continue
        data = os.read(p.stdout.fileno(), 65536)
        if not data:
            break
        seen += data.decode(errors="replace")
    return seen


def stop(p: subprocess.Popen) -> None:
    """SIGTERM the app's group, SIGKILL after 10 s; always reaped."""
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)
