#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The test-box lane: the README's "Using it on a real test box", walked as a
# user walks it, on a full Debian system booted under QEMU.
#
# usage: selftests/vm/testbox.sh [--timeout S]
#
# The box is a Debian bookworm disk image made with debootstrap, built once
# and cached under /var/cache/ntcorral/testbox/ (rebuilt when its recipe
# below or the package list changes): systemd, Debian's stock kernel
# (linux-image-amd64) with its headers, git and sudo, and the packages that
# `scripts/install-deps.sh selftests` names, so that the box needs no
# network (the VM has none). It boots its own kernel and initrd from
# the image, the disk a throwaway snapshot, 4 vCPUs as the other lanes, 2 GiB. A second disk
# carries a git bundle of this repository's HEAD (what is committed, not the
# working tree) and testbox-walk.sh; a systemd unit of the image runs the
# walk after boot, its output on the second serial port (streamed here),
# and powers off. The walk clones the bundle and runs the README's commands:
# the build, the module by hand, `make run TARGET=host`, the kselftests
# installed and run with the kernel's run_kselftest.sh, `make install` and
# modprobe. Each step is a TAP line; the last line says "N passed, N
# failed". The kernel console is scanned for splats as vm.sh does
# (selftests/vm/splats.txt): one from the module's first load on fails the
# lane; one before it (the build) is shown, not counted.
#
# Exit status: 0 when every step passed and the console is clean.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=/var/cache/ntcorral/testbox
out=${NTCORRAL_VM_OUT:-$here/out}/testbox
timeout=5400

die() {
	echo "testbox: $*" >&2
	exit 125
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; timeout=$2; shift 2 ;;
	*) die "unknown argument $1 (usage: $0 [--timeout S])" ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, the image)"
for tool in debootstrap mkfs.ext4 qemu-system-x86_64 git timeout; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install debootstrap e2fsprogs qemu-system-x86 git"
done

# --- the image --------------------------------------------------------------

# What the box has: systemd (a full system, debugfs mounted by it), the
# stock kernel with its headers, and what install-deps.sh names for a box
# that builds and runs the selftests.
mapfile -t box_pkgs < <("$root/scripts/install-deps.sh" --list selftests)
box_pkgs+=(systemd-sysv udev linux-image-amd64 linux-headers-amd64 git ca-certificates sudo e2fsprogs)

# The box's job once it is up: mount the walk's disk, run the walk with
# its output on ttyS1, say how it ended on the console, power off. (The
# runner's text is the box's, expanded there.)
unit='[Unit]
Description=ntcorral test-box walk
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ntcorral-testbox
[Install]
WantedBy=multi-user.target'
# shellcheck disable=SC2016
runner='#!/bin/sh
mkdir -p /walk
mount -o ro /dev/vdb /walk || echo "NTCORRAL-ERROR: cannot mount the walk disk" >/dev/ttyS0
echo "NTCORRAL-BOOTED: uptime=$(cut -d" " -f1 /proc/uptime)" >/dev/ttyS0
/walk/testbox-walk.sh /walk/ntcorral.bundle >/dev/ttyS1 2>&1 </dev/null
echo "NTCORRAL-EXIT: $?" >/dev/ttyS0
systemctl poweroff --force'
# The box's name resolves (sudo asks, and says so on every call otherwise).
hosts='127.0.0.1 localhost
127.0.1.1 ntcorral-testbox'
# The box's archives, as a Debian 12 install has them: linux-source-6.12
# (the kernel's YNL tools, for ynl_test.sh) is only in the security one.
sources='deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian-security bookworm-security main'
recipe=$(printf '%s\n' "${box_pkgs[@]}" "$unit" "$runner" "$hosts" "$sources" | sha256sum | cut -c1-16)

