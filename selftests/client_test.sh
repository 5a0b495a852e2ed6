#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# client_test.sh: the ntcorral client end to end against the loaded module,
# asserting what it prints. TAP ("ok N client.NAME"). Runs as root in the
# test VM; it unloads and reloads the module ($NTCORRAL_KO) once, and adds a
# "nobody" account to /etc/passwd there if none has uid 65534.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=client
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

require_root_client_module

variants_from
variants=$(shootdown_variants)
nr_variants=$(echo "$variants" | wc -w)
# stats keeps a record of every listed variant, one refused on this kernel too
nr_listed=$(jq '.[] | select(.name == "shootdown") | .variants | length' "$ntc_list_json")
cpus=$(online_cpus)

# ---- list ----------------------------------------------------------------

begin list_names_shootdown_and_each_variant
cl list
expect_status 0
expect_err_empty
expect_out '^shootdown'
expect_out '000-processor-shootdown'
for v in $variants; do
	expect_out "(^|[^a-z_])$v([^a-z_]|$)"
done
expect_out 'stop_machine.*baseline'
expect_out 'window'
end

begin list_json_names_shootdown_and_each_variant
cl list --json
expect_status 0
expect_err_empty
json_valid_array "$out" || fail "not a JSON array"
objs=$(json_objects "$out")
echo "$objs" | grep -q ',"name":"shootdown",' || fail "no object with name shootdown"
echo "$objs" | grep -q ',"seed":"000-processor-shootdown",' || fail "no seed"
tr -d ' \n\t' <"$out" >"$ntc_tmp/flat"
for v in $variants; do
	grep -q "\"name\":\"$v\"" "$ntc_tmp/flat" || fail "variant $v not named"
done
end

# ---- run -----------------------------------------------------------------

cl reset
[ "$rc" = 0 ] || echo "# ntcorral reset failed ($rc): $(cat "$err")"

begin run_all_json_prints_one_object_per_variant
cl run shootdown --variant all --iterations 20 $slack --json
expect_status 0
expect_err_refused_only shootdown
json_valid_array "$out" || fail "not a JSON array"
json_objects "$out" >"$ntc_tmp/objs"
expect_eq "number of objects" "$(wc -l <"$ntc_tmp/objs")" "$nr_variants"
for v in $variants; do
	line=$(grep ",\"variant\":\"$v\"," "$ntc_tmp/objs")
	[ -n "$line" ] || { fail "no object for variant $v"; continue; }
	for kv in '"experiment":"shootdown"' '"runs":1' '"iterations":20' \
		  '"samples":20' '"violations":0' '"timeouts":0' \
		  '"truncated":false' "\"nr_cpus\":$cpus" '"initiator_cpu":0'; do
		case $line in
		*",$kv,"*) ;;
		*) fail "$v: no $kv" ;;
		esac
	done
	for k in cpus duration_ns latency_ns histogram metrics counters; do
		jq -e --arg v "$v" --arg k "$k" \
			'any(.[]; .variant == $v and has($k))' "$out" >/dev/null ||
			fail "$v: no key $k"
	done
done
# the primary metric is "window", its count the samples
tr -d ' \n\t' <"$out" >"$ntc_tmp/flat"
grep -o '"latency_ns":{[^}]*}' "$ntc_tmp/flat" >"$ntc_tmp/latency"
expect_eq "latency_ns objects" "$(wc -l <"$ntc_tmp/latency")" "$nr_variants"
expect_eq 'latency_ns of "window"' "$(grep -c '"metric":"window"' "$ntc_tmp/latency")" "$nr_variants"
expect_eq "latency_ns with count 20" "$(grep -c '[{,]"count":20[,}]' "$ntc_tmp/latency")" "$nr_variants"
end

