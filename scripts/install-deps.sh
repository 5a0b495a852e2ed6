#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what ntcorral needs (Debian). Idempotent; quiet when everything is
# already there.
#
# usage: scripts/install-deps.sh [--list] [host|selftests|all]
#   host  what building the module and the client on this box needs: the
#         compiler, the running kernel's headers, cmake, libnl, CLI11,
#         nlohmann-json, GoogleTest (make module client, make install)
#   selftests  also what building and running the kselftests on this box
#         needs: linux-source-6.1 (lib.mk, the harness, the runner), jq,
#         rsync (lib.mk's install), and for ynl_test.sh iproute2 (genl),
#         python3-yaml, python3-jsonschema and linux-source-6.12 (cli.py)
#   all   (default) also what the VM lanes need: Debian's stock kernel and
#         its headers, linux-source-6.1 (kselftest_harness.h, checkpatch),
#         linux-source-6.12 (the debug kernels, the YNL schema and tools),
#         Debian's PREEMPT_RT kernel and its headers (the RT lane),
#         qemu, busybox, cpio, python3-yaml, python3-jsonschema,
#         debootstrap (make check, make run, make bench, make check-testbox)
#         and the arm64 lane's cross compilers and qemu-system-arm (its
#         arm64 userspace is downloaded by selftests/vm/arm64-sysroot.sh)
#
# On a box without dpkg/apt-get it installs nothing: it prints the Debian
# package names it would have installed, so they can be found under the
# box's own names, and leaves the build to tell what is really missing.
# --list prints the set's Debian package names, one a line, and installs
# nothing (selftests/vm/testbox.sh builds its test box from it).
set -euo pipefail

list=
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
what=${1:-all}

host_pkgs=(
	build-essential cmake pkg-config kmod
	libnl-3-dev libnl-genl-3-dev libgtest-dev nlohmann-json3-dev libcli11-dev
)
# The running kernel's own headers, for its build tree, where Debian has
# them (a kernel not from Debian's archive has none: its build tree comes
# with it, or the module is built for the VM's kernel instead).
# The VM lanes build for the VM's kernel and need none of it.
running_headers=linux-headers-$(uname -r)
if [ "$what" = all ] || [ -n "$list" ] || [ -d "/lib/modules/$(uname -r)/build" ]; then
	:
elif command -v apt-cache >/dev/null && apt-cache show "$running_headers" >/dev/null 2>&1; then
	host_pkgs+=("$running_headers")
else
	echo "install-deps: no $running_headers in the archive and no /lib/modules/$(uname -r)/build: the module can only be built for another kernel (KDIR=)" >&2
fi

selftests_pkgs=(linux-source-6.1 xz-utils jq rsync iproute2 python3-yaml python3-jsonschema
	linux-source-6.12)

vm_pkgs=(
	bc flex bison libelf-dev libssl-dev python3-yaml python3-jsonschema
	linux-image-amd64 linux-headers-amd64 linux-source-6.12
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
	qemu-system-x86 busybox-static cpio rsync debootstrap e2fsprogs
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-system-arm
	ccache
)

case $what in
host) pkgs=("${host_pkgs[@]}") ;;
selftests) pkgs=("${host_pkgs[@]}" "${selftests_pkgs[@]}") ;;
all) pkgs=("${host_pkgs[@]}" "${selftests_pkgs[@]}" "${vm_pkgs[@]}") ;;
*)
	echo "install-deps: usage: $0 [--list] [host|selftests|all]" >&2
	exit 2
	;;
esac
if [ -n "$list" ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
	echo "install-deps: not a Debian system (no dpkg/apt-get); install these, by their names on this system:" >&2
	printf '  %s\n' "${pkgs[@]}" >&2
	exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
