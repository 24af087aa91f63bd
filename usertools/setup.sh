#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
#
# One entry point for a fresh Debian 12 machine (run as root):
#   usertools/setup.sh demo   install what is missing, build, run the echo
#                             demo (pollux-echo on net_tap, the kernel as the
#                             client) and print what it measured
#   usertools/setup.sh runtime-demo   the same for pollux-demo (runtime only)
#   usertools/setup.sh test   install what is missing, build, run every suite
#   usertools/setup.sh deps   only install packages and reserve hugepages
#   usertools/setup.sh build  deps + build (build/, build-san/, build-uc/, build-fuzz/)
# Safe to re-run: each step checks before it acts.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PACKAGES=(
	cargo
	clang
	dpdk
	dpdk-dev
	ethtool
	g++
	gcc
	gnuplot-nox
	iproute2
	iputils-ping
	libbenchmark-dev
	libclang-rt-14-dev
	libdpdk-dev
	libmemcached-tools
	librust-tokio-dev
	linux-perf
	llvm
	memcached
	meson
	netcat-openbsd
	nftables
	nginx-light
	ninja-build
	pkg-config
	python3
	python3-pytest
	python3-scapy
	redis-server
	redis-tools
	socat
	sockperf
	tcpdump
	tshark
	valgrind
	wrk
)
HUGEPAGES=${PX_HUGEPAGES:-512}   # 2 MiB pages: 1 GiB

say() { printf '\n=== %s\n' "$*"; }

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: run as root (apt-get, hugepages)" >&2
		exit 1
	fi
}

install_deps() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing: ${missing[*]}"
		apt-get update -q
		# Servers the tests run themselves (redis, nginx, memcached) are
		# not started as system services by their packages.
		local rcd=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			rcd=/usr/sbin/policy-rc.d
			printf '#!/bin/sh\nexit 101\n' > "$rcd"
			chmod +x "$rcd"
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
		[ -z "$rcd" ] || rm -f "$rcd"
	fi
}

setup_hugepages() {
	local have
	have=$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)
	if [ "${have:-0}" -lt "$HUGEPAGES" ]; then
		echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages || true
		have=$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)
		echo "hugepages: ${have} x 2 MiB reserved"
	fi
	if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages
		echo "hugetlbfs mounted on /dev/hugepages"
	fi
}

# meson setup once per build dir; later runs only rebuild.
build_dir() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@"
	fi
	ninja -C "$dir"
}

build() {
	say "build (gcc, release, -Werror)"
	build_dir build
	say "build-san (clang, ASan+UBSan, -Werror)"
	CC=clang CXX=clang++ build_dir build-san -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized -Dbench=disabled
	say "build-uc (portable ucontext task switch, as on non-x86 hosts)"
	build_dir build-uc -Dctx=ucontext -Dbench=disabled -Ddts=false
	say "build-fuzz (clang, libFuzzer + ASan/UBSan)"
	CC=clang CXX=clang++ build_dir build-fuzz -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized -Dbench=disabled -Ddts=false
}

run_echo_demo() {
	say "echo demo: pollux-echo on net_tap against the Linux stack"
	/usr/bin/python3 usertools/echo_demo.py build
}

run_demo() {
	say "pollux-demo: tasks on every lcore, cross-lcore rings, timer wheel"
	# Three lcores on the two cores, hugepage memory, adaptive idle.
	build/apps/demo/pollux-demo --no-pci --no-telemetry -m 512 \
		--lcores=0@0,1@1,2@0 --file-prefix=pollux-demo \
		--log-level=lib.eal:error -- "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
demo)
	need_root; install_deps; setup_hugepages; build; run_echo_demo ;;
runtime-demo)
	need_root; install_deps; setup_hugepages; build; run_demo "$@" ;;
test)
	need_root; install_deps; setup_hugepages; build; exec usertools/run-tests.sh "$@" ;;
deps)
	need_root; install_deps; setup_hugepages ;;
build)
	need_root; install_deps; setup_hugepages; build ;;
*)
	sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2 ;;
esac
