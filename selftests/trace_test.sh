#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# trace_test.sh: the "ntcorral" trace events (module/trace.h), enabled
# through tracefs as trace-cmd and perf would, add up to each run's result.
# TAP ("ok N trace.NAME"). Root, in the test VM, 4 CPUs.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=trace
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

require_root_client_module
variants_from
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events ] || T=/sys/kernel/debug/tracing
if [ ! -d $T/events/ntcorral ]; then
	echo "1..0 # SKIP no ntcorral trace events in $T (a kernel without tracing?)"
	exit 4
fi
if [ "$(online_cpus)" -lt 4 ]; then
	echo "1..0 # SKIP needs 4 online CPUs"
	exit 4
fi

dbg=$ntc_debugfs
trace=$ntc_tmp/trace
# No comm or tgid recording: it hooks sched_switch, text patching in
# __schedule that once oopsed under TCG (int3) while another test traced.
for o in record-cmd record-tgid; do
	[ -w $T/options/$o ] && echo 0 >$T/options/$o
done
cleanup() {
	echo 0 >$T/events/ntcorral/enable 2>/dev/null
	echo 0 >"$dbg/fault_mode" 2>/dev/null
}
trap cleanup EXIT INT TERM

plan 6

# traced ARGS...: run the client with every ntcorral event on, the trace
# of that run alone in $trace
traced() {
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 1 >$T/events/ntcorral/enable
	echo 1 >$T/tracing_on
	cl "$@"
	echo 0 >$T/tracing_on
	echo 0 >$T/events/ntcorral/enable
	cat $T/trace >"$trace"
	echo 1 >$T/tracing_on
	grep -q 'LOST\|lost' "$trace" && fail "the trace buffer lost events"
}

# events NAME: how many NAME events the trace has
events() {
	grep -c " ntcorral_$1: " "$trace"
}

begin shootdown_arrivals_and_releases_add_up_to_the_corralled_cpus
traced run shootdown --variant ipi --cpus 0-3 --iterations 20 $slack --json
expect_status 0
expect_eq "run_start" "$(events run_start)" 1
expect_eq "run_end" "$(events run_end)" 1
grep -q "ntcorral_run_start: shootdown/ipi cpus=4 initiator=0 iterations=20" "$trace" ||
	fail "no run_start naming shootdown/ipi on 4 CPUs"
grep -q "ntcorral_run_end: shootdown/ipi samples=$(result samples) violations=0 timeouts=0" "$trace" ||
	fail "run_end does not carry the run's samples ($(result samples))"
# Every iteration corrals the 3 CPUs besides the initiator.
expect_eq "arrivals" "$(events arrive)" $((20 * 3))
expect_eq "releases" "$(events release)" $((20 * 3))
expect_eq "generations arrived in" \
	"$(grep ' ntcorral_arrive: ' "$trace" | sed 's/.*gen=\([0-9]*\).*/\1/' | sort -u | wc -l)" 20
expect_eq "corralled_cpus" "$(result counters.corralled_cpus)" $((20 * 3))
end

begin ipi_barrier_every_cpu_arrives_every_iteration
traced run ipi_barrier --variant counter --cpus 0-3 --iterations 20 $slack --json
expect_status 0
expect_eq "arrivals" "$(events arrive)" $((20 * 4))
expect_eq "releases (phase 2 done)" "$(events release)" "$(result counters.phase2_runs)"
end

begin device_interrupts_are_the_runs_interrupts
traced run spinlock --variant "$(baseline_of spinlock)" --cpus 0-3 --iterations 30 $slack --json
expect_status 0
expect_eq "device_irq" "$(events device_irq)" "$(result counters.interrupts)"
expect_eq "device_irq" "$(events device_irq)" $((30 * 4))
end

begin queue_enqueues_and_dequeues_are_produced_and_consumed
traced run interlocked_queue --variant slist --cpus 0-3 --iterations 40 $slack --json
expect_status 0
expect_eq "enqueue" "$(events enqueue)" "$(result counters.produced)"
expect_eq "dequeue" "$(events dequeue)" "$(result counters.consumed)"
expect_eq "the last dequeue's depth" \
	"$(grep ' ntcorral_dequeue: ' "$trace" | tail -n 1 | sed 's/.*depth=\(-*[0-9]*\).*/\1/')" 0
end

begin timeouts_are_traced_with_their_phase
bangs_expected "shootdown/dpc: CPU 1 never arrives, traced"
echo 1 >"$dbg/fault_cpu"
echo 2 >"$dbg/fault_mode"
traced run shootdown --variant dpc --cpus 0-3 --iterations 3 --deadline-us 20000 --json
echo 0 >"$dbg/fault_mode"
bangs_unexpected
expect_status 3
expect_eq "timeout events" "$(events timeout)" "$(result timeouts)"
grep -q "ntcorral_timeout: shootdown/dpc: not every CPU arrived in the corral" "$trace" ||
	fail "no timeout event saying which phase"
end

begin no_event_while_the_events_are_off
echo 0 >$T/events/ntcorral/enable
echo >$T/trace
cl run shootdown --variant ipi --iterations 5 $slack --json
expect_status 0
expect_eq "ntcorral events with the events off" "$(grep -c ' ntcorral_' $T/trace)" 0
end

finish
