# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Where things are, and what this machine can do."""

from __future__ import annotations

import os
from pathlib import Path

# EAL arguments every app gets here: never probe PCI (the VM's own NIC),
# no telemetry socket, quiet EAL.
EAL_BASE = ["--no-pci", "--no-telemetry", "--log-level=lib.eal:error"]


def build_dir() -> Path:
    """The meson build directory (PX_BUILD_DIR, else ./build)."""
    return Path(os.environ.get("PX_BUILD_DIR",
                               Path(__file__).parents[2] / "build"))


def source_dir() -> Path:
    """The source tree (PX_SOURCE_DIR, else this checkout)."""
    return Path(os.environ.get("PX_SOURCE_DIR", Path(__file__).parents[2]))


def sanitized() -> bool:
    """Whether the build under test has ASan/UBSan (b_sanitize)."""
    import json
    info = build_dir() / "meson-info" / "intro-buildoptions.json"
    try:
        opts = json.loads(info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(o.get("name") == "b_sanitize" and o.get("value") not in
               ("none", "", [], None) for o in opts)


def hugepages_missing() -> str:
    """Why hugepages cannot be used, or "" when they can."""
    total = 0
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("HugePages_Total:"):
                total = int(line.split()[1])
    if total == 0:
        return "no 2 MiB hugepages reserved (usertools/setup.sh deps)"
    with open("/proc/mounts", encoding="ascii") as f:
        if not any(" hugetlbfs " in line for line in f):
            return "hugetlbfs not mounted (usertools/setup.sh deps)"
    if os.geteuid() != 0:
        return "hugepages need root"
    return ""
