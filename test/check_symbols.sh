#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# Every global symbol a Pollux library defines starts with px_ (the public
# API, and px__ internals that cross a library boundary): linked into a
# user's program or preloaded into a server, Pollux must not bring names
# such as tcp_input or task_run. Fails listing each offender.
#
# usage: check_symbols.sh LIB.a|LIB.so ...
set -u
[ $# -gt 0 ] || { echo "usage: $0 LIB..." >&2; exit 2; }
bad=0
for lib in "$@"; do
	case "$lib" in
	*.so*) syms=$(nm -D --defined-only "$lib") ;;
	*) syms=$(nm -g --defined-only "$lib") ;;
	esac || { echo "nm failed on $lib" >&2; exit 1; }
	# "ADDR TYPE NAME" lines; archive member headers have one field
	out=$(printf '%s\n' "$syms" | awk 'NF == 3 && $3 !~ /^px_/ { print $3 }')
	n=$(printf '%s\n' "$syms" | awk 'NF == 3 && $3 ~ /^px_/' | wc -l)
	if [ -n "$out" ]; then
		echo "$lib: global symbols outside px_:"
		printf '  %s\n' $out
		bad=1
	else
		echo "$lib: $n global symbols, all px_"
	fi
	[ "$n" -gt 0 ] || { echo "$lib: no px_ symbol at all"; bad=1; }
done
exit $bad
