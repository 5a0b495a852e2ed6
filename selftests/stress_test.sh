#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# stress_test.sh: ntcorral under load. TAP ("ok N stress.NAME"). Runs as root
# in the test VM, the client on PATH, the module file at $NTCORRAL_KO; leaves
# the module loaded and every CPU online.
#
#  - concurrency: 4 clients at once run, list, dump stats and reset for a
#    bounded time; every command returns, runs succeed clean (no violation,
#    no timeout: nothing takes a CPU away here, so a timeout has no cause
#    but a stuck corral) or get the EBUSY sentence; afterwards the
#    cumulative stats, reset when the phase began, are internally
#    consistent. The runs are of the variants that do not wait in an
#    interrupt (below, and LIST's flag).
#  - hotplug: CPU 1 (and 2) go offline and online in a loop while runs of
#    every variant go on. A run completes clean; or ends early (truncated)
#    with the module's "a CPU of the run went offline; stopping early" in
#    the log since it began; or is exclusivity/seed hitting its documented
#    defect 1 (a CPU missing from its 0..N-1: timeouts <= offline_targets);
#    or is refused with the one-line sentence that a CPU of its set went
#    offline. Anything else fails: a timeout without its cause is what a
#    deadlock looks like once the module has counted it. Then every CPU is
#    online and a run of every experiment is clean.
#  - the IRQL assertion counter (debugfs irql_violations) is unchanged by
#    both phases: the deliberately wrong variants (lib.sh), one of which
#    trips it by design, are left out of them.
#  - unload: rmmod during and right after device sessions and a DPC
#    experiment, and while a GET_STATS dump is held half-read (what
#    module_reload_test.sh does not do); insmod again and run.
#
# NTCORRAL_STRESS_SECONDS bounds the concurrency and hotplug phases (15 s
# each by default). Every client call runs under a timeout: a call that
# hangs is killed and fails the test.

# $slack and the client's arguments are split on purpose
# shellcheck disable=SC2086
ntc_prefix=stress
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

require_root_client_module

here=$(cd "$(dirname "$0")" && pwd)
seconds=${NTCORRAL_STRESS_SECONDS:-15}
call_timeout=120	# s: longer than any bounded run (30 s budget + deadlines)
cpus=$(online_cpus)
sysfs_cpu=/sys/devices/system/cpu

# variant_at N [LIST]: "EXPERIMENT VARIANT" of the Nth (0-based, modulo)
# variant of LIST (default: the loops', every variant but the deliberately
# wrong ones)
variant_at() {
	set -- "$1" "${2:-$loop_variants}"
	echo $2 | tr ' ' '\n' | sed -n "$(($1 % $(echo $2 | wc -w) + 1))p" | tr ':' ' '
}

# tbegin NAME, tend: begin and end, and how long the test took
tbegin() {
	t0_test=$(date +%s)
	begin "$1"
}

tend() {
	echo "# $ntc_name: $(($(date +%s) - t0_test))s"
	end
}

# tcl OUT ERR ARGS...: the client under the call timeout; status in $rc
tcl() {
	local tcl_out=$1 tcl_err=$2

	shift 2
	timeout -s KILL "$call_timeout" "$client" "$@" >"$tcl_out" 2>"$tcl_err" </dev/null
	rc=$?
}

