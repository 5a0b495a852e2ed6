#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: `ntcorral bench` in the QEMU VM at each vCPU count, combined.
#
# usage: scripts/bench.sh [ntcorral bench options, e.g. --iterations 100]
#
# Boots the VM (selftests/vm/vm.sh) once per vCPU count, from 1 up to the
# host's `nproc`, runs `ntcorral bench --json /tmp/bench.json` inside, and
# takes the JSON back from the VM's output (printed between two marker lines
# at the end and cut out here). Writes bench/results.json (every count's
# bench, the host, the counts) and prints, per experiment, a scaling table
# (variant x vCPU count -> median and ratio to the baseline; the shootdown's
# bare-IPI reference too) and an ASCII chart of the medians, then the issue's
# targets (measured value and verdict per vCPU count) and the worst
# instrumentation overhead.
#
# Environment:
#   BENCH_CPUS   vCPU counts, e.g. "1 2" (default: 1 .. nproc). Counts above
#                nproc run only when listed here, and are marked
#                oversubscribed. The queue target (T3) is stated for 4
#                producing CPUs: "1 2 4" measures it, oversubscribed on a
#                smaller host.
#   BENCH_OUT    output directory (default: bench/)
#   BENCH_VM_TIMEOUT  seconds per VM (default 1800)
#
# Exit status: 0; 3 when any bench reported violations or timeouts; 1 when a
# VM failed or gave no JSON back (the other counts still run and report).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() {
	echo "bench: $*" >&2
	exit 1
}

command -v jq >/dev/null || die "jq not found: apt-get install jq"
[ -x userspace/build/ntcorral ] || die "the client is not built: run make first"
[ -f ntcorral.ko ] || die "ntcorral.ko not found: run make first"

host_cpus=$(nproc)
counts=()
for n in ${BENCH_CPUS:-$(seq 1 "$host_cpus")}; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_CPUS wants positive integers, not '$n'"
	[[ " ${counts[*]} " == *" $n "* ]] || counts+=("$n")
done
[ ${#counts[@]} -gt 0 ] || die "BENCH_CPUS names no vCPU count"

out=${BENCH_OUT:-bench}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

begin='@@NTCORRAL-BENCH-JSON-BEGIN@@'
end='@@NTCORRAL-BENCH-JSON-END@@'
# In the VM: the bench (its tables stream to the host as it goes), then the
# JSON between the markers; the bench's exit status is the command's.
# shellcheck disable=SC2016
inner='ntcorral bench --json /tmp/bench.json "$@"; rc=$?
echo "'$begin'"; cat /tmp/bench.json 2>/dev/null; echo; echo "'$end'"; exit $rc'

status=0
start=$(date +%s)
runs=()
for n in "${counts[@]}"; do
	over=false
	[ "$n" -le "$host_cpus" ] || over=true
	echo "bench: $n vCPU$([ "$n" -eq 1 ] || echo s)$([ $over = false ] || echo ' (oversubscribed: more vCPUs than the host has CPUs)')" >&2
	set +e
	selftests/vm/vm.sh --smp "$n" --timeout "${BENCH_VM_TIMEOUT:-1800}" -- sh -c "$inner" sh "$@" |
		tee "$tmp/vm-$n.out" | sed -u "/^$begin\$/,/^$end\$/d"
	rc=${PIPESTATUS[0]}
	set -e
	sed -n "/^$begin\$/,/^$end\$/{/^@@/d;p}" "$tmp/vm-$n.out" >"$tmp/bench-$n.json"
	if ! jq -e '.experiments' "$tmp/bench-$n.json" >/dev/null 2>&1; then
		echo "bench: no JSON back from the VM at $n vCPUs (exit $rc)" >&2
		status=1
		continue
	fi
	case $rc in
	0) ;;
	3) echo "bench: !!! violations or timeouts at $n vCPUs" >&2; [ $status -ne 0 ] || status=3 ;;
	*) echo "bench: the VM at $n vCPUs exited $rc" >&2; status=1 ;;
	esac
	jq --argjson vcpus "$n" --argjson over "$over" --argjson rc "$rc" \
		'{vcpus: $vcpus, oversubscribed: $over, exit: $rc, bench: .}' \
		"$tmp/bench-$n.json" >"$tmp/run-$n.json"
	runs+=("$tmp/run-$n.json")
