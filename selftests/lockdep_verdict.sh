#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lockdep's verdict on a deliberately wrong variant, in a boot of its own on
# the debug kernel (lockdep reports once, then switches itself off).
# Reloads the module with lockdep_sees_wrong_variants=1 so that the variant's
# lock is one lockdep validates, runs the variant, and checks that lockdep
# reported the inconsistent IRQ-safe/IRQ-unsafe use the NT IRQL rule exists
# to prevent. The host runs this with the report's lines allowed
# (NTCORRAL_VM_SPLAT_IGNORE); any other splat still fails the boot.
#
# usage: lockdep_verdict.sh EXPERIMENT VARIANT    (e.g. spinlock dispatch_only)
exp=$1 var=$2
echo "TAP version 13"
echo "1..3"
if [ ! -e /proc/lockdep ]; then
	echo "ok 1 lockdep.$exp.$var # SKIP no lockdep in this kernel"
	echo "ok 2 lockdep.$exp.$var # SKIP"
	echo "ok 3 lockdep.$exp.$var # SKIP"
	exit 0
fi
rmmod ntcorral 2>/dev/null
if insmod "$NTCORRAL_KO" lockdep_sees_wrong_variants=1 &&
	[ "$(cat /sys/module/ntcorral/parameters/lockdep_sees_wrong_variants)" = Y ]; then
	echo "ok 1 lockdep.$exp.$var.module_loads_with_the_lock_visible"
else
	echo "not ok 1 lockdep.$exp.$var.module_loads_with_the_lock_visible"
fi
# The hold is longer than the interrupt period: an ISR lands on the CPU that
# holds the lock with interrupts on, which is what lockdep must call out.
ntcorral run "$exp" --variant "$var" --iterations 30 --hold-us 2000 \
	--rate-hz 2000 --deadline-us 1000000 --max-runtime-ms 30000 >/tmp/run.out 2>&1
rc=$?
sed 's/^/# /' /tmp/run.out | grep -E 'would_be|violations|timeouts|variants'
if [ $rc -eq 0 ]; then
	echo "ok 2 lockdep.$exp.$var.run_returns_without_violations"
else
	echo "not ok 2 lockdep.$exp.$var.run_returns_without_violations # exit $rc"
fi
report=$(dmesg | grep -E 'inconsistent lock state|inconsistent \{.*\} usage|\{(IN-HARDIRQ-W|HARDIRQ-ON-W)\} -> \{(IN-HARDIRQ-W|HARDIRQ-ON-W)\}')
echo "$report" | sed 's/^/# lockdep: /'
if echo "$report" | grep -qE '\{(IN-HARDIRQ-W|HARDIRQ-ON-W)\} -> \{(IN-HARDIRQ-W|HARDIRQ-ON-W)\}'; then
	echo "ok 3 lockdep.$exp.$var.lockdep_reports_irq_safe_and_unsafe_use"
else
	echo "not ok 3 lockdep.$exp.$var.lockdep_reports_irq_safe_and_unsafe_use"
fi
