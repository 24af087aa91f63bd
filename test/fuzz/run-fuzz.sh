#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# run-fuzz.sh TARGET CORPUS SECONDS: fuzz for a bounded time on a scratch
# copy of the committed corpus; fail on any crash, sanitizer report or leak.
set -euo pipefail
target=$1 corpus=$2 secs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/
"$target" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
	"$work" 2>&1 | tail -25