begin run_ipi_prints_a_table_and_a_histogram
cl run shootdown --variant ipi --iterations 10 $slack
expect_status 0
expect_err_empty
expect_eq "first line" "$(head -n 1 "$out")" "shootdown/ipi"
expect_out '^ +samples +10 of 10 iterations$'
expect_out '^ +violations +0$'
expect_out '^ +timeouts +0$'
expect_out '^ +truncated +no$'
expect_out "^ +cpus +.*\\($cpus CPUs?"
expect_out '^ +window +10 '
expect_out 'window histogram'
expect_out '\) +[0-9]+ +\|#+$'
# the histogram rows count every sample
rows=$(awk '/\) +[0-9]+ +\|#+$/ { sub(/.*\) +/, ""); sub(/ .*/, ""); n += $0 } END { print n + 0 }' "$out")
expect_eq "histogram total" "$rows" 10
expect_out '^shootdown: 1 variant, 0 violations, 0 timeouts$'
end

begin run_unknown_experiment_exits_2_naming_the_valid_ones
cl run nosuch
expect_status 2
expect_out_empty
expect_one_error_line
expect_err "unknown experiment 'nosuch'"
expect_err 'valid: .*shootdown'
end

begin run_unknown_variant_exits_2_naming_the_valid_ones
cl run shootdown --variant nosuch --iterations 1
expect_status 2
expect_out_empty
expect_one_error_line
expect_err "unknown variant 'nosuch'"
for v in $variants; do
	expect_err "valid: .*$v"
done
end

begin run_bad_cpu_list_is_a_usage_error
cl run shootdown --variant dpc --cpus 0-2x
expect_status 2
expect_out_empty
expect_one_error_line
expect_err "bad CPU list '0-2x'"
end

begin run_on_an_offline_or_missing_cpu_is_rejected_by_the_module
cl run shootdown --variant dpc --iterations 1 --cpus 1000
expect_status 1
expect_out_empty
expect_one_error_line
expect_err 'CPU'
end

begin run_iterations_out_of_range_is_a_usage_error_naming_the_listed_range
max=$(jq -r '.[] | select(.name == "shootdown") | .params[] |
	select(.name == "iterations") | .max' "$ntc_list_json")
cl run shootdown --variant dpc --iterations $((max + 1))
expect_status 2
expect_out_empty
expect_one_error_line
expect_err "--iterations $((max + 1)) is out of range: iterations takes [0-9]+ to $max; see 'ntcorral list'"
end

begin run_unknown_option_exits_2_with_a_guess
cl run shootdown --variant dpc --hodl-us 1
expect_status 2
expect_out_empty
expect_one_error_line
expect_err "unknown option '--hodl-us'"
expect_err "did you mean '--hold-us'"
end

begin run_option_of_another_experiment_exits_2_saying_so
# a parameter some experiment lists and the shootdown does not
name=$(jq -r '(map(select(.name == "shootdown"))[0].params | map(.name)) as $own |
	[.[].params[].name] - $own | first // empty' "$ntc_list_json")
if [ -z "$name" ]; then
	echo "# every listed parameter is the shootdown's"
else
	opt=--$(echo "$name" | tr _ -)
	cl run shootdown --variant dpc "$opt" 1
	expect_status 2
	expect_out_empty
	expect_one_error_line
	expect_err "^ntcorral: shootdown takes no $opt \\(see 'ntcorral list'\\)$"
fi
end

begin run_help_lists_every_parameter_the_module_lists
cl run --help
expect_status 0
expect_err_empty
expect_out '^  --cpus LIST'
expect_out '^  --pci-device BB:DD.F'
expect_out '^Run parameters, as the module lists them'
for name in $(jq -r '[.[].params[].name] | unique | .[]' "$ntc_list_json"); do
	[ "$name" = pci_device ] && continue
	expect_out "^  --$(echo "$name" | tr _ -) N( |\$)"
done
end

# ---- stats ---------------------------------------------------------------

begin stats_shows_the_runs_so_far
cl stats shootdown ipi
expect_status 0
expect_err_empty
expect_eq "first line" "$(head -n 1 "$out")" "shootdown/ipi"
expect_out '^ +runs +2$'
expect_out '^ +samples +30$'
cl stats shootdown --json
expect_status 0
json_objects "$out" >"$ntc_tmp/objs"
expect_eq "stats records" "$(wc -l <"$ntc_tmp/objs")" "$nr_listed"
for vr in dpc:1:20 ipi:2:30 stop_machine:1:20; do
	v=${vr%%:*} r=${vr#*:} s=${r#*:} r=${r%%:*}
	line=$(grep ",\"variant\":\"$v\"," "$ntc_tmp/objs")
	case $line in
	*",\"runs\":$r,"*) ;;
	*) fail "stats of $v: not runs $r: $line" ;;
	esac
	case $line in
	*",\"samples\":$s,"*) ;;
	*) fail "stats of $v: not samples $s: $line" ;;
	esac
