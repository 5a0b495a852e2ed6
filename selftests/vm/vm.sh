#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a throwaway QEMU VM with ntcorral.ko loaded and run one command in it.
#
# usage: selftests/vm/vm.sh [--smp N] [--kernel PATH] [--memory MB]
#                           [--timeout S] [--console FILE] [--arch ARCH]
#                           [--] [command ...]
#        selftests/vm/vm.sh --stock-kver
#
# The stock kernel, booted unless --kernel says otherwise, is the newest
# installed Debian bookworm kernel of the 6.1 series (linux-image-amd64),
# never a 6.12 or -rt one installed beside it: those are other lanes.
# --stock-kver prints its version (what /lib/modules calls it) and exits.
#
# The VM is a busybox initramfs (built in selftests/vm/out/) whose PID 1,
# init.sh, mounts proc/sys/dev/debugfs/tmp, inserts the module, runs the
# command (default: the selftest runner) with stdout and stderr on the second
# serial port, which is streamed here to stdout, reports the command's exit
# status on the kernel console and powers off. The kernel console goes to a
# file (selftests/vm/out/console.log), which is scanned for splats afterwards.
#
# Inside the VM: the module is /ntcorral/ntcorral.ko ($NTCORRAL_KO), the
# selftests directory /ntcorral/selftests ($NTCORRAL_SELFTESTS, also the
# command's working directory), the client /usr/bin/ntcorral; busybox applets
# and bash are on $PATH. The command runs as root, stdin /dev/null, stdout a
# tty. After it the module is unloaded if still loaded; failing that fails.
#
# --arch arm64 (or NTCORRAL_VM_ARCH=arm64) boots an arm64 kernel (--kernel:
# the Image that selftests/vm/arm64-kernel.sh prints; there is no stock one)
# under qemu-system-aarch64 -M virt,gic-version=3 -cpu max,pauth-impdef=on,
# the kernel console on the PL011 (ttyAMA0), the command's output on a
# virtio console (/dev/hvc0: QEMU 7.2's virt has one PL011). Its userspace
# (busybox, bash, jq, genl, python3 with yaml, their libraries) comes from the
# arm64 sysroot of selftests/vm/arm64-sysroot.sh; NTCORRAL_KO, NTCORRAL_CLIENT
# and NTCORRAL_SELFTESTS must then be arm64 builds (scripts/arm64-build.sh).
#
# Environment (for testing the harness itself, or other builds):
#   NTCORRAL_KO          module to load         (default: ./ntcorral.ko)
#   NTCORRAL_CLIENT      client binary; if missing the VM runs without it
#                                               (default: userspace/build/ntcorral)
#   NTCORRAL_SELFTESTS   selftests directory    (default: selftests/, less vm/)
#   NTCORRAL_KERNEL      same as --kernel       (default: the stock kernel)
#   NTCORRAL_VM_APPEND   extra kernel command line
#   NTCORRAL_VM_SPLAT_IGNORE  extended regex of console lines not to count as splats
#   NTCORRAL_VM_KCSAN_OURS    extended regex: a KCSAN report counts as a splat
#                        only if its title line matches (the KCSAN lane:
#                        '\[ntcorral\]', one of the racing accesses is in
#                        the module); the others, races between two accesses
#                        in the kernel's own code, are listed, not counted
#   NTCORRAL_VM_OUT      output directory       (default: selftests/vm/out)
#   NTCORRAL_VM_ARCH     x86_64 (default) or arm64, as --arch
#   NTCORRAL_VM_YNL      0: leave Python and the YNL tools out of the VM
#                        (only ynl_test.sh needs them; they are 34 of the
#                        initramfs's 47 MiB, which a debug kernel takes
#                        seconds to unpack at every boot); default 1
#   NTCORRAL_VM_STATUS   if set, a file to write key=value results into
#                        (status, exit, command_exit, splats, boot_s, run_s, total_s),
#                        and the first splat's head in FILE.splat
#
# Exit status: the command's, when the VM ran it and the console is clean;
# 1 if the command passed but the kernel splatted (BUG, WARNING, lockdep, ...);
# 124 on timeout; 125 when the harness could not get a result (missing input,
# qemu failure, insmod/rmmod failure, no status line: panic?).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

