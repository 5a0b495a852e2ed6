#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build, once, the ntcorral arm64 kernel: Debian's linux-source-6.12
# cross-built with gcc-aarch64-linux-gnu, tinyconfig plus the fragment
# selftests/vm/arm64.config (a plain SMP PREEMPT kernel for QEMU's virt
# machine: GICv3, PSCI, PL011, virtio-mmio console, the generic ECAM PCI
# host, CPU hotplug, event tracing), and optionally the module against it.
# Its own script, not a flag of debug-kernel.sh: that script's build steps
# are hashed into the x86 kernels' cache keys.
#
# usage: selftests/vm/arm64-kernel.sh [--module DIR] [--config-only] [--prune]
#
# Prints, on stdout, key=value lines (everything else goes to stderr):
#   key=            the cache key: package version + hash of the fragment,
#                   of this script's build steps and of the cross compiler
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
fragments=("$here/arm64.config")
flavour=arm64-kernel
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
jobs=${NTCORRAL_DEBUG_KERNEL_JOBS:-2}
cross=aarch64-linux-gnu-
tools=(build-essential bc flex bison libelf-dev libssl-dev kmod cpio xz-utils gcc-aarch64-linux-gnu)

module_dir='' config_only=0 prune=0
usage() {
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"
}
say() {
	echo "arm64-kernel: $*" >&2
}
die() {
	say "$*"
	exit 1
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

# --- dependencies -----------------------------------------------------------

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
missing=()
for p in "$pkg" "${tools[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or install them"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
fi
[ -f "$tarball" ] || die "$tarball not found (is $pkg installed?)"

# --- the cache key ----------------------------------------------------------

version=$(dpkg-query -W -f='${Version}' "$pkg")
steps=$(sed -n '/^# ==== build steps/,/^# ==== end of build steps/p' "$self")
hash=$( { cat "${fragments[@]}"; echo "$steps"; "${cross}gcc" --version | head -n 1; } | sha256sum | cut -c1-12)
key="$(tr -c 'A-Za-z0-9.+\n-' _ <<<"$version")-$hash"

if [ -n "${NTCORRAL_DEBUG_KERNEL_CACHE:-}" ]; then
	cache=$NTCORRAL_DEBUG_KERNEL_CACHE/$flavour
elif [ "$(id -u)" -eq 0 ]; then
	cache=/var/cache/ntcorral/$flavour
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/ntcorral/$flavour
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
dir=$cache/$key
src=$dir/src
log=$dir/build.log

if [ "$prune" -eq 1 ]; then
	for old in "$cache"/*/; do
		old=${old%/}
		[ "$old" != "$dir" ] || continue
		say "pruning $old ($(du -sh "$old" | cut -f1))"
		rm -rf "$old" "$cache/.lock-$(basename "$old")"
	done
fi

exec 9>"$cache/.lock-$key"
if ! flock -n 9; then
	say "another build of $key is running; waiting for it"
	flock 9
fi

print_paths() {
	echo "key=$key"
	echo "kernelrelease=$(cat "$src/include/config/kernel.release")"
	echo "image=$dir/Image"
	echo "kdir=$src"
	echo "log=$log"
}

# --- the build --------------------------------------------------------------

# ==== build steps (hashed into the cache key: edit and the kernel rebuilds)
kmake() {
	make -C "$src" ARCH=arm64 CROSS_COMPILE="$cross" "$@"
}

# wanted: the fragment's lines as merge_config.sh applies them
wanted() {
	awk '/^CONFIG_[A-Za-z0-9_]+=/ { s = $0; sub(/=.*/, "", s) }
	     /^# CONFIG_[A-Za-z0-9_]+ is not set/ { s = $2 }
	     s != "" { if (!(s in line)) order[n++] = s; line[s] = $0; s = "" }
	     END { for (i = 0; i < n; i++) print line[order[i]] }' "${fragments[@]}"
}

# check_fragment CONFIG: the wanted lines that CONFIG does not have as written
check_fragment() {
	local config=$1 line sym have bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*}
			grep -qxF -- "$line" "$config" && continue
			;;
		'# CONFIG_'*' is not set')
			sym=${line#\# } sym=${sym%% *}
			grep -q "^$sym=" "$config" || continue
			;;
		*) continue ;;
		esac
		have=$(grep -E "^$sym=|^# $sym is not set" "$config" || true)
		echo "  $line   (got: ${have:-absent: not visible with this config})"
		bad=1
	done < <(wanted)
	return "$bad"
}

