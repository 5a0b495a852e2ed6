#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# device_test.sh: the simulated-device experiments, spinlock (seed 001) and
# interlocked_queue (seed 004), through the client: their listing, clean
# runs of the correct variants, the wrong variants made to hit their hazard
# (an ISR landing on the CPU that holds the lock at DISPATCH_LEVEL), bad
# parameters, a run cut short by its budget and a run with CPU 1 offline.
# TAP ("ok N device.NAME"). Runs as root in the test VM; it offlines CPU 1
# for one test and brings it back whatever happens.
#
# One run is one device session: --iterations N is N interrupts per CPU.
# Counters are read from the client's --json output with busybox tools.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=device
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

require_root_client_module

cpus=$(online_cpus)
cpu1_online=/sys/devices/system/cpu/cpu1/online
variants_from
# The correct device variants this kernel runs, from the module's list.
correct=$(list_variants | grep -E '^(spinlock|interlocked_queue):' |
	while IFS=: read -r e v; do is_wrong "$e" "$v" || echo "$e:$v"; done)
echo "# the correct device variants here:" $correct

# Seed 001's rule on PREEMPT_RT (the kernel says so in uname -v, whatever
# the module claims): a lock taken in hard interrupt context must be a
# raw_spinlock_t, because a spinlock_t sleeps there. So raw is spinlock's
# baseline and irqsave (a spinlock_t in the ISR) is refused with the
# reason; elsewhere irqsave is the baseline and nothing is refused.
case $(uname -v) in
*PREEMPT_RT*) preempt_rt=1 sl_baseline=raw ;;
*) preempt_rt=0 sl_baseline=irqsave ;;
esac

# ---- reading a run's JSON reply --------------------------------------------

# keep NAME: list the last stdout (a one-result JSON array) as result NAME
keep() {
	json_paths "$out" >"$ntc_tmp/$1.paths" 2>/dev/null
}

# jv NAME PATH: a member of result NAME ("counters.lost"); empty when the
# result or the member is missing
jv() {
	json_path "$ntc_tmp/$1.paths" "0.$2"
}

# top NAME KEY: a top-level member of result NAME ("truncated", "samples")
top() {
	jv "$1" "$2"
}

# counters NAME: the counters of result NAME, "name=value" on one line
counters() {
	awk -F '\t' '{ n = split($1, p, ".") }
		n == 3 && p[2] == "counters" { printf "%s%s=%s", sep, p[3], $2; sep = " " }
		END { print "" }' "$ntc_tmp/$1.paths"
}

# ctr NAME COUNTER: one counter of result NAME
ctr() {
	jv "$1" "counters.$2"
}

# metric_count NAME METRIC: how many samples result NAME has of METRIC
metric_count() {
	jv "$1" "metrics.$2.count"
}

# is_num VALUE
is_num() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
}

# expect_top NAME KEY WANT / expect_ctr NAME COUNTER WANT
expect_top() {
	expect_eq "$1: $2" "$(top "$1" "$2")" "$3"
}

expect_ctr() {
	expect_eq "$1: counter $2" "$(ctr "$1" "$2")" "$3"
}

# expect_ctr_gt NAME COUNTER N: the counter is a number above N
expect_ctr_gt() {
	ntc_v=$(ctr "$1" "$2")
	if ! is_num "$ntc_v" || [ "$ntc_v" -le "$3" ]; then
		fail "$1: counter $2 is '$ntc_v', expected > $3"
	fi
}

# expect_ctr_same NAME A B: counters A and B of result NAME are equal numbers
expect_ctr_same() {
	ntc_a=$(ctr "$1" "$2") ntc_b=$(ctr "$1" "$3")
	if ! is_num "$ntc_a" || [ "$ntc_a" != "$ntc_b" ]; then
		fail "$1: counter $2 is '$ntc_a', $3 is '$ntc_b': expected equal"
	fi
}

