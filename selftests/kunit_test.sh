#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kunit_test.sh: the module's KUnit suites (module/kunit.c) run when it
# loads, on kernels with KUnit built in; this reports each case's result as
# TAP ("ok N kunit.CASE"), one per case that module/kunit.c defines (the
# list kunit_cases, generated from it by the Makefile), then whether the
# cases reported are exactly those.
#
# Results come from debugfs (/sys/kernel/debug/kunit/ntcorral*/results,
# CONFIG_KUNIT_DEBUGFS: the last load's), else from the kernel log (the
# first load's). On a kernel with KUnit built in (debugfs kunit/, the debug
# kernel's "-ntcorral-debug" release, or CONFIG_KUNIT=y in /proc/config.gz)
# a missing result is a failure; elsewhere the program skips.
here=$(cd "$(dirname "$0")" && pwd)
list=$here/kunit_cases
kd=/sys/kernel/debug/kunit

kunit=
[ ! -d $kd ] || kunit=1
case $(uname -r) in
*-ntcorral-debug*) kunit=1 ;;
esac
if [ -r /proc/config.gz ] && zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_KUNIT=y'; then
	kunit=1
fi
if [ -z "$kunit" ]; then
	echo "1..0 # SKIP kernel without KUnit"
	exit 4
fi

echo "TAP version 13"
if [ ! -s "$list" ]; then
	echo "1..1"
	echo "not ok 1 kunit.cases_of_module_kunit_c_known"
	echo "# no $list: make -C selftests generates it from module/kunit.c"
	exit 1
fi

# Every case's result line, "ok|not ok NAME", once (the first seen)
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
src="debugfs"
cat $kd/ntcorral*/results >"$tmp.raw" 2>/dev/null
if [ ! -s "$tmp.raw" ]; then
	dmesg 2>/dev/null | sed 's/^\[[^]]*\] //' >"$tmp.raw"
	src="the kernel log"
fi
grep -E '^[[:space:]]*(not )?ok [0-9]+ ntc_test_' "$tmp.raw" |
	awk '{ name = $0; sub(/^[ \t]*(not )?ok [0-9]+ /, "", name); sub(/[ \t].*/, "", name)
	       if (seen[name]++) next
	       print ($1 == "not" ? "not ok" : "ok") " " name }' >"$tmp"
rm -f "$tmp.raw"

expected=$(wc -l <"$list")
echo "1..$((expected + 1))"
echo "# $expected cases in module/kunit.c, $(wc -l <"$tmp") results in $src"
n=0 failed=0
while read -r name; do
	n=$((n + 1))
	r=$(grep -E "^(not )?ok $name\$" "$tmp" | head -n 1)
	case $r in
	"ok $name")
		echo "ok $n kunit.$name" ;;
	"not ok $name")
		echo "not ok $n kunit.$name"
		failed=$((failed + 1)) ;;
	*)
		echo "not ok $n kunit.$name # no result"
		failed=$((failed + 1)) ;;
	esac
done <"$list"

n=$((n + 1))
extra=$(awk '{ print $NF }' "$tmp" | grep -vxF -f "$list")
if [ -z "$extra" ]; then
	echo "ok $n kunit.results_are_exactly_the_cases_of_module_kunit_c"
else
	echo "not ok $n kunit.results_are_exactly_the_cases_of_module_kunit_c"
	echo "# results of cases not in $list (stale list? run make -C selftests):" $extra
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