done
end

# ---- privileges ----------------------------------------------------------

ntc_nobody=$(awk -F: '$3 == 65534 { print $1; exit }' /etc/passwd 2>/dev/null)
if [ -z "$ntc_nobody" ] && [ -n "$NTCORRAL_SELFTESTS" ] && [ -w /etc/passwd ]; then
	# the test VM's /etc is ours
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
	echo 'nogroup:x:65534:' >>/etc/group
	ntc_nobody=nobody
fi
if [ -z "$ntc_nobody" ]; then
	skip run_unprivileged_needs_root "no account with uid 65534"
elif ! command -v su >/dev/null; then
	skip run_unprivileged_needs_root "no su"
else
	begin run_unprivileged_needs_root
	as_nobody run shootdown --variant dpc --iterations 1
	expect_status 1
	expect_out_empty
	expect_one_error_line
	expect_err "needs root \\(CAP_SYS_ADMIN\\)"
	as_nobody reset
	expect_status 1
	expect_one_error_line
	expect_err "needs root \\(CAP_SYS_ADMIN\\)"
	as_nobody list
	expect_status 0
	expect_out '^shootdown'
	as_nobody stats shootdown dpc
	expect_status 0
	expect_out '^shootdown/dpc'
	end
fi

# ---- reset ---------------------------------------------------------------

begin reset_then_stats_shows_zero_runs
cl reset
expect_status 0
expect_out '^stats reset$'
cl stats shootdown --json
expect_status 0
json_objects "$out" >"$ntc_tmp/objs"
expect_eq "stats records" "$(wc -l <"$ntc_tmp/objs")" "$nr_listed"
expect_eq "records with runs 0" "$(grep -c ',"runs":0,' "$ntc_tmp/objs")" "$nr_listed"
expect_eq "records with samples 0" "$(grep -c ',"samples":0,' "$ntc_tmp/objs")" "$nr_listed"
cl stats shootdown dpc
expect_status 0
expect_out '^ +runs +0$'
expect_out '^ +samples +0$'
end

begin reset_of_one_variant_keeps_the_others
cl run shootdown --variant dpc --iterations 5 $slack
expect_status 0
cl run shootdown --variant ipi --iterations 5 $slack
expect_status 0
cl reset shootdown dpc
expect_status 0
expect_out '^stats reset for shootdown/dpc$'
cl stats shootdown --json
json_objects "$out" >"$ntc_tmp/objs"
grep ',"variant":"dpc",' "$ntc_tmp/objs" | grep -q ',"runs":0,' || fail "dpc not reset"
grep ',"variant":"ipi",' "$ntc_tmp/objs" | grep ',"runs":1,' | grep -q ',"samples":5,' ||
	fail "ipi lost its run"
end

# ---- run all ---------------------------------------------------------------

