#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kmemleak_test.sh: kmemleak finds nothing of ntcorral's unreferenced: not
# from the suite before it, not from a load/run/unload cycle of its own.
# TAP ("ok N kmemleak.NAME"). Runs last, as root in the test VM; leaves the
# module loaded.
#
# A leak is ntcorral's when a frame of its allocation backtrace is in the
# module: a symbol "[ntcorral]" or "ntc_*", or an address inside the range
# the module occupied (its sections, /sys/module/ntcorral/sections, to the
# end of its size in /proc/modules). The address catches what a name does
# not: an allocation of an instance that was unloaded since prints a bare
# address, and one made in a kworker, a softirq or nl_fuzz's context names
# no module in its "comm".
#
# Where kmemleak is built in (the debug kernel, "-ntcorral-debug", or a
# /proc/config.gz with CONFIG_DEBUG_KMEMLEAK=y) a kmemleak that is missing,
# switched itself off, or refuses a scan is a failure; elsewhere the program
# skips.

# $slack is split on purpose
# shellcheck disable=SC2086
ntc_prefix=kmemleak
. "$(dirname "$0")/lib.sh"

km=/sys/kernel/debug/kmemleak
mod=/sys/module/ntcorral

echo "TAP version 13"

built_in=
case $(uname -r) in
*-ntcorral-debug*) built_in=1 ;;
esac
if [ -r /proc/config.gz ] && zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_DEBUG_KMEMLEAK=y'; then
	built_in=1
fi
if [ ! -e $km ] && [ -z "$built_in" ]; then
	echo "1..0 # SKIP no kmemleak in this kernel"
	exit 4
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 4
fi

plan 3

# scan: two scans, an object must be older than kmemleak's minimum age
# (5 s) to be reported; status in $rc, the write's error in $err
scan() {
	ntc_cmd="echo scan >$km"
	rc=0
	echo scan 2>"$err" >$km || rc=$?
	[ "$rc" = 0 ] || return
	sleep 6
	echo scan 2>"$err" >$km || rc=$?
}

# kmemleak_off: kmemleak said it switched itself off, or has no file
kmemleak_off() {
	[ ! -e $km ] || dmesg 2>/dev/null | grep -Eq 'kmemleak: .*(disabled|[Cc]annot allocate|[Dd]isabling)'
}

# module_range: "LO HI" of the loaded module, the low 32 bits in decimal
# (module addresses are 0xffffffffXXXXXXXX on x86-64); empty when unknown
module_range() {
	size=$(awk '$1 == "ntcorral" { print $2 }' /proc/modules)
	[ -n "$size" ] || return
	cat "$mod"/sections/.* 2>/dev/null | awk -v size="$size" '
		function hex(s,   i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		{ a = tolower($1); sub(/^0x/, "", a) }
		length(a) == 16 && substr(a, 1, 8) == "ffffffff" {
			v = hex(substr(a, 9))
			if (lo == "" || v < lo) lo = v
			if (hi == "" || v > hi) hi = v
		}
		END { if (lo != "" && lo > 0) printf "%.0f %.0f\n", lo, hi + size }'
}

# ours LO HI: from kmemleak's report, the objects with a frame in the module
# (by name, or by address in [LO, HI)), each with its backtrace, as comments;
# "objects N" last
ours() {
	awk -v lo="${1:-0}" -v hi="${2:-0}" '
		function hex(s,   i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		function flush() {
			if (obj != "" && hit) { n++; if (n <= 5) printf "%s", obj }
			obj = ""; hit = 0
		}
		/^unreferenced object/ { flush(); obj = $0 "\n"; next }
		obj == "" { next }
		{ obj = obj $0 "\n" }
		/\[ntcorral\]| ntc_[a-z_0-9]+\+0x/ { hit = 1 }
		match($0, /\[<[0-9a-f]+>\]/) {
			a = substr($0, RSTART + 2, RLENGTH - 4)
			if (length(a) == 16 && substr(a, 1, 8) == "ffffffff") {
				v = hex(substr(a, 9))
				if (hi > 0 && v >= lo && v < hi) hit = 1
			}
		}
		END { flush(); print "objects " n + 0 }
	' $km 2>/dev/null
}

# report NAME LO HI: fail when the report holds objects of ntcorral's
report() {
	ours "$2" "$3" >"$ntc_tmp/ours"
	n=$(sed -n 's/^objects //p' "$ntc_tmp/ours")
	echo "# kmemleak $1: $(grep -c '^unreferenced object' $km 2>/dev/null) unreferenced objects in all, ${n:-?} of ntcorral's (range ${2:-?}..${3:-?} of 0xffffffff00000000)"
	if [ "${n:-0}" != 0 ]; then
		fail "$n unreferenced objects of ntcorral's $1"
		grep -v '^objects ' "$ntc_tmp/ours" | head -n 80 | sed 's/^/#   /'
	fi
}

begin is_on_and_scans
ntc_cmd=
[ -e $km ] || fail "no $km on a kernel with kmemleak built in (debugfs not mounted?)"
scan
expect_status 0
! kmemleak_off || fail "kmemleak switched itself off: $(dmesg | grep 'kmemleak:' | tail -n 3 | tr '\n' '|')"
end

begin nothing_of_ntcorral_leaked_during_the_suite
range=
! module_loaded || range=$(module_range)
# shellcheck disable=SC2086
report "after the suite" $range
end

begin nothing_of_ntcorral_leaked_by_a_load_run_unload_cycle
# What was reported so far is not this cycle's: forget it.
echo clear >$km 2>/dev/null || fail "echo clear >$km failed"
if [ -z "$NTCORRAL_KO" ] || [ ! -f "$NTCORRAL_KO" ]; then
	fail "no module file in \$NTCORRAL_KO for the cycle"
else
	if module_loaded; then
		unload_module
		expect_status 0
	fi
	load_module
	expect_status 0
	range=$(module_range)
	[ -n "$range" ] || fail "the module's address range is unknown (/proc/modules, $mod/sections)"
	# Every variant (sessions with tasklets or BH work, DPCs, corrals),
	# the stats dump and a reset; then runs whose corral is abandoned
	# (CPU 1 never arrives) and a deadline hit under a hold: the abort
	# paths free what the happy path frees.
	bangs_expected "run all (the wrong variants' IRQL assertion) and aborted runs"
	cl run all --iterations 3 $slack --json
	expect_status 0
	cl stats --json
	expect_status 0
	cl reset
	expect_status 0
	if [ "$(online_cpus)" -ge 2 ] && [ -w "$ntc_debugfs/fault_mode" ]; then
		echo 1 >"$ntc_debugfs/fault_cpu"
		echo 2 >"$ntc_debugfs/fault_mode"
		for ev in shootdown:dpc ipi_barrier:counter exclusivity:generic_call_dpc; do
			cl run "${ev%%:*}" --variant "${ev#*:}" --iterations 2 --deadline-us 20000 --json
			[ "$rc" = 3 ] || fail "${ev%%:*}/${ev#*:} with CPU 1 never arriving: exit $rc, expected 3"
		done
		echo 0 >"$ntc_debugfs/fault_mode"
	fi
	bangs_unexpected
	unload_module
	expect_status 0
	scan
	expect_status 0
	! kmemleak_off || fail "kmemleak switched itself off"
	# shellcheck disable=SC2086
	report "by the cycle" $range
	load_module
	expect_status 0
fi
end

finish
