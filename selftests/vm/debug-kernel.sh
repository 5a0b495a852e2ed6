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
#                   of this script's build steps and of the compiler
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
fragments=("$here/debug.config")
flavour=debug-kernel
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
jobs=${NTCORRAL_DEBUG_KERNEL_JOBS:-2}
tools=(build-essential bc flex bison libelf-dev libssl-dev kmod cpio xz-utils)

module_dir='' config_only=0 prune=0
usage() {
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"
}
say() {
	echo "debug-kernel: $*" >&2
}
die() {
	say "$*"
	exit 1
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
# What the kernel depends on: the fragment, the build steps below (between
# the two markers), the compiler (external modules must be built with it).
steps=$(sed -n '/^# ==== build steps/,/^# ==== end of build steps/p' "$self")
hash=$( { cat "${fragments[@]}"; echo "$steps"; gcc --version | head -n 1; } | sha256sum | cut -c1-12)
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

# One build per key at a time; a second caller waits, then finds the cache.
exec 9>"$cache/.lock-$key"
if ! flock -n 9; then
	say "another build of $key is running; waiting for it"
	flock 9
fi

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

# --- the build --------------------------------------------------------------

# ==== build steps (hashed into the cache key: edit and the kernel rebuilds)
kmake() {
	make -C "$src" ARCH=x86_64 "$@"
}

# wanted: the fragments' lines as merge_config.sh applies them (a symbol a
# later fragment sets again takes that setting), in their order
wanted() {
	awk '/^CONFIG_[A-Za-z0-9_]+=/ { s = $0; sub(/=.*/, "", s) }
	     /^# CONFIG_[A-Za-z0-9_]+ is not set/ { s = $2 }
	     s != "" { if (!(s in line)) order[n++] = s; line[s] = $0; s = "" }
	     END { for (i = 0; i < n; i++) print line[order[i]] }' "${fragments[@]}"
}

# check_fragment CONFIG: every wanted line, as set (or as unset) in
# CONFIG; prints the lines that are not, with what CONFIG has instead.
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
	# tinyconfig, then the fragment on top with allnoconfig semantics
	# (merge_config.sh -n): every symbol neither of them sets is off, not
	# at its default, so no driver comes in that the fragment did not ask
	# for (olddefconfig would add VT, input, Intel MEI, cpufreq, ...).
	kmake tinyconfig >>"$log" 2>&1 || return 1
	cp "$src/.config" "$dir/tiny.config" || return 1
	(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n "$dir/tiny.config" "${fragments[@]}") >>"$log" 2>&1 ||
		return 1
	local dropped
	if ! dropped=$(check_fragment "$src/.config"); then
		say "the configuration lost lines of ${fragments[*]##*/} (missing dependencies?):"
		echo "$dropped" >&2
		say "fix the fragment; the generated config is $src/.config"
		exit 1
	fi
}

build() {
	kmake -j"$jobs" bzImage modules >>"$log" 2>&1
	kmake modules_prepare >>"$log" 2>&1
	rm -rf "$dir/modules"
	kmake INSTALL_MOD_PATH="$dir/modules" modules_install >>"$log" 2>&1
	cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
}
# ==== end of build steps

# progress PID: a line every minute while PID runs: elapsed, files compiled.
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
		say "configuring: tinyconfig + ${fragments[*]##*/} (log: $log)"
		: >"$log"
		configure || fail_log "the configuration"
		touch "$dir/.configured"
	fi
	if [ "$config_only" -eq 1 ]; then
		echo "key=$key"
		echo "config=$src/.config"
		exit 0
	fi
	say "building bzImage and modules with make -j$jobs (log: $log)"
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

# --- the module against the debug tree -------------------------------------

if [ -n "$module_dir" ]; then
	mkdir -p "$module_dir"
	module_dir=$(cd "$module_dir" && pwd)
	# Emptied first: only a directory that is empty or that an earlier
	# --module filled (its marker file), never the repository.
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
	if ! make -C "$src" M="$module_dir" -j"$jobs" modules >"$module_dir/build.log" 2>&1; then
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