# the variants of the first three experiments (module/<experiment>.c)
known_variants="shootdown:dpc shootdown:ipi shootdown:stop_machine
ipi_barrier:counter ipi_barrier:lockflag ipi_barrier:sense
ipi_barrier:stop_machine ipi_barrier:static_key ipi_barrier:bare_ipi
exclusivity:seed exclusivity:generic_call_dpc exclusivity:stop_machine"

begin run_all_json_prints_one_clean_object_per_variant_of_every_experiment
# every variant the module lists, less those refused on this kernel
# (spinlock/irqsave on PREEMPT_RT): each is named on stderr instead
cl list --json
expect_status 0
all=$(jq '[.[].variants[]] | length' "$out")
[ "${all:-0}" -ge 12 ] || fail "the module lists ${all:-no} variants, expected 12 or more"
listed=$(list_variants "$out" | wc -l)
# spinlock/dispatch_only trips the IRQL assertion ("!!!") by design
bangs_expected "run all, the wrong variants among them"
cl run all --iterations 5 $slack --json
bangs_unexpected
expect_status 0
expect_err_refused_only all
json_valid_array "$out" || fail "not a JSON array"
json_objects "$out" >"$ntc_tmp/objs"
expect_eq "number of objects" "$(wc -l <"$ntc_tmp/objs")" "$listed"
# every object: one clean run on every online CPU
while read -r line; do
	for kv in '"runs":1' '"iterations":5' '"violations":0' '"timeouts":0' \
		  '"truncated":false' "\"nr_cpus\":$cpus"; do
		case $line in
		*",$kv,"*) ;;
		*) fail "no $kv in $(echo "$line" | cut -c1-120)" ;;
		esac
	done
