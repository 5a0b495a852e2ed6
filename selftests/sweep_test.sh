#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sweep_test.sh: every experiment and variant over random combinations of
# valid but hostile parameters (the smallest and largest deadlines, holds,
# rates, bursts, batches, CPU sets, iterations), with CPU hotplug and fault
# injection interleaved. TAP ("ok N sweep.NAME"). Root, in the test VM.
#
# Each run must either be refused up front (exit 1) with one of the
# module's sentences for parameters that cannot work together, or complete
# or end early with its figures (exit 0, or 3 for counted timeouts); it
# must never hang (a 120 s cap per call), and show no violation in a
# variant that is not deliberately wrong. Timeouts are not judged here:
# hostile deadlines and injected faults are there to cause them (the other
# tests check that a clean run has none). After every run with a fault
# injected, and every tenth run, a clean run (the longest deadline, no
# fault, every CPU) must be clean: every CPU was released. The kernel
# console is scanned by vm.sh (KASAN, lockdep, ...): the sweep's point on
# the debug kernel.
#
# Environment: NTCORRAL_SWEEP_SEED (default: from the clock, printed),
# NTCORRAL_SWEEP_RUNS (default 120), NTCORRAL_SWEEP_SECONDS (time budget,
# default 300 on a kernel with lockdep, whose runs take twice as long, 240
# otherwise). At least a third of the runs must fit in the budget, or the
# sweep fails: too few runs prove nothing. make check's lanes share a time
# budget; a longer sweep: NTCORRAL_SWEEP_RUNS=300 NTCORRAL_SWEEP_SECONDS=600.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=sweep
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

require_root_client_module
dbg=$ntc_debugfs
if [ ! -w "$dbg/fault_mode" ]; then
	echo "1..0 # SKIP no $dbg/fault_mode (debugfs not mounted?)"
	exit 4
fi

if [ -e /proc/lockdep ]; then
	runs=${NTCORRAL_SWEEP_RUNS:-120} budget=${NTCORRAL_SWEEP_SECONDS:-300}
else
	runs=${NTCORRAL_SWEEP_RUNS:-120} budget=${NTCORRAL_SWEEP_SECONDS:-240}
fi
seed=${NTCORRAL_SWEEP_SEED:-$(date +%s)}
ncpus=$(online_cpus)
hotplug_cpu=$((ncpus - 1))
hp_pid=

cleanup() {
	[ -z "$hp_pid" ] || kill "$hp_pid" 2>/dev/null
	wait 2>/dev/null
	echo 0 >"$dbg/fault_mode" 2>/dev/null
	echo 1 >/sys/devices/system/cpu/cpu$hotplug_cpu/online 2>/dev/null
	bangs_unexpected
}
trap cleanup EXIT INT TERM

plan 4
echo "# seed $seed, up to $runs runs in ${budget}s, $ncpus CPUs"

list=$ntc_tmp/list.json
"$client" list --json >"$list" 2>"$err"
variants_from "$list"

# The parameter sets, one a line: EXP VAR FAULT_MODE FAULT_CPU FAULT_US OPTIONS...
# Each parameter the experiment takes (from the module's own list) is left
# out, set to its minimum, its maximum or a random value, but the run is
# kept short: iterations and the run budget are drawn from a small range.
# (a variant this kernel refuses, spinlock/irqsave on PREEMPT_RT, is not
# drawn: device_test checks its refusal)
list_variants "$list" | tr : ' ' >"$ntc_tmp/variants"
jq -r '.[] | .name as $e | .params[] | "\($e) \(.option) \(.min) \(.max)"' "$list" >"$ntc_tmp/params"

