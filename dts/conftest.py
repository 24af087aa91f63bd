# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""Fixtures shared by the dts suite: where the build is, and what the
machine allows (root, hugepages). Topology fixtures (network namespaces
behind net_tap, memif pairs) join here as the network issues land."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lib import env  # noqa: E402


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