# stats_consistency FILE: the problems of a "stats --json" array, one a
# line (none: consistent), then "records N" last. For each record: runs,
# samples, violations, timeouts are numbers >= 0; the primary metric
# (latency_ns) is the first of "metrics"; every histogram sums to its
# metric's count; for the per-iteration experiments every metric counts one
# value per sample.
stats_consistency() {
	json_paths "$1" | awk -F '\t' '
		{
			n = split($1, p, ".")
			r = p[1]
			if (!(r in seen)) { seen[r] = 1; order[++nr] = r }
		}
		n == 2 && p[2] == "experiment" { xname[r] = $2 }
		n == 2 && p[2] == "variant" { var[r] = $2 }
		n == 2 && (p[2] == "runs" || p[2] == "samples" || p[2] == "violations" || p[2] == "timeouts") {
			if ($2 !~ /^[0-9]+$/)
				bad[r] = bad[r] " " p[2] "=" $2
			val[r, p[2]] = $2
		}
		n == 3 && p[2] == "latency_ns" && p[3] == "count" { lat[r] = $2 }
		n == 3 && p[2] == "latency_ns" && p[3] == "metric" { primary[r] = $2 }
		n == 4 && p[2] == "histogram" && p[4] == "count" { hsum[r] += $2 }
		n == 4 && p[2] == "metrics" && p[4] == "count" {
			if (!((r, p[3]) in mc)) { nm[r]++; mname[r, nm[r]] = p[3] }
			mc[r, p[3]] = $2
		}
		n == 6 && p[2] == "metrics" && p[4] == "histogram" && p[6] == "count" { mh[r, p[3]] += $2 }
		END {
			for (k = 1; k <= nr; k++) {
				r = order[k]
				who = xname[r] "/" var[r]
				if (bad[r] != "")
					print who ": not a count:" bad[r]
				if (!((r, "samples") in val))
					print who ": no samples"
				if (lat[r] + 0 != hsum[r] + 0)
					print who ": primary histogram sums to " hsum[r] + 0 ", count " lat[r]
				if (nm[r] && primary[r] != "" && lat[r] + 0 != mc[r, primary[r]] + 0)
					print who ": latency_ns.count " lat[r] " != metrics." primary[r] ".count " mc[r, primary[r]]
				for (m = 1; m <= nm[r]; m++) {
					name = mname[r, m]
					if (mc[r, name] + 0 != mh[r, name] + 0)
						print who ": metric " name " histogram sums to " mh[r, name] + 0 ", count " mc[r, name]
					if ((xname[r] == "shootdown" || xname[r] == "ipi_barrier" || xname[r] == "exclusivity") &&
					    mc[r, name] + 0 != val[r, "samples"] + 0)
						print who ": metric " name " count " mc[r, name] " != samples " val[r, "samples"]
				}
				if (val[r, "runs"] + 0 == 0 && val[r, "samples"] + 0 != 0)
					print who ": " val[r, "samples"] " samples in 0 runs"
			}
			print "records " nr + 0
		}
	'
}

# Every variant of every experiment, "EXPERIMENT:VARIANT", from the module's
# own list (a kernel may offer more, e.g. shootdown/dpc_bh where it has WQ_BH,
# or refuse one, spinlock/irqsave on PREEMPT_RT: list_variants leaves it out).
cl list --json
variants_from "$out"
all_variants=$(list_variants "$out")
nr_variants=$(echo $all_variants | wc -w)
# stats keeps a record of every variant, a refused one's too
nr_records=$(jq '[.[].variants[]] | length' "$ntc_tmp/list.json")
if [ "$rc" != 0 ] || [ "$nr_variants" -lt 1 ]; then
	echo "1..0 # SKIP 'ntcorral list --json' names no variant (exit $rc)"
	exit 4
fi
loop_variants=
for ev in $all_variants; do
	is_wrong "${ev%%:*}" "${ev#*:}" || loop_variants="$loop_variants $ev"
done
nr_loop_variants=$(echo $loop_variants | wc -w)
# The clients' runs leave out the variants whose CPUs wait for one another
# inside an interrupt: four shells forking and reaping on every CPU is the
# load under which such a corral catches a CPU holding tasklist_lock for
# reading (wait4) while another spins for it, interrupts off, in fork or
# exit, and both wait for the deadline (README, "A corral that waits in an
# interrupt"): a timeout with a cause, but one this test cannot prove. The
# hotplug phase and the other programs run them.
client_variants=
for ev in $loop_variants; do
	waits_in_irq "${ev%%:*}" "${ev#*:}" || client_variants="$client_variants $ev"
done
echo "# $nr_variants variants:" $all_variants
echo "# in the loops (not deliberately wrong): $nr_loop_variants"
echo "# in the clients' runs (not waiting in an interrupt either): $(echo $client_variants | wc -w)"

plan 8
irql0=$(irql_count)

# ---- concurrency -----------------------------------------------------------