awk -v seed="$seed" -v runs="$runs" -v ncpus="$ncpus" '
	function pick(lo, hi) { return lo + int(rand() * (hi - lo + 1)) }
	function edge(lo, hi, r) {
		r = rand()
		return r < 0.3 ? lo : r < 0.5 ? hi : pick(lo, hi)
	}
	FILENAME ~ /variants$/ { v[nv++] = $0; next }
	{ opt[$1, ++np[$1]] = $2; lo[$1, np[$1]] = $3; hi[$1, np[$1]] = $4 }
	END {
		srand(seed)
		for (r = 0; r < runs; r++) {
			split(v[int(rand() * nv)], ev, " ")
			e = ev[1]
			s = ""
			for (k = 1; k <= np[e]; k++) {
				o = opt[e, k]; l = lo[e, k]; h = hi[e, k]
				if (rand() < 0.3)
					continue
				if (o == "--iterations")
					x = pick(1, 60)
				else if (o == "--max-runtime-ms")
					x = pick(l, 1500)
				else if (o == "--warmup" || o == "--cooldown")
					x = pick(0, 10)
				else if (o == "--pci-device")
					x = rand() < 0.5 ? "none" : "00:00.0"
				else if (o == "--phase-stamps")
					x = pick(0, 1)
				else
					x = edge(l, h)
				s = s " " o " " x
			}
			if (s !~ /--max-runtime-ms/)
				s = s " --max-runtime-ms " pick(10, 1500)
			if (s !~ /--iterations/)
				s = s " --iterations " pick(1, 60)
			if (rand() < 0.3) {
				# a random CPU set: a range, or two CPUs
				a = pick(0, ncpus - 1); b = pick(a, ncpus - 1)
				s = s " --cpus " (rand() < 0.5 ? a "-" b : a "," b)
			}
			f = rand() < 0.2 ? pick(1, 3) : 0
			printf "%s %s %d %d %d%s\n", e, ev[2], f, pick(0, ncpus - 1),
			       pick(1, 200) * 1000, s
		}
	}
' "$ntc_tmp/variants" "$ntc_tmp/params" >"$ntc_tmp/plan"

# Sentences with which the module (or the client, for a CPU set naming an
# offline CPU) refuses parameters that cannot work together or that the
# hotplug made stale.
refusals='hold_us must be at most a quarter of deadline_us|too many iterations for this many CPUs|seed variant always targets processors|offline|went offline before the run started'

# the hotplug: CPU $hotplug_cpu goes away and comes back, every ~1.5 s
if [ "$hotplug_cpu" -gt 0 ] && [ -w /sys/devices/system/cpu/cpu$hotplug_cpu/online ]; then
	(
		while :; do
			sleep 1.5
			echo 0 >/sys/devices/system/cpu/cpu$hotplug_cpu/online 2>/dev/null
			sleep 1.5
			echo 1 >/sys/devices/system/cpu/cpu$hotplug_cpu/online 2>/dev/null
		done
	) &
	hp_pid=$!
fi

# clean_run: the longest deadline, no fault, every online CPU: clean, or a
# CPU owing an answer to a faulted corral says so (EBUSY) for a moment
clean_run() {
	t=0
	while :; do
		ntc_cmd="ntcorral run shootdown --variant ipi --iterations 5 $slack"
		timeout -s KILL 120 "$client" run shootdown --variant ipi --iterations 5 \
			$slack --json >"$out" 2>"$err" </dev/null
		rc=$?
		[ "$rc" = 1 ] && grep -Eq 'busy|offline' "$err" && [ $t -lt 20 ] || break
		t=$((t + 1))
		sleep 0.3
	done
	if [ "$rc" != 0 ] || [ "$(result violations)" != 0 ] ||
	   [ "$(result timeouts)" != 0 ]; then
		dirty=$((dirty + 1))
		echo "#   not clean after run $n (exit $rc): $(head -c 300 "$err")"
	fi
	clean=$((clean + 1))
}