smp=4
memory=1024
timeout=600
kernel=${NTCORRAL_KERNEL:-}
console=
out=${NTCORRAL_VM_OUT:-$here/out}
arch=${NTCORRAL_VM_ARCH:-x86_64}
with_ynl=${NTCORRAL_VM_YNL:-1}

usage() {
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
	echo "vm: $*" >&2
	[ -z "${NTCORRAL_VM_STATUS:-}" ] || printf 'status=error\nexit=125\n' >"$NTCORRAL_VM_STATUS"
	exit 125
}

# The stock lane's kernel: Debian bookworm's own series, pinned.
stock_series=6.1
stock_kernel() {
	find /boot -maxdepth 1 -name "vmlinuz-$stock_series.*-amd64" | { grep -v -- '-rt-' || true; } | sort -V | tail -n 1
}

number() {
	[[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 wants a positive integer, not '$2'"
}

while [ $# -gt 0 ]; do
	case $1 in
	--smp|--kernel|--memory|--timeout|--console|--arch)
		[ $# -ge 2 ] || die "$1 needs a value (see --help)"
		opt=${1#--} val=$2
		shift 2
		;;
	--smp=*|--kernel=*|--memory=*|--timeout=*|--console=*|--arch=*)
		opt=${1%%=*} opt=${opt#--} val=${1#*=}
		shift
		;;
	-h|--help)
		usage
		exit 0
		;;
	--stock-kver)
		k=$(stock_kernel)
		[ -n "$k" ] || die "no /boot/vmlinuz-$stock_series.*-amd64: install linux-image-amd64"
		echo "${k#/boot/vmlinuz-}"
		exit 0
		;;
	--)
		shift
		break
		;;
	-*)
		die "unknown option '$1' (see --help)"
		;;
	*)
		break
		;;
	esac
	case $opt in
	smp) number --smp "$val"; smp=$val ;;
	memory) number --memory "$val"; memory=$val ;;
	timeout) number --timeout "$val"; timeout=$val ;;
	kernel) kernel=$val ;;
	console) console=$val ;;
	arch) arch=$val ;;
	esac
done

# --- inputs -----------------------------------------------------------------

case $arch in
x86_64|amd64) arch=x86_64 qemu=qemu-system-x86_64 ;;
arm64|aarch64) arch=arm64 qemu=qemu-system-aarch64 ;;
*) die "--arch wants x86_64 or arm64, not '$arch'" ;;
esac
for tool in "$qemu" busybox cpio timeout; do
	command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done
if [ "$arch" = arm64 ]; then
	[ -n "$kernel" ] || die "--arch arm64 needs --kernel: the Image of selftests/vm/arm64-kernel.sh"
	sysroot=$("$here/arm64-sysroot.sh" | sed -n 's/^sysroot=//p')
	[ -d "$sysroot" ] || die "no arm64 sysroot (selftests/vm/arm64-sysroot.sh failed)"
fi

ko=${NTCORRAL_KO:-$root/ntcorral.ko}
[ -f "$ko" ] || die "$(basename "$ko") not found at $ko: run make first (or set NTCORRAL_KO)"

if [ -z "$kernel" ]; then
	kernel=$(stock_kernel)
	[ -n "$kernel" ] || die "no /boot/vmlinuz-$stock_series.*-amd64: install linux-image-amd64 or pass --kernel"
fi
[ -f "$kernel" ] || die "kernel $kernel not found"
[ -r "$kernel" ] || die "cannot read $kernel (Debian makes it root-only): run as root or pass --kernel a readable copy"

# A module built against other headers than the booted kernel will not load;
# say so now rather than as an insmod error from inside the VM.
if command -v modinfo >/dev/null; then
	if [ "$arch" = arm64 ]; then
		# an uncompressed Image: the banner is in it as a string
		kver=$(grep -a -m 1 -o 'Linux version [^ ]*' "$kernel" | cut -d' ' -f3) || kver=
	else
		kver=$(dd if="$kernel" bs=1 skip=$(($(od -An -tu2 -j526 -N2 "$kernel") + 512)) count=128 status=none 2>/dev/null |
			tr '\0' '\n' | head -n 1 | cut -d' ' -f1) || kver=
	fi
	mver=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1) || mver=
	if [ -n "$kver" ] && [ -n "$mver" ] && [ "$kver" != "$mver" ]; then
		echo "vm: warning: $(basename "$ko") is built for $mver but the kernel is $kver" >&2
	fi
	modname=$(modinfo -F name "$ko" 2>/dev/null) || modname=
