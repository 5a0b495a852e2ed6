#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fault_test.sh: one CPU that never arrives, or arrives late, at every
# barrier kind (debugfs fault_cpu, fault_mode, fault_delay_us,
# fault_injected; module/nt.h). TAP ("ok N fault.NAME"). Runs as root in
# the test VM with >= 2 CPUs; always leaves fault_mode at 0.
#
# For every variant of shootdown, ipi_barrier and exclusivity:
#  - never (mode 2), CPU 1, 3 iterations, --deadline-us 20000: the run
#    returns, the client exits 3 naming the variant and its timeouts, the
#    result has timeouts > 0 and no violation, the fault was injected;
#  - late (mode 1, 50000 us > the deadline): the same for the variants
#    that wait for every CPU; lockflag (phase 1 does not wait for the
#    others), static_key and bare_ipi (nobody waits inside the IPI) only
#    run late, they must return without violations (module/ipi_barrier.c);
#    a violation is a failure except in a variant that lib.sh names
#    deliberately wrong or with a documented defect (has_hazard), where
#    it is counted and shown;
#  - after each, with mode 0, the same variant runs clean: every CPU was
#    released (samples == iterations, 0 timeouts, 0 violations);
#  - the IRQL assertion never fired (debugfs irql_violations unchanged).
# The module's "!!!" lines of the faulty runs are declared expected to
# vm.sh (bangs_expected); those of the clean runs after them are not.
# NTCORRAL_FAULT_ALONE=0 skips the one-CPU sets (said, as a skip).

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=fault
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

dbg=$ntc_debugfs

require_root_client_module
if [ ! -w "$dbg/fault_mode" ]; then
	echo "1..0 # SKIP no $dbg/fault_mode (debugfs not mounted, or a module without fault injection)"
	exit 4
fi

fault_off() {
	echo 0 >"$dbg/fault_mode" 2>/dev/null
}
trap fault_off EXIT INT TERM

cpus=$(online_cpus)
fault_cpu=1
deadline=20000
late_us=50000
call_timeout=120

# Which variants must time out when CPU 1 is late (they wait for every CPU).
waits_for_all() {
	case $1/$2 in
	ipi_barrier/lockflag | ipi_barrier/static_key | ipi_barrier/bare_ipi) return 1 ;;
	*) return 0 ;;
	esac
}

injected() {
	cat "$dbg/fault_injected"
}

# frun ARGS...: the client under a timeout
frun() {
	ntc_cmd="ntcorral $*"
	timeout -s KILL "$call_timeout" "$client" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

# clean_after EXPERIMENT VARIANT: fault off, the same variant runs clean
# (a CPU still owing an answer to a late corral says EBUSY: a few retries)
clean_after() {
	fault_off
	tries=0
	while :; do
		frun run "$1" --variant "$2" --iterations 3 $slack --json
		[ "$rc" = 1 ] && grep -q 'module is busy' "$err" && [ $tries -lt 10 ] || break
		tries=$((tries + 1))
		sleep 0.5
	done
	expect_status 0
	expect_eq "$1/$2 after the fault: samples" "$(result samples)" 3
	expect_eq "$1/$2 after the fault: timeouts" "$(result timeouts)" 0
	expect_eq "$1/$2 after the fault: violations" "$(result violations)" 0
	expect_eq "$1/$2 after the fault: nr_cpus" "$(result nr_cpus)" "$cpus"
	[ "$rc" != 0 ] || recovered=$((recovered + 1))
	[ $tries = 0 ] || echo "#   $1/$2: $tries EBUSY retries before the clean run"
}

# The barrier experiments' variants, "EXPERIMENT:VARIANT", from the module's
# own list (a kernel may offer more, e.g. shootdown/dpc_bh).
cl list --json
variants_from "$out"
variants=$(list_variants "$out" 2>/dev/null | grep -E '^(shootdown|ipi_barrier|exclusivity):')
if [ "$rc" != 0 ] || [ -z "$variants" ]; then
	echo "1..0 # SKIP 'ntcorral list --json' names no barrier variant (exit $rc)"
	exit 4
fi
# shellcheck disable=SC2086
echo "# $(echo $variants | wc -w) variants:" $variants

plan 5
irql0=$(irql_count)
total_injected=0 total_timeouts=0 recovered=0 faulty_runs=0 hazards=0

# fault_variants MODE: every variant with CPU 1 in fault MODE, then clean
fault_variants() {
	mode=$1
	for ev in $variants; do
		e=${ev%%:*} v=${ev#*:}
		echo "$fault_cpu" >"$dbg/fault_cpu"
		echo "$late_us" >"$dbg/fault_delay_us"
		inj0=$(injected)
		bangs_expected "$e/$v with CPU 1 in fault mode $mode"
		echo "$mode" >"$dbg/fault_mode"
		t0=$(date +%s)
		frun run "$e" --variant "$v" --iterations 3 --deadline-us "$deadline" \
			--max-runtime-ms 30000 --json
		t=$(($(date +%s) - t0))
		fault_off
		bangs_unexpected
		inj=$(($(injected) - inj0))
		faulty_runs=$((faulty_runs + 1))
		total_injected=$((total_injected + inj))
		tmo=$(result timeouts)
		echo "# mode $mode $e/$v: exit $rc in ${t}s, samples $(result samples), timeouts ${tmo:-?}, violations $(result violations), truncated $(result truncated), injected $inj"
		[ "$inj" -gt 0 ] || fail "$e/$v: fault_injected did not grow"
		viol=$(result violations)
		if [ "$mode" = 1 ] && [ "${viol:-0}" != 0 ] && has_hazard "$e" "$v"; then
			# a variant with a known hazard (lib.sh): counted and shown
			hazards=$((hazards + viol))
			echo "#   hazard of $e/$v: $viol violations with CPU 1 late: $(dmesg 2>/dev/null | grep "!!! $e/$v: invariant violated" | tail -n 2 | sed 's/.*invariant violated: //' | tr '\n' ';')"
		else
			expect_eq "$e/$v: violations" "$viol" 0
			[ "${viol:-0}" = 0 ] || echo "#   $e/$v: $(dmesg 2>/dev/null | grep "!!! $e/$v: invariant violated" | tail -n 2 | sed 's/.*invariant violated: //' | tr '\n' ';')"
		fi
		if [ "$mode" = 2 ] || waits_for_all "$e" "$v"; then
			expect_status 3
			grep -Eq "reported violations or timeouts !!! .*$e/$v \\(([0-9]+ violations?, )?[0-9]+ timeouts?\\)" "$err" ||
				fail "$e/$v: stderr does not name the variant's timeouts: $(head -n 1 "$err")"
			[ "${tmo:-0}" -gt 0 ] || fail "$e/$v: no timeout reported"
			total_timeouts=$((total_timeouts + ${tmo:-0}))
		else
			# late only: nobody waits for CPU 1; it returns, nothing breaks
			case $rc in
			0 | 3) ;;
			*) fail "$e/$v: exit $rc: $(head -n 1 "$err")" ;;
			esac
			total_timeouts=$((total_timeouts + ${tmo:-0}))
		fi
		clean_after "$e" "$v"
	done
}

