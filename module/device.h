/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntcorral: a simulated device that interrupts for real. Its ISR runs in
 * hardirq context (a hard, pinned hrtimer per CPU) at a set rate on every
 * CPU of a set at once; its DpcForIsr is one KDPC (struct ntc_dpc, a
 * tasklet) that any ISR requests, IoRequestDpc-style, on its own CPU. One
 * device at a time (runs are serialised).
 *
 * A session does not hold CPU hotplug off for its length: a CPU of the set
 * that goes offline stops its interrupts first (a hotplug callback, on
 * that CPU), and the session ends early, as a run does when a CPU leaves.
 */
#ifndef _NTCORRAL_DEVICE_H
#define _NTCORRAL_DEVICE_H

#include <linux/atomic.h>
#include <linux/cpumask.h>

#include "nt.h"

struct ntc_device;

struct ntc_device_ops {
	/* The ISR: hardirq on @cpu, interrupts off; @seq counts from 0. */
	void (*isr)(struct ntc_device *dev, int cpu, u32 seq);
	/* DpcForIsr: softirq, on the CPU whose ISR requested it. */
	void (*dpc)(struct ntc_device *dev);
	/*
	 * The dispatch routine's own part (a KeSynchronizeExecution, a
	 * request of its own completed): the session's thread, PASSIVE_LEVEL,
	 * every 20 to 50 us while the device interrupts.
	 */
	void (*thread)(struct ntc_device *dev);
	/*
	 * After the stop: work a DPC left behind (it ran into a lock deadline
	 * and requeued). NULL: the DPC always runs once more, to drain.
	 */
	bool (*left_behind)(struct ntc_device *dev);
};

struct ntc_device {
	const struct ntc_device_ops *ops;
	void *context;
	const struct cpumask *cpus;
	u64 period_ns;
	u32 per_cpu;			/* interrupts to raise on each CPU */
	atomic_t cpus_active;		/* CPUs still to raise interrupts */
	atomic64_t raised;		/* interrupts raised (ISR entered) */
	atomic64_t dpc_requests;	/* IoRequestDpc calls */
	atomic64_t dpc_runs;
	bool stopping;
	bool cpu_gone;			/* a CPU of the set went offline */
	struct ntc_dpc dpc;
};

void ntc_device_init(struct ntc_device *dev, const struct ntc_device_ops *ops,
		     void *context, const struct cpumask *cpus, u32 rate_hz,
		     u32 per_cpu);
void ntc_device_start(struct ntc_device *dev);
/* Still raising interrupts, and every CPU of the set still online. */
bool ntc_device_active(struct ntc_device *dev);
bool ntc_device_cpu_gone(struct ntc_device *dev);
/* IoRequestDpc, from the ISR. */
void ntc_device_request_dpc(struct ntc_device *dev);
/*
 * Stop raising, wait for running ISRs; then wait (sleeping) for the DPC to
 * be idle. False when that took longer than @deadline_ns (a timeout for the
 * caller to count); either way the DPC is idle and the device may be freed.
 */
bool ntc_device_stop(struct ntc_device *dev, u64 deadline_ns);

struct ntc_run;
/*
 * A device experiment's whole run: start the device; call ops->thread
 * until every CPU raised its interrupts, the run's budget is spent
 * (truncated) or the run is cancelled; stop; drain what a DPC left
 * behind. Timeouts are counted in @run; *@elapsed_ns (if not NULL) is the
 * session's length. -ENODEV when a CPU of the set went offline (run.c
 * ends the run and says so), else 0; either way the DPC is idle and the
 * device may be freed.
 */
int ntc_device_session(struct ntc_device *dev, struct ntc_run *run,
		       u64 *elapsed_ns);

int ntc_device_init_module(void);
void ntc_device_exit_module(void);

#endif /* _NTCORRAL_DEVICE_H */
