#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build, once, the ntcorral arm64 kernel: Debian's linux-source-6.12
# cross-built with gcc-aarch64-linux-gnu, tinyconfig plus the fragment
# selftests/vm/arm64.config (a plain SMP PREEMPT kernel for QEMU's virt
# machine: GICv3, PSCI, PL011, virtio-mmio console, the generic ECAM PCI
# host, CPU hotplug, event tracing), and optionally the module against it.
# Its own script, not a flag of debug-kernel.sh: what the two share is
# selftests/vm/kernel-cache.sh.
#
# usage: selftests/vm/arm64-kernel.sh [--module DIR] [--config-only] [--prune]
#
# Prints, on stdout, key=value lines (everything else goes to stderr):
#   key=            the cache key: package version + hash of the fragment,
#                   of the build steps (this script's and those of
#                   kernel-cache.sh, which does the rest) and of the
#                   cross compiler
#   kernelrelease=  e.g. 6.12.118-ntcorral-arm64
#   image=          the kernel (arch/arm64/boot/Image), for vm.sh --kernel
#   kdir=           the build tree, for make ARCH=arm64 ... M=<dir> modules
#   log=            the build log
#   ko=             with --module: the ntcorral module built against kdir
#
# The first call installs what is missing (linux-source-6.12, the cross
# compiler, the build tools: root for apt-get), extracts the source into the
# cache (/var/cache/ntcorral/arm64-kernel/<key> as root, else
# ~/.cache/ntcorral/arm64-kernel; NTCORRAL_DEBUG_KERNEL_CACHE moves the root
# as for the other kernels), configures, checks that every line of the
# fragment survived, builds Image and modules with make -j2
# (NTCORRAL_DEBUG_KERNEL_JOBS) and keeps the tree as a KDIR. Later calls with
# the same key only print the paths.
#
#   --module DIR   copy Kbuild, module/ and uapi/ into DIR (created, emptied)
#                  and build ntcorral.ko there against the arm64 tree
#   --config-only  stop after the configuration and its check
#   --prune        delete the cache's other keys
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
name=arm64-kernel
fragments=("$here/arm64.config")
flavour=arm64-kernel
karch=arm64
cross=aarch64-linux-gnu-
image=Image
jobs=${NTCORRAL_DEBUG_KERNEL_JOBS:-2}
tools=(build-essential bc flex bison libelf-dev libssl-dev kmod cpio xz-utils gcc-aarch64-linux-gnu)
# shellcheck source=selftests/vm/kernel-cache.sh
. "$here/kernel-cache.sh"

module_dir='' config_only=0 prune=0
usage() {
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"
}
while [ $# -gt 0 ]; do
	case $1 in
	--module) [ $# -ge 2 ] || die "--module needs a directory"; module_dir=$2; shift 2 ;;
	--module=*) module_dir=${1#*=}; shift ;;
	--config-only) config_only=1; shift ;;
	--prune) prune=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "NTCORRAL_DEBUG_KERNEL_JOBS wants a positive integer"

# ==== build steps (hashed into the cache key: edit and the kernel rebuilds)
build() {
	kmake -j"$jobs" Image modules >>"$log" 2>&1
	kmake modules_prepare >>"$log" 2>&1
	cp "$src/arch/arm64/boot/Image" "$dir/Image"
}
# ==== end of build steps

print_paths() {
	echo "key=$key"
	echo "kernelrelease=$(cat "$src/include/config/kernel.release")"
	echo "image=$dir/Image"
	echo "kdir=$src"
	echo "log=$log"
}

kc_install_deps
kc_open_cache
kc_build
print_paths
kc_module
