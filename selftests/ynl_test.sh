#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ynl_test.sh: the kernel's own dump of RUN's request policy (nlctrl
# GETPOLICY, through iproute2's genl ctrl policy) against the policy the
# YNL spec implies (ynl-policy.txt, written and kept equal to the spec and
# uapi/ntcorral.h by scripts/ynl-check.sh on the host). A range changed in
# the module and not in the spec, or the other way round, fails here.
# TAP ("ok N ynl.NAME"). In the test VM, module loaded.

ntc_prefix=ynl
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"

want=$(dirname "$0")/ynl-policy.txt
if ! module_loaded; then
	if [ -z "$NTCORRAL_KO" ] || ! insmod "$NTCORRAL_KO"; then
		echo "1..0 # SKIP the module is not loaded and \$NTCORRAL_KO does not load"
		exit 4
	fi
fi
plan 2

dump=$ntc_tmp/policy
begin kernel_policy_dump_is_readable
command -v genl >/dev/null || fail "no genl (iproute2) in this system: vm.sh puts it in the VM"
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

finish
