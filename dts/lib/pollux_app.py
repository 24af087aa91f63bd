# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Run a long-lived Pollux network app (pollux-echo) under test.

The app runs in its own process group (optionally inside a network
namespace), its stdout and stderr are collected by reader threads so it
never blocks on a full pipe, and every wait is bounded. PolluxApp is a
context manager; stop() is idempotent and always reaps the process (and
kills its group if SIGTERM is not enough).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from . import env

READY = re.compile(r"pollux-[a-z]+: ready mac=([0-9a-fA-F:]{17}) ip=(\S+)")

# Every app started here, so a session can check that none is left.
_live: set["PolluxApp"] = set()
_live_lock = threading.Lock()


def live_apps() -> list["PolluxApp"]:
    """Apps started and not yet reaped."""
    with _live_lock:
        return [a for a in _live if a.proc is not None
                and a.proc.returncode is None]


@dataclass
class Stopped:
    """What a stopped app left behind."""

    rc: int
    out: str
    err: str
    signalled: bool = False  # needed SIGKILL
    counters: dict[str, int] = field(default_factory=dict)


def parse_counters(out: str) -> dict[str, int]:
    """The "block.name=value" lines after "counters:"."""
    counters: dict[str, int] = {}
    lines = out.splitlines()
    try:
        start = next(i for i, line in enumerate(lines)
                     if line.strip() == "counters:")
    except StopIteration:
        return counters
    for line in lines[start + 1:]:
        m = re.match(r"\s*([A-Za-z0-9_]+\.[A-Za-z0-9_.]+)=(-?\d+)\s*$", line)
        if m:
            counters[m.group(1)] = int(m.group(2))
    return counters


class Stats(dict):
    """The stats file's JSON; counter("ip.bad_len") looks one up and fails
    with the whole JSON when it is missing."""

    def counter(self, name: str) -> int:
        block, _, key = name.partition(".")
        try:
            v = self[block][key]
        except (KeyError, TypeError):
            raise AssertionError(f"no counter {name!r} in the stats:\n"
                                 f"{self.dump()}") from None
        if not isinstance(v, int):
            raise AssertionError(f"counter {name!r} is not an integer:\n"
                                 f"{self.dump()}")
        return v

    def has(self, name: str) -> bool:
        block, _, key = name.partition(".")
        return isinstance(self.get(block), dict) and key in self[block]

    def dump(self) -> str:
        return json.dumps(self, indent=1, sort_keys=True)

    def flat(self) -> dict[str, int]:
        return {f"{b}.{k}": v for b, blk in self.items()
                if isinstance(blk, dict) for k, v in blk.items()}


def diff(before: Stats, after: Stats) -> dict[str, int]:
    """Counters that changed, name -> delta."""
    a, b = before.flat(), after.flat()
    return {k: b[k] - a.get(k, 0) for k in b
            if isinstance(b[k], int) and b[k] != a.get(k, 0)}