# client_loop ID UNTIL: one client, its outcomes "OP STATUS FIRST-STDERR-LINE"
client_loop() {
	id=$1 until=$2 i=$1 log=$ntc_tmp/client$1.log
	o=$ntc_tmp/c$1.out e=$ntc_tmp/c$1.err
	: >"$log"
	: >"$log.bad"
	while [ "$(date +%s)" -lt "$until" ]; do
		i=$((i + 1))
		case $(((i + RANDOM) % 7)) in
		0|1|2)
			op=run
			set -- $(variant_at $((RANDOM + id * 5)) "$client_variants")
			tcl "$o" "$e" run "$1" --variant "$2" --iterations 10 $slack --json
			# exit 0 with a clean result of its own, not merely exit 0
			[ "$rc" != 0 ] ||
				jq -e 'length == 1 and .[0].violations == 0 and .[0].timeouts == 0 and .[0].truncated == false' \
					"$o" >/dev/null 2>&1 || rc=unclean
			[ "$rc" != 3 ] || echo "run 3 $1/$2: $(jq -c '.[0] | {violations, timeouts, truncated}' "$o" 2>/dev/null)" >>"$log.bad"
			;;
		3)
			op=list
			tcl "$o" "$e" list
			;;
		4|5)
			op=stats
			tcl "$o" "$e" stats --json
			;;
		6)
			op=reset
			if [ $((RANDOM % 2)) = 0 ]; then
				tcl "$o" "$e" reset
			else
				set -- $(variant_at $((RANDOM)) "$client_variants")
				tcl "$o" "$e" reset "$1"
			fi
			;;
		esac
		echo "$op $rc $(head -n 1 "$e")" >>"$log"
	done
}

tbegin four_clients_run_list_stats_reset_at_once_without_hang
# The stats start from zero, so that the next test checks this phase's runs
# alone: plain runs, one value per sample in every metric. A batched or
# lean run of an earlier program (the sweep's) records fewer, by design
# (README, the timing method); the clients' own resets did not always come
# in time to clear them.
cl reset
expect_status 0
nclients=4
until=$(($(date +%s) + seconds))
pids=
for c in $(seq 1 $nclients); do
	client_loop "$c" "$until" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
busy_re='^run 1 ntcorral: the module is busy: '
for c in $(seq 1 $nclients); do
	log=$ntc_tmp/client$c.log
	calls=$(wc -l <"$log")
	runs_ok=$(grep -c '^run 0 ' "$log")
	runs_busy=$(grep -Ec "$busy_re" "$log")
	hangs=$(grep -Ec '^[a-z]+ (124|137) ' "$log")
	# Nothing takes a CPU away in this phase: a run with a timeout (exit
	# 3) has no cause to show for it and fails like a violation.
	others=$(grep -Ev "^(list|stats|reset) 0 |^run 0 |$busy_re" "$log")
	echo "# client $c: $calls calls, runs ok $runs_ok, runs busy $runs_busy," \
		"list $(grep -c '^list 0 ' "$log"), stats $(grep -c '^stats 0 ' "$log")," \
		"reset $(grep -c '^reset 0 ' "$log"), runs with violations or timeouts $(grep -c '^run 3 ' "$log")," \
		"killed by the timeout $hangs"
	[ ! -s "$log.bad" ] || sed 's/^/#   /' "$log.bad" | head -n 10
	[ "$calls" -gt 0 ] || fail "client $c made no call"
	[ "$hangs" -eq 0 ] || fail "client $c: $hangs calls did not return within ${call_timeout}s"
	[ -z "$others" ] || fail "client $c: calls ended otherwise: $(echo "$others" | sort | uniq -c | head -n 5)"
	cat "$log" >>"$ntc_tmp/all.log"
done
echo "# ${nclients} clients x ${seconds}s: runs ok $(grep -c '^run 0 ' "$ntc_tmp/all.log")," \
	"busy $(grep -Ec "$busy_re" "$ntc_tmp/all.log"), calls $(wc -l <"$ntc_tmp/all.log")"
echo "# busy sentences: $(grep -E "$busy_re" "$ntc_tmp/all.log" | cut -d' ' -f3- | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')"
grep -q '^run 0 ' "$ntc_tmp/all.log" || fail "no run succeeded"
ntc_cmd=
tend

tbegin stats_after_concurrency_are_internally_consistent
cl stats --json
expect_status 0
json_valid_array "$out" || fail "stats --json is not a JSON array"
stats_consistency "$out" >"$ntc_tmp/consistency"
records=$(sed -n 's/^records //p' "$ntc_tmp/consistency")
expect_eq "stats records" "$records" "$nr_records"
problems=$(grep -v '^records ' "$ntc_tmp/consistency")
[ -z "$problems" ] || fail "inconsistent stats: $problems"
json_objects "$out" >"$ntc_tmp/objs"
echo "# stats: $records records, runs $(sed -n 's/.*,"runs":\([0-9]*\),.*/\1/p' "$ntc_tmp/objs" | awk '{ s += $1 } END { print s + 0 }')" \
	"samples $(sed -n 's/.*,"samples":\([0-9]*\),.*/\1/p' "$ntc_tmp/objs" | awk '{ s += $1 } END { print s + 0 }')" \
	"(since the last reset), violations $(sed -n 's/.*,"violations":\([0-9]*\),.*/\1/p' "$ntc_tmp/objs" | awk '{ s += $1 } END { print s + 0 }')"
