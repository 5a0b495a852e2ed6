// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: running an experiment. One run at a time; the iterations run in
 * a kthread bound to the initiator CPU, bounded in count and in time. CPU
 * hotplug is held off during each iteration (by us, or by stop_machine()
 * itself); a CPU of the set that goes offline between iterations ends the
 * run early (truncated), with what it measured so far.
 */

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ntcorral.h"

/* Serialises runs: a second run gets -EBUSY, it never waits. */
static DEFINE_MUTEX(ntc_run_lock);

struct ntc_run_thread {
	struct ntc_run *run;
	struct completion done;
};

void ntc_run_violation(struct ntc_run *run, const char *what)
{
	run->violations++;
	pr_err_ratelimited("!!! %s/%s: invariant violated: %s\n",
			   run->exp->name, run->variant->name, what);
}

void ntc_run_timeout(struct ntc_run *run, const char *what)
{
	run->timeouts++;
	pr_warn_ratelimited("!!! %s/%s: deadline of %u us hit: %s\n",
			    run->exp->name, run->variant->name,
			    run->p.deadline_us, what);
}

/*
 * Record one value of metric @i. Any context, any CPU, lock-free: values
 * beyond the capacity are counted, not stored.
 */
void ntc_run_metric_add(struct ntc_run *run, unsigned int i, u64 value)
{
	unsigned int idx = atomic_inc_return(&run->metric_len[i]) - 1;

	if (idx < run->metric_cap)
		run->metric[i][idx] = value;
	else
		atomic_inc(&run->metric_dropped);
}

/* Called with hotplug held off: is every CPU of the run still here? */
bool ntc_run_cpus_present(struct ntc_run *run)
{
	return cpumask_subset(run->p.cpus, cpu_online_mask) &&
	       raw_smp_processor_id() == run->initiator;
}

static int ntc_run_one(struct ntc_run *run, u64 *sample)
{
	int ret;

	/* stop_machine() takes the hotplug lock itself, and is not reentrant. */
	if (run->variant->holds_hotplug)
		return run->variant->iterate(run, sample);
	cpus_read_lock();
	if (ntc_run_cpus_present(run)) {
		ret = run->variant->iterate(run, sample);
	} else {
		pr_info("%s/%s: a CPU of the run went offline; stopping early\n",
			run->exp->name, run->variant->name);
		ret = -ENODEV;
	}
	cpus_read_unlock();
	return ret;
}

static void ntc_run_iterations(struct ntc_run *run)
{
	u64 start = ntc_now(), budget = (u64)run->p.max_runtime_ms * NSEC_PER_MSEC;
	u64 sample[NTC_MAX_METRICS];
	unsigned int i;
	u32 it;
	int ret;

	for (it = 0; it < run->p.iterations; it++) {
		if (ntc_now() - start > budget) {
			run->truncated = true;
			break;
		}
		memset(sample, 0, sizeof(sample));
		ret = ntc_run_one(run, sample);
		if (ret < 0) {
			run->truncated = true;
			break;
		}
		/* A session runs once and records its own samples. */
		if (run->exp->session)
			break;
		if (ret == 0) {
			for (i = 0; i < run->exp->nr_metrics; i++)
				ntc_run_metric_add(run, i, sample[i]);
			run->samples++;
		}
		/* Let RCU, the watchdogs and everyone else breathe. */
		cond_resched();
	}
	run->duration_ns = ntc_now() - start;
	/* Latency samples past a metric's capacity: say so, don't hide it. */
	if (atomic_read(&run->metric_dropped))
		pr_info("%s/%s: %d latency samples beyond the %u kept per metric were counted, not stored; the percentiles cover the first %u\n",
			run->exp->name, run->variant->name,
			atomic_read(&run->metric_dropped), run->metric_cap,
			run->metric_cap);
}

static int ntc_run_thread_fn(void *data)
{
	struct ntc_run_thread *t = data;
	struct ntc_run *run = t->run;

	cpus_read_lock();
	if (!ntc_run_cpus_present(run)) {
		cpus_read_unlock();
		run->err = -EAGAIN;
		run->errmsg = "a CPU of the set went offline before the run started";
		goto out;
	}
	cpus_read_unlock();
	if (run->exp->setup) {
		run->err = run->exp->setup(run);
		if (run->err)
			goto out;
	}
	ntc_run_iterations(run);
	if (run->exp->teardown)
		run->exp->teardown(run);
out:
	complete(&t->done);

	/* Stay until reaped, so that kthread_stop() is always valid. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void ntc_run_free_metrics(struct ntc_run *run)
{
	unsigned int i;

	for (i = 0; i < NTC_MAX_METRICS; i++) {
		kvfree(run->metric[i]);
		run->metric[i] = NULL;
	}
}

/*
 * Execute @run (parameters validated by the caller). Returns 0 when the run
 * happened, its result in @run, or a negative errno with @run->errmsg.
 */
int ntc_run_execute(struct ntc_run *run)
{
	struct ntc_run_thread t = { .run = run };
	struct task_struct *task;
	unsigned int i;
	int ret;

	if (!mutex_trylock(&ntc_run_lock)) {
		run->errmsg = "another run is in progress";
		return -EBUSY;
	}
	run->initiator = cpumask_first(run->p.cpus);
	run->nr_cpus = cpumask_weight(run->p.cpus);
	run->metric_cap = run->exp->max_samples ? run->exp->max_samples(run) :
			  run->p.iterations;
	for (i = 0; i < run->exp->nr_metrics; i++) {
		atomic_set(&run->metric_len[i], 0);
		run->metric[i] = kvcalloc(run->metric_cap, sizeof(u64),
					  GFP_KERNEL);
		if (!run->metric[i]) {
			ret = -ENOMEM;
			run->errmsg = "no memory for the run's samples";
			goto out;
		}
	}
	run->deadline_ns = (u64)run->p.deadline_us * NSEC_PER_USEC;
	init_completion(&t.done);

	task = kthread_create(ntc_run_thread_fn, &t, "ntcorral/%u",
			      run->initiator);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		run->errmsg = "cannot create the run's thread";
		goto out;
	}
	kthread_bind(task, run->initiator);
	get_task_struct(task);
	wake_up_process(task);
	/* Bounded: max_runtime_ms plus one iteration's deadlines. */
	wait_for_completion(&t.done);
	kthread_stop(task);
	put_task_struct(task);
	ret = run->err;
out:
	mutex_unlock(&ntc_run_lock);
	return ret;
}

/* Summarise a finished run; sorts its sample arrays in place. */
void ntc_run_report(struct ntc_run *run, struct ntc_report *rep)
{
	unsigned int i;

	memset(rep, 0, sizeof(*rep));
	rep->exp = run->exp;
	rep->variant = run->variant;
	rep->run = run;
	rep->runs = 1;
	rep->samples = run->samples;
	rep->violations = run->violations;
	rep->timeouts = run->timeouts;
	rep->duration_ns = run->duration_ns;
	rep->truncated = run->truncated;
	for (i = 0; i < run->exp->nr_metrics; i++)
		if (run->metric[i])
			ntc_summarize_samples(run->metric[i],
					      min_t(u64, atomic_read(&run->metric_len[i]),
						    run->metric_cap),
					      &rep->metric[i]);
	memcpy(rep->counters, run->counters, sizeof(rep->counters));
}

/* Free what ntc_run_execute() allocated; safe on any path. */
void ntc_run_cleanup(struct ntc_run *run)
{
	ntc_run_free_metrics(run);
}
