#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# Run every test suite on the builds usertools/setup.sh made and print one
# closing line "N passed, N failed, N skipped". Exit status 1 if any failed.
#   unit  on build/      (gcc, release)
#   unit  on build-san/  (clang, ASan + UBSan)
#   unit  on build-uc/   (portable ucontext task switch)
#   dts   on build/      (pytest + scapy end to end; root for the netns cases)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

results=()
run_suite() {
	local dir=$1 suite=$2 base="$2-$(basename "$1")"
	shift 2
	printf '\n=== meson test -C %s --suite %s\n' "$dir" "$suite"
	meson test -C "$dir" --suite "$suite" --logbase "$base" \
		--print-errorlogs "$@"
	results+=("$dir/meson-logs/$base.json")
}

# LeakSanitizer on: every unit test frees what it made (px_fini()).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_suite build unit
run_suite build-san unit --timeout-multiplier 4
run_suite build-uc unit
run_suite build dts

/usr/bin/python3 - "${results[@]}" <<'PY'
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"missing test log {path}: counted as a failure")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"\n{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