done <"$ntc_tmp/objs"
# the iteration experiments: each variant once, a sample per iteration
for ev in $known_variants; do
	e=${ev%%:*} v=${ev#*:}
	grep ",\"experiment\":\"$e\"," "$ntc_tmp/objs" |
		grep ",\"variant\":\"$v\"," >"$ntc_tmp/one"
	n=$(wc -l <"$ntc_tmp/one")
	[ "$n" = 1 ] || { fail "$n objects for $e/$v"; continue; }
	grep -q ',"samples":5,' "$ntc_tmp/one" || fail "$e/$v: not 5 samples"
done
end

# lib.sh's json_paths reads the client's JSON with one busybox awk (jq is
# ~30 times slower to start in the VM); it must list what jq lists, on
# every reply the tests read: list, run all (every experiment's metrics
# and counters, just above) and stats.
begin json_paths_lists_every_scalar_as_jq_does
cp "$out" "$ntc_tmp/run-all.json"
cl list --json
cp "$out" "$ntc_tmp/list.json"
cl stats --json
cp "$out" "$ntc_tmp/stats.json"
for doc in list run-all stats; do
	f=$ntc_tmp/$doc.json
	json_paths_jq "$f" >"$ntc_tmp/$doc.jq" 2>"$ntc_tmp/jq.err" ||
		fail "jq cannot read $doc: $(head -n 1 "$ntc_tmp/jq.err")"
	json_paths "$f" >"$ntc_tmp/$doc.awk" 2>"$ntc_tmp/awk.err" ||
		fail "json_paths cannot read $doc: $(head -n 1 "$ntc_tmp/awk.err")"
	n=$(wc -l <"$ntc_tmp/$doc.jq")
	[ "$n" -gt 10 ] || fail "$doc: jq lists only $n scalars"
	diff "$ntc_tmp/$doc.jq" "$ntc_tmp/$doc.awk" >"$ntc_tmp/diff" ||
		fail "$doc: json_paths differs from jq ($n scalars): $(grep '^[-+][^-+]' "$ntc_tmp/diff" | head -n 4 | tr '\n\t' '; ')"
	echo "# $doc: $n scalars, the same"
done
end

begin run_all_with_a_variant_exits_2_saying_every_variant_runs
cl run all --variant dpc --iterations 1
expect_status 2
expect_out_empty
expect_one_error_line
expect_err "run all"
expect_err "every variant"
end

# ---- the timing method ----------------------------------------------------

begin run_with_warmup_and_batches_says_how_it_timed
cl run ipi_barrier --variant bare_ipi --iterations 8 --warmup 2 --batch 4 $slack
expect_status 0
expect_err_empty
expect_out 'warm-up 2 and cool-down 0 iterations'
expect_out 'batches of 4 iterations timed together'
expect_out 'phase stamps off'
expect_out '^  instrumentation: one timestamp [0-9.]+[mun]?s; an empty timed sample [0-9.]+[mun]?s = [0-9.]+% of the p50'
cl run spinlock --variant "$(baseline_of spinlock)" --batch 4
expect_status 2
expect_err 'batch'
end

# ---- bench ---------------------------------------------------------------

# A short bench of the experiments the targets rest on: every target is
# measured (met or missed, never "not measured"), the shootdown carries its
# bare-IPI reference, the instrumentation's cost is reported, nothing is lost.
# Timings are not asserted: this is the bench's plumbing, not its figures.
begin bench_measures_every_target_beside_its_goal
cl bench --experiments shootdown,ipi_barrier,interlocked_queue --iterations 5 \
	--repetitions 1 --warmup 2 --cooldown 1 --json "$ntc_tmp/bench.json"
expect_status 0
expect_out '^shootdown: '
expect_out 'ipi_barrier/bare_ipi .*reference'
expect_out '^targets: '
# One repetition measures every target but gives no 95% interval: each
# verdict says so instead of calling the median met or missed.
for t in T1 T2 T3 T4; do
	expect_out "^  $t  inconclusive \(too few repetitions: 1, a 95% interval takes 6\)"
done
expect_no_out 'not measured'
tr -d ' \n\t' <"$ntc_tmp/bench.json" >"$ntc_tmp/flat"
grep -q '"targets":\[' "$ntc_tmp/flat" || fail "the JSON has no targets"
n=$(jq '[.targets[] | select(.verdict == "inconclusive" and .measured != null)] | length' \
	"$ntc_tmp/bench.json" 2>/dev/null)
[ "$n" = 4 ] || fail "the JSON has $n measured, inconclusive verdicts, not 4"
grep -q '"sample_overhead_ns":[1-9]' "$ntc_tmp/flat" ||
	fail "no run reported the instrumentation's cost"
grep -q '"ratio_to_reference":[0-9]' "$ntc_tmp/flat" ||
	fail "no shootdown row has a ratio to the bare IPI"
! grep -q '"lost":[1-9]' "$ntc_tmp/flat" || fail "a queue run lost items"
end

# ---- without the module --------------------------------------------------

if [ -z "$NTCORRAL_KO" ] || [ ! -f "$NTCORRAL_KO" ]; then
	skip list_without_the_module_says_it_is_not_loaded "no \$NTCORRAL_KO to reload"
else
	begin list_without_the_module_says_it_is_not_loaded
	ntc_cmd="rmmod ntcorral"
	rmmod ntcorral 2>"$err" || fail "rmmod failed: $(cat "$err")"
	cl list
	expect_status 1
	expect_out_empty
	expect_one_error_line
	expect_err 'module is not loaded'
	cl run shootdown --variant dpc --iterations 1
	expect_status 1
	expect_err 'module is not loaded'
	cl run shootdown --variant dpc --hold-us 1 --no-such-option 1
	expect_status 1
	expect_err 'module is not loaded'
	cl run --help
	expect_status 0
	expect_out "^Run parameters: .*it is not loaded; load it .*'ntcorral list'"
	ntc_cmd="insmod $NTCORRAL_KO"
	insmod "$NTCORRAL_KO" 2>"$err" || fail "insmod failed: $(cat "$err")"
	cl list
	expect_status 0
	expect_out '^shootdown'
	end
fi
module_loaded || insmod "$NTCORRAL_KO"

finish
