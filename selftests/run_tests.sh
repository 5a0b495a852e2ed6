#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run_tests.sh: run every ntcorral selftest program and print one TAP stream.
#
# Each program prints TAP of its own. Its result lines ("ok N name",
# "not ok N name", with any "# SKIP reason") are renumbered into one global
# stream at column 0; its other lines are comments ("# ..."), so only the
# top-level results start a line with "ok"/"not ok". The plan "1..N" comes at
# the end (TAP 13 allows a trailing plan), then the closing line
# "# ntcorral selftests: N passed, M failed" (skips count as passed).
# A program that dies, times out or exits non-zero with no failure to show
# for it adds one "not ok" of its own; so does one that printed no plan
# ("1..N", up front as the kselftest harness and lib.sh's plan do, or at
# the end), or a number of results other than its plan: a program that ends
# early, or skips part of itself without saying so, is a failure, not fewer
# passes. A program that is not there is a failure. Exit status: 0 when
# nothing failed.
#
# In the kernel log, "ntcorral-test: runner begin", then around each program
# "ntcorral-test: program PROG begin" / "... end": vm.sh counts the module's
# "!!!" lines after "runner begin" as splats unless a program declared them
# expected ("ntcorral-test: expect !!! begin: WHY" ... "expect !!! end",
# lib.sh's bangs_expected/bangs_unexpected); a program's end closes what it
# left open.
#
# usage: run_tests.sh [PROGRAM...]   (default: all, in ntcorral-tests.txt's order)
# Busybox sh is enough. Environment: NTCORRAL_TEST_TIMEOUT (s, per program).

here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${NTCORRAL_TEST_TIMEOUT:-900}

# The programs and their order: the Makefile's one list (NTC_TESTS).
if [ $# -eq 0 ]; then
	if [ ! -r "$here/ntcorral-tests.txt" ]; then
		echo "not ok 1 run_tests.sh # no $here/ntcorral-tests.txt: run make -C selftests"
		exit 1
	fi
	# shellcheck disable=SC2046
	set -- $(cat "$here/ntcorral-tests.txt")
fi

# Programs whose "!!!" lines are all expected: they provoke deadlines and
# defects throughout (the exclusivity seed's offline-CPU defect, a late
# shootdown target, hostile requests; a long run cancelled, whose deadline
# the test does not assert) and do not mark their own sections yet. The
# shell tests mark theirs with lib.sh's bangs_expected; a program that does
# leaves this. In the other C programs a "!!!" line fails the run.
bangs_whole="ntcorral_missing_cpu_test ntcorral_cancel_test nl_fuzz"

kmsg() {
	echo "ntcorral-test: $*" >/dev/kmsg 2>/dev/null || true
}

tmp=$(mktemp -d /tmp/ntcorral-selftests.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0 passed=0 failed=0 skipped=0

echo "TAP version 13"
kmsg "runner begin"
for prog in "$@"; do
	path=$here/$prog
	echo "# ---- $prog"
	if [ ! -x "$path" ]; then
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n $prog # not found or not executable: $path"
		continue
	fi
	rm -f "$tmp/rc" "$tmp/counts"
	t0=$(date +%s)
	kmsg "program $prog begin"
	case " $bangs_whole " in
	*" $prog "*) kmsg "expect !!! begin: $prog, the whole program" ;;
	esac
	{
		if command -v timeout >/dev/null 2>&1; then
			(cd "$here" && timeout -s KILL "$timeout_s" "$path" </dev/null)
		else
			(cd "$here" && "$path" </dev/null)
		fi
		echo $? >"$tmp/rc"
	} 2>&1 | awk -v n="$n" -v prog="$prog" -v counts="$tmp/counts" '
		BEGIN { pass = fail = skip = 0; name = ""; plan = -1 }
		# the kselftest harness names each test on its RUN line
		/^#  RUN  / { name = $3 }
		/^(not )?ok [0-9]+( |$)/ {
			bad = ($1 == "not")
			rest = $0
			sub(/^(not )?ok [0-9]+ ?/, "", rest)
			# harness SKIP lines carry no name: "ok 5 # SKIP why"
			if (rest == "" || rest ~ /^#/)
				rest = (name != "" ? name : prog "." (n + 1)) (rest == "" ? "" : " " rest)
			n++
			if (bad && tolower(rest) !~ /#[ \t]*todo/)
				fail++
			else {
				pass++
				if (tolower(rest) ~ /#[ \t]*skip/)
					skip++
			}
			print (bad ? "not ok " : "ok ") n " " rest
			fflush()
			name = ""
			next
		}
		/^1\.\.0 *# *[Ss][Kk][Ii][Pp]/ { why = $0; sub(/^[^#]*# *[Ss][Kk][Ii][Pp] */, "", why) }
		# the plan of the program itself, the first one (nested ones are comments)
		/^1\.\.[0-9]+/ && plan < 0 { plan = substr($1, 4) + 0 }
		/^#/ { print; fflush(); next }
		{ print "# " $0; fflush() }
		END { print n, pass, fail, skip, plan, why > counts }
	'
	kmsg "program $prog end"
	rc=$(cat "$tmp/rc" 2>/dev/null || echo 255)
	read -r n2 p f s plan why <"$tmp/counts" 2>/dev/null || { n2=$n p=0 f=0 s=0 plan=-1 why=; }
	results=$((n2 - n))
	n=$n2 passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$rc" = 4 ] && [ "$results" -eq 0 ]; then
		n=$((n + 1)) passed=$((passed + 1)) skipped=$((skipped + 1))
		echo "ok $n $prog # SKIP ${why:-the program skipped itself (exit 4)}"
	elif [ "$results" -eq 0 ]; then
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n $prog # no results (exit status $rc)"
	elif [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
		n=$((n + 1)) failed=$((failed + 1))
		case $rc in
		137) why="killed (timeout after ${timeout_s}s?)" ;;
		*) why="exit status $rc" ;;
		esac
		echo "not ok $n $prog # $why with no failed result to show for it"
	fi
	if [ "$results" -gt 0 ] && [ "$plan" -lt 0 ]; then
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n $prog # $results results but no plan (1..N): did it end early?"
	elif [ "$results" -gt 0 ] && [ "$plan" -ne "$results" ]; then
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n $prog # planned $plan results, printed $results"
	fi
	# after its results: scripts/check.sh reads a program's results as
	# those between its "# ---- PROGRAM" header and the next "# ---- "
	echo "# $prog took $(($(date +%s) - t0)) s"
done
kmsg "runner end"

echo "1..$n"
echo "# skipped: $skipped (counted as passed)"
echo "# ntcorral selftests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
