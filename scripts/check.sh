#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make check` runs once everything is built: the client's unit tests
# (ctest) on the host, then the selftests in a QEMU VM (selftests/vm/vm.sh)
# on Debian's stock kernel, then the debug lane (NTCORRAL_DEBUG_LANE=0 skips
# it): the selftests on a debug kernel built from linux-source-6.12 and
# cached (selftests/vm/debug-kernel.sh), lockdep's verdict on the wrong
# variants, and the kernel's own torture tests (selftests/vm/debug-torture.sh);
# then the RT lanes (NTCORRAL_RT_LANE=0, NTCORRAL_DEBUG_RT_LANE=0 skip them):
# part of the suite on Debian's prebuilt PREEMPT_RT kernel
# (selftests/vm/rt-kernel.sh) and on the debug RT kernel (debug-kernel.sh
# --rt: PREEMPT_RT with lockdep, PROVE_RAW_LOCK_NESTING, atomic-sleep);
# then the KCSAN lane (NTCORRAL_KCSAN_LANE=0 skips it): the same part of the
# suite on a kernel with KCSAN_STRICT and KCSAN_WEAK_MEMORY (debug-kernel.sh
# --kcsan); then the arm64 lane (NTCORRAL_ARM64_LANE=0 skips it): the
# suite, cross-built, on an arm64 kernel under qemu-system-aarch64
# (scripts/arm64-build.sh, vm.sh --arch arm64).
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
#
# What each lane expects is known here, not taken from what ran: ctest must
# run as many tests as `ctest -N` lists, and more than none; a selftest lane
# must print the runner's plan and, for every test program in selftests/
# (`make -C selftests list-progs`: the compiled ones and every *_test.sh),
# its "# ---- PROGRAM" header and at least one result. A program dropped
# from the runner, or a runner that died half-way, is a failure.
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
	# how many tests there are, before running them
	ct_listed=$(ctest --test-dir userspace/build -N 2>/dev/null | sed -n 's/^Total Tests: *\([0-9]*\).*/\1/p')
	ctest --test-dir userspace/build --output-on-failure 2>&1 | tee "$tmp/ctest.log"
	ct_rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$tmp/ctest.log" | tail -n 1)
	ct_total=0
	if [ -n "$line" ]; then
		ct_total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
		ct_fail=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
		ct_pass=$((ct_total - ct_fail))
	fi
	if [ "$ct_rc" -ne 0 ] && [ "$ct_fail" -eq 0 ]; then
		echo "check: ctest failed (exit $ct_rc) without a test result" >&2
		ct_fail=1
	fi
	if [ -z "$ct_listed" ] || [ "$ct_listed" -eq 0 ]; then
		echo "check: ctest -N lists no test: the unit tests are not built" >&2
		ct_fail=$((ct_fail + 1))
	elif [ "$ct_total" -ne "$ct_listed" ]; then
		echo "check: ctest ran $ct_total tests but lists $ct_listed: $((ct_listed - ct_total)) missing, counted as failed" >&2
		[ "$ct_total" -gt "$ct_listed" ] || ct_fail=$((ct_fail + ct_listed - ct_total))
	fi
else
	echo "check: userspace/build not found: the client is not built" >&2
	ct_fail=1
fi
passed=$((passed + ct_pass))
failed=$((failed + ct_fail))

# --- the YNL spec against the kernel's tools and the uapi header -----------

echo "check: the YNL spec (scripts/ynl-check.sh)"
if scripts/ynl-check.sh; then
	ynl_line="check: YNL spec: 1 passed, 0 failed"
	passed=$((passed + 1))
else
	ynl_line="check: YNL spec: 0 passed, 1 failed"
	failed=$((failed + 1))
fi

# The test programs a selftest lane must show (see the top).
selftest_progs=$(make -s --no-print-directory -C selftests list-progs | tr '\n' ' ')
[ -n "$selftest_progs" ] || { echo "check: make -C selftests list-progs names no program" >&2; exit 1; }

# --- the kselftest install tree ----------------------------------------------

# `make -C selftests install INSTALL_PATH=...` must give a tree the kernel's
# run_kselftest.sh runs: it lists every program as ntcorral:PROG, and runs
# one (here, on the host without the module, it skips: exit 4, "# SKIP").
echo "check: the kselftest install tree (make -C selftests install)"
ksft_ok=1
if ! make -s --no-print-directory -C selftests install INSTALL_PATH="$tmp/ksft" >"$tmp/ksft.log" 2>&1; then
	cat "$tmp/ksft.log" >&2
	ksft_ok=0