# expect_clean NAME ITERATIONS NR_CPUS: the run finished, nothing breached
expect_clean() {
	expect_top "$1" experiment "${1%%.*}"
	expect_top "$1" iterations "$2"
	expect_top "$1" violations 0
	expect_top "$1" timeouts 0
	expect_top "$1" truncated false
	expect_top "$1" nr_cpus "$3"
}

# why_counters NAME: when the test failed, show the run's counters too
why_counters() {
	[ -z "$ntc_why" ] || ntc_why="$ntc_why
$1 $(counters "$1")"
}

# ---- list ------------------------------------------------------------------

begin list_names_spinlock_and_interlocked_queue_with_variants_and_rate_hz
cl list
expect_status 0
expect_err_empty
expect_out '^spinlock +\(seed 001-multiprocessor-safe-spinlocks\)$'
expect_out '^interlocked_queue +\(seed 004-interlocked-queues-extreme-dma\)$'
expect_out "^ +$sl_baseline +baseline "
expect_out '^ +raw +[a-z]'
expect_out '^ +irqsave +[a-z]'
if [ $preempt_rt = 1 ]; then
	expect_out '^ +irqsave +refused '
	expect_out '^    irqsave is not run on this kernel: on PREEMPT_RT a spinlock_t is a sleeping lock.* raw_spinlock_t'
else
	expect_no_out 'is not run on this kernel'
fi
expect_out '^ +dispatch_only +[a-z]'
expect_out '^ +exinterlocked +baseline '
expect_out '^ +slist +[a-z]'
expect_out '^ +naive +[a-z]'
# each experiment's section lists the rate_hz parameter
for e in spinlock interlocked_queue; do
	awk -v e="$e" '$1 == e { f = 1; next } /^[a-z]/ { f = 0 } f' "$out" >"$ntc_tmp/section"
	grep -Eq '^ +rate_hz +--rate-hz +Hz +100 +100000 +2000 ' "$ntc_tmp/section" ||
		fail "$e: no 'rate_hz --rate-hz Hz 100 100000 2000' parameter line"
done
expect_out '^ +metrics: isr_to_dpc, hold, wait$'
expect_out '^ +metrics: isr_to_dpc, dequeue$'
end

begin list_json_names_both_experiments_with_variants_seeds_and_rate_hz
cl list --json
expect_status 0
expect_err_empty
json_valid_array "$out" || fail "not a JSON array"
# EXPERIMENT:SEED:VARIANT/ROLE ... (role: baseline, refused, wrong or -)
if [ $preempt_rt = 1 ]; then
	sl_roles='irqsave/refused raw/baseline'
else
	sl_roles='irqsave/baseline raw/-'