# a fresh reset leaves every record at zero, and consistent
cl reset
expect_status 0
cl stats --json
expect_status 0
json_objects "$out" >"$ntc_tmp/objs"
expect_eq "records with runs 0 after a reset" "$(grep -c ',"runs":0,' "$ntc_tmp/objs")" "$nr_records"
tend

# ---- hotplug ---------------------------------------------------------------

# online_all: every present CPU online again
online_all() {
	for f in "$sysfs_cpu"/cpu[0-9]*/online; do
		[ -e "$f" ] || continue
		[ "$(cat "$f")" = 1 ] || echo 1 >"$f" 2>/dev/null
	done
}

# hotplug_loop STOPFILE: CPU 1 (and 2) off and on until STOPFILE exists;
# each completed off+on a line in $ntc_tmp/cycles, each failed write one in
# $ntc_tmp/cycle_errors
hotplug_loop() {
	: >"$ntc_tmp/cycles"
	: >"$ntc_tmp/cycle_errors"
	while [ ! -e "$1" ]; do
		for c in $hot_cpus; do
			[ -e "$1" ] && break
			f=$sysfs_cpu/cpu$c/online
			if echo 0 >"$f" 2>>"$ntc_tmp/cycle_errors"; then
				sleep 0.2
				if echo 1 >"$f" 2>>"$ntc_tmp/cycle_errors"; then
					echo "$c" >>"$ntc_tmp/cycles"
				fi
			fi
			sleep 0.1
		done
	done
	online_all
}

if [ "$cpus" -lt 2 ] || [ ! -e "$sysfs_cpu/cpu1/online" ]; then
	skip runs_of_every_variant_during_cpu_hotplug_are_clean_or_show_their_cause "needs 2 CPUs and CPU 1 hotpluggable"
else
	tbegin runs_of_every_variant_during_cpu_hotplug_are_clean_or_show_their_cause
	hot_cpus=1
	[ ! -e "$sysfs_cpu/cpu2/online" ] || hot_cpus="1 2"
	stop=$ntc_tmp/hotplug.stop
	rm -f "$stop"
	hotplug_loop "$stop" &
	hp_pid=$!
	trap 'touch "$stop"; online_all' EXIT
	until=$(($(date +%s) + seconds))
	n=0 ok=0 seed_defect=0 gone_err=0 truncated=0
	: >"$ntc_tmp/hp_errors"
	while [ "$(date +%s)" -lt "$until" ]; do
		set -- $(variant_at "$n")
		n=$((n + 1))
		mark="hotplug run $n $1/$2"
		kmsg "$mark"
		# A timeout prints "!!!"; this test judges each one's cause
		# itself (below), so vm.sh is told to expect them here.
		bangs_expected "$1/$2 during hotplug: a timeout passes only with its cause"
		tcl "$out" "$err" run "$1" --variant "$2" --iterations 3 $slack --json
		bangs_unexpected
		ntc_cmd="ntcorral run $1 --variant $2 (during hotplug)"
		case $rc in
		0|3)
			if ! jq -e 'length == 1' "$out" >/dev/null 2>&1; then
				fail "$1/$2: exit $rc without one result: $(head -c 300 "$out")"
				continue
			fi
			r=$(jq -r '.[0] | "\(.violations) \(.timeouts) \(.truncated) \(.counters.offline_targets // 0) \(.samples)"' "$out")
			set -- "$1" "$2" $r
			viol=$3 tmo=$4 trunc=$5 offline_targets=$6
			gone=
			! dmesg_since "$mark" | grep -q "ntcorral: $1/$2: a CPU of the run went offline; stopping early" || gone=1
			[ "$trunc" = false ] || truncated=$((truncated + 1))
			[ "$viol" = 0 ] || fail "$1/$2: $viol violations during hotplug"
			if [ "$trunc" = true ] && [ -z "$gone" ]; then
				fail "$1/$2: truncated (timeouts $tmo) without the module saying a CPU of the run went offline"
			fi
			if [ "$tmo" != 0 ]; then
				if [ "$1/$2" = exclusivity/seed ] && [ "$offline_targets" -gt 0 ] &&
				   [ "$tmo" -le "$offline_targets" ]; then
					seed_defect=$((seed_defect + 1))
					echo "$1/$2 defect 1: $tmo timeouts, offline_targets $offline_targets" >>"$ntc_tmp/hp_errors"
				elif [ "$trunc" = true ] && [ -n "$gone" ]; then
					echo "$1/$2 ended early, a CPU went offline: $tmo timeouts" >>"$ntc_tmp/hp_errors"
				else
					fail "$1/$2: $tmo timeouts with no cause shown (no CPU of the run went offline, not the seed's defect; offline_targets $offline_targets, truncated $trunc)"
				fi
				[ "$rc" = 3 ] || fail "$1/$2: $tmo timeouts but exit $rc, not 3"
			elif [ "$viol" = 0 ]; then
				[ "$rc" = 0 ] || fail "$1/$2: a clean result but exit $rc"
				[ "$trunc" = true ] || ok=$((ok + 1))
			fi
			;;
		1)
			# refused at the start: its set lost a CPU in between
			if [ "$(wc -l <"$err")" -eq 1 ] && grep -q '^ntcorral: .*went offline' "$err"; then
				gone_err=$((gone_err + 1))
				echo "$1/$2 $(cat "$err")" >>"$ntc_tmp/hp_errors"
			else
				fail "$1/$2: exit 1 without the sentence that a CPU went offline: $(head -n 3 "$err" | tr '\n' '|')"
			fi
			;;
		*)
			fail "$1/$2: exit $rc (124/137: hung, killed after ${call_timeout}s): $(head -n 2 "$err" | tr '\n' '|')"
			;;
		esac
	done
	touch "$stop"
	wait "$hp_pid"
	online_all
	trap - EXIT
	cycles=$(wc -l <"$ntc_tmp/cycles")
	echo "# hotplug: $cycles off/on cycles of CPU(s) $hot_cpus ($(sort "$ntc_tmp/cycle_errors" | uniq -c | sed 's/^ *//' | tr '\n' ';') write errors)"
	echo "# runs during hotplug: $n, clean $ok, ended early (a CPU went offline) $truncated, the seed's defect 1 $seed_defect, refused (a CPU went offline) $gone_err"
	sort "$ntc_tmp/hp_errors" | uniq -c | sed "s/^ */#   /" | head -n 20
	[ "$cycles" -gt 0 ] || fail "no hotplug cycle completed"
	[ "$n" -gt 0 ] || fail "no run during hotplug"
	[ -z "$(cat "$sysfs_cpu/offline" 2>/dev/null)" ] || fail "CPUs still offline: $(cat "$sysfs_cpu/offline")"
	expect_eq "online CPUs" "$(online_cpus)" "$cpus"
	tend
