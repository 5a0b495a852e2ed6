#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# On kernels with BH workqueues (6.9 on): the simulated device's DpcForIsr
# as a BH work item (module parameter device_dpc_bh_work) instead of a
# tasklet; the correct variants of both device experiments run clean with
# it, every interrupt handled, every item consumed once and in order.
param=/sys/module/ntcorral/parameters/device_dpc_bh_work
if [ ! -w $param ]; then
	echo "1..0 # SKIP no BH workqueues in this kernel (no $param)"
	exit 4
fi
trap 'echo N >$param' EXIT
echo Y >$param
slack="--deadline-us 1000000 --max-runtime-ms 30000"
n=0
check() { # name json-file key=value...
	name=$1 file=$2
	shift 2
	flat=$(tr -d ' \n\t' <"$file")
	n=$((n + 1))
	for kv in "$@"; do
		case $flat in
		*"$kv"[,\}]*) ;;
		*) echo "# $name: no $kv in: $(echo "$flat" | cut -c1-300)"
		   echo "not ok $n $name"; return ;;
		esac
	done
	echo "ok $n $name"
}
echo "TAP version 13"
echo "1..3"
[ "$(cat $param)" = Y ] && echo "ok 1 device_bh.parameter_set" || echo "not ok 1 device_bh.parameter_set"
n=1
cpus=$(grep -c ^processor /proc/cpuinfo)
# shellcheck disable=SC2086
ntcorral run spinlock --variant irqsave --iterations 50 $slack --json >/tmp/bh1.json
interrupts=$((50 * cpus))
check device_bh.spinlock_irqsave_runs_clean_with_a_bh_work_dpc /tmp/bh1.json \
	'"violations":0' '"timeouts":0' "\"interrupts\":$interrupts" \
	"\"events_handled\":$interrupts" '"torn_records":0' '"irql_violations":0'
# shellcheck disable=SC2086
ntcorral run interlocked_queue --variant slist --iterations 50 $slack --json >/tmp/bh2.json
check device_bh.interlocked_queue_slist_runs_clean_with_a_bh_work_dpc /tmp/bh2.json \
	'"violations":0' '"timeouts":0' "\"produced_by_isr\":$interrupts" \
	'"lost":0' '"duplicates":0' '"order_breaks":0'
