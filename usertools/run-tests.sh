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
#
# Options (for hunting flakes; CI runs with none):
#   --repeat N     run the whole selection N times; every run counts, and
#                  the tests that failed are listed with their run number
#   --suites LIST  comma-separated subset of unit,fuzz,dts (default: all)
#   --builds LIST  comma-separated subset of build dirs (default: all)
#   --hog N        keep N CPU-bound processes running beside the tests (a
#                  busy machine); they are killed when this script ends
#   --timeout-multiplier M   extra factor on every meson timeout
#   -t NAME        only the meson test NAME (repeatable), e.g. tcp_autotest
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

usage() { sed -n '14,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

repeat=1 suites=unit,fuzz,dts builds=build,build-san,build-uc,build-fuzz
hog=0 tmul=1 only=()
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=${2:?}; shift 2 ;;
	--suites) suites=${2:?}; shift 2 ;;
	--builds) builds=${2:?}; shift 2 ;;
	--hog) hog=${2:?}; shift 2 ;;
	--timeout-multiplier) tmul=${2:?}; shift 2 ;;
	-t) only+=("${2:?}"); shift 2 ;;
	-h|--help) usage ;;
	*) echo "run-tests.sh: unknown option $1" >&2; usage ;;
	esac
done
case "$repeat$hog" in *[!0-9]*) echo "run-tests.sh: --repeat and --hog take a number" >&2; exit 2 ;; esac
[ "$repeat" -ge 1 ] || repeat=1

want() { # want LIST ITEM
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

hog_pids=()
stop_hogs() {
	local p
	for p in "${hog_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${hog_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	hog_pids=()
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT TERM
for ((i = 0; i < hog; i++)); do
	/usr/bin/python3 -c 'while True: pass' &
	hog_pids+=($!)
done
[ "$hog" -gt 0 ] && printf 'CPU hogs running beside the tests: %s\n' "${hog_pids[*]}"

# results: "<meson json log>|<dts junit dir>|<run number>|<suite>"
results=()
run_suite() {
	local dir=$1 suite=$2 mul=$3 run=$4 base="$2-$(basename "$1")" t args=()
	[ -d "$dir" ] || { echo "run-tests.sh: no build dir $dir" >&2; results+=("$dir/missing|-|$run|$suite"); return; }
	[ "$repeat" -gt 1 ] && base="$base-r$run"
	for t in "${only[@]}"; do
		args+=("$t")
	done
	printf '\n=== meson test -C %s --suite %s%s\n' "$dir" "$suite" \
		"$([ "$repeat" -gt 1 ] && echo " (run $run of $repeat)")"
	rm -rf "$dir/dts-junit"
	meson test -C "$dir" --suite "$suite" --logbase "$base" \
		--print-errorlogs --timeout-multiplier "$(awk "BEGIN{print $mul * $tmul}")" \
		"${args[@]}"
	if [ "$suite" = dts ] && [ -d "$dir/dts-junit" ]; then
		rm -rf "$dir/dts-junit-$base"
		mv "$dir/dts-junit" "$dir/dts-junit-$base"
	fi
	results+=("$dir/meson-logs/$base.json|$dir/dts-junit-$base|$run|$suite")
}

# LeakSanitizer on: every unit test frees what it made (px_fini()).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for ((run = 1; run <= repeat; run++)); do
	want "$suites" unit && want "$builds" build && run_suite build unit 1 "$run"
	want "$suites" unit && want "$builds" build-san && run_suite build-san unit 4 "$run"
	want "$suites" unit && want "$builds" build-uc && run_suite build-uc unit 1 "$run"
	want "$suites" fuzz && want "$builds" build-fuzz && run_suite build-fuzz fuzz 1 "$run"
	want "$suites" dts && want "$builds" build && run_suite build dts 1 "$run"
	want "$suites" dts && want "$builds" build-san && run_suite build-san dts 1 "$run"
done
stop_hogs

# Count meson tests; for a dts file, count its pytest cases instead (from
# the junit XML it wrote), unless meson saw it fail without them.
/usr/bin/python3 - "${results[@]}" <<'PY'
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

passed = failed = skipped = 0
failures = []
for arg in sys.argv[1:]:
    path, junit, run, suite = arg.split("|")
    junit_dir = Path(junit)
    where = f"{Path(path).parent.parent.name} run {run}"
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"missing test log {path}: counted as a failure")
        failures.append(f"{where}: no test log")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        r = t.get("result", "")
        # meson names tests "<project>:<suite> / <name>", or just
        # "<name>" when a build has only one suite
        name = t.get("name", "").rpartition(" / ")[2]
        xml = junit_dir / f"{name}.xml"
        if suite == "dts" and xml.exists():
            file_failed = 0
            for c in ET.parse(xml).getroot().iter("testcase"):
                if c.find("failure") is not None or c.find("error") is not None:
                    file_failed += 1
                    failures.append(f"{where}: {name}::{c.get('name')}")
                elif c.find("skipped") is not None:
                    skipped += 1
                else:
                    passed += 1
            # meson failed the file (timeout, crash) with no failed case:
            # the file itself counts as one failure.
            if r not in ("OK", "SKIP") and file_failed == 0:
                file_failed = 1
                failures.append(f"{where}: {name} ({r})")
            failed += file_failed
            continue
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append(f"{where}: {name} ({r})")
if failures:
    print("\nfailed:")
    for f in failures:
        print(f"  {f}")
print(f"\n{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
