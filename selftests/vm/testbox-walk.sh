#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test box (selftests/vm/testbox.sh): the README's "Using it on a
# real test box", command by command, as root in /root. One TAP line a step,
# its output above it ("#   "); the last line "# testbox: N passed, N
# failed". Exit 0 when every step passed.
#
# usage: testbox-walk.sh BUNDLE   (a git bundle of the repository)
set -u

bundle=$1
n=0 passed=0 failed=0
export HOME=/root

# step NAME COMMAND...: run it, its output shown, ok when it exits 0
step() {
	local name=$1 t0=$SECONDS rc
	shift
	n=$((n + 1))
	echo "# \$ $*"
	"$@" 2>&1 | sed 's/^/#   /'
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then
		echo "ok $n $name # $((SECONDS - t0)) s"
		passed=$((passed + 1))
	else
		echo "not ok $n $name # exit $rc after $((SECONDS - t0)) s"
		failed=$((failed + 1))
	fi
	return "$rc"
}

# The kselftests with the kernel's runner: ok when every program's line is
# "ok" (a skip, "ok ... # SKIP", says why), and there is one per program.
kselftests() {
	local log=/tmp/kselftest.log want
	sudo env PATH="$PWD/userspace/build:$PATH" NTCORRAL_KO="$PWD/ntcorral.ko" \
		/tmp/ksft/run_kselftest.sh -c ntcorral 2>&1 | tee "$log"
	want=$(wc -l </tmp/ksft/kselftest-list.txt)
	echo "programs: $want listed, $(grep -c '^ok ' "$log") ok ($(grep -c '^ok .*# SKIP' "$log") of them skipped), $(grep -c '^not ok ' "$log") not ok"
	[ "$(grep -c '^ok ' "$log")" = "$want" ] && ! grep -q '^not ok ' "$log"
}

echo "TAP version 13"
echo "# the box: $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release), kernel $(uname -r), $(nproc) CPUs"
cd /root || exit 1
step clone git clone -q -c advice.detachedHead=false "$bundle" ntcorral || exit 1
cd ntcorral || exit 1
echo "# at $(git log -1 --format='%h %s' | cut -c1-72)"

# "Using it on a real test box", as written.
step build make KDIR="/lib/modules/$(uname -r)/build" module client || exit 1
step insmod sudo insmod ntcorral.ko
step run_shootdown_all sudo userspace/build/ntcorral run shootdown --variant all
step debugfs cat /sys/kernel/debug/ntcorral/shootdown/dpc
step rmmod sudo rmmod ntcorral
step make_run_target_host make run TARGET=host
step kselftest_install make -C selftests install INSTALL_PATH=/tmp/ksft
step insmod_for_kselftests sudo insmod ntcorral.ko
step kselftests kselftests
grep -q '^ntcorral ' /proc/modules && sudo rmmod ntcorral
step make_install sudo make install
step modprobe sudo modprobe ntcorral
step installed_client_lists ntcorral list
step modprobe_r sudo modprobe -r ntcorral
step nothing_left_loaded sh -c '! grep "^ntcorral " /proc/modules'

echo "1..$n"
echo "# testbox: $passed passed, $failed failed"
[ "$failed" = 0 ]