configure() {
	# tinyconfig, then the fragment with allnoconfig semantics (-n)
	kmake tinyconfig >>"$log" 2>&1 || return 1
	cp "$src/.config" "$dir/tiny.config" || return 1
	(cd "$src" && ARCH=arm64 CROSS_COMPILE="$cross" scripts/kconfig/merge_config.sh -n \
		"$dir/tiny.config" "${fragments[@]}") >>"$log" 2>&1 || return 1
	local dropped
	if ! dropped=$(check_fragment "$src/.config"); then
		say "the configuration lost lines of ${fragments[*]##*/} (missing dependencies?):"
		echo "$dropped" >&2
		say "fix the fragment; the generated config is $src/.config"
		exit 1
	fi
}

build() {
	kmake -j"$jobs" Image modules >>"$log" 2>&1
	kmake modules_prepare >>"$log" 2>&1
	cp "$src/arch/arm64/boot/Image" "$dir/Image"
}
# ==== end of build steps

progress() {
	local pid=$1 ticks=0 n
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		ticks=$((ticks + 1))
		[ $((ticks % 12)) -eq 0 ] || continue
		n=$(grep -c '^  CC ' "$log" 2>/dev/null || true)
		say "  ... $((ticks / 12)) min, ${n:-0} files compiled"
	done
}

fail_log() {
	say "$1 failed; the end of $log:"
	grep -v '^  [A-Z]' "$log" | tail -n 40 | sed 's/^/  | /' >&2
	exit 1
}

if [ ! -f "$dir/.complete" ]; then
	t_start=$SECONDS
	mkdir -p "$dir"
	if [ ! -f "$dir/.extracted" ]; then
		say "extracting $pkg $version into $dir"
		rm -rf "$src" "$dir/.configured"
		mkdir -p "$dir/tmp"
		tar -C "$dir/tmp" -xf "$tarball"
		mv "$dir/tmp/$pkg" "$src"
		rmdir "$dir/tmp"
		touch "$dir/.extracted"
	fi
	if [ ! -f "$dir/.configured" ]; then
		say "configuring: ARCH=arm64 tinyconfig + ${fragments[*]##*/} (log: $log)"
		: >"$log"
		configure || fail_log "the configuration"
		touch "$dir/.configured"
	fi
	if [ "$config_only" -eq 1 ]; then
		echo "key=$key"
		echo "config=$src/.config"
		exit 0
	fi
	say "building Image and modules with make -j$jobs (log: $log)"
	build &
	build_pid=$!
	progress "$build_pid" &
	progress_pid=$!
	rc=0
	wait "$build_pid" || rc=$?
	kill "$progress_pid" 2>/dev/null || true
	wait "$progress_pid" 2>/dev/null || true
	[ "$rc" -eq 0 ] || fail_log "the build"
	touch "$dir/.complete"
	t=$((SECONDS - t_start))
	say "built $key in $((t / 60))m$((t % 60))s; $(du -sh "$dir" | cut -f1) in $dir"
else
	say "cached: $dir"
	if [ "$config_only" -eq 1 ]; then
		echo "key=$key"
		echo "config=$src/.config"
		exit 0
	fi
fi

others=$(find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" | wc -l)
[ "$others" -eq 0 ] || say "note: $others other key(s) in $cache (--prune deletes them)"

print_paths

# --- the module against the arm64 tree -------------------------------------

if [ -n "$module_dir" ]; then
	mkdir -p "$module_dir"
	module_dir=$(cd "$module_dir" && pwd)
	if [ "$module_dir" = "$root" ] || { [ -n "$(ls -A "$module_dir")" ] &&
		[ ! -f "$module_dir/.ntcorral-debug-module" ]; }; then
		die "--module wants an empty directory of its own (or one an earlier --module made), not $module_dir"
	fi
	find "$module_dir" -mindepth 1 -delete
	touch "$module_dir/.ntcorral-debug-module"
	cp "$root/Kbuild" "$module_dir/"
	cp -r "$root/module" "$root/uapi" "$module_dir/"
	find "$module_dir" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	say "building ntcorral.ko against $src in $module_dir"
	if ! make -C "$src" ARCH=arm64 CROSS_COMPILE="$cross" M="$module_dir" -j"$jobs" modules \
		>"$module_dir/build.log" 2>&1; then
		say "the module did not build against $(cat "$src/include/config/kernel.release"):"
		grep -E 'error|warning|Error' "$module_dir/build.log" | head -n 60 >&2 || true
		say "whole log: $module_dir/build.log"
		exit 1
	fi
	if grep -q 'warning:' "$module_dir/build.log"; then
		say "compiler warnings:"
		grep -A3 'warning:' "$module_dir/build.log" | head -n 60 >&2
	fi
	echo "ko=$module_dir/ntcorral.ko"
fi
