#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# device_bh_test.sh: on kernels with BH workqueues (6.9 on), the simulated
# device's DpcForIsr as a BH work item (module parameter device_dpc_bh_work)
# instead of a tasklet. TAP ("ok N device_bh.NAME"):
#  - the correct variants of both device experiments run clean with it,
#    every interrupt handled, every item consumed once and in order;
#  - the BH-work path is what ran: the workqueue:workqueue_execute_start
#    tracepoint (a tracing instance of its own) shows ntc_dpc_bh_work
#    executing during a run with the parameter set, and never during one
#    without it; where the kernel has irq:tasklet_entry, the tasklet
#    ntc_dpc_tasklet the other way round (the trace saw the run without);
#  - the IRQL assertion never fired (debugfs irql_violations unchanged).
# The parameter is back at N at the end.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=device_bh
. "$(dirname "$0")/lib.sh"

param=/sys/module/ntcorral/parameters/device_dpc_bh_work
echo "TAP version 13"
if [ ! -w $param ]; then
	echo "1..0 # SKIP no BH workqueues in this kernel (no $param)"
	exit 4
fi

tracing=
for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -d "$t/instances" ] && tracing=$t && break
done
inst=
rec_cmd= rec_tgid=
trace_cleanup() {
	[ -z "$inst" ] || rmdir "$inst" 2>/dev/null
	[ -z "$rec_cmd" ] || echo "$rec_cmd" >"$tracing/options/record-cmd" 2>/dev/null
	[ -z "$rec_tgid" ] || echo "$rec_tgid" >"$tracing/options/record-tgid" 2>/dev/null
}
trap 'echo N >$param; trace_cleanup' EXIT

plan 6
cpus=$(online_cpus)
# spinlock's baseline: irqsave, or raw on PREEMPT_RT (irqsave refused there)
variants_from
sl=$(baseline_of spinlock)
irql0=$(irql_count)

# runs_of FILE KEY: the value of the first result's counter or member KEY
counter_of() {
	jq -r ".[0] | (.counters.$2 // .$2) | select(. != null)" "$1" 2>/dev/null
}

# expect_counters FILE KEY=VALUE...
expect_counters() {
	f=$1
	shift
	for kv in "$@"; do
		expect_eq "${kv%%=*}" "$(counter_of "$f" "${kv%%=*}")" "${kv#*=}"
	done
}

begin parameter_set
echo Y >$param
expect_eq "$param" "$(cat $param)" Y
end

begin spinlock_baseline_runs_clean_with_a_bh_work_dpc
cl run spinlock --variant "$sl" --iterations 50 $slack --json
expect_status 0
interrupts=$((50 * cpus))
expect_counters "$out" violations=0 timeouts=0 truncated=false interrupts=$interrupts \
	events_handled=$interrupts torn_records=0 irql_violations=0
end

begin interlocked_queue_slist_runs_clean_with_a_bh_work_dpc
cl run interlocked_queue --variant slist --iterations 50 $slack --json
expect_status 0
expect_counters "$out" violations=0 timeouts=0 truncated=false produced_by_isr=$interrupts \
	lost=0 duplicates=0 order_breaks=0
end

# traced_run Y|N: a spinlock baseline run with the parameter at Y or N, the
# workqueue_execute_start events of it in $ntc_tmp/trace; status in $rc
traced_run() {
	echo "$1" >$param
	: >"$inst/trace"
	echo 1 >"$inst/tracing_on"
	cl run spinlock --variant "$sl" --iterations 20 $slack --json
	echo 0 >"$inst/tracing_on"
	cat "$inst/trace" >"$ntc_tmp/trace"
}

if [ -z "$tracing" ] || [ ! -d "$tracing/events/workqueue/workqueue_execute_start" ]; then
	skip the_dpc_ran_as_a_bh_work_item "no tracefs or no workqueue tracepoints in this kernel"
else
	begin the_dpc_ran_as_a_bh_work_item
	ntc_cmd=
	inst=$tracing/instances/ntcorral_bh.$$
	if ! mkdir "$inst" 2>"$err"; then
		inst=
		fail "cannot make a tracing instance: $(cat "$err")"
	else
		echo 0 >"$inst/tracing_on"
		echo 4096 >"$inst/buffer_size_kb" 2>/dev/null
		# No comm/tgid recording: it hooks sched_switch, and patching
		# __schedule's tracepoint while every vCPU schedules once
		# ended in "Oops: int3" in __schedule under TCG (the debug
		# kernel, text_poke_bp). The events' own sites are patched
		# once on, once off.
		rec_cmd=$(cat "$tracing/options/record-cmd" 2>/dev/null)
		rec_tgid=$(cat "$tracing/options/record-tgid" 2>/dev/null)
		echo 0 >"$tracing/options/record-cmd" 2>/dev/null
		echo 0 >"$tracing/options/record-tgid" 2>/dev/null
		echo 1 >"$inst/events/workqueue/workqueue_execute_start/enable" ||
			fail "cannot enable workqueue:workqueue_execute_start"
		tasklets=
		if [ -d "$inst/events/irq/tasklet_entry" ] &&
		   echo 1 >"$inst/events/irq/tasklet_entry/enable" 2>/dev/null; then
			tasklets=1
		fi
		traced_run Y
		expect_status 0
		with_y=$(grep -c 'function ntc_dpc_bh_work' "$ntc_tmp/trace")
		all_y=$(grep -c 'workqueue_execute_start' "$ntc_tmp/trace")
		tl_y=$(grep -c 'tasklet_entry.*ntc_dpc_tasklet' "$ntc_tmp/trace")
		traced_run N
		expect_status 0
		with_n=$(grep -c 'function ntc_dpc_bh_work' "$ntc_tmp/trace")
		all_n=$(grep -c 'workqueue_execute_start' "$ntc_tmp/trace")
		tl_n=$(grep -c 'tasklet_entry.*ntc_dpc_tasklet' "$ntc_tmp/trace")
		echo "# ntc_dpc_bh_work executions: $with_y with the parameter (of $all_y work items), $with_n without it (of $all_n)"
		[ "$with_y" -gt 0 ] || fail "no ntc_dpc_bh_work executed with $param Y: the DPC was not a BH work item"
		expect_eq "ntc_dpc_bh_work executions with $param N" "$with_n" 0
		if [ -n "$tasklets" ]; then
			echo "# ntc_dpc_tasklet executions: $tl_y with the parameter, $tl_n without it"
			expect_eq "ntc_dpc_tasklet executions with $param Y" "$tl_y" 0
			[ "$tl_n" -gt 0 ] || fail "no ntc_dpc_tasklet executed with $param N: the trace did not see the run without"
		fi
		echo 0 >"$inst/events/enable" 2>/dev/null
		echo Y >$param
	fi
	end
fi

begin parameter_back_to_n
echo N >$param
expect_eq "$param" "$(cat $param)" N
end

begin irql_assertion_never_fired_with_a_bh_work_dpc
expect_irql_unchanged "$irql0" "during the BH-work runs"
end

finish