if [ "$cpus" -lt 2 ]; then
	skip cpu_1_never_arriving_times_out_every_barrier_and_releases_the_rest "needs 2 CPUs"
	skip cpu_1_arriving_late_times_out_the_barriers_that_wait_for_all "needs 2 CPUs"
else
	begin cpu_1_never_arriving_times_out_every_barrier_and_releases_the_rest
	t0_test=$(date +%s)
	fault_variants 2
	echo "# never: $faulty_runs faulty runs, $total_timeouts timeouts, $total_injected faults injected, $recovered clean runs after them ($(($(date +%s) - t0_test))s)"
	end

	begin cpu_1_arriving_late_times_out_the_barriers_that_wait_for_all
	t0_test=$(date +%s)
	total_injected=0 total_timeouts=0 recovered=0 faulty_runs=0 hazards=0
	fault_variants 1
	echo "# late (${late_us} us, deadline ${deadline} us): $faulty_runs faulty runs, $total_timeouts timeouts, $total_injected faults injected, $recovered clean runs after them, $hazards violations of variants with a known hazard ($(($(date +%s) - t0_test))s)"
	end
fi

# A set of one CPU, which is the initiator too, told never to arrive: a
# variant that injects the fault there must count a timeout (nobody else
# is there to notice); one that leaves the initiator alone runs clean; one
# that needs two CPUs refuses with a sentence. Never a violation: the
# sweep once found exclusivity/generic_call_dpc blaming the idiom here.
alone_in_its_set() {
	for ev in $variants; do
		e=${ev%%:*} v=${ev#*:}
		echo "$fault_cpu" >"$dbg/fault_cpu"
		inj0=$(injected)
		bangs_expected "$e/$v on CPU 1 alone, which never arrives"
		echo 2 >"$dbg/fault_mode"
		frun run "$e" --variant "$v" --cpus "$fault_cpu" --iterations 3 \
			--deadline-us "$deadline" --max-runtime-ms 30000 --json
		fault_off
		bangs_unexpected
		inj=$(($(injected) - inj0))
		tmo=$(result timeouts)
		echo "# alone $e/$v: exit $rc, samples $(result samples), timeouts ${tmo:-?}, violations $(result violations), injected $inj"
		if [ "$rc" = 1 ]; then
			grep -q "ntcorral: " "$err" || fail "$e/$v: exit 1 without a sentence"
			echo "#   refused: $(head -n 1 "$err")"
			continue
		fi
		expect_eq "$e/$v alone: violations" "$(result violations)" 0
		if [ "$inj" -gt 0 ]; then
			expect_status 3
			[ "${tmo:-0}" -gt 0 ] || fail "$e/$v: CPU 1 never arrived ($inj times) and no timeout was counted"
		else
			expect_status 0
			expect_eq "$e/$v alone: timeouts" "${tmo:-?}" 0
		fi
		clean_after "$e" "$v"
	done
}

if [ "$cpus" -lt 2 ]; then
	skip a_cpu_alone_in_its_set_never_arriving_is_a_timeout_not_a_violation "needs 2 CPUs"
elif [ "${NTCORRAL_FAULT_ALONE:-1}" = 0 ]; then
	# scripts/check.sh: the debug RT and KCSAN lanes, where a set of one CPU
	# has nothing to race and nothing RT-specific that Debian's RT lane
	# does not run
	skip a_cpu_alone_in_its_set_never_arriving_is_a_timeout_not_a_violation \
		"NTCORRAL_FAULT_ALONE=0: this lane leaves the one-CPU sets to the others"
else
	begin a_cpu_alone_in_its_set_never_arriving_is_a_timeout_not_a_violation
	alone_in_its_set
	end
fi

begin irql_assertion_never_fired_with_a_cpu_late_or_missing
expect_irql_unchanged "$irql0" "during the faulty runs and the clean ones"
end

begin fault_mode_is_off_at_the_end
fault_off
expect_eq "fault_mode" "$(cat "$dbg/fault_mode")" 0
frun run shootdown --variant ipi --iterations 3 $slack --json
expect_status 0
expect_eq "samples" "$(result samples)" 3
end

finish
