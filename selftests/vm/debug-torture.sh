#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the kernel's own torture tests of what ntcorral builds on, on the debug
# kernel (selftests/vm/debug-kernel.sh), in the test VM: scftorture
# (smp_call_function*(), the IPIs under every experiment) and locktorture
# (spinlocks with and without interrupts, mutexes, rwsems, ...).
#
# usage: selftests/vm/debug-torture.sh [--seconds N] [--smp N] [--hotplug]
#                                      [--types LIST] [vm.sh options]
#
# Each test is insmod'ed, runs N seconds (default 10), is rmmod'ed, and passes
# when its module reported "End of test: SUCCESS" (the kernel's torture
# convention; FAILURE and LOCK_HOTPLUG fail). The VM's console is scanned
# for splats as for the selftests (lockdep, KASAN, CSD lock, lockups...). The
# VM boots with csdlock_debug=1. Output: TAP, one line per test, then
# "N passed, M failed". Exit status: vm.sh's.
#
#   --seconds N    how long each test runs
#   --smp N        vCPUs (default 4)
#   --hotplug      scftorture also offlines and onlines CPUs (onoff_interval)
#   --types LIST   locktorture's torture_type values, comma separated
#                  (default spin_lock,spin_lock_irq,raw_spin_lock_irq,
#                  rw_lock_irq,mutex_lock,rtmutex_lock,rwsem_lock)
#
# The ntcorral module is loaded as always in the VM: $NTCORRAL_KO when set
# (built for the debug kernel), else built against the debug tree by
# debug-kernel.sh --module into a temporary directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

seconds=10 smp=4 hotplug=0
types=spin_lock,spin_lock_irq,raw_spin_lock_irq,rw_lock_irq,mutex_lock,rtmutex_lock,rwsem_lock
vm_args=()
usage() {
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}
die() {
	echo "debug-torture: $*" >&2
	exit 125
}
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || die "--seconds needs a value"; seconds=$2; shift 2 ;;
	--smp) [ $# -ge 2 ] || die "--smp needs a value"; smp=$2; shift 2 ;;
	--types) [ $# -ge 2 ] || die "--types needs a value"; types=$2; shift 2 ;;
	--hotplug) hotplug=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) vm_args+=("$1"); shift ;;
	esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds wants a positive integer"
[[ $types =~ ^[a-z_,]+$ ]] || die "--types wants a comma-separated list of lock types"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -n "${NTCORRAL_KO:-}" ]; then
	paths=$("$here/debug-kernel.sh") || die "no debug kernel (see above)"
	ko=$NTCORRAL_KO
else
	paths=$("$here/debug-kernel.sh" --module "$tmp/ko") || die "no debug kernel or module (see above)"
	ko=$(sed -n 's/^ko=//p' <<<"$paths")
fi
bzImage=$(sed -n 's/^bzImage=//p' <<<"$paths")
modules=$(sed -n 's/^modules=//p' <<<"$paths")

# The VM copies NTCORRAL_SELFTESTS in: the torture modules and the script
# that runs them.
mkdir -p "$tmp/st/torture"
for m in kernel/kernel/torture.ko kernel/kernel/scftorture.ko kernel/kernel/locking/locktorture.ko; do
	[ -f "$modules/$m" ] || die "$modules/$m not found: is the debug kernel built with the torture tests =m?"
	cp "$modules/$m" "$tmp/st/torture/"
done
cat >"$tmp/st/torture/run.sh" <<'EOF'
#!/bin/sh
# In the VM: run each torture test for $1 seconds; TAP out.
secs=$1 hotplug=$2 types=$3
dir=/ntcorral/selftests/torture
n=0 pass=0 fail=0
echo "TAP version 13"
if ! insmod "$dir/torture.ko"; then
	echo "not ok 1 torture.ko # insmod failed"
	echo "1..1"
	echo "0 passed, 1 failed"
	exit 1
fi
# run NAME MODULE PARAM...: one test; its verdict is its "End of test:" line.
run() {
	name=$1 mod=$2
	shift 2
	n=$((n + 1))
	dmesg -c >/dev/null
	if ! err=$(insmod "$dir/$mod.ko" "$@" 2>&1); then
		echo "not ok $n $name # insmod: $err"
		fail=$((fail + 1))
		return
	fi
	sleep "$secs"
	if ! err=$(rmmod "$mod" 2>&1); then
		echo "not ok $n $name # rmmod: $err"
		fail=$((fail + 1))
		return
	fi
	end=$(dmesg | grep -o 'End of test: [A-Z_]*' | tail -n 1)
	# the test's last statistics line, for the log
	dmesg | grep -E 'Writes:|Reads:|scf_invoked_count|End of test' | tail -n 3 | sed 's/^/# /'
	if [ "$end" = "End of test: SUCCESS" ]; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		echo "not ok $n $name # ${end:-no End of test line}"
		fail=$((fail + 1))
	fi
}
if [ "$hotplug" = 1 ]; then
	# onoff_interval is in jiffies: 1 s at the fragment's HZ=250
	run scftorture scftorture stat_interval=0 onoff_holdoff=1 onoff_interval=250
else
	run scftorture scftorture stat_interval=0
fi
for t in $(echo "$types" | tr , ' '); do
	run "locktorture.$t" locktorture torture_type="$t" stat_interval=0 verbose=0
done
rmmod torture
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
EOF
chmod +x "$tmp/st/torture/run.sh"
# vm.sh wants a run_tests.sh only when no command is given; give one anyway.
printf '#!/bin/sh\nexec /ntcorral/selftests/torture/run.sh "$@"\n' >"$tmp/st/run_tests.sh"
chmod +x "$tmp/st/run_tests.sh"

ntests=$((1 + $(tr , '\n' <<<"$types" | wc -l)))
timeout=$((300 + ntests * (seconds + 60)))
NTCORRAL_KO=$ko NTCORRAL_SELFTESTS=$tmp/st \
	NTCORRAL_VM_APPEND="csdlock_debug=1 ${NTCORRAL_VM_APPEND:-}" \
	"$here/vm.sh" --kernel "$bzImage" --smp "$smp" --timeout "$timeout" "${vm_args[@]}" -- \
	/ntcorral/selftests/torture/run.sh "$seconds" "$hotplug" "$types"