fi
[ -n "${modname:-}" ] || modname=$(basename "$ko" .ko | tr - _)

client=${NTCORRAL_CLIENT:-$root/userspace/build/ntcorral}
if [ ! -x "$client" ]; then
	echo "vm: warning: client $client not built: the VM will have no /usr/bin/ntcorral" >&2
	client=
fi

selftests=${NTCORRAL_SELFTESTS:-$root/selftests}
if [ $# -eq 0 ]; then
	[ -f "$selftests/run_tests.sh" ] ||
		die "$selftests/run_tests.sh not found: nothing to run (write the selftests, or give a command)"
	[ -x "$selftests/run_tests.sh" ] || die "$selftests/run_tests.sh is not executable"
fi

# --- initramfs --------------------------------------------------------------

mkdir -p "$out"
out=$(cd "$out" && pwd)
console=${console:-$out/console.log}
stage=$(mktemp -d "$out/vm.XXXXXX")
log=$stage/console.log
trap 'if [ -f "$log" ]; then mv -f "$log" "$console"; fi; rm -rf "$stage"' EXIT
rootfs=$stage/root
initrd=$stage/initramfs.cpio

mkdir -p "$rootfs"/{usr/bin,usr/sbin,usr/lib,usr/lib64,dev,proc,sys,tmp,run,root,etc,ntcorral}
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$rootfs/$d"
done

# install_elf SRC DEST: copy an executable and, via ldd, every shared library
# it needs (the dynamic loader included) to the same paths as on the host.
install_elf() {
	local src=$1 dest=$2 lib
	if [ -n "$dest" ]; then
		mkdir -p "$(dirname "$rootfs$dest")"
		cp -L "$src" "$rootfs$dest"
	fi
	# ldd fails on static executables; they need nothing.
	{ ldd "$src" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do
		[ -e "$rootfs$lib" ] && continue
		mkdir -p "$(dirname "$rootfs$lib")"
		cp -L "$lib" "$rootfs$lib"
	done
}

# install_foreign SRC DEST: an arm64 ELF from the sysroot and, by its
# NEEDED entries (readelf; the host's ldd cannot read it), every library it
# needs from the sysroot, recursively, to the same paths.
install_foreign() {
	local src=$1 dest=$2 lib path d
	if [ -n "$dest" ]; then
		mkdir -p "$(dirname "$rootfs$dest")"
		cp -L "$src" "$rootfs$dest"
	fi
	[ -e "$rootfs/usr/lib/ld-linux-aarch64.so.1" ] ||
		cp -L "$sysroot/usr/lib/ld-linux-aarch64.so.1" "$rootfs/usr/lib/"
	readelf -d "$src" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
	while read -r lib; do
		for d in /usr/lib/aarch64-linux-gnu /usr/lib; do
			path=$d/$lib
			[ -e "$sysroot$path" ] || continue
			if [ ! -e "$rootfs$path" ]; then
				mkdir -p "$rootfs$d"
				install_foreign "$sysroot$path" "$path"
			fi
			continue 2
		done
		echo "vm: warning: $lib (needed by ${src#"$sysroot"}) not in the arm64 sysroot" >&2
	done
}

# install_ynl YNL FROM INSTALLER PYVER: Python PYVER (Debian's, its
# standard library without the tests and GUI parts) and python3-yaml from
# the tree at FROM ("" for this host, else the arm64 sysroot), their ELF
# files by INSTALLER (install_elf or install_foreign), with the kernel's YNL
# tools from the tree at YNL (scripts/ynl-tools.sh) and our spec:
# ynl_test.sh drives the family with tools/net/ynl/cli.py.
install_ynl() {
	local ynl=$1 from=$2 installer=$3 pyver=$4 f
	"$installer" "$from/usr/bin/$pyver" "/usr/bin/$pyver"
	ln -sf "$pyver" "$rootfs/usr/bin/python3"
	mkdir -p "$rootfs/usr/lib/$pyver" "$rootfs/usr/lib/python3/dist-packages"
	tar -C "$from/usr/lib/$pyver" --exclude=__pycache__ --exclude=./test \
		--exclude=./idlelib --exclude=./tkinter --exclude=./ensurepip \
		--exclude=./lib2to3 --exclude=./pydoc_data --exclude=./turtledemo \
		--exclude='./config-*' --exclude=./site-packages --exclude=./venv \
		--exclude=tests -cf - . | tar -C "$rootfs/usr/lib/$pyver" -xf -
	cp -r "$from/usr/lib/python3/dist-packages/yaml" "$rootfs/usr/lib/python3/dist-packages/"
	while IFS= read -r -d '' f; do
		"$installer" "$f" ""
	done < <(find "$rootfs/usr/lib/$pyver/lib-dynload" \
		"$rootfs/usr/lib/python3/dist-packages/yaml" -name '*.so' -print0)
	mkdir -p "$rootfs/ntcorral/ynl/lib" "$rootfs/ntcorral/ynl/specs"
	cp "$ynl/tools/net/ynl/cli.py" "$rootfs/ntcorral/ynl/"
	cp "$ynl"/tools/net/ynl/lib/*.py "$rootfs/ntcorral/ynl/lib/"
	cp "$root/Documentation/netlink/specs/ntcorral.yaml" "$rootfs/ntcorral/ynl/specs/"
}

if [ "$arch" = arm64 ]; then
	# the host's busybox (the same 1.35.0) only lists the applets
	bb=$(command -v busybox)
	install_foreign "$sysroot/usr/bin/busybox" /usr/bin/busybox
	"$bb" --list-full | while read -r applet; do
		[ -e "$rootfs/$applet" ] || [ -L "$rootfs/$applet" ] || ln -s /usr/bin/busybox "$rootfs/$applet"
	done
	rm -f "$rootfs/usr/bin/bash" "$rootfs/usr/sbin/genl"
	install_foreign "$sysroot/usr/bin/jq" /usr/bin/jq
	install_foreign "$sysroot/usr/sbin/genl" /usr/sbin/genl
	install_foreign "$sysroot/usr/bin/bash" /usr/bin/bash
	if [ "$with_ynl" = 0 ]; then
		:
	elif ynl=$("$root/scripts/ynl-tools.sh"); then
		install_ynl "$ynl" "$sysroot" install_foreign python3.11
	else
		echo "vm: warning: no YNL tools: ynl_test.sh will fail in the VM" >&2
	fi
	install_elf=install_foreign
else
	bb=$(command -v busybox)
	install_elf "$bb" /usr/bin/busybox
	"$bb" --list-full | while read -r applet; do
		[ -e "$rootfs/$applet" ] || [ -L "$rootfs/$applet" ] || ln -s /usr/bin/busybox "$rootfs/$applet"
	done
	# jq: the shell tests read JSON with it.
	jq=$(command -v jq) || die "jq not found: run scripts/install-deps.sh"
	install_elf "$jq" /usr/bin/jq
	# iproute2's genl: ynl_test.sh reads the family's policy dump with it.
	if genl=$(command -v genl); then
		rm -f "$rootfs/usr/sbin/genl"
		install_elf "$genl" /usr/sbin/genl
	else
		echo "vm: warning: no genl (iproute2) on this host: ynl_test.sh will fail in the VM" >&2
	fi
	py=/usr/bin/python3
	if [ "$with_ynl" = 0 ]; then
		:
	elif [ -x "$py" ] && ynl=$("$root/scripts/ynl-tools.sh"); then
		install_ynl "$ynl" "" install_elf \
			"$("$py" -c 'import sys; print("python%d.%d" % sys.version_info[:2])')"
	else
		echo "vm: warning: no Debian python3 or YNL tools: ynl_test.sh will fail in the VM" >&2
	fi
	# bash for the test scripts that want it; busybox stays /bin/sh.
	if bash=$(command -v bash); then
		rm -f "$rootfs/usr/bin/bash"
		install_elf "$bash" /usr/bin/bash
	fi
	install_elf=install_elf
fi

# strip_debug FILE: drop the debug sections of a program copied into the
# VM (the client's RelWithDebInfo build is 25 MiB, 0.9 MiB without them;
# every boot unpacks the initramfs). Symbols stay, for backtraces.
strip="strip"
[ "$arch" != arm64 ] || strip=aarch64-linux-gnu-strip
strip_debug() {
	command -v "$strip" >/dev/null || return 0
	"$strip" --strip-debug "$1" || die "$strip --strip-debug $1 failed"
}

install -m 0755 "$here/init.sh" "$rootfs/init"
cp "$ko" "$rootfs/ntcorral/ntcorral.ko"
if [ -n "$client" ]; then
	"$install_elf" "$client" /usr/bin/ntcorral
	strip_debug "$rootfs/usr/bin/ntcorral"
fi

mkdir -p "$rootfs/ntcorral/selftests"
if [ -d "$selftests" ]; then
	tar -C "$selftests" --exclude=./vm -cf - . | tar -C "$rootfs/ntcorral/selftests" -xf -
	while IFS= read -r -d '' f; do
		if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			"$install_elf" "$f" ""
			strip_debug "$f"
		fi
	done < <(find "$rootfs/ntcorral/selftests" -type f -perm -u+x -print0)
fi

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"

# The command, one single-quoted word per argument, for init to source.
quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}
{
	echo "NTCORRAL_VM_MODULE=$(quote "$modname")"
	[ "$arch" != arm64 ] || echo "NTCORRAL_VM_OUT_TTY=/dev/hvc0"
	printf 'set --'
	for arg in "$@"; do
		printf ' %s' "$(quote "$arg")"
	done
	printf '\n'
} >"$rootfs/ntcorral/vm.conf"

# cpio_entry NAME MODE MAJOR MINOR NLINK: one empty newc archive entry. Used to
# append /dev/console (so init has a console from its first line) and the
# trailer to the archive without mknod, which would need root.
cpio_entry() {
	local name=$1 mode=$2 major=$3 minor=$4 nlink=$5
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 "$mode" 0 0 "$nlink" 0 0 0 0 "$major" "$minor" $((${#name} + 1)) 0 "$name"
	# header (110) + name + NUL, padded to 4
	local pad=$(((4 - (110 + ${#name} + 1) % 4) % 4))
	head -c "$pad" /dev/zero
}
(
	cd "$rootfs"
	find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet
	cpio_entry dev/console $((8#020600)) 5 1 1
	cpio_entry TRAILER!!! 0 0 0 1
) >"$initrd"

# --- boot -------------------------------------------------------------------

append="console=ttyS0,115200 panic=-1 softlockup_panic=0 rdinit=/init ${NTCORRAL_VM_APPEND:-}"
[ "$arch" != arm64 ] || append="console=ttyAMA0 panic=-1 softlockup_panic=0 rdinit=/init ${NTCORRAL_VM_APPEND:-}"
# qemu writes the console into this run's own directory, so that runs side by
# side cannot mix up their logs; $console points at it for following it live
# (tail -F) and becomes the log itself at the end.
mkdir -p "$(dirname "$console")"
ln -sfn "$log" "$console"
console_field() {
	grep -a -o "NTCORRAL-$1: [^ ]*" "$log" | tail -n 1 | sed 's/.*: //;s/^uptime=//' || true
}
start=$(date +%s.%N)
# A kernel that dies before init starts (no BOOTED line: nothing of ours,
# neither the module nor a test, has run yet) is booted once more. Seen: an
# "Oops: int3" in sched_clock_cpu() while the kernel flips a static key at
# boot (text_poke_bp under QEMU 7.2's multi-threaded TCG), 1 boot in ~40.
# The dead boot's console is kept beside the log and the retry is said.
for boot_try in 1 2; do
	echo "vm: booting $(basename "$kernel") with $smp vCPUs under TCG ($(du -k "$initrd" | cut -f1) KiB initramfs)" >&2
	: >"$log"
	set +e
	# stdin is /dev/null whatever ours is: the VM reads nothing, and a closed or
	# terminal stdin must not matter. ttyS1 arrives with \r\n line ends.
	if [ "$arch" = arm64 ]; then
		# virt's virtio-mmio transports carry a virtio-serial bus whose
		# one console port is the guest's /dev/hvc0
		timeout --foreground -k 10 "$timeout" \
			qemu-system-aarch64 -nodefaults -display none -no-reboot \
			-machine virt,gic-version=3 -accel tcg,thread=multi \
			-cpu max,pauth-impdef=on -smp "$smp" -m "$memory" \
			-kernel "$kernel" -initrd "$initrd" -append "$append" \
			-chardev file,id=console,path="$log" -serial chardev:console \
			-device virtio-serial-device -chardev stdio,id=output \
			-device virtconsole,chardev=output \
			</dev/null | sed -u 's/\r//g'
	else
		timeout --foreground -k 10 "$timeout" \
			qemu-system-x86_64 -nodefaults -display none -no-reboot \
			-machine pc -accel tcg,thread=multi -cpu max -smp "$smp" -m "$memory" \
			-kernel "$kernel" -initrd "$initrd" -append "$append" \
			-chardev file,id=console,path="$log" -serial chardev:console \
			-chardev stdio,id=output -serial chardev:output \
			</dev/null | sed -u 's/\r//g'
	fi
	qemu_rc=${PIPESTATUS[0]}
	set -e
	if [ "$boot_try" != 1 ] || [ -n "$(console_field BOOTED)" ] ||
		[ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ] ||
		! grep -a -q -E 'Oops|Kernel panic' "$log"; then
		break
	fi
	cp "$log" "$console.dead-boot"
	echo "vm: the kernel died before init started, nothing of ours run yet ($(grep -a -m 1 -o -E 'Oops: [^[]*|Kernel panic - [^[:cntrl:]]*' "$log")); booting once more; that console: $console.dead-boot" >&2
done
end=$(date +%s.%N)

# --- verdict ----------------------------------------------------------------

total=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
booted=$(console_field BOOTED)
done_at=$(console_field DONE)
cmd_rc=$(console_field EXIT | tr -cd 0-9)

status=ok
if [ -z "$cmd_rc" ]; then
	if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
		echo "vm: timed out after ${timeout}s, qemu killed (raise --timeout?); console: $console" >&2
		status=timeout rc=124
	else
		echo "vm: the VM stopped without reporting the command's exit status (qemu exit $qemu_rc; kernel panic?); last console lines, from $console:" >&2
		tail -n 40 "$log" | sed 's/\r//g;s/^/  | /' >&2
		status=no-status rc=125
	fi
else
	rc=$cmd_rc
fi

if grep -a -q 'NTCORRAL-ERROR:' "$log"; then
	grep -a 'NTCORRAL-ERROR:' "$log" | sed 's/\r//g;s/.*NTCORRAL-ERROR: /vm: /' >&2
	echo "vm: last console lines, from $console:" >&2
	grep -a -v 'NTCORRAL-' "$log" | tail -n 20 | sed 's/\r//g;s/^/  | /' >&2
	status=error
	[ "$rc" -ne 0 ] || rc=125
fi

# What counts as a splat: selftests/vm/splats.txt, one regex a line.
splat=$(grep -v '^#' "$here/splats.txt" | paste -s -d '|')
ignore=${NTCORRAL_VM_SPLAT_IGNORE:-}
hits=$(grep -a -n -E "$splat" "$log" | { if [ -n "$ignore" ]; then grep -a -v -E "$ignore"; else cat; fi; } | cut -d: -f1 || true)
# The module marks what it counts as an error "!!!" (a deadline hit, an
# invariant violated, an unload that had to wait). In a selftest run (from
# run_tests.sh's "ntcorral-test: runner begin" on) such a line is a splat
# unless a test declared it expected: between "ntcorral-test: expect !!!
# begin: WHY" and "... expect !!! end" (nested, closed at "ntcorral-test:
# program PROG end"), or the IRQL assertion a KUnit case trips on purpose.
# Other commands (make run, bench, lockdep's verdict) run wrong variants
# and short deadlines on purpose: not counted there.
bangs=$(awk '
	{ sub(/\r$/, "") }
	/ntcorral-test: runner begin$/ { on = 1; depth = 0; next }
	/ntcorral-test: expect !!! begin/ { depth++; next }
	/ntcorral-test: expect !!! end$/ { if (depth > 0) depth--; next }
	/ntcorral-test: program .* end$/ { depth = 0; next }
	# a KUnit case (ntc_test_*) trips the IRQL assertion on purpose, at
	# every load on a kernel with KUnit
	/ntcorral: !!! IRQL assertion: ntc_test_[a-z0-9_]+ ran at/ { next }
	on && depth == 0 && /ntcorral: .*!!!/ { print NR }
' "$log" || true)
if [ -n "$bangs" ]; then
	echo "vm: the module reported $(wc -l <<<"$bangs") '!!!' lines outside the tests' expected sections" >&2
	hits=$(printf '%s\n%s\n' "$hits" "$bangs" | sed '/^$/d' | sort -n -u)
fi
# The KCSAN lane judges ntcorral, not the kernel. A report's title line
# ("BUG: KCSAN: data-race in A / B", or "in A+0x.." for a race whose other
# side KCSAN could not see) names the two functions that raced, with
# " [ntcorral]" after one of the module's. A report whose title does not
# match NTCORRAL_VM_KCSAN_OURS is a race between two accesses in the kernel's
# own code (ktime_get_mono_fast_ns() read while the timekeeper updates it,
# say), even when the module called that code: its lines (the title to the
# closing "====" line) are listed here and taken out of the hits.
if [ -n "${NTCORRAL_VM_KCSAN_OURS:-}" ] && [ -n "$hits" ]; then
	# the regex from ENVIRON: awk -v would eat its backslashes
	theirs=$(awk '
		function flush() {
			if (start && !mine)
				for (i = start; i <= end; i++) print i
			start = 0
		}
		{ sub(/\r$/, "") }
		/BUG: KCSAN: / { start = NR; mine = ($0 ~ ENVIRON["NTCORRAL_VM_KCSAN_OURS"]) }
		start && NR > start && /==========/ { end = NR; flush() }
		END { if (start) { end = NR; flush() } }' "$log" || true)
	if [ -n "$theirs" ]; then
		echo "vm: KCSAN reports of races in the kernel's own code (the title does not match '$NTCORRAL_VM_KCSAN_OURS'), not counted:" >&2
		awk -v lines="$theirs" '
			BEGIN { n = split(lines, l, "\n"); for (i = 1; i <= n; i++) th[l[i]] = 1 }
			(NR in th) && /BUG: KCSAN: / { sub(/\r$/, ""); print "  " $0 }' "$log" >&2
		hits=$(comm -23 <(sort -u <<<"$hits") <(sort -u <<<"$theirs") | sort -n)
	fi
fi
splats=0
if [ -n "$hits" ]; then
	splats=$(wc -l <<<"$hits")
	echo "vm: kernel splat on the console ($splats matching lines, marked '>'), from $console:" >&2
	# Each hit with 3 lines before and 30 after, overlapping ranges merged.
	awk -v hits="$hits" '
		BEGIN { n = split(hits, h, "\n"); for (i = 1; i <= n; i++) hit[h[i]] = 1 }
		{ line[NR] = $0; sub(/\r$/, "", line[NR]) }
		END {
			last = 0
			for (i = 1; i <= NR; i++) {
				show = 0
				for (j = i - 30; j <= i + 3; j++) if (j in hit) { show = 1; break }
				if (!show) continue
				if (last && i > last + 1) print "  --"
				printf "  %s %s\n", (i in hit) ? ">" : "|", line[i]
				last = i
			}
		}' "$log" | head -n 400 >&2
	[ "$rc" -ne 0 ] || rc=1
	# For whoever reads only the end of a long log (make check repeats
	# it in its summary): the first splat's own line, where it was (RIP,
	# the module's or task's name) and the top of its stack.
	if [ -n "${NTCORRAL_VM_STATUS:-}" ]; then
		awk -v first="$(head -n 1 <<<"$hits")" '
			NR < first { next }
			{ sub(/\r$/, "") }
			NR == first || /RIP:|Comm:|Call Trace:|\]  [a-z_0-9.]+\+0x/ { print; n++ }
			n >= 14 || NR > first + 80 { exit }' "$log" >"$NTCORRAL_VM_STATUS.splat" || true
	fi
fi

if [ -n "$booted" ] && [ -n "$done_at" ]; then
	run=$(awk -v a="$booted" -v b="$done_at" 'BEGIN { printf "%.1f", b - a }')
	boot=$(awk -v t="$total" -v r="$run" 'BEGIN { printf "%.1f", t - r }')
	echo "vm: booted in ${boot}s (kernel ${booted}s), command ran ${run}s, total ${total}s; exit $rc" >&2
else
	run='' boot=''
	echo "vm: total ${total}s; exit $rc" >&2
fi

if [ -n "${NTCORRAL_VM_STATUS:-}" ]; then
	printf 'status=%s\nexit=%s\ncommand_exit=%s\nsplats=%s\nboot_s=%s\nrun_s=%s\ntotal_s=%s\n' \
		"$status" "$rc" "$cmd_rc" "$splats" "$boot" "$run" "$total" >"$NTCORRAL_VM_STATUS"
fi
exit "$rc"