fi

tbegin irql_assertion_never_fired_during_concurrency_and_hotplug
ntc_cmd=
expect_irql_unchanged "$irql0" "during the concurrency and hotplug phases"
tend

tbegin every_variant_runs_clean_after_hotplug
ntc_cmd="ntcorral run all --iterations 3 $slack --json"
# spinlock/dispatch_only trips the IRQL assertion ("!!!") by design
bangs_expected "run all: the wrong variants' IRQL assertion"
timeout -s KILL 600 "$client" run all --iterations 3 $slack --json >"$out" 2>"$err" </dev/null
rc=$?
bangs_unexpected
expect_status 0
json_objects "$out" >"$ntc_tmp/all.objs"
expect_eq "results" "$(wc -l <"$ntc_tmp/all.objs")" "$nr_variants"
expect_eq "results with 0 violations" "$(grep -c ',"violations":0,' "$ntc_tmp/all.objs")" "$nr_variants"
expect_eq "results with 0 timeouts" "$(grep -c ',"timeouts":0,' "$ntc_tmp/all.objs")" "$nr_variants"
expect_eq "results truncated" "$(grep -c ',"truncated":true,' "$ntc_tmp/all.objs")" 0
expect_eq "results on every CPU" "$(grep -c ",\"nr_cpus\":$cpus," "$ntc_tmp/all.objs")" "$nr_variants"
tend

# ---- unload ----------------------------------------------------------------

# run_ok EXPERIMENT VARIANT: a clean run of 5 iterations after the reload
run_ok() {
	cl run "$1" --variant "$2" --iterations 5 $slack --json
	expect_status 0
	json_objects "$out" | grep -q ',"violations":0,' || fail "$1/$2: violations after the reload"
}

if [ -z "$NTCORRAL_KO" ] || [ ! -f "$NTCORRAL_KO" ]; then
	skip rmmod_during_and_right_after_sessions_then_insmod_and_run "no module file in \$NTCORRAL_KO"
	skip rmmod_while_a_stats_dump_is_held_half_read "no module file in \$NTCORRAL_KO"
