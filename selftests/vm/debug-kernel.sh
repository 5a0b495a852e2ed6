#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build, once, the ntcorral debug kernel: Debian's linux-source-6.12 with
# tinyconfig plus the fragment selftests/vm/debug.config (lockdep, KASAN,
# atomic-sleep and preempt checks, CSD-lock, lockup and hung-task detectors,
# KUnit, kmemleak, tracing, lock and smp_call_function torture modules).
#
# usage: selftests/vm/debug-kernel.sh [--rt|--kcsan] [--module DIR] [--config-only] [--prune]
#
# Prints, on stdout, key=value lines (everything else goes to stderr):
#   key=            the cache key: package version + hash of the fragment,
#                   of the build steps (this script's and those of
#                   kernel-cache.sh, which does the rest) and of the
#                   compiler
#   kernelrelease=  e.g. 6.12.117-ntcorral-debug
#   bzImage=        the kernel, for vm.sh --kernel
#   kdir=           the build tree, for make -C <kdir> M=<dir> modules
#   modules=        lib/modules/<kernelrelease> of the installed modules
#                   (kernel/kernel/torture.ko, kernel/kernel/scftorture.ko,
#                   kernel/kernel/locking/locktorture.ko)
#   log=            the build log
#   ko=             with --module: the ntcorral module built against kdir
#
# The first call installs what is missing (linux-source-6.12, the build tools:
# root for apt-get), extracts the source into the cache, configures, checks
# that every line of the fragment survived (a line dropped for a missing
# dependency fails the build, listed), builds bzImage and modules with
# make -j2 (NTCORRAL_DEBUG_KERNEL_JOBS), installs the modules into the cache
# and keeps the tree as a KDIR: about 10 minutes on 2 cores, 2.0 GB. Later calls with
# the same key only print the paths. An interrupted build resumes where it
# stopped.
#
#   --rt           the debug RT kernel instead: the same fragment plus
#                  debug-rt.config (PREEMPT_RT), its own cache
#                  (.../debug-rt-kernel): where lockdep's wait-context
#                  check and DEBUG_ATOMIC_SLEEP see a spinlock_t sleep
#   --kcsan        the KCSAN kernel instead: the fragment plus
#                  debug-kcsan.config (KCSAN strict, weak-memory checks,
#                  no KASAN), its own cache (.../debug-kcsan-kernel)
#   --module DIR   also copy Kbuild, module/ and uapi/ into DIR (created,
#                  emptied) and build ntcorral.ko there against the debug
#                  tree; the repository's own ntcorral.ko is left alone
#   --config-only  stop after the configuration and its check (prints key=,
#                  config=)
#   --prune        delete the cache's other keys (older kernels, fragments)
#
# Environment:
#   NTCORRAL_DEBUG_KERNEL_CACHE  cache root (default /var/cache/ntcorral/
#                                debug-kernel as root, else ~/.cache/...)
#   NTCORRAL_DEBUG_KERNEL_JOBS   make -j (default 2)
#
# The selftests on the debug kernel:
#   eval "$(selftests/vm/debug-kernel.sh --module /tmp/ntc-debug)"
#   NTCORRAL_KO=$ko NTCORRAL_VM_APPEND=csdlock_debug=1 \
#       selftests/vm/vm.sh --kernel "$bzImage" --timeout 2400
# One command on it:
#   NTCORRAL_KO=$ko selftests/vm/vm.sh --kernel "$bzImage" -- \
#       sh -c 'cat /proc/version; grep -c . /proc/lockdep_stats'
# The torture modules: selftests/vm/debug-torture.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
name=debug-kernel
fragments=("$here/debug.config")
flavour=debug-kernel
karch=x86_64
cross=
image=bzImage
jobs=${NTCORRAL_DEBUG_KERNEL_JOBS:-2}
tools=(build-essential bc flex bison libelf-dev libssl-dev kmod cpio xz-utils)
# shellcheck source=selftests/vm/kernel-cache.sh
. "$here/kernel-cache.sh"

module_dir='' config_only=0 prune=0
usage() {
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"
}
while [ $# -gt 0 ]; do
	case $1 in
	--rt) fragments+=("$here/debug-rt.config"); flavour=debug-rt-kernel; shift ;;
	--kcsan) fragments+=("$here/debug-kcsan.config"); flavour=debug-kcsan-kernel; shift ;;
	--module) [ $# -ge 2 ] || die "--module needs a directory"; module_dir=$2; shift 2 ;;
	--module=*) module_dir=${1#*=}; shift ;;
	--config-only) config_only=1; shift ;;
	--prune) prune=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ ${#fragments[@]} -le 2 ] || die "--rt and --kcsan are two kernels: build them one at a time"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "NTCORRAL_DEBUG_KERNEL_JOBS wants a positive integer"
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "$f not found"
done

# ==== build steps (hashed into the cache key: edit and the kernel rebuilds)
build() {
	kmake -j"$jobs" bzImage modules >>"$log" 2>&1
	kmake modules_prepare >>"$log" 2>&1
	rm -rf "$dir/modules"
	kmake INSTALL_MOD_PATH="$dir/modules" modules_install >>"$log" 2>&1
	cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
}
# ==== end of build steps

print_paths() {
	local rel
	rel=$(cat "$src/include/config/kernel.release")
	echo "key=$key"
	echo "kernelrelease=$rel"
	echo "bzImage=$dir/bzImage"
	echo "kdir=$src"
	echo "modules=$dir/modules/lib/modules/$rel"
	echo "log=$log"
}

kc_install_deps
kc_open_cache
kc_build
print_paths
kc_module
