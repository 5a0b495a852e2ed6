#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ynl_test.sh: the kernel's own dump of RUN's request policy (nlctrl
# GETPOLICY, through iproute2's genl ctrl policy) against the policy the
# YNL spec implies (ynl-policy.txt, written and kept equal to the spec and
# uapi/ntcorral.h by scripts/ynl-check.sh on the host). A range changed in
# the module and not in the spec, or the other way round, fails here.
# Then the kernel's own YNL client, tools/net/ynl/cli.py, drives the family
# from the spec alone (vm.sh puts Python, cli.py and the spec in the VM):
# list, run (started by cli.py, its result fetched by cli.py), stats and
# reset give the same figures as the ntcorral client.
# TAP ("ok N ynl.NAME"). In the test VM, as root, module loaded.

ntc_prefix=ynl
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

want=$(dirname "$0")/ynl-policy.txt
require_root_client_module
plan 6

# cli.py and the spec: beside this script (make builds selftests/ynl, and
# make install copies it), or where vm.sh puts them in the test VM
ynl_dir=${NTCORRAL_YNL:-$(dirname "$0")/ynl}
[ -f "$ynl_dir/cli.py" ] || ynl_dir=/ntcorral/ynl
# ynl ARGS...: cli.py on our spec (validated against the schema on the
# host), JSON out; stdout to $out, stderr to $err, status in $rc
ynl() {
	ntc_cmd="cli.py $*"
	python3 "$ynl_dir/cli.py" --spec "$ynl_dir/specs/ntcorral.yaml" \
		--no-schema --output-json "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

dump=$ntc_tmp/policy
begin kernel_policy_dump_is_readable
command -v genl >/dev/null || fail "no genl in this system: install iproute2 (scripts/install-deps.sh selftests; vm.sh puts it in the VM)"
[ -s "$want" ] || fail "no $want: run scripts/ynl-check.sh"
genl ctrl policy name ntcorral >"$dump" 2>"$err"
rc=$?
ntc_cmd="genl ctrl policy name ntcorral"
expect_status 0
grep -q 'attr\[' "$dump" || fail "the dump has no attribute policy"
end

begin run_policy_matches_the_spec
# The policy index of RUN's do (command 2), then its attributes as
# "id type min max", the spec's types in the kernel's words.
awk -v cmd=2 '
	/op[ \t]+[0-9]+/ {
		for (i = 1; i <= NF; i++)
			if ($i == "op" && $(i + 1) == cmd)
				for (j = i; j <= NF; j++)
					if ($j ~ /^do=/) { split($j, d, "="); pol = d[2] }
	}
	{ lines[NR] = $0 }
	END {
		for (k = 1; k <= NR; k++) {
			l = lines[k]
			if (index(l, "policy[" pol "]:attr[") == 0)
				continue
			id = l; sub(/.*:attr\[/, "", id); sub(/\].*/, "", id)
			type = l; sub(/.*type=/, "", type); sub(/[ \t].*/, "", type)
			lo = 0; hi = ""
			if (l ~ /range:\[/) {
				r = l; sub(/.*range:\[/, "", r); sub(/\].*/, "", r)
				split(r, b, ","); lo = b[1]; hi = b[2]
			}
			if (l ~ /max len:/) {
				m = l; sub(/.*max len:/, "", m); sub(/[^0-9].*/, "", m)
				hi = m
			}
			if (type == "REJECT")
				continue
			print id, type, lo, hi
		}
	}
' "$dump" | sort -n >"$ntc_tmp/got"
sed '/^#/d' "$want" | awk '{
	t = $3
	if (t == "u32") t = "U32"
	else if (t == "string") t = "NUL_STRING"
	else if (t == "binary") t = "BINARY"
	print $1, t, $4, $5
}' | sort -n >"$ntc_tmp/want"
if ! diff "$ntc_tmp/want" "$ntc_tmp/got" >"$ntc_tmp/diff"; then
	fail "the kernel's RUN policy differs from the spec's (< spec, > kernel):
$(sed 's/^/  /' "$ntc_tmp/diff")
the kernel's dump:
$(sed 's/^/  /' "$dump" | head -n 40)"
fi
end

# cli.py needs Python: without it the four tests below fail at once,
# each saying why, rather than one after another on exit status 127
if ! command -v python3 >/dev/null; then
	for t in cli_lists_what_the_client_lists \
		cli_runs_and_fetches_the_result_the_client_fetches \
		cli_stats_are_the_client_stats \
		cli_reset_stats_clears_what_the_client_shows; do
		begin "$t"
		fail "no python3 in this system: cli.py needs it (vm.sh puts it in the VM unless NTCORRAL_VM_YNL=0)"
		end
	done
	finish
fi

begin cli_lists_what_the_client_lists
ynl --dump list-experiments
expect_status 0
jq -r '.[] | .experiment as $e | ."variant-info"[] | "\($e) \(.name) \(.baseline // false)"' \
	"$out" | sort >"$ntc_tmp/ynl-variants"
jq -r '.[] | .experiment as $e | ."param-info"[] |
	"\($e) \(.name) \(."min-value") \(."max-value") \(."default-value")"' \
	"$out" | sort >"$ntc_tmp/ynl-params"
cl list --json
expect_status 0
jq -r '.[] | .name as $e | .variants[] | "\($e) \(.name) \(.baseline)"' "$out" |
	sort >"$ntc_tmp/cl-variants"
jq -r '.[] | .name as $e | .params[] | "\($e) \(.name) \(.min) \(.max) \(.default)"' \
	"$out" | sort >"$ntc_tmp/cl-params"
[ -s "$ntc_tmp/ynl-variants" ] || fail "cli.py listed no variant"
diff "$ntc_tmp/cl-variants" "$ntc_tmp/ynl-variants" >"$ntc_tmp/diff" ||
	fail "variants differ (< client, > cli.py): $(cat "$ntc_tmp/diff")"
diff "$ntc_tmp/cl-params" "$ntc_tmp/ynl-params" >"$ntc_tmp/diff" ||
	fail "parameters differ (< client, > cli.py): $(cat "$ntc_tmp/diff")"
end

begin cli_runs_and_fetches_the_result_the_client_fetches
cl reset
ynl --do run --json '{"experiment": "shootdown", "variant": "ipi", "iterations": 40, "deadline-us": 1000000, "max-runtime-ms": 30000}'
expect_status 0
id=$(jq -r '."run-id"' "$out")
[ "$id" -gt 0 ] 2>/dev/null || fail "RUN's answer has no run id: $(cat "$out")"
# The run goes on in the module; poll for its result (EINPROGRESS until
# it ends), bounded by its budget.
tries=0
while [ $tries -lt 60 ]; do
	ynl --do get-result --json "{\"run-id\": $id}"
	[ $rc -eq 0 ] && break
	tries=$((tries + 1))
	sleep 1
done
expect_status 0
cp "$out" "$ntc_tmp/ynl-result"
y=$(jq -r '"\(.samples) \(.violations) \(.timeouts) \(."duration-ns") \(.metric[0]."p50-ns")"' \
	"$ntc_tmp/ynl-result")
expect_eq "run id of the result (cli.py)" "$(jq -r '."run-id"' "$ntc_tmp/ynl-result")" "$id"
cl result --json
expect_status 0
c=$(jq -r '.[0] | "\(.samples) \(.violations) \(.timeouts) \(.duration_ns) \(.latency_ns.p50)"' "$out")
expect_eq "samples, violations, timeouts, duration, p50 (cli.py, client)" "$y" "$c"
expect_eq "samples" "$(jq -r .samples "$ntc_tmp/ynl-result")" 40
end

begin cli_stats_are_the_client_stats
ynl --dump get-stats
expect_status 0
jq -r '.[] | select(.runs > 0) | "\(.experiment) \(.variant) \(.runs) \(.samples) \(.violations) \(.timeouts)"' \
	"$out" | sort >"$ntc_tmp/ynl-stats"
cl stats --json
expect_status 0
jq -r '.[] | select(.runs > 0) | "\(.experiment) \(.variant) \(.runs) \(.samples) \(.violations) \(.timeouts)"' \
	"$out" | sort >"$ntc_tmp/cl-stats"
expect_eq "stats with runs (cli.py)" "$(cat "$ntc_tmp/ynl-stats")" "shootdown ipi 1 40 0 0"
diff "$ntc_tmp/cl-stats" "$ntc_tmp/ynl-stats" >"$ntc_tmp/diff" ||
	fail "stats differ (< client, > cli.py): $(cat "$ntc_tmp/diff")"
end

begin cli_reset_stats_clears_what_the_client_shows
ynl --do reset-stats
expect_status 0
cl stats --json
expect_status 0
expect_eq "runs after the reset" "$(jq '[.[].runs] | add' "$out")" 0
end

finish
