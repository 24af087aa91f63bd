#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# usertools/soak.sh [MINUTES] [BUILD_DIR]: the soak (dts/tools/soak.py):
# pollux-echo against the Linux stack in a namespace for MINUTES (30 by
# default) of bulk streams, a latency-watched control flow, connection
# churn, slow readers, SYN floods and fragment floods, with loss,
# duplication, reordering and corruption injected both ways; then checks
# byte-exactness, the control flow's latency, and that no connection or
# mbuf is left. Run as root after a build (usertools/setup.sh). Every
# process it starts is in a process group it kills on exit; the
# namespace and the app go with it. Exit status 0 on PASS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-30}
build=${2:-$root/build}
case $minutes in ''|*[!0-9]*) echo "usage: $0 [MINUTES] [BUILD_DIR]" >&2; exit 2;; esac
exec /usr/bin/python3 "$root/dts/tools/soak.py" --seconds $((minutes * 60)) \
	--build "$build"
