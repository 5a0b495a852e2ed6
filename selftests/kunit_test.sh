#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module's KUnit suites (module/kunit.c) run when it loads, on kernels
# with KUnit built in; this reports each case's result, read from the
# kernel log, as TAP. Without KUnit it skips.
log=$(dmesg 2>/dev/null)
cases=$(printf '%s\n' "$log" | sed -n 's/^\[[^]]*\] //p' |
	grep -E '^ +(not )?ok [0-9]+ ntc_test_' | sed 's/^ *//')
if [ -z "$cases" ]; then
	echo "1..0 # SKIP no KUnit results of ntcorral in the kernel log (kernel without KUnit)"
	exit 4
fi
echo "TAP version 13"
# The first load's results: one line per case, as many as the first suite
# run printed (a reload runs them again).
printf '%s\n' "$cases" | awk '
	{ name = $NF; if (seen[name]++) next; n++
	  print ($1 == "not" ? "not ok " : "ok ") n " kunit." name }
	END { print "1.." n }'
