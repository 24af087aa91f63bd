#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# Run every test suite on the builds usertools/setup.sh made and print one
# closing line "N passed, N failed, N skipped". Exit status 1 if any failed.
#   unit  on build/      (gcc, release)
#   unit  on build-san/  (clang, ASan + UBSan)
#   unit  on build-uc/   (portable ucontext task switch)
#   fuzz  on build-fuzz/ (libFuzzer, each target for fuzz_seconds)
#   dts   on build/      (pytest + scapy end to end; root for the netns cases)
#   dts   on build-san/  (the same cases against the ASan + UBSan apps)
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
run_suite build-fuzz fuzz
rm -rf build/dts-junit build-san/dts-junit
run_suite build dts
run_suite build-san dts

# Count meson tests; for a dts file, count its pytest cases instead (from
# the junit XML it wrote), unless meson saw it fail without them.
/usr/bin/python3 - "${results[@]}" <<'PY'
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

passed = failed = skipped = 0
for path in sys.argv[1:]:
    # <build dir>/meson-logs/<base>.json; its dts junit files beside it
    junit_dir = Path(path).parent.parent / "dts-junit"
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"missing test log {path}: counted as a failure")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        r = t.get("result", "")
        # meson names tests "<project>:<suite> / <name>"
        suite, _, name = t.get("name", "").partition(" / ")
        xml = junit_dir / f"{name}.xml"
        if suite.endswith(":dts") and xml.exists():
            file_failed = 0
            for c in ET.parse(xml).getroot().iter("testcase"):
                if c.find("failure") is not None or c.find("error") is not None:
                    file_failed += 1
                elif c.find("skipped") is not None:
                    skipped += 1
                else:
                    passed += 1
            # meson failed the file (timeout, crash) with no failed case:
            # the file itself counts as one failure.
            if r not in ("OK", "SKIP") and file_failed == 0:
                file_failed = 1
            failed += file_failed
            continue
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"\n{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