fi
for esv in "spinlock:001-multiprocessor-safe-spinlocks:$sl_roles dispatch_only/wrong" \
	   'interlocked_queue:004-interlocked-queues-extreme-dma:exinterlocked/baseline slist/- naive/wrong'; do
	e=${esv%%:*} r=${esv#*:} s=${r%%:*} vs=${r#*:}
	n=$(jq --arg e "$e" '[.[] | select(.name == $e)] | length' "$out")
	[ "$n" = 1 ] || { fail "$n experiments named $e"; continue; }
	jq --arg e "$e" '.[] | select(.name == $e)' "$out" >"$ntc_tmp/e"
	expect_eq "$e: seed" "$(jq -r .seed "$ntc_tmp/e")" "$s"
	expect_eq "$e: number of variants" "$(jq '.variants | length' "$ntc_tmp/e")" 3
	for vr in $vs; do
		v=${vr%/*} role=${vr#*/}
		got=$(jq -r --arg v "$v" '.variants[] | select(.name == $v) |
			if .baseline then "baseline" elif .refused != null then "refused"
			elif .wrong then "wrong"
			elif .defect then "defect" else "-" end' "$ntc_tmp/e")
		expect_eq "$e/$v: role" "$got" "$role"
	done
	expect_eq "$e: rate_hz parameter" \
		"$(jq -c '.params[] | select(.name == "rate_hz") | [.option, .unit, .min, .max, .default]' "$ntc_tmp/e")" \
		'["--rate-hz","Hz",100,100000,2000]'
done
end

# ---- the correct variants, clean -------------------------------------------

for ev in $correct; do
	e=${ev%%:*} v=${ev#*:} r=$e.$v
	begin "${e}_${v}_100_interrupts_per_cpu_run_clean"
	cl run "$e" --variant "$v" --iterations 100 $slack --json
	expect_status 0
	expect_err_empty
	json_valid_array "$out" || fail "not a JSON array"
	keep "$r"
	expect_clean "$r" 100 "$cpus"
	expect_top "$r" variant "$v"
	if [ "$e" = spinlock ]; then
		expect_ctr "$r" interrupts $((100 * cpus))
		expect_ctr_same "$r" isr_sections interrupts
		expect_ctr_same "$r" events_handled interrupts
		for c in torn_records would_be_self_deadlocks deferred_to_dpc \
			 lock_timeouts irql_violations; do
			expect_ctr "$r" $c 0
		done
		expect_ctr_gt "$r" dpc_runs 0
		expect_ctr_same "$r" dpc_sections dpc_runs
		expect_ctr_gt "$r" thread_sections 0
		expect_ctr_gt "$r" events_per_sec 0
	else
		expect_ctr "$r" produced_by_isr $((100 * cpus))
		expect_ctr_same "$r" consumed produced
		for c in lost duplicates order_breaks side_listed \
			 would_be_self_deadlocks lock_timeouts; do
			expect_ctr "$r" $c 0
		done
		expect_ctr_gt "$r" produced_by_thread 0
		expect_ctr_gt "$r" batches 0
		expect_ctr_gt "$r" items_per_sec 0
	fi
	why_counters "$r"
	end
done

# A session records its own samples: one per interrupt (spinlock) or item
# consumed (interlocked_queue), each metric exactly as many as it measured.
begin session_samples_and_metric_counts_count_each_event_once
for ev in $correct; do
	e=${ev%%:*} v=${ev#*:} r=$e.$v
	ntc_cmd="ntcorral run $e --variant $v --iterations 100 (above)"
	[ -s "$ntc_tmp/$r.paths" ] || { fail "$r: no result kept"; continue; }
	if [ "$e" = spinlock ]; then
		expect_eq "$r: samples" "$(top "$r" samples)" "$(ctr "$r" interrupts)"
		expect_eq "$r: isr_to_dpc count" "$(metric_count "$r" isr_to_dpc)" \
			"$(ctr "$r" events_handled)"
		# every acquisition: the ISRs' own, the DPCs', the thread's
		acq=$(($(ctr "$r" isr_sections) - $(ctr "$r" deferred_to_dpc) + \
		      $(ctr "$r" dpc_sections) + $(ctr "$r" thread_sections)))
		expect_eq "$r: hold count" "$(metric_count "$r" hold)" "$acq"
		expect_eq "$r: wait count" "$(metric_count "$r" wait)" "$acq"
	else
		expect_eq "$r: samples" "$(top "$r" samples)" "$(ctr "$r" consumed)"
		expect_eq "$r: isr_to_dpc count" "$(metric_count "$r" isr_to_dpc)" \
			"$(ctr "$r" consumed)"
		expect_eq "$r: dequeue count" "$(metric_count "$r" dequeue)" \
			"$(ctr "$r" batches)"
	fi
done
ntc_cmd=
end

# ---- the wrong variants, made to hit their hazard --------------------------

# The DPC and the thread hold the lock for 2 ms at DISPATCH_LEVEL while the
# device interrupts every 0.5 ms on every CPU: ISRs land on the holder's CPU.
hazard="--hold-us 2000 --rate-hz 2000 --iterations 50"
hazard_runs=0
hazard_misses=0

# hazard_run NAME EXPERIMENT VARIANT: run it; once more if no ISR landed on
# the lock holder's CPU (the hazard was not hit: nothing to check). The
# wrong variants' "!!!" (dispatch_only's IRQL assertion) is what they are
# for: declared expected to vm.sh.
hazard_run() {
	bangs_expected "$2/$3 made to hit its hazard"
	cl run "$2" --variant "$3" $hazard $slack --json
	keep "$1"
	hazard_runs=$((hazard_runs + 1))
	if [ "$rc" = 0 ] && [ "$(ctr "$1" would_be_self_deadlocks)" = 0 ]; then
		hazard_misses=$((hazard_misses + 1))
		echo "# $1: would_be_self_deadlocks 0, the hazard was not hit: once more"
		cl run "$2" --variant "$3" $hazard $slack --json
		keep "$1"
		hazard_runs=$((hazard_runs + 1))
		[ "$(ctr "$1" would_be_self_deadlocks)" != 0 ] ||
			hazard_misses=$((hazard_misses + 1))
	fi
	bangs_unexpected
}

begin spinlock_dispatch_only_isr_on_the_holding_cpu_backs_off_and_defers
r=spinlock.dispatch_only
hazard_run $r spinlock dispatch_only
expect_status 0
expect_err_empty
json_valid_array "$out" || fail "not a JSON array"
expect_clean $r 50 "$cpus"
expect_ctr $r interrupts $((50 * cpus))
expect_ctr_gt $r would_be_self_deadlocks 0
expect_ctr_same $r deferred_to_dpc would_be_self_deadlocks
# the deferred updates were made, by the DPC
expect_ctr_same $r isr_sections interrupts
expect_ctr_same $r events_handled interrupts
expect_ctr $r torn_records 0
expect_ctr $r lock_timeouts 0
# every ISR takes a lock meant for DISPATCH_LEVEL at device level
expect_ctr_gt $r irql_violations 0
expect_ctr_same $r irql_violations interrupts
why_counters $r
end

begin interlocked_queue_naive_isr_on_the_holding_cpu_side_lists_its_item
r=interlocked_queue.naive
hazard_run $r interlocked_queue naive
expect_status 0
expect_err_empty
json_valid_array "$out" || fail "not a JSON array"
expect_clean $r 50 "$cpus"
expect_ctr $r produced_by_isr $((50 * cpus))
expect_ctr_same $r consumed produced
expect_ctr $r lost 0
expect_ctr $r duplicates 0
expect_ctr $r lock_timeouts 0
expect_ctr_gt $r would_be_self_deadlocks 0
expect_ctr_same $r side_listed would_be_self_deadlocks
why_counters $r
end
echo "# hazard: $hazard_runs runs, $hazard_misses without a would-be self-deadlock"

# The RT hazard as the README states it: on PREEMPT_RT the module refuses
# spinlock/irqsave up front (EINVAL with the reason and the fix), and no
# run is recorded; elsewhere it runs, and its run is recorded.
irqsave_runs() {
	cl stats spinlock --json
	jq '[.[] | select(.variant == "irqsave") | .runs] | add // 0' "$out"
}
begin spinlock_irqsave_runs_only_where_a_spinlock_t_may_be_taken_in_an_isr
before=$(irqsave_runs)
cl run spinlock --variant irqsave --iterations 10 $slack
if [ $preempt_rt = 1 ]; then
	expect_status 1
	expect_out_empty
	expect_one_error_line
	expect_err '^ntcorral: the module rejected the request: on PREEMPT_RT a spinlock_t is a sleeping lock'
	expect_err 'must be a raw_spinlock_t \(--variant raw\)'
	expect_eq "spinlock/irqsave runs recorded" "$(irqsave_runs)" "$before"
else
	expect_status 0
	expect_err_empty
	expect_eq "spinlock/irqsave runs recorded" "$(irqsave_runs)" $((before + 1))
fi
end

# ---- bad parameters ----------------------------------------------------------

# The client checks a parameter against the range LIST gives (the module's
# own check of the same range: ntcorral_reject_test, nl_fuzz).
# listed_range PARAM: "MIN to MAX" of PARAM as LIST gives it
listed_range() {
	"$client" list --json 2>/dev/null |
		jq -r --arg p "$1" '[.[].params[] | select(.name == $p)][0] | "\(.min) to \(.max)"'
}

begin run_rate_hz_out_of_range_is_refused_with_the_listed_range
hz_range=$(listed_range rate_hz)
for e in spinlock interlocked_queue; do
	for hz in 99 100001; do
		cl run $e --variant all --iterations 1 --rate-hz $hz
		expect_status 2
		expect_out_empty
		expect_one_error_line
		expect_err "^ntcorral: --rate-hz $hz is out of range: rate_hz takes $hz_range Hz; see 'ntcorral list'\$"
	done
done
end

begin run_rate_hz_not_a_number_is_a_usage_error
cl run spinlock --variant $sl_baseline --iterations 1 --rate-hz abc
expect_status 2
expect_out_empty
expect_one_error_line
expect_err 'rate-hz'
expect_err 'abc'
end

begin run_on_a_missing_cpu_is_rejected_by_the_module
for e in spinlock interlocked_queue; do
	cl run $e --variant all --iterations 1 --cpus 1000
	expect_status 1
	expect_out_empty
	expect_one_error_line
	expect_err 'names a CPU this machine does not have \(--cpus\)'
done
end

begin run_max_runtime_ms_out_of_range_is_refused_with_the_listed_range
ms_range=$(listed_range max_runtime_ms)
for ms in 0 30001; do
	cl run interlocked_queue --variant exinterlocked --iterations 1 --max-runtime-ms $ms
	expect_status 2
	expect_out_empty
	expect_one_error_line
	expect_err "^ntcorral: --max-runtime-ms $ms is out of range: max_runtime_ms takes $ms_range ms; see 'ntcorral list'\$"
done
end

# ---- a run over its budget ---------------------------------------------------

# 100000 interrupts per CPU at 100 Hz would take 1000 s: the 200 ms budget
# ends it. The client gets 60 s (the module's own bound is the budget plus
# the DPC's flush deadline, 1 s here).
bounded=
command -v timeout >/dev/null && bounded="timeout -s KILL 60"
for e in spinlock interlocked_queue; do
	r=$e.budget
	begin "${e}_run_over_its_budget_is_truncated_cleanly"
	ntc_cmd="ntcorral run $e --variant all --iterations 100000 --rate-hz 100 --max-runtime-ms 200 --deadline-us 1000000 --json"
	t0=$(cut -d' ' -f1 /proc/uptime)
	# every variant: the wrong one's IRQL assertion "!!!" is expected
	bangs_expected "$e --variant all, the wrong variant among them"
	$bounded "$client" run $e --variant all --iterations 100000 --rate-hz 100 \
		--max-runtime-ms 200 --deadline-us 1000000 --json >"$out" 2>"$err" </dev/null
	rc=$?
	bangs_unexpected
	t1=$(cut -d' ' -f1 /proc/uptime)
	nv=$(list_variants | grep -c "^$e:")
	echo "# $e: $nv truncated runs took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
	[ "$rc" != 137 ] || fail "killed after 60 s: the run did not end"
	expect_status 0
	expect_err_refused_only "$e"
	json_valid_array "$out" || fail "not a JSON array"
	json_paths "$out" >"$ntc_tmp/all.paths"
	expect_eq "number of results" "$(cut -d. -f1 "$ntc_tmp/all.paths" | uniq | wc -l)" "$nv"
	i=0
	while [ $i -lt "$nv" ]; do
		# result i as a one-result listing of its own: "I.PATH" -> "0.PATH"
		awk -v i="$i" 'index($0, i ".") == 1 { print "0" substr($0, length(i) + 1) }' \
			"$ntc_tmp/all.paths" >"$ntc_tmp/$r$((i + 1)).paths"
		i=$((i + 1))
		v=$(top $r$i variant)
		expect_top $r$i truncated true
		expect_top $r$i violations 0
		expect_top $r$i timeouts 0
		expect_top $r$i iterations 100000
		d=$(top $r$i duration_ns)
		# the budget plus the DPC's flush: far below 10 s
		{ is_num "$d" && [ "$d" -lt 10000000000 ]; } ||
			fail "$r$i ($v): duration_ns '$d', expected below 10 s"
		if [ $e = spinlock ]; then
			n=$(ctr $r$i interrupts)
			{ is_num "$n" && [ "$n" -lt $((100000 * cpus)) ]; } ||
				fail "$r$i ($v): interrupts '$n', expected fewer than asked"
			expect_ctr_same $r$i isr_sections interrupts
			expect_ctr_same $r$i events_handled interrupts
			expect_ctr $r$i torn_records 0
		else
			expect_ctr $r$i lost 0
			expect_ctr $r$i duplicates 0
			expect_ctr_same $r$i consumed produced
		fi
		[ -z "$ntc_why" ] || why_counters $r$i
	done
	end
done

# ---- with CPU 1 offline --------------------------------------------------------

cpu1_up() {
	[ "$(cat $cpu1_online 2>/dev/null)" = 1 ] || echo 1 >$cpu1_online
}

if [ "$cpus" -lt 2 ]; then
	skip correct_variants_run_clean_with_cpu1_offline "fewer than 2 CPUs"
	skip run_on_offline_cpu1_is_rejected_by_the_module "fewer than 2 CPUs"
elif [ ! -w $cpu1_online ]; then
	skip correct_variants_run_clean_with_cpu1_offline "$cpu1_online is not writable"
	skip run_on_offline_cpu1_is_rejected_by_the_module "$cpu1_online is not writable"
else
	trap 'cpu1_up' EXIT
	trap 'cpu1_up; exit 1' INT TERM HUP
	begin correct_variants_run_clean_with_cpu1_offline
	ntc_cmd="echo 0 >$cpu1_online"
	echo 0 >$cpu1_online 2>"$err" || fail "could not offline CPU 1: $(cat "$err")"
	left=$(online_cpus)
	expect_eq "online CPUs" "$left" $((cpus - 1))
	for ev in $correct; do
		e=${ev%%:*} v=${ev#*:} r=$e.$v.cpu1off
		cl run "$e" --variant "$v" --iterations 100 $slack --json
		expect_status 0
		keep "$r"
		expect_clean "$r" 100 "$left"
		cpus_of_run=$(awk -F '\t' '$1 ~ /^0\.cpus\./ { printf " %s", $2 }' "$ntc_tmp/$r.paths")
		[ -n "$cpus_of_run" ] || fail "$r: no cpus"
		case "$cpus_of_run " in
		*" 1 "*) fail "$r: CPU 1 took part:$cpus_of_run" ;;
		esac
		if [ "$e" = spinlock ]; then
			expect_ctr "$r" interrupts $((100 * left))
			expect_ctr_same "$r" isr_sections interrupts
			expect_ctr_same "$r" events_handled interrupts
			expect_ctr "$r" torn_records 0
			expect_ctr "$r" would_be_self_deadlocks 0
			expect_ctr "$r" irql_violations 0
		else
			expect_ctr "$r" produced_by_isr $((100 * left))
			expect_ctr_same "$r" consumed produced
			expect_ctr "$r" lost 0
			expect_ctr "$r" duplicates 0
			expect_ctr "$r" order_breaks 0
			expect_ctr "$r" side_listed 0
		fi
		[ -z "$ntc_why" ] || why_counters "$r"
	done
	end

	begin run_on_offline_cpu1_is_rejected_by_the_module
	for e in spinlock interlocked_queue; do
		cl run $e --variant all --iterations 1 --cpus 0-1
		expect_status 1
		expect_out_empty
		expect_one_error_line
		expect_err 'names an offline CPU \(--cpus\)'
	done
	ntc_cmd="echo 1 >$cpu1_online"
	echo 1 >$cpu1_online 2>"$err" || fail "could not online CPU 1 again: $(cat "$err")"
	expect_eq "online CPUs again" "$(online_cpus)" "$cpus"
	end
	cpu1_up
	trap - EXIT INT TERM HUP
fi

finish
