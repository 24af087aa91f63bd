#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# Hide a static library's internals. Its objects are linked into one
# relocatable object in which only px_* symbols stay global (the public API
# and the px__ internals that cross a library boundary); every other name
# becomes local, as a version script with "local: *;" does for a shared
# library. Linked into a user's DPDK program or preloaded into a server,
# Pollux then brings no name but px_* (test/check_symbols.sh checks it).
#
# usage: localize.sh LD OBJCOPY AR IN.a OUT.a
set -eu
[ $# -eq 5 ] || { echo "usage: $0 LD OBJCOPY AR IN.a OUT.a" >&2; exit 2; }
ld=$1 objcopy=$2 ar=$3 in=$4 out=$5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pxlocalize.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
obj="$tmp/$(basename "$out" .a | sed 's/^lib//').o"
"$ld" -r -o "$obj" --whole-archive "$in"
"$objcopy" --wildcard --keep-global-symbol='px_*' "$obj"
rm -f "$out"
"$ar" rcsD "$out" "$obj"
