#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# module_reload_test.sh: unload ntcorral while clients talk to it, right
# after a run and during one; load it again and run. TAP
# ("ok N reload.NAME"). Runs as root in the test VM, with the client on PATH
# and the module file at $NTCORRAL_KO; leaves the module loaded.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=reload
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

require_root_client_module ko

expect_loaded() {
	lsmod | grep -q '^ntcorral ' || fail "not in lsmod"
	if grep -q ' /sys/kernel/debug debugfs ' /proc/mounts; then
		[ -e "$ntc_debugfs/shootdown/dpc" ] || fail "$ntc_debugfs/shootdown/dpc missing"
	fi
	cl list
	expect_status 0
	expect_out '^shootdown'
}

variants_from

# ---- unload under clients ------------------------------------------------

begin rmmod_while_clients_loop_then_insmod
# Clients in a loop, each outcome a line "<status> <first stderr line>".
stop=$ntc_tmp/stop
: >"$ntc_tmp/loop"
(
	while [ ! -e "$stop" ]; do
		for cmd in list stats "stats shootdown ipi"; do
			# shellcheck disable=SC2086
			"$client" $cmd >/dev/null 2>"$ntc_tmp/loop.err"
			echo "$? $(head -n 1 "$ntc_tmp/loop.err")" >>"$ntc_tmp/loop"
		done
	done
) &
loop_pid=$!
sleep 1
unload_module
expect_status 0
expect_unloaded
sleep 2
load_module
expect_status 0
sleep 1
touch "$stop"
wait "$loop_pid"
expect_loaded
total=$(wc -l <"$ntc_tmp/loop")
okays=$(grep -c '^0 ' "$ntc_tmp/loop")
gone=$(grep -Ec '^1 ntcorral: .*module (is not loaded|is being unloaded)' "$ntc_tmp/loop")
# A request can also race the unload between resolving the family and its
# own message: a one-line error with exit 1. Nothing else (no crash, no hang).
others=$(grep -Evc '^(0 |1 ntcorral: )' "$ntc_tmp/loop")
echo "# client calls: $total, ok $okays, 'not loaded' $gone, other $others"
[ "$okays" -gt 0 ] || fail "no client call succeeded"
[ "$gone" -gt 0 ] || fail "no client call saw the module unloaded"
[ "$others" -eq 0 ] || fail "client calls ended otherwise: $(grep -Ev '^(0 |1 ntcorral: )' "$ntc_tmp/loop" | sort | uniq -c | head -n 5)"
end

# ---- unload right after a run --------------------------------------------

begin rmmod_right_after_a_run_then_insmod_and_run
cl run shootdown --variant stop_machine --iterations 20 $slack
expect_status 0
reload_module
expect_loaded
# a fresh module: no runs counted
cl stats shootdown --json
expect_status 0
json_objects "$out" >"$ntc_tmp/objs"
# as many records as the shootdown has variants (dpc_bh on 6.9+)
nv=$(shootdown_variants | wc -w)
expect_eq "stats records" "$(wc -l <"$ntc_tmp/objs")" "$nv"
expect_eq "records with runs 0" "$(grep -c ',"runs":0,' "$ntc_tmp/objs")" "$nv"
cl run shootdown --variant dpc --iterations 20 $slack --json
expect_status 0
json_objects "$out" | grep ',"samples":20,' | grep -q ',"violations":0,' ||
	fail "the run after the reload did not give 20 samples without violations"
end

# ---- unload during a run -------------------------------------------------

begin rmmod_during_a_run_cancels_it_and_reports_what_it_measured
# A run goes on in the module after RUN's answer: rmmod cancels it, the
# client gets its result (what it measured, marked cancelled by the
# unload) and says the module was unloaded; the run does not hold rmmod,
# or genetlink, for its 20 s budget.
"$client" run shootdown --variant ipi --iterations 100000 --hold-us 100 \
	--deadline-us 1000000 --max-runtime-ms 20000 --json \
	>"$ntc_tmp/run.out" 2>"$ntc_tmp/run.err" </dev/null &
run_pid=$!
sleep 2
unload_module
expect_status 0
expect_unloaded
wait "$run_pid"
run_rc=$?
echo "# the run: exit $run_rc, $(head -n 1 "$ntc_tmp/run.err")"
expect_eq "the run's exit status" "$run_rc" 1
grep -Eq 'unloaded while the run was in flight|cancelled because the ntcorral module is being unloaded' "$ntc_tmp/run.err" ||
	fail "the client did not say the module was unloaded: $(head -n 1 "$ntc_tmp/run.err")"
r=$(jq -r '.[0] | "\(.cancelled) \(.truncated) \(.violations) \(.timeouts)"' "$ntc_tmp/run.out" 2>/dev/null)
expect_eq "cancelled, truncated, violations, timeouts" "$r" "unload true 0 0"
d=$(jq -r '.[0].duration_ns' "$ntc_tmp/run.out" 2>/dev/null)
[ "$d" -lt 10000000000 ] 2>/dev/null ||
	fail "the run went on for ${d} ns: the unload did not end it (budget 20 s)"
load_module
expect_status 0
expect_loaded
end

# ---- loaded again at the end ---------------------------------------------

begin module_is_loaded_and_runs_at_the_end
module_loaded || load_module
expect_loaded
cl run shootdown --variant stop_machine --iterations 10 $slack
expect_status 0
expect_out '^ +samples +10 of 10 iterations$'
end

finish
