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
rc=0
"$target" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
	"$work" > "$work/log" 2>&1 || rc=$?
# On failure the whole report (and the crashing input, hex) matters.
if [ "$rc" -ne 0 ]; then
	cat "$work/log"
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -f "$a" ] && { echo "input $a:"; od -A x -t x1z "$a" | head -40; }
	done
	exit 1 # never 77: meson would read that as "skipped"
fi
tail -15 "$work/log"
