// SPDX-License-Identifier: GPL-2.0
/* ntcorral: the simulated device (see device.h). */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/hrtimer.h>
#include <linux/percpu.h>

#include "ntcorral.h"
#include "device.h"

#ifdef NTC_HAVE_BH_WORK
static bool device_dpc_bh_work;
module_param(device_dpc_bh_work, bool, 0644);
MODULE_PARM_DESC(device_dpc_bh_work,
		 "the simulated device's DpcForIsr is a BH work item (system_bh_wq) instead of a tasklet");
#endif

struct ntc_device_cpu {
	struct hrtimer timer;
	struct ntc_device *dev;
	u32 remaining;
	u32 seq;
	bool active;
};

static DEFINE_PER_CPU(struct ntc_device_cpu, ntc_device_cpus);

static void ntc_device_cpu_done(struct ntc_device_cpu *c)
{
	c->active = false;
	atomic_dec(&c->dev->cpus_active);
}

/* The interrupt: a hard hrtimer, so hardirq context even on PREEMPT_RT. */
static enum hrtimer_restart ntc_device_fire(struct hrtimer *t)
{
	struct ntc_device_cpu *c = container_of(t, struct ntc_device_cpu, timer);
	struct ntc_device *dev = c->dev;

	if (READ_ONCE(dev->stopping) || !c->remaining) {
		ntc_device_cpu_done(c);
		return HRTIMER_NORESTART;
	}
	c->remaining--;
	atomic64_inc(&dev->raised);
	ntc_trace_device_irq(smp_processor_id(), c->seq);
	dev->ops->isr(dev, smp_processor_id(), c->seq++);
	if (!c->remaining) {
		ntc_device_cpu_done(c);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(t, ns_to_ktime(dev->period_ns));
	return HRTIMER_RESTART;
}

static void ntc_device_dpc_routine(struct ntc_dpc *dpc, void *context,
				   void *arg1, void *arg2)
{
	struct ntc_device *dev = context;

	ntc_fault_dpc();
	atomic64_inc(&dev->dpc_runs);
	dev->ops->dpc(dev);
}

void ntc_device_init(struct ntc_device *dev, const struct ntc_device_ops *ops,
		     void *context, const struct cpumask *cpus, u32 rate_hz,
		     u32 per_cpu)
{
	dev->ops = ops;
	dev->context = context;
	dev->cpus = cpus;
	dev->period_ns = div_u64(NSEC_PER_SEC, rate_hz);
	dev->per_cpu = per_cpu;
	dev->stopping = false;
	dev->cpu_gone = false;
	atomic_set(&dev->cpus_active, 0);
	atomic64_set(&dev->raised, 0);
	atomic64_set(&dev->dpc_requests, 0);
	atomic64_set(&dev->dpc_runs, 0);
	ntc_dpc_init(&dev->dpc, ntc_device_dpc_routine, dev);
#ifdef NTC_HAVE_BH_WORK
	/* Read once per run: the flavour cannot change under a session. */
	if (READ_ONCE(device_dpc_bh_work))
		ntc_dpc_use_bh_work(&dev->dpc);
#endif
}

/* On each CPU of the device: the timer must be armed there (pinned). */
static void ntc_device_arm(void *info)
{
	struct ntc_device_cpu *c = this_cpu_ptr(&ntc_device_cpus);
	struct ntc_device *dev = info;

	hrtimer_start(&c->timer, ns_to_ktime(dev->period_ns),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/*
 * Hotplug is held off only while the timers are armed: the callback below
 * stops a CPU that leaves later.
 */
void ntc_device_start(struct ntc_device *dev)
{
	int cpu;

	cpus_read_lock();
	if (!cpumask_subset(dev->cpus, cpu_online_mask)) {
		WRITE_ONCE(dev->cpu_gone, true);
		goto out;
	}
	for_each_cpu(cpu, dev->cpus) {
		struct ntc_device_cpu *c = per_cpu_ptr(&ntc_device_cpus, cpu);

		c->dev = dev;
		c->remaining = dev->per_cpu;
		c->seq = 0;
		c->active = true;
		atomic_inc(&dev->cpus_active);
	}
	on_each_cpu_mask(dev->cpus, ntc_device_arm, dev, true);
out:
	cpus_read_unlock();
}

bool ntc_device_active(struct ntc_device *dev)
{
	return atomic_read(&dev->cpus_active) > 0 && !READ_ONCE(dev->cpu_gone);
}

bool ntc_device_cpu_gone(struct ntc_device *dev)
{
	return READ_ONCE(dev->cpu_gone);
}

/* Its interrupt, stopped; the caller excludes the others that stop it. */
static void ntc_device_cpu_stop(struct ntc_device_cpu *c)
{
	/* Waits for a callback in flight; cancelled ones are done too. */
	if (hrtimer_cancel(&c->timer) && c->active)
		ntc_device_cpu_done(c);
}

/*
 * On a CPU going offline, on that CPU, under the hotplug lock (which
 * ntc_device_start() and ntc_device_stop() take to set and clear c->dev):
 * its interrupt stops, and the session ends early. The DPC its last
 * interrupt queued runs here, on its CPU, as NT's would: on PREEMPT_RT a
 * softirq raised in hard interrupt context waits for ksoftirqd, which is
 * parked before the CPU dies, and the CPU would go idle with the tasklet
 * pending ("NOHZ tick-stop error: local softirq work is pending, handler
 * #40", seen on Debian's RT kernel) until another CPU took it over. This
 * callback runs in the CPU's hotplug thread, preemptible, so re-enabling
 * BHs runs the pending softirqs there (on either kernel). The session's
 * stop still waits for a DPC in flight.
 */
static int ntc_device_cpu_down_prep(unsigned int cpu)
{
	struct ntc_device_cpu *c = per_cpu_ptr(&ntc_device_cpus, cpu);

	if (!c->dev)
		return 0;
	WRITE_ONCE(c->dev->cpu_gone, true);
	ntc_device_cpu_stop(c);
	local_bh_disable();
	local_bh_enable();
	return 0;
}

void ntc_device_request_dpc(struct ntc_device *dev)
{
	atomic64_inc(&dev->dpc_requests);
	/* Already queued: it will see this interrupt's work too (as NT). */
	ntc_dpc_queue(&dev->dpc, NULL, NULL);
}

bool ntc_device_stop(struct ntc_device *dev, u64 deadline_ns)
{
	int cpu;

	WRITE_ONCE(dev->stopping, true);
	cpus_read_lock();
	for_each_cpu(cpu, dev->cpus) {
		struct ntc_device_cpu *c = per_cpu_ptr(&ntc_device_cpus, cpu);

		if (c->dev != dev)
			continue;
		ntc_device_cpu_stop(c);
		c->dev = NULL;
	}
	cpus_read_unlock();
	/* No ISR can request it any more. */
	if (ntc_dpc_flush(&dev->dpc, div_u64(deadline_ns, NSEC_PER_MSEC) + 1))
		return true;
	/*
	 * Late: the caller counts a timeout. But the DPC uses the device, the
	 * session's state around it and the run's sample arrays, which the
	 * caller frees next, so return only once it is idle. It will be: no
	 * interrupt can queue it any more, it requeues itself only when a lock
	 * wait ran into the deadline, and after the stop nothing else holds
	 * that lock; one pass is bounded by the run's deadline and hold. The
	 * wait sleeps, and says so every second.
	 */
	while (!ntc_dpc_flush(&dev->dpc, 1000))
		pr_warn("!!! the device's DPC is still running; its session waits before freeing its state\n");
	return false;
}

int ntc_device_session(struct ntc_device *dev, struct ntc_run *run,
		       u64 *elapsed_ns)
{
	u64 budget = ntc_deadline((u64)run->p.max_runtime_ms * NSEC_PER_MSEC);
	u64 t0 = ntc_now();

	ntc_device_start(dev);
	while (ntc_device_active(dev)) {
		if (ntc_past(budget)) {
			run->truncated = true;
			break;
		}
		if (ntc_run_checkpoint(run, atomic64_read(&dev->raised),
				       (u64)dev->per_cpu * run->nr_cpus))
			break;
		dev->ops->thread(dev);
		usleep_range(20, 50);
	}
	if (!ntc_device_stop(dev, run->deadline_ns))
		ntc_run_timeout(run, "the DPC did not finish after the last interrupt");
	if (!dev->ops->left_behind || dev->ops->left_behind(dev)) {
		ntc_device_request_dpc(dev);
		if (!ntc_device_stop(dev, run->deadline_ns))
			ntc_run_timeout(run, "the final drain did not finish");
	}
	if (elapsed_ns)
		*elapsed_ns = ntc_now() - t0;
	return ntc_device_cpu_gone(dev) ? -ENODEV : 0;
}

static enum cpuhp_state ntc_device_hp_state;

int ntc_device_init_module(void)
{
	int cpu, ret;

	for_each_possible_cpu(cpu)
		hrtimer_init(&per_cpu_ptr(&ntc_device_cpus, cpu)->timer,
			     CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	for_each_possible_cpu(cpu)
		per_cpu_ptr(&ntc_device_cpus, cpu)->timer.function = ntc_device_fire;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "ntcorral/device:online",
					NULL, ntc_device_cpu_down_prep);
	if (ret < 0)
		return ret;
	ntc_device_hp_state = ret;
	return 0;
}

void ntc_device_exit_module(void)
{
	int cpu;

	cpuhp_remove_state_nocalls(ntc_device_hp_state);
	for_each_possible_cpu(cpu)
		hrtimer_cancel(&per_cpu_ptr(&ntc_device_cpus, cpu)->timer);
}