done
elapsed=$(($(date +%s) - start))
[ ${#runs[@]} -gt 0 ] || die "no vCPU count gave a result"

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
jq -s --arg kernel "$(uname -r)" --arg model "$model" --argjson nproc "$host_cpus" \
	--argjson elapsed "$elapsed" --arg args "$*" \
	'{host: {kernel: $kernel, cpu_model: $model, nproc: $nproc},
	  note: "emulated (TCG): compare ratios, not absolute times",
	  bench_args: $args, elapsed_s: $elapsed,
	  vcpus: [.[].vcpus], runs: .}' "${runs[@]}" >"$out/results.json"

# --- report -----------------------------------------------------------------

echo
jq -r '"bench: VM kernel \(.runs[0].bench.host.kernel), CPU model \(.runs[0].bench.host.cpu_model), vCPUs \(.vcpus | map(tostring) | join(" "))" +
	(if any(.runs[]; .oversubscribed) then " (" + ([.runs[] | select(.oversubscribed) | .vcpus | tostring] | join(" ")) + " oversubscribed: host nproc \(.host.nproc))" else "" end),
	"bench: host \(.host.cpu_model), \(.host.nproc) CPUs; " +
	(if any(.runs[]; .bench.host.emulated) then "emulated (TCG): compare ratios, not absolute times" else "not emulated" end)' \
	"$out/results.json"

# One line per (experiment, variant, vCPU count): exp var vcpus over median ratio metric baseline
jq -r '.runs[] as $r | $r.bench.experiments[] as $e |
	($e.summary[], ($e.reference.summary // empty | .variant = "\(.experiment)/\(.variant)")) |
	[$e.experiment, .variant, $r.vcpus, $r.oversubscribed, .median_p50_ns,
	 (if .ratio == null then "" else .ratio end), $e.metric, ($e.baseline // "")] | @tsv' \
	"$out/results.json" | awk -F '\t' '
function fmt(ns) {
	if (ns < 1000) return sprintf("%dns", ns)
	if (ns < 1e6) return sprintf("%.2fus", ns / 1e3)
	if (ns < 1e9) return sprintf("%.2fms", ns / 1e6)
	return sprintf("%.3fs", ns / 1e9)
}
{
	e = $1; v = $2; n = $3
	if (!(e in seen_e)) { seen_e[e] = 1; exps[++ne] = e; metric[e] = $7; base[e] = $8 }
	if (!((e, v) in seen_v)) { seen_v[e, v] = 1; vars[e, ++nv[e]] = v }
	if (!(n in seen_n)) { seen_n[n] = 1; cnt[++nn] = n; over[n] = ($4 == "true") }
	med[e, v, n] = $5; rat[e, v, n] = $6
	if ($5 > mx[e]) mx[e] = $5
}
END {
	W = 24
	for (i = 1; i <= ne; i++) {
		e = exps[i]
		printf "\n%s: median p50 of %s by vCPU count%s\n", e, metric[e], base[e] == "" ? "" : " (ratio to the baseline " base[e] " at that count)"
		vw = 7
		for (j = 1; j <= nv[e]; j++) if (length(vars[e, j]) > vw) vw = length(vars[e, j])
		printf "  %-" vw "s", "variant"
		for (k = 1; k <= nn; k++) printf "  %18s", cnt[k] " vCPU" (cnt[k] == 1 ? "" : "s") (over[cnt[k]] ? "*" : "")
		printf "\n"
		for (j = 1; j <= nv[e]; j++) {
			v = vars[e, j]
			printf "  %-" vw "s", v
			for (k = 1; k <= nn; k++) {
				n = cnt[k]
				if (!((e, v, n) in med)) { printf "  %18s", "-"; continue }
				cell = fmt(med[e, v, n])
				if (rat[e, v, n] != "") cell = cell sprintf(" (%.2fx)", rat[e, v, n])
				printf "  %18s", cell
			}
			printf "\n"
		}
		printf "\n  chart: one bar per vCPU count (%s), scaled to %s\n", "left to right: " cntlist(), fmt(mx[e])
		for (j = 1; j <= nv[e]; j++) {
			v = vars[e, j]
			printf "  %-" vw "s", v
			for (k = 1; k <= nn; k++) {
				n = cnt[k]
				len = ((e, v, n) in med && mx[e] > 0) ? int(med[e, v, n] * W / mx[e] + 0.5) : 0
				if ((e, v, n) in med && med[e, v, n] > 0 && len == 0) len = 1
				bar = ""
				for (b = 0; b < len; b++) bar = bar "#"
				printf " %2s|%-" W "s", n, bar
			}
			printf "\n"
		}
	}
	for (k = 1; k <= nn; k++) if (over[cnt[k]]) { print "\n  * oversubscribed: more vCPUs than host CPUs"; break }
}
function cntlist(   s, k) {
	s = ""
	for (k = 1; k <= nn; k++) s = s (k > 1 ? " " : "") cnt[k]
	return s
}' | sed 's/[[:space:]]*$//'

# The issue's targets by vCPU count: measured value, its 95% interval and
# the verdict (met or missed only when the whole interval is).
jq -r 'def f($u): if . == null then "?" elif $u == "%" then "\(. * 10 | round / 10)%" else "\(. * 100 | round / 100)x" end;
	.runs[] as $r | ($r.bench.targets // [])[] | .unit as $u |
	[.id, .summary, $r.vcpus, $r.oversubscribed,
	 (if .measured == null then "-" else (.measured | f($u)) end),
	 (if .interval == null or .interval.lo == null then "" else "[\(.interval.lo | f($u))..\(.interval.hi | f($u))]" end),
	 .verdict] | @tsv' "$out/results.json" | awk -F '\t' '
{
	if (!($1 in seen)) { seen[$1] = 1; ids[++ni] = $1; goal[$1] = $2 }
	if (!($3 in seen_n)) { seen_n[$3] = 1; cnt[++nn] = $3; over[$3] = ($4 == "true") }
	v = $7 == "not measured" ? "n/m" : $7
	cell[$1, $3] = $5 ($6 == "" ? "" : " " $6) " " v
	if (length(cell[$1, $3]) > w) w = length(cell[$1, $3])
}
END {
	if (!ni) exit
	if (w < 10) w = 10
	fmt = "  %-" w "s"
	printf "\ntargets (goals, not assertions): measured value, its 95%% interval and verdict by vCPU count\n"
	printf "  %-4s", "id"
	for (k = 1; k <= nn; k++) printf fmt, cnt[k] " vCPU" (cnt[k] == 1 ? "" : "s") (over[cnt[k]] ? "*" : "")
	printf "  goal\n"
	for (i = 1; i <= ni; i++) {
		printf "  %-4s", ids[i]
		for (k = 1; k <= nn; k++) printf fmt, ((ids[i], cnt[k]) in cell) ? cell[ids[i], cnt[k]] : "-"
		printf "  %s\n", goal[ids[i]]
	}
	printf "  (n/m: not measured; inconclusive: the interval holds the goal, or too few repetitions; the why of each verdict is under \"targets:\" in that count'"'"'s bench above)\n"
}' | sed 's/[[:space:]]*$//'
jq -r '.runs[] | select(.bench.instrumentation != null) |
	"  instrumentation at \(.vcpus) vCPU\(if .vcpus == 1 then "" else "s" end): worst \(.bench.instrumentation.worst_overhead_pct * 10 | round / 10)% (\(.bench.instrumentation.worst_overhead_row)); phase stamps add up to \(.bench.instrumentation.worst_stamps_overhead_pct * 10 | round / 10)% (\(.bench.instrumentation.worst_stamps_overhead_row))"' \
	"$out/results.json" 2>/dev/null || true

echo
echo "bench: ${#runs[@]} of ${#counts[@]} vCPU counts in ${elapsed}s; results in $out/results.json"
[ $status -ne 3 ] || echo "bench: !!! violations or timeouts reported (see the tables above)" >&2
exit $status