bangs_expected "the sweep: hostile deadlines, faults and hotplug"
n=0 refused=0 completed=0 timed_out=0 truncated=0 bad=0 wrongviol=0
violbad=0 irqlbad=0
faults=0 clean=0 dirty=0 t_start=$(date +%s)
while read -r e v fmode fcpu fus opts; do
	[ $(($(date +%s) - t_start)) -lt "$budget" ] || break
	n=$((n + 1))
	if [ "$fmode" != 0 ]; then
		echo "$fcpu" >"$dbg/fault_cpu"
		echo "$fus" >"$dbg/fault_delay_us"
		echo "$fmode" >"$dbg/fault_mode"
		faults=$((faults + 1))
	fi
	ntc_cmd="ntcorral run $e --variant $v $opts"
	irql_before=$(irql_count)
	timeout -s KILL 120 "$client" run "$e" --variant "$v" $opts --json \
		>"$out" 2>"$err" </dev/null
	rc=$?
	echo 0 >"$dbg/fault_mode"
	if [ "$(irql_count)" != "$irql_before" ] && ! is_wrong "$e" "$v"; then
		irqlbad=$((irqlbad + 1))
		echo "#   run $n: $ntc_cmd: the IRQL assertion fired ($irql_before -> $(irql_count))"
	fi
	case $rc in
	1)
		if grep -Eq "$refusals" "$err"; then
			refused=$((refused + 1))
		else
			bad=$((bad + 1))
			echo "#   run $n: $ntc_cmd (fault $fmode) exited 1: $(head -c 300 "$err")"
		fi
		;;
	0 | 3)
		viol=$(result violations)
		[ "$rc" = 0 ] && completed=$((completed + 1))
		[ "$rc" = 3 ] && timed_out=$((timed_out + 1))
		[ "$(result truncated)" = true ] &&
			truncated=$((truncated + 1))
		if [ -z "$viol" ] || [ "$viol" = null ]; then
			bad=$((bad + 1))
			echo "#   run $n: $ntc_cmd: no result in the output"
		elif [ "$viol" != 0 ]; then
			if is_wrong "$e" "$v"; then
				wrongviol=$((wrongviol + 1))
			else
				violbad=$((violbad + 1))
				echo "#   run $n: $ntc_cmd (fault $fmode cpu $fcpu ${fus}us): $viol violations in a correct variant"
			fi
		fi
		;;
	*)
		bad=$((bad + 1))
		echo "#   run $n: $ntc_cmd (fault $fmode) exited $rc$( [ "$rc" = 137 ] && echo ' (killed after 120 s: a hang?)'): $(head -c 300 "$err")"
		;;
	esac
	if [ "$fmode" != 0 ] || [ $((n % 10)) = 0 ]; then
		clean_run
	fi
done <"$ntc_tmp/plan"
[ -z "$hp_pid" ] || kill "$hp_pid" 2>/dev/null
wait 2>/dev/null
hp_pid=
echo 1 >/sys/devices/system/cpu/cpu$hotplug_cpu/online 2>/dev/null
clean_run
bangs_unexpected
elapsed=$(($(date +%s) - t_start))
echo "# $n runs in ${elapsed}s: $completed completed, $timed_out with counted timeouts ($truncated of all ended early), $refused refused up front, $bad bad, $violbad with violations in a correct variant; $faults with a fault injected; $wrongviol violations in deliberately wrong variants; $clean clean runs, $dirty not clean"

begin every_run_refused_with_a_sentence_or_returned_its_figures
expect_eq "runs that neither were refused nor returned figures" "$bad" 0
[ "$n" -ge $((runs / 3)) ] || fail "only $n of $runs runs fitted in ${budget}s"
end

begin no_violation_in_a_variant_not_deliberately_wrong
expect_eq "runs of a correct variant with violations (each printed above)" "$violbad" 0
[ "$n" -gt 0 ] || fail "no run"
end

begin every_cpu_released_and_the_next_clean_run_clean
expect_eq "clean runs that were not clean" "$dirty" 0
[ "$clean" -gt 0 ] || fail "no clean run"
end

begin irql_assertion_fired_only_in_wrong_variants
[ -n "$(irql_count)" ] || fail "cannot read $dbg/irql_violations"
expect_eq "runs of a correct variant during which the IRQL assertion fired" "$irqlbad" 0
end

finish