if [ "$(cat "$cache/recipe" 2>/dev/null)" != "$recipe" ]; then
	echo "testbox: building the Debian image (debootstrap bookworm, once; cached in $cache)" >&2
	rm -rf "$cache"
	mkdir -p "$cache"
	rootfs=$cache/rootfs
	t0=$SECONDS
	# debootstrap reads the main archive only: what is not there (this
	# host's apt says where each package comes from) is installed after,
	# with the box's own apt and both archives.
	main_pkgs=() later_pkgs=()
	for p in "${box_pkgs[@]}"; do
		if apt-cache madison "$p" 2>/dev/null | grep -q ' bookworm/main '; then
			main_pkgs+=("$p")
		else
			later_pkgs+=("$p")
		fi
	done
	debootstrap --variant=minbase --include="$(IFS=,; echo "${main_pkgs[*]}")" \
		bookworm "$rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed; its log: $cache/debootstrap.log"
	printf '%s\n' "$sources" >"$rootfs/etc/apt/sources.list"
	if [ ${#later_pkgs[@]} -gt 0 ]; then
		mount -t proc proc "$rootfs/proc"
		st=0
		{ chroot "$rootfs" apt-get update &&
		  chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "${later_pkgs[@]}" &&
		  chroot "$rootfs" apt-get clean; } >>"$cache/debootstrap.log" 2>&1 || st=$?
		umount "$rootfs/proc"
		[ "$st" -eq 0 ] || die "apt-get install ${later_pkgs[*]} in the image failed; its log: $cache/debootstrap.log"
	fi
	echo "ntcorral-testbox" >"$rootfs/etc/hostname"
	printf '%s\n' "$hosts" >"$rootfs/etc/hosts"
	echo "/dev/vda / ext4 rw 0 1" >"$rootfs/etc/fstab"
	printf '%s\n' "$unit" >"$rootfs/etc/systemd/system/ntcorral-testbox.service"
	mkdir -p "$rootfs/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/ntcorral-testbox.service \
		"$rootfs/etc/systemd/system/multi-user.target.wants/ntcorral-testbox.service"
	printf '%s\n' "$runner" >"$rootfs/usr/local/sbin/ntcorral-testbox"
	chmod 755 "$rootfs/usr/local/sbin/ntcorral-testbox"
	# No login prompt on the console, no network to wait for.
	rm -f "$rootfs/etc/systemd/system/getty.target.wants/"*
	kernel=$(find "$rootfs/boot" -name 'vmlinuz-*' | sort -V | tail -n 1)
	initrd=$(find "$rootfs/boot" -name 'initrd.img-*' | sort -V | tail -n 1)
	if [ -z "$kernel" ] || [ -z "$initrd" ]; then
		die "the image has no kernel or initrd in /boot"
	fi
	cp "$kernel" "$cache/vmlinuz"
	cp "$initrd" "$cache/initrd.img"
	# Room for the clone, its build and the kselftest tree.
	size_mb=$(($(du -sm "$rootfs" | cut -f1) + 3072))
	mkfs.ext4 -q -F -L ntcorral-box -d "$rootfs" "$cache/disk.img" "${size_mb}M" ||
		die "mkfs.ext4 -d failed"
	rm -rf "$rootfs"
	echo "$recipe" >"$cache/recipe"
	echo "testbox: image built in $((SECONDS - t0)) s ($(du -sm "$cache/disk.img" | cut -f1) MiB)" >&2
fi

# --- the walk's disk ----------------------------------------------------------

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/walk"
git -C "$root" bundle create "$stage/walk/ntcorral.bundle" HEAD 2>/dev/null ||
	die "git bundle failed (is $root a git checkout?)"
install -m 755 "$here/testbox-walk.sh" "$stage/walk/testbox-walk.sh"
mkfs.ext4 -q -F -L ntcorral-walk -d "$stage/walk" "$stage/walk.img" 64M

# --- boot ---------------------------------------------------------------------

log=$out/console.log
: >"$log"
echo "testbox: booting the Debian image ($(basename "$(readlink -f "$cache/vmlinuz")"), 4 vCPUs under TCG); the walk of $(git -C "$root" log -1 --format='%h %s' | cut -c1-60)" >&2
start=$SECONDS
set +e
timeout --foreground -k 10 "$timeout" \
	qemu-system-x86_64 -nodefaults -display none -no-reboot \
	-machine pc -accel tcg,thread=multi -cpu max -smp 4 -m 2048 \
	-kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0,115200 panic=-1 systemd.show_status=0" \
	-drive file="$cache/disk.img",if=virtio,format=raw,snapshot=on \
	-drive file="$stage/walk.img",if=virtio,format=raw,readonly=on \
	-chardev file,id=console,path="$log" -serial chardev:console \
	-chardev stdio,id=output -serial chardev:output \
	</dev/null | sed -u 's/\r//g' | tee "$out/walk.log"
qemu_rc=${PIPESTATUS[0]}
set -e

# --- verdict -------------------------------------------------------------------

rc=0
walk_rc=$(grep -a -o 'NTCORRAL-EXIT: [0-9]*' "$log" | tail -n 1 | tr -cd 0-9 || true)
if [ -z "$walk_rc" ]; then
	echo "testbox: the walk did not report its end (qemu exit $qemu_rc; $( [ "$qemu_rc" = 124 ] && echo "timed out after ${timeout}s" || echo "a panic?")); last console lines, from $log:" >&2
	tail -n 30 "$log" | sed 's/\r//g;s/^/  | /' >&2
	rc=125
elif [ "$walk_rc" != 0 ]; then
	rc=$walk_rc
fi
# From the first load of the module on, a splat fails the lane. Before it,
# the box only builds (a compiler under TCG, 4 vCPUs on the host's cores):
# a soft lockup there is the emulator starving a vCPU with nothing of ours
# in the kernel. It is shown, and said to be not counted.
splat=$(grep -v '^#' "$here/splats.txt" | paste -s -d '|')
first_load=$(grep -a -n -m 1 'ntcorral: loaded' "$log" | cut -d: -f1)
if [ -n "$first_load" ] &&
	head -n "$first_load" "$log" | grep -a -n -E "$splat" >"$out/splats-before-load"; then
	echo "testbox: kernel splat before the module was first loaded (console line $first_load; the build under TCG), not counted:" >&2
	head -n 5 "$out/splats-before-load" | sed 's/\r//g;s/^/  > /' >&2
fi
if tail -n +"${first_load:-1}" "$log" | grep -a -n -E "$splat" >"$out/splats" 2>/dev/null; then
	echo "testbox: kernel splat on the console with the module loaded or after ($(wc -l <"$out/splats") lines, numbered from console line ${first_load:-1}), from $log:" >&2
	head -n 20 "$out/splats" | sed 's/\r//g;s/^/  > /' >&2
	[ "$rc" -ne 0 ] || rc=1
fi
echo "testbox: ran $((SECONDS - start)) s; exit $rc" >&2
exit "$rc"