else
	listed=$("$tmp/ksft/run_kselftest.sh" -l | sort | tr '\n' ' ')
	want=$(for p in $selftest_progs; do echo "ntcorral:$p"; done | sort | tr '\n' ' ')
	if [ "$listed" != "$want" ]; then
		echo "check: run_kselftest.sh -l lists '$listed', not '$want'" >&2
		ksft_ok=0
	fi
	(cd "$tmp/ksft" && NTCORRAL_CLIENT=/nonexistent ./run_kselftest.sh -t ntcorral:ynl_test.sh) >"$tmp/ksft.run" 2>&1
	if ! grep -Eq '^ok 1 selftests: ntcorral: ynl_test.sh # SKIP' "$tmp/ksft.run"; then
		echo "check: run_kselftest.sh did not run ntcorral:ynl_test.sh to a SKIP:" >&2
		sed 's/^/  /' "$tmp/ksft.run" >&2
		ksft_ok=0
	fi
fi
if [ $ksft_ok = 1 ]; then
	ksft_line="check: kselftest install: 1 passed, 0 failed"
	passed=$((passed + 1))
else
	ksft_line="check: kselftest install: 0 passed, 1 failed"
	failed=$((failed + 1))
fi

# --- selftests in a VM -----------------------------------------------------

# vm_lane LABEL EXPECTED COMMAND...: run a vm.sh command, count the TAP it
# prints into the totals; prints "check: LABEL ..." lines. EXPECTED: the
# programs the runner must have run (their headers and a result each, and
# the runner's plan), or "-" for a command that is not the runner.
lane_lines=() splat_lines=()
vm_lane() {
	local label=$1 expected=$2
	shift 2
	echo "check: $label"
	NTCORRAL_VM_STATUS=$tmp/vm.status "$@" | tee "$tmp/vm.log"
	local vm_rc=${PIPESTATUS[0]}
	local st_pass st_fail st_skip st_plan missing=0
	read -r st_pass st_fail st_skip st_plan < <(awk '
		/^ok($|[ \t])/ { pass++; if (tolower($0) ~ /#[ \t]*skip/) skip++; next }
		/^not ok($|[ \t])/ { if (tolower($0) ~ /#[ \t]*todo/) pass++; else fail++; next }
		/^1\.\.[0-9]+/ && plan == "" { plan = substr($1, 4) + 0 }
		END { print pass + 0, fail + 0, skip + 0, (plan == "" ? -1 : plan) }
	' "$tmp/vm.log")
	if [ "$st_plan" -ge 0 ] && [ $((st_pass + st_fail)) -lt "$st_plan" ]; then
		missing=$((st_plan - st_pass - st_fail))
		echo "check: $label planned $st_plan results but printed $((st_pass + st_fail)): $missing missing, counted as failed" >&2
	fi
	st_fail=$((st_fail + missing))
	if [ "$expected" != - ]; then
		local prog absent=0
		if [ "$st_plan" -lt 0 ]; then
			echo "check: $label: the runner printed no plan (it died?)" >&2
			absent=$((absent + 1))
		fi
		for prog in $expected; do
			# its header, then a result before the next header
			if ! awk -v p="$prog" '
				$0 == "# ---- " p { inp = 1; seen = 1; next }
				/^# ---- / { inp = 0 }
				inp && /^(not )?ok [0-9]+/ { n++ }
				END { exit !(seen && n > 0) }' "$tmp/vm.log"; then
				echo "check: $label: $prog did not run (no header or no result), counted as failed" >&2
				absent=$((absent + 1))
			fi
		done
		[ "$missing" -gt 0 ] || st_fail=$((st_fail + absent))
	fi

	local vm_status=error vm_exit=$vm_rc vm_cmd_exit='' vm_splats=0 vm_boot='' vm_run='' key val
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
		rm -f "$tmp/vm.status"
	fi
	if [ "$vm_status" != ok ]; then
		if [ "$missing" -eq 0 ]; then
			echo "check: $label: the VM failed ($vm_status, exit $vm_exit)" >&2
			st_fail=$((st_fail + 1))
		fi
	elif [ "${vm_cmd_exit:-0}" -ne 0 ] && [ "$st_fail" -eq 0 ]; then
		echo "check: $label: the command exited $vm_cmd_exit with no failed result" >&2
		st_fail=$((st_fail + 1))
	fi
	if [ "$vm_splats" -gt 0 ]; then
		echo "check: $label: kernel splat (see above)" >&2
		st_fail=$((st_fail + 1))
		# the first splat again in the summary, which a truncated log keeps
		if [ -s "$tmp/vm.status.splat" ]; then
			splat_lines+=("check: $label: the first splat:")
			mapfile -t -O "${#splat_lines[@]}" splat_lines < <(sed 's/^/  /' "$tmp/vm.status.splat")
		fi
	fi
	rm -f "$tmp/vm.status.splat"
	passed=$((passed + st_pass))
	failed=$((failed + st_fail))
	lane_lines+=("check: $label: $st_pass passed ($st_skip skipped), $st_fail failed${vm_boot:+; VM booted in ${vm_boot}s, ran ${vm_run}s}")
}

if [ "${NTCORRAL_STOCK_LANE:-1}" != 0 ]; then
	lane_start=$SECONDS
	# The timeout guards against a hang, not a slow box: the lane runs
	# 500-550 s on 2 host cores, more when the host is busy.
	vm_lane "stock kernel: selftests" "$selftest_progs" selftests/vm/vm.sh --timeout 1200 "$@"
	lane_lines+=("check: stock lane took $((SECONDS - lane_start))s")
fi

# Only the stock lane runs ynl_test.sh: the other lanes' VMs go without
# Python and the YNL tools, which would be most of the initramfs a debug
# kernel unpacks at every boot (6 s of a debug RT boot of 19).
export NTCORRAL_VM_YNL=0

# --- the debug kernel: lockdep, KASAN, KUnit, kmemleak, CSD-lock... ---------

# lockdep_verdicts LABEL [vm.sh options]: lockdep's verdict on each wrong
# variant, a boot each, on the debug kernel of the caller's $ko and
# $bzImage: the report's own lines are allowed there, any other splat is not.
lockdep_verdicts() {
	local label=$1 wrong
	shift
	for wrong in spinlock/dispatch_only interlocked_queue/naive; do
		vm_lane "$label: lockdep's verdict on $wrong" - env NTCORRAL_KO="$ko" \
			NTCORRAL_VM_APPEND=csdlock_debug=1 \
			NTCORRAL_VM_SPLAT_IGNORE='inconsistent lock state|Call Trace:' \
			selftests/vm/vm.sh --kernel "$bzImage" "$@" -- \
			/ntcorral/selftests/lockdep_verdict.sh "${wrong%/*}" "${wrong#*/}"
	done
}

# What the debug kernels run that the stock one runs in full. The client's
# end-to-end test and the YNL check test user space and the module's
# policy, which no debug option changes: the stock lane runs them (and the
# RT and arm64 lanes the client's). A debug kernel pays about nine times
# the stock one's cost per request and per process (README, "Time"): the
# fuzzer sends 10,000 messages there (100,000 on the stock lane), the sweep
# makes 30 runs (120), the stress phases last 8 s (15), and each of the
# kernel's torture tests runs 5 s (10 when run alone).
debug_progs=$(for p in $selftest_progs; do
	case $p in client_test.sh | ynl_test.sh) ;; *) echo "$p" ;; esac
done | tr '\n' ' ')
debug_env="NTCORRAL_FUZZ_MESSAGES=10000 NTCORRAL_SWEEP_RUNS=30 NTCORRAL_STRESS_SECONDS=8"

if [ "${NTCORRAL_DEBUG_LANE:-1}" != 0 ]; then
	lane_start=$SECONDS
	echo "check: debug kernel (built once, then cached)"
	bzImage='' ko=''
	if dbg=$(selftests/vm/debug-kernel.sh --module "$tmp/debug-module"); then
		eval "$dbg"
		dbg_env=(env NTCORRAL_KO="$ko" NTCORRAL_VM_APPEND=csdlock_debug=1)
		# shellcheck disable=SC2086 # one word a program, a variable
		vm_lane "debug kernel: selftests" "$debug_progs" "${dbg_env[@]}" \
			selftests/vm/vm.sh --kernel "$bzImage" --timeout 2400 "$@" -- \
			env $debug_env /ntcorral/selftests/run_tests.sh $debug_progs
		lockdep_verdicts "debug kernel" "$@"
		vm_lane "debug kernel: the kernel's torture tests" - \
			env NTCORRAL_KO="$ko" selftests/vm/debug-torture.sh --seconds 5 "$@"
	else
		echo "check: the debug kernel could not be built (see above)" >&2
		failed=$((failed + 1))
	fi
	lane_lines+=("check: debug lane took $((SECONDS - lane_start))s")
fi

# --- PREEMPT_RT: Debian's prebuilt kernel, then the debug RT kernel ---------

# What the RT lanes run (README, "The lanes"): every experiment's every
# variant (the ntcorral_*_test programs, device_test; client_test on
# Debian's RT kernel), the RT
# hazard as the README states it (device_test), fault injection
# (fault_test), the abort paths and CPU hotplug (abort_test, stress_test),
# the BH-work DPC and the tracepoints. Not the sweep, kmemleak, KUnit, module reload or the fuzzer:
# they test what does not change with the preemption model, on the debug
# lane.
rt_progs="ntcorral_list_test ntcorral_run_test ntcorral_reject_test ntcorral_cancel_test ntcorral_stats_test ntcorral_missing_cpu_test ntcorral_timing_test device_test.sh client_test.sh fault_test.sh abort_test.sh stress_test.sh device_bh_test.sh trace_test.sh"
# The debug RT and KCSAN lanes: the same, less the client's end-to-end test
# (Debian's RT kernel runs it) and fault_test's one-CPU sets (nothing to
# race there, and nothing for RT that Debian's RT kernel does not run),
# the stress phases as on the debug lane.
debug_rt_progs=${rt_progs/ client_test.sh/}
debug_rt_env="NTCORRAL_STRESS_SECONDS=8 NTCORRAL_FAULT_ALONE=0"

if [ "${NTCORRAL_RT_LANE:-1}" != 0 ]; then
	lane_start=$SECONDS
	echo "check: Debian's PREEMPT_RT kernel (prebuilt, selftests/vm/rt-kernel.sh)"
	if rt=$(selftests/vm/rt-kernel.sh --module "$tmp/rt-module"); then
		eval "$rt"
		# shellcheck disable=SC2086 # one word a program
		vm_lane "RT kernel: selftests" "$rt_progs" env NTCORRAL_KO="$ko" \
			selftests/vm/vm.sh --kernel "$bzImage" --timeout 1500 "$@" -- \
			/ntcorral/selftests/run_tests.sh $rt_progs
	else
		echo "check: the RT kernel or the module built against it is missing (see above)" >&2
		failed=$((failed + 1))
	fi
	lane_lines+=("check: RT lane took $((SECONDS - lane_start))s")
fi

if [ "${NTCORRAL_DEBUG_RT_LANE:-1}" != 0 ]; then
	lane_start=$SECONDS
	echo "check: debug RT kernel (PREEMPT_RT, lockdep, PROVE_RAW_LOCK_NESTING; built once, then cached)"
	if dbg=$(selftests/vm/debug-kernel.sh --rt --module "$tmp/debug-rt-module"); then
		eval "$dbg"
		# shellcheck disable=SC2086 # one word a program
		vm_lane "debug RT kernel: selftests" "$debug_rt_progs" env NTCORRAL_KO="$ko" \
			NTCORRAL_VM_APPEND=csdlock_debug=1 \
			selftests/vm/vm.sh --kernel "$bzImage" --timeout 2400 "$@" -- \
			env $debug_rt_env /ntcorral/selftests/run_tests.sh $debug_rt_progs
		lockdep_verdicts "debug RT kernel" "$@"
	else
		echo "check: the debug RT kernel could not be built (see above)" >&2
		failed=$((failed + 1))
	fi
	lane_lines+=("check: debug RT lane took $((SECONDS - lane_start))s")
fi

# --- KCSAN: data races and missing barriers -------------------------------

# The KCSAN kernel (debug-kernel.sh --kcsan: strict, weak-memory checks) runs
# the debug RT lane's programs: every variant, fault injection, the abort paths,
# hotplug and unload, where the module's CPUs race each other. A report
# that names a function of the module as one of the two racing accesses
# fails the lane; races between two accesses in the kernel's own code are
# listed by vm.sh and not counted (NTCORRAL_VM_KCSAN_OURS). KCSAN is off
# while the kernel boots (kcsan.early_enable=0) and on from the runner's
# start: one boot in 19 of this kernel with KCSAN on from the start died
# in the kernel's own text patching ("Oops: int3" in sched_clock_tick,
# before the module loaded); not seen on the other lanes' kernels.
if [ "${NTCORRAL_KCSAN_LANE:-1}" != 0 ]; then
	lane_start=$SECONDS
	echo "check: KCSAN kernel (KCSAN_STRICT, KCSAN_WEAK_MEMORY; built once, then cached)"
	if dbg=$(selftests/vm/debug-kernel.sh --kcsan --module "$tmp/kcsan-module"); then
		eval "$dbg"
		# one word a program; "$0" "$@" are the inner shell's
		# shellcheck disable=SC2086,SC2016
		vm_lane "KCSAN kernel: selftests" "$debug_rt_progs" env NTCORRAL_KO="$ko" \
			NTCORRAL_VM_KCSAN_OURS='\[ntcorral\]' \
			NTCORRAL_VM_APPEND=kcsan.early_enable=0 \
			selftests/vm/vm.sh --kernel "$bzImage" --timeout 2400 "$@" -- \
			sh -c 'echo on >/sys/kernel/debug/kcsan && exec "$0" "$@"' \
			env $debug_rt_env /ntcorral/selftests/run_tests.sh $debug_rt_progs
	else
		echo "check: the KCSAN kernel could not be built (see above)" >&2
		failed=$((failed + 1))
	fi
	lane_lines+=("check: KCSAN lane took $((SECONDS - lane_start))s")
fi

# --- arm64: a weakly ordered CPU, real instruction patching ----------------

# The arm64 kernel (selftests/vm/arm64-kernel.sh: 6.12 cross-built from the
# same linux-source-6.12, SMP PREEMPT, no debug options; cached), the module,
# the client and the selftests cross-built (scripts/arm64-build.sh), booted
# under qemu-system-aarch64 -M virt -cpu max (TCG): seed 002's phase 1
# patches a real instruction and phase 2 executes it on every CPU, the
# shootdown's work is an ECAM read, and every barrier runs on a weakly
# ordered memory model (TCG emulates arm64's ordering with the host's
# x86 one, stronger: see the README).
# It runs the RT lanes' programs (every variant, fault injection, the abort
# paths, hotplug, unload, tracepoints: 317 s of a 468 s whole-suite run;
# the lane alone took 477 s, cross builds included, the kernel cached);
# the sweep, the fuzzer, the YNL check and the reload test are the stock
# lane's.
arm64_progs=$rt_progs
if [ "${NTCORRAL_ARM64_LANE:-1}" != 0 ]; then
	lane_start=$SECONDS
	echo "check: arm64 kernel (cross-built once, then cached; qemu-system-aarch64)"
	image='' ko='' client='' selftests=''
	# in the clone's build/arm64, not $tmp: ccache rewrites paths relative
	# to the build directory, so a build directory at the same place in
	# every clone lets the cross build hit what the last one compiled
	if a64=$(scripts/arm64-build.sh build/arm64); then
		eval "$a64"
		# shellcheck disable=SC2086 # one word a program
		vm_lane "arm64 kernel: selftests" "$arm64_progs" env NTCORRAL_KO="$ko" \
			NTCORRAL_CLIENT="$client" NTCORRAL_SELFTESTS="$selftests" \
			selftests/vm/vm.sh --arch arm64 --kernel "$image" --timeout 2400 "$@" -- \
			/ntcorral/selftests/run_tests.sh $arm64_progs
	else
		echo "check: the arm64 kernel, module, client or selftests could not be built (see above)" >&2
		failed=$((failed + 1))
	fi
	lane_lines+=("check: arm64 lane took $((SECONDS - lane_start))s")
fi

# --- summary ----------------------------------------------------------------

[ "${#splat_lines[@]}" -eq 0 ] || printf '%s\n' "${splat_lines[@]}"
echo "check: ctest $ct_pass passed, $ct_fail failed"
echo "$ynl_line"
echo "$ksft_line"
printf '%s\n' "${lane_lines[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