else
	tbegin rmmod_during_and_right_after_sessions_then_insmod_and_run
	# Sessions: hrtimer ISRs on every CPU and a DPC tasklet (0.3 s of
	# interrupts, longer under TCG); a DPC experiment of 100 iterations.
	for ev in "spinlock $(baseline_of spinlock) --iterations 300 --rate-hz 1000" \
		  "interlocked_queue slist --iterations 300 --rate-hz 1000" \
		  "exclusivity generic_call_dpc --iterations 100"; do
		set -- $ev
		e=$1 v=$2
		shift 2
		timeout -s KILL "$call_timeout" "$client" run "$e" --variant "$v" "$@" $slack --json \
			>"$ntc_tmp/run.out" 2>"$ntc_tmp/run.err" </dev/null &
		run_pid=$!
		sleep 0.3
		t0=$(date +%s)
		# an unload that must wait for a queued DPC says so, "!!!"
		bangs_expected "rmmod during $e/$v"
		unload_module
		expect_status 0
		expect_unloaded
		wait "$run_pid"
		run_rc=$?
		bangs_unexpected
		echo "# rmmod during $e/$v: rmmod took $(($(date +%s) - t0))s; the run: exit $run_rc $(head -n 1 "$ntc_tmp/run.err")"
		case $run_rc in
		0)
			json_objects "$ntc_tmp/run.out" | grep -q ',"violations":0,' ||
				fail "$e/$v: exit 0 without a clean result"
			;;
		1)
			# started too late (no module, or one being unloaded), or
			# cancelled by the unload: then its result is clean
			grep -Eq 'module (is not loaded|is being unloaded)' "$ntc_tmp/run.err" ||
				fail "$e/$v: the run failed otherwise: $(head -n 1 "$ntc_tmp/run.err")"
			if grep -Eq 'unloaded while the run was in flight|cancelled because the ntcorral module' "$ntc_tmp/run.err"; then
				r=$(jq -r '.[0] | "\(.cancelled) \(.violations)"' "$ntc_tmp/run.out" 2>/dev/null)
				[ "$r" = "unload 0" ] ||
					fail "$e/$v: cancelled by the unload, but its result says '$r', not 'unload 0'"
			fi
			;;
		*)
			fail "$e/$v: the run exited $run_rc: $(head -n 1 "$ntc_tmp/run.err")"
			;;
		esac
		load_module
		expect_status 0
		# right after a session: rmmod at once
		tcl "$out" "$err" run "$e" --variant "$v" --iterations 20 $slack
		ntc_cmd="ntcorral run $e --variant $v --iterations 20"
		expect_status 0
		reload_module
		run_ok "$e" "$v"
	done
	tend

	tbegin rmmod_while_a_stats_dump_is_held_half_read
	# The dump holds a reference on the module: rmmod must refuse until the
	# reader is done, then succeed; never free what the dump still uses.
	: >"$ntc_tmp/hold.out"
	NTCORRAL_FUZZ_HOLD_DUMP=3 "$here/nl_fuzz" >"$ntc_tmp/hold.out" 2>&1 &
	hold_pid=$!
	i=0
	while ! grep -q '^# held' "$ntc_tmp/hold.out" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q '^# held: .* half-way' "$ntc_tmp/hold.out" ||
		fail "the dump was not held half-way: $(cat "$ntc_tmp/hold.out")"
	ntc_cmd="rmmod ntcorral (dump held)"
	rmmod ntcorral 2>"$err"
	held_rc=$?
	echo "# rmmod with the dump held: exit $held_rc $(head -n 1 "$err")"
	if [ "$held_rc" = 0 ]; then
		fail "rmmod succeeded while a dump was half-read"
	else
		module_loaded || fail "rmmod failed but the module is gone"
	fi
	wait "$hold_pid"
	hold_rc=$?
	sed 's/^# /# reader: /' "$ntc_tmp/hold.out"
	expect_eq "the reader's exit status" "$hold_rc" 0
	if module_loaded; then
		unload_module
		expect_status 0
	fi
	expect_unloaded
	load_module
	expect_status 0
	run_ok shootdown ipi
	tend
fi

tbegin module_is_loaded_and_every_cpu_online_at_the_end
module_loaded || load_module
online_all
expect_eq "online CPUs" "$(online_cpus)" "$cpus"
irql0=$(irql_count)
run_ok shootdown stop_machine
expect_irql_unchanged "$irql0" "during a clean run"
tend

finish
