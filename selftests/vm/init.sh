#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the ntcorral test VM: mount, load the module, run one command with
# its output on ttyS1 (arm64: hvc0), report its exit status on the console
# (ttyS0; arm64: ttyAMA0), power off.
#
# vm.sh writes /ntcorral/vm.conf: the module's name and `set -- <command>`.
# Lines for the host start with "NTCORRAL-" and are read by vm.sh from the
# console log; keep their format in step with vm.sh.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
export NTCORRAL_KO=/ntcorral/ntcorral.ko
export NTCORRAL_SELFTESTS=/ntcorral/selftests

mount -t devtmpfs -o mode=0755 devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ip link set lo up 2>/dev/null
hostname ntcorral-vm

uptime() {
	read -r up _ </proc/uptime
	echo "$up"
}

finish() {
	echo "NTCORRAL-EXIT: $1"
	poweroff -f
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}

# shellcheck disable=SC1091
. /ntcorral/vm.conf
# the command's output: the second serial port, or (arm64's virt machine has
# one PL011) the virtio console vm.sh names
out=${NTCORRAL_VM_OUT_TTY:-/dev/ttyS1}
stty -F "$out" 115200 raw -echo 2>/dev/null
if [ $# -eq 0 ]; then
	set -- "$NTCORRAL_SELFTESTS/run_tests.sh"
fi

if ! err=$(insmod "$NTCORRAL_KO" 2>&1); then
	echo "NTCORRAL-ERROR: insmod $NTCORRAL_KO failed: $err"
	finish 125
fi

echo "NTCORRAL-BOOTED: uptime=$(uptime)"
cd "$NTCORRAL_SELFTESTS" 2>/dev/null || cd /
("$@") </dev/null >"$out" 2>&1
rc=$?
cd /
echo "NTCORRAL-DONE: uptime=$(uptime)"

# Unloading is part of the test: a module that cannot go away has leaked a
# reference, and its exit path may warn.
if grep -q "^$NTCORRAL_VM_MODULE " /proc/modules; then
	if ! err=$(rmmod "$NTCORRAL_VM_MODULE" 2>&1); then
		echo "NTCORRAL-ERROR: rmmod $NTCORRAL_VM_MODULE failed after the command: $err"
	fi
fi
finish "$rc"