class PolluxApp:
    """One running app.

    binary, EAL args and app args make the command line; netns (a name)
    runs it inside that namespace (`ip netns exec` execs, so the pid is the
    app's). stats_file is the --stats-file path, if one was given.
    """

    def __init__(self, binary: Path, eal: Sequence[str],
                 args: Sequence[str] = (), netns: Optional[str] = None,
                 stats_file: Optional[Path] = None) -> None:
        self.cmd = [str(binary), *eal]
        if args:
            self.cmd += ["--", *args]
        if netns:
            self.cmd = ["ip", "netns", "exec", netns] + self.cmd
        self.stats_file = stats_file
        self.proc: Optional[subprocess.Popen] = None
        self._out: list[str] = []
        self._err: list[str] = []
        self._cond = threading.Condition()
        self._readers: list[threading.Thread] = []
        self.result: Optional[Stopped] = None
        self.mac: Optional[str] = None
        self.ip: Optional[str] = None

    # --- output ------------------------------------------------------
    def _reader(self, stream, sink: list[str]) -> None:
        for line in iter(stream.readline, ""):
            with self._cond:
                sink.append(line)
                self._cond.notify_all()
        stream.close()
        with self._cond:
            self._cond.notify_all()

    @property
    def out(self) -> str:
        with self._cond:
            return "".join(self._out)

    @property
    def err(self) -> str:
        with self._cond:
            return "".join(self._err)

    def describe(self) -> str:
        """Command, state and output, for failure messages."""
        rc = None if self.proc is None else self.proc.poll()
        return (f"command: {' '.join(self.cmd)}\nexit: {rc}\n"
                f"--- stdout\n{self.out}--- stderr\n{self.err}---")

    # --- life --------------------------------------------------------
    def start(self) -> "PolluxApp":
        assert self.proc is None, "started twice"
        if self.stats_file is not None:
            try:
                os.unlink(self.stats_file)
            except FileNotFoundError:
                pass
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace",
            start_new_session=True)
        with _live_lock:
            _live.add(self)
        for stream, sink in ((self.proc.stdout, self._out),
                             (self.proc.stderr, self._err)):
            t = threading.Thread(target=self._reader, args=(stream, sink),
                                 daemon=True)
            t.start()
            self._readers.append(t)
        return self

    def wait_for(self, pattern: re.Pattern, timeout: float,
                 stderr: bool = False) -> re.Match:
        """Wait until a stdout (or stderr) line matches; fail with the
        output if the app exits or the time runs out."""
        end = time.monotonic() + timeout
        seen = 0
        lines = self._err if stderr else self._out
        with self._cond:
            while True:
                for line in lines[seen:]:
                    m = pattern.search(line)
                    if m:
                        return m
                seen = len(lines)
                if self.proc.poll() is not None and \
                        not any(t.is_alive() for t in
                                (self._readers[1:2] if stderr
                                 else self._readers[:1])):
                    break
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
        if self.proc.poll() is not None:
            why = f"the app exited ({self.proc.returncode}) before"
        else:
            why = f"no line in {timeout} s"
        raise AssertionError(f"{why} matching {pattern.pattern!r}:\n"
                             f"{self.describe()}")

    def wait_ready(self, timeout: float = 30.0) -> "PolluxApp":
        m = self.wait_for(READY, timeout)
        self.mac = m.group(1).lower()
        self.ip = m.group(2)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self) -> None:
        if not self.alive():
            raise AssertionError(f"the app died:\n{self.describe()}")

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM
             ) -> Stopped:
        """Signal the app, wait for it (SIGKILL its group after timeout),
        reap it and return its exit status and output. Idempotent."""
        if self.result is not None:
            return self.result
        assert self.proc is not None, "never started"
        killed = False
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # Not reaped yet, so its group id is still its own.
                killed = True
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc.wait(10)
        for t in self._readers:
            t.join(5)
        with _live_lock:
            _live.discard(self)
        out, err = self.out, self.err
        self.result = Stopped(self.proc.returncode, out, err, killed,
                              parse_counters(out))
        return self.result

    def kill(self) -> Stopped:
        """SIGKILL at once (failure paths)."""
        return self.stop(timeout=0.0, sig=signal.SIGKILL)

    def __enter__(self) -> "PolluxApp":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.stop()

    # --- counters ----------------------------------------------------
    def stats(self, timeout: float = 3.0, newer_than: float = 0.0
              ) -> Stats:
        """The stats file, parsed. Retries while it is missing or partial
        (the app renames it into place, but be tolerant); newer_than
        (time.time()) waits for a rewrite after that moment."""
        assert self.stats_file is not None, "started without --stats-file"
        end = time.monotonic() + timeout
        last = "missing"
        while True:
            try:
                st = os.stat(self.stats_file)
                if st.st_mtime >= newer_than:
                    with open(self.stats_file, encoding="utf-8") as f:
                        text = f.read()
                    data = json.loads(text)
                    if isinstance(data, dict):
                        return Stats(data)
                    last = f"not an object: {text[:200]!r}"
                else:
                    last = "not rewritten yet"
            except FileNotFoundError:
                last = "missing"
            except json.JSONDecodeError as e:
                last = f"bad JSON ({e}): {text[:400]!r}"
            if time.monotonic() > end:
                raise AssertionError(f"stats file {self.stats_file}: {last} "
                                     f"after {timeout} s\n{self.describe()}")
            self.assert_alive()
            time.sleep(0.02)

    def fresh_stats(self, timeout: float = 3.0) -> Stats:
        """Stats written after this call (so they include what was sent
        before it, as far as the app has processed it)."""
        return self.stats(timeout, newer_than=time.time() + 0.001)

    def wait_counter(self, name: str, at_least: int, timeout: float = 2.0
                     ) -> Stats:
        """Poll until counter name reaches at_least; fail with the JSON."""
        end = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s.counter(name) >= at_least:
                return s
            if time.monotonic() > end:
                raise AssertionError(f"{name} = {s.counter(name)}, wanted >= "
                                     f"{at_least} within {timeout} s:\n"
                                     f"{s.dump()}")
            time.sleep(0.05)


def eal_args(file_prefix: str, vdevs: Sequence[str] = (),
             lcores: str = "0@0", huge: Optional[bool] = None,
             mem_mb: int = 512) -> list[str]:
    """EAL arguments for a dts app: hugepages when the machine has them
    (huge=None), else --no-huge."""
    if huge is None:
        huge = env.hugepages_missing() == ""
    args = list(env.EAL_BASE) + [f"--file-prefix={file_prefix}",
                                 "-m", str(mem_mb), f"--lcores={lcores}"]
    if not huge:
        args.append("--no-huge")
    args += [f"--vdev={v}" for v in vdevs]
    return args
