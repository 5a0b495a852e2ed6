#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make check` runs once everything is built: the client's unit tests
# (ctest) on the host, then the selftests in a QEMU VM (selftests/vm/vm.sh).
# Ends with exactly one line "N passed, M failed"; exits non-zero on any
# failure.
#
# usage: scripts/check.sh [vm.sh options, e.g. --smp 2 --timeout 900]
#
# The selftest count comes from the TAP that selftests/run_tests.sh prints:
# only top-level result lines count ("ok N name" / "not ok N name" at the start
# of a line; "# SKIP" is a pass, "not ok ... # TODO" is not a failure); output
# nested under a test is prefixed with "# " and ignored. A plan line "1..N"
# makes results that never came count as failures. The VM adds one failure
# when it fails with nothing in the TAP to show for it (timeout, panic, insmod
# or rmmod failure, runner exiting non-zero with all results ok), and one
# when the kernel splatted.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- unit tests on the host -------------------------------------------------

echo "check: unit tests (ctest)"
ct_pass=0 ct_fail=0
if [ -d userspace/build ]; then
	ctest --test-dir userspace/build --output-on-failure 2>&1 | tee "$tmp/ctest.log"
	ct_rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$tmp/ctest.log" | tail -n 1)
	if [ -n "$line" ]; then
		ct_total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
		ct_fail=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
		ct_pass=$((ct_total - ct_fail))
	fi
	if [ "$ct_rc" -ne 0 ] && [ "$ct_fail" -eq 0 ]; then
		echo "check: ctest failed (exit $ct_rc) without a test result" >&2
		ct_fail=1
	fi
else
	echo "check: userspace/build not found: the client is not built" >&2
	ct_fail=1
fi
passed=$((passed + ct_pass))
failed=$((failed + ct_fail))

# --- selftests in the VM ----------------------------------------------------

echo "check: selftests in a VM"
NTCORRAL_VM_STATUS=$tmp/vm.status selftests/vm/vm.sh "$@" | tee "$tmp/vm.log"
vm_rc=${PIPESTATUS[0]}

# pass fail skip plan
read -r st_pass st_fail st_skip st_plan < <(awk '
	/^ok($|[ \t])/ { pass++; if (tolower($0) ~ /#[ \t]*skip/) skip++; next }
	/^not ok($|[ \t])/ { if (tolower($0) ~ /#[ \t]*todo/) pass++; else fail++; next }
	/^1\.\.[0-9]+/ && plan == "" { plan = substr($1, 4) + 0 }
	END { print pass + 0, fail + 0, skip + 0, (plan == "" ? -1 : plan) }
' "$tmp/vm.log")

missing=0
if [ "$st_plan" -ge 0 ] && [ $((st_pass + st_fail)) -lt "$st_plan" ]; then
	missing=$((st_plan - st_pass - st_fail))
	echo "check: the selftests planned $st_plan results but printed $((st_pass + st_fail)): $missing missing, counted as failed" >&2
fi
st_fail=$((st_fail + missing))

vm_status=error vm_exit=$vm_rc vm_cmd_exit='' vm_splats=0 vm_boot='' vm_run=''
if [ -f "$tmp/vm.status" ]; then
	while IFS='=' read -r key val; do
		case $key in
		status) vm_status=$val ;;
		exit) vm_exit=$val ;;
		command_exit) vm_cmd_exit=$val ;;
		splats) vm_splats=$val ;;
		boot_s) vm_boot=$val ;;
		run_s) vm_run=$val ;;
		esac
	done <"$tmp/vm.status"
fi

if [ "$vm_status" != ok ]; then
	if [ "$missing" -eq 0 ]; then
		echo "check: the VM failed ($vm_status, exit $vm_exit)" >&2
		st_fail=$((st_fail + 1))
	fi
elif [ "${vm_cmd_exit:-0}" -ne 0 ] && [ "$st_fail" -eq 0 ]; then
	echo "check: the selftest runner exited $vm_cmd_exit with no failed result" >&2
	st_fail=$((st_fail + 1))
fi
if [ "$vm_splats" -gt 0 ]; then
	echo "check: kernel splat during the selftests (see above)" >&2
	st_fail=$((st_fail + 1))
fi
passed=$((passed + st_pass))
failed=$((failed + st_fail))

# --- summary ----------------------------------------------------------------

echo "check: ctest $ct_pass passed, $ct_fail failed"
echo "check: selftests $st_pass passed ($st_skip skipped), $st_fail failed"
if [ -n "$vm_boot" ]; then
	echo "check: VM booted in ${vm_boot}s, selftests ran ${vm_run}s"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
