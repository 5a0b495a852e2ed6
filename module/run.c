// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: running an experiment. One run at a time; the iterations run in
 * a kthread bound to the initiator CPU, bounded in count and in time. CPU
 * hotplug is held off during each iteration (by us, or by stop_machine()
 * itself); a CPU of the set that goes offline between iterations ends the
 * run early (truncated), with what it measured so far.
 *
 * A run is started and left to go on (ntc_run_start(), ntc_run_go()): the
 * request that starts it returns at once, so that nobody holds genetlink
 * for a run's length. Its thread reports progress between iterations and
 * the result at the end (netlink.c's notifications), adds it to the stats
 * and frees the run; a cancel, or the module's unload, ends it early.
 */

#include <linux/cpu.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "ntcorral.h"

/*
 * One run at a time: a second one gets -EBUSY, it never waits. The lock
 * guards the four below and is held briefly, never for a run's length.
 */
static DEFINE_MUTEX(ntc_run_lock);
static struct ntc_run *ntc_run_current;		/* started, not yet finished */
static struct task_struct *ntc_run_task;	/* the last run's thread, until reaped */
static bool ntc_run_closed;			/* unloading: no run starts */
static u64 ntc_run_last_id;
/* Runs whose thread has not sent the result yet; unload waits for 0. */
static atomic_t ntc_run_threads = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(ntc_run_idle);

/* Progress notifications: about five a second. */
#define NTC_PROGRESS_INTERVAL	(HZ / 5)

void ntc_run_violation(struct ntc_run *run, const char *what)
{
	run->violations++;
	ntc_trace_verdict(run, true, what);
	pr_err_ratelimited("!!! %s/%s: invariant violated: %s\n",
			   run->exp->name, run->variant->name, what);
}

/*
 * A run's first timeout is always logged, so that every run that timed out
 * names itself and its cause in the log; its later ones share the rate
 * limit (a run that times out every iteration must not flood the console,
 * and runs that came just before must not hide this one's line).
 */
void ntc_run_timeout(struct ntc_run *run, const char *what)
{
	static DEFINE_RATELIMIT_STATE(later, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	run->timeouts++;
	ntc_trace_verdict(run, false, what);
	if (run->timeouts == 1 || __ratelimit(&later))
		pr_warn("!!! %s/%s: deadline of %u us hit: %s\n",
			run->exp->name, run->variant->name,
			run->p.deadline_us, what);
}

/*
 * Between iterations (or turns of a session's loop, with @done and @total
 * in its own unit): report progress when it is due, and whether a cancel
 * ends the run here (then truncated).
 */
bool ntc_run_checkpoint(struct ntc_run *run, u64 done, u64 total)
{
	if (time_after_eq(jiffies, run->next_progress)) {
		run->next_progress = jiffies + NTC_PROGRESS_INTERVAL;
		ntc_netlink_run_progress(run, done, total,
					 ntc_now() - run->start_ns);
	}
	if (!READ_ONCE(run->cancel))
		return false;
	run->truncated = true;
	return true;
}

/*
 * The common check of the device experiments, whose hold is taken under a
 * lock that others wait for: a waiter gives up after deadline_us, and the
 * DPC and the thread may each hold the lock hold_us ahead of it, so the
 * deadline must cover four holds (twice over, for emulated CPUs) or the
 * run would only show its own deadline. And their per-interrupt records
 * (@records_per_cpu per CPU of the set plus @extra_records) must fit.
 */
#define NTC_MAX_RECORDS		(1U << 20)

int ntc_run_check_hold(struct ntc_run *run, u64 records_per_cpu,
		       u64 extra_records)
{
	if ((u64)run->p.hold_us * 4 > run->p.deadline_us) {
		run->errmsg = "hold_us must be at most a quarter of deadline_us: others wait for the lock at most deadline_us, and the DPC and the thread can each hold it hold_us ahead of them";
		return -EINVAL;
	}
	if (records_per_cpu * run->nr_cpus + extra_records > NTC_MAX_RECORDS) {
		run->errmsg = "too many iterations for this many CPUs: the experiment keeps a record per interrupt and allows 1048576 (iterations x CPUs)";
		return -EINVAL;
	}
	return 0;
}

/*
 * The sample arrays are handed out to CPUs in chunks: a CPU appends to its
 * own chunk (per-CPU state, interrupts off for the two words), and only
 * every NTC_METRIC_CHUNK-th sample touches the shared counter, so CPUs
 * recording at once do not bounce a cache line per sample. Slots of a chunk
 * left unused hold NTC_METRIC_HOLE and are skipped in the summary; the
 * array has a chunk per possible CPU beyond the capacity asked for, so that
 * holes never cost a sample.
 */
#define NTC_METRIC_CHUNK	64
#define NTC_METRIC_HOLE		U64_MAX

static bool ntc_metric_append(u64 *arr, atomic_t *len, u32 cap,
			      struct ntc_metric_cpu __percpu *pcpu, u64 value)
{
	struct ntc_metric_cpu *c;
	unsigned long flags;
	bool stored = true;
	u32 base;

	local_irq_save(flags);
	c = this_cpu_ptr(pcpu);
	if (c->next == c->end) {
		if (atomic_read(len) >= cap) {
			stored = false;
			goto out;
		}
		base = atomic_add_return(NTC_METRIC_CHUNK, len) - NTC_METRIC_CHUNK;
		if (base >= cap) {
			stored = false;
			goto out;
		}
		c->next = base;
		c->end = min(base + NTC_METRIC_CHUNK, cap);
	}
	arr[c->next++] = min(value, NTC_METRIC_HOLE - 1);
out:
	local_irq_restore(flags);
	return stored;
}

/*
 * Record one value of metric @i. Any context, any CPU, lock-free and
 * per-CPU: values beyond the capacity are counted, not stored.
 */
void ntc_run_metric_add(struct ntc_run *run, unsigned int i, u64 value)
{
	if (!ntc_metric_append(run->metric[i], &run->metric_len[i],
			       run->metric_slots, run->metric_cpu[i], value))
		atomic_inc(&run->metric_dropped);
}

/* The stored values of metric @i, holes squeezed out; returns the count. */
static u64 ntc_run_metric_compact(struct ntc_run *run, unsigned int i)
{
	u64 n = min_t(u64, atomic_read(&run->metric_len[i]), run->metric_slots);
	u64 *v = run->metric[i], k, j = 0;

	for (k = 0; k < n; k++)
		if (v[k] != NTC_METRIC_HOLE)
			v[j++] = v[k];
	return j;
}

/* Called with hotplug held off: is every CPU of the run still here? */
bool ntc_run_cpus_present(struct ntc_run *run)
{
	return cpumask_subset(run->p.cpus, cpu_online_mask) &&
	       raw_smp_processor_id() == run->initiator;
}

static int ntc_run_cpu_gone(struct ntc_run *run)
{
	pr_info("%s/%s: a CPU of the run went offline; stopping early\n",
		run->exp->name, run->variant->name);
	return -ENODEV;
}

static bool ntc_run_cpus_still_present(struct ntc_run *run)
{
	bool present;

	cpus_read_lock();
	present = ntc_run_cpus_present(run);
	cpus_read_unlock();
	return present;
}

static int ntc_run_one(struct ntc_run *run, u64 *sample)
{
	int ret;

	/*
	 * stop_machine() takes the hotplug lock itself, and is not reentrant:
	 * look before it; the variant looks again inside, where hotplug is
	 * held off, and returns -ENODEV for a CPU that left in between. A
	 * device session holds it off only briefly (device.c) and returns
	 * -ENODEV when a CPU of its set left during the session.
	 */
	if (run->variant->holds_hotplug || run->exp->session) {
		if (!ntc_run_cpus_still_present(run))
			return ntc_run_cpu_gone(run);
		ret = run->variant->iterate(run, sample);
		return ret == -ENODEV ? ntc_run_cpu_gone(run) : ret;
	}
	cpus_read_lock();
	if (ntc_run_cpus_present(run))
		ret = run->variant->iterate(run, sample);
	else
		ret = ntc_run_cpu_gone(run);
	cpus_read_unlock();
	return ret;
}

/*
 * How an iteration's error ends the run: a CPU that left (-ENODEV), a
 * deadline that leaves the corral unusable (-ETIMEDOUT, counted already),
 * the budget (-ETIME) or a cancel (-ECANCELED) end it early with its
 * figures; anything else (-EBUSY, -ENOMEM) is the run's error, with the
 * experiment's sentence in errmsg.
 */
static void ntc_run_stop(struct ntc_run *run, int ret)
{
	run->truncated = true;
	if (ret != -ENODEV && ret != -ETIMEDOUT && ret != -ETIME &&
	    ret != -ECANCELED)
		run->err = ret;
}

/*
 * Metrics an iteration records: all of them, or in a lean run (no phase
 * timestamps) the primary one only.
 */
static unsigned int ntc_run_nr_recorded(const struct ntc_run *run)
{
	return run->p.phase_stamps ? run->exp->nr_metrics : 1;
}

/*
 * A batch of the measured iterations timed from outside, refscale-style:
 * two timestamps around @n iterations, none inside them. The primary
 * metric gets their mean when every one of them counted; the bookkeeping
 * between them (arming, checks, the hotplug lock, cond_resched()) is in
 * the figure. A timeout voids the batch and ends it.
 */
static int ntc_run_batch(struct ntc_run *run, u32 n, u32 *done,
			 unsigned long end)
{
	u64 sample[NTC_MAX_METRICS], t0, t1;
	unsigned int ok = 0;
	int ret = 0;

	t0 = ntc_now();
	for (*done = 0; *done < n;) {
		/* The run's budget, by jiffies: no clock read in the batch. */
		if (time_after(jiffies, end)) {
			ret = -ETIME;
			break;
		}
		if (READ_ONCE(run->cancel)) {
			ret = -ECANCELED;
			break;
		}
		ret = ntc_run_one(run, sample);
		if (ret < 0)
			break;
		(*done)++;
		if (ret)	/* abandoned, a counted timeout: the batch is void */
			break;
		ok++;
		cond_resched();
	}
	t1 = ntc_now();
	run->samples += ok;
	if (ok == n)
		ntc_run_metric_add(run, 0, div_u64(t1 - t0, n));
	return ret < 0 ? ret : 0;
}

/*
 * The iterations: @warmup unrecorded ones, the measured ones, @cooldown
 * unrecorded ones, as refscale brackets its timed loop. Violations and
 * timeouts count in all three; the experiment's counters too.
 */
static void ntc_run_iterations(struct ntc_run *run)
{
	u64 start = run->start_ns = ntc_now();
	u64 budget = (u64)run->p.max_runtime_ms * NSEC_PER_MSEC;
	u32 first = run->p.warmup, last = first + run->p.iterations;
	u32 total = last + run->p.cooldown, done;
	unsigned long end = jiffies + msecs_to_jiffies(run->p.max_runtime_ms);
	u64 sample[NTC_MAX_METRICS];
	unsigned int i;
	u32 it;
	int ret;

	if (run->exp->session) {
		first = 0;
		last = total = 1;
	}
	run->next_progress = jiffies + NTC_PROGRESS_INTERVAL;
	for (it = 0; it < total; it++) {
		if (ntc_now() - start > budget) {
			run->truncated = true;
			break;
		}
		if (ntc_run_checkpoint(run, it, total))
			break;
		run->recording = it >= first && it < last;
		if (run->recording && run->p.batch > 1) {
			ret = ntc_run_batch(run, min(run->p.batch, last - it),
					    &done, end);
			it += done - 1;
			if (ret < 0) {
				ntc_run_stop(run, ret);
				it++;
				break;
			}
			cond_resched();
			continue;
		}
		memset(sample, 0, sizeof(sample));
		ret = ntc_run_one(run, sample);
		if (ret < 0) {
			ntc_run_stop(run, ret);
			break;
		}
		/* A session runs once and records its own samples. */
		if (ret == 0 && run->recording && !run->exp->session) {
			for (i = 0; i < ntc_run_nr_recorded(run); i++)
				ntc_run_metric_add(run, i, sample[i]);
			run->samples++;
		}
		/* Let RCU, the watchdogs and everyone else breathe. */
		cond_resched();
	}
	/* A cool-down cut short is no loss; a measured iteration cut is. */
	if (run->truncated && it >= last && !run->exp->session)
		run->truncated = false;
	run->recording = false;
	run->duration_ns = ntc_now() - start;
	/* Latency samples past a metric's capacity: say so, don't hide it. */
	if (atomic_read(&run->metric_dropped))
		pr_info("%s/%s: %d latency samples beyond the %u kept per metric were counted, not stored; the percentiles cover the first %u\n",
			run->exp->name, run->variant->name,
			atomic_read(&run->metric_dropped), run->metric_slots,
			run->metric_slots);
}

/*
 * The instrumentation's own cost, on the initiator with interrupts off,
 * timed from outside: a run of back-to-back timestamps, and a run of empty
 * timed sections (two timestamps and one recorded sample, what every
 * sample carries). The least disturbed of a few tries is the figure.
 */
#define NTC_OVERHEAD_LOOPS	32
#define NTC_OVERHEAD_TRIES	5

static void ntc_run_measure_overhead(struct ntc_run *run)
{
	u64 scratch[NTC_OVERHEAD_LOOPS], t0, t1, a, b;
	u64 best_read = U64_MAX, best_sample = U64_MAX;
	struct ntc_metric_cpu __percpu *pcpu;
	unsigned long flags;
	unsigned int try, i;
	atomic_t len;

	pcpu = alloc_percpu(struct ntc_metric_cpu);
	if (!pcpu)
		return;		/* the figures stay 0: not measured */

	for (try = 0; try < NTC_OVERHEAD_TRIES; try++) {
		local_irq_save(flags);
		t0 = ntc_now();
		for (i = 0; i < NTC_OVERHEAD_LOOPS; i++)
			scratch[i] = ntc_now();
		t1 = ntc_now();
		best_read = min(best_read, div_u64(t1 - t0, NTC_OVERHEAD_LOOPS + 1));

		atomic_set(&len, 0);
		this_cpu_ptr(pcpu)->next = 0;
		this_cpu_ptr(pcpu)->end = 0;
		t0 = ntc_now();
		for (i = 0; i < NTC_OVERHEAD_LOOPS; i++) {
			a = ntc_now();
			b = ntc_now();
			/* ntc_run_metric_add()'s append, on a scratch array. */
			ntc_metric_append(scratch, &len, NTC_OVERHEAD_LOOPS, pcpu,
					  b - a);
		}
		t1 = ntc_now();
		best_sample = min(best_sample, div_u64(t1 - t0, NTC_OVERHEAD_LOOPS));
		local_irq_restore(flags);
		cond_resched();
	}
	free_percpu(pcpu);
	run->clock_read_ns = best_read;
	run->sample_overhead_ns = best_sample;
}

/*
 * The start barrier: every CPU of the set answers an IPI before the first
 * iteration, so that no participant starts the run asleep in a deep idle
 * state (or, under emulation, descheduled) while the others are warm.
 *
 * The handler only checks in; it does not wait for the others. A CPU that
 * waits inside an interrupt, interrupts off, for CPUs that have not come
 * yet can catch a lock holder: an IPI landing on read_lock(&tasklist_lock)
 * in wait4() keeps it, and a CPU spinning in write_lock_irq() on that lock
 * in fork() or exit() can take no IPI, so neither comes until the deadline
 * (seen under the stress test's clients; README, "A corral that waits in
 * an interrupt"). The corrals that wait so are the experiments' variants,
 * flagged as such; the harness must not. Waiting here is the kernel's own
 * wait for its IPIs, whose handlers return at once.
 */
static void ntc_start_barrier_fn(void *data)
{
	atomic_inc(data);
}

static void ntc_run_start_barrier(struct ntc_run *run)
{
	atomic_t arrived = ATOMIC_INIT(0);

	/* The set is online: the caller holds hotplug off. */
	on_each_cpu_mask(run->p.cpus, ntc_start_barrier_fn, &arrived, true);
	if (atomic_read(&arrived) != run->nr_cpus)
		ntc_run_violation(run, "not every CPU of the set answered the start IPI");
}

/*
 * The end of a run, on its thread: the report, the stats, the result kept
 * for GET_RESULT; then the run is no longer current (a next one may start,
 * a cancel finds nothing) and only then is its result sent, so that whoever
 * acts on it finds the module idle. Unload waits for the sending too.
 */
static void ntc_run_finish(struct ntc_run *run)
{
	struct ntc_report *rep = NULL;
	struct sk_buff *msg;

	if (!run->err) {
		rep = kmalloc(sizeof(*rep), GFP_KERNEL);
		if (rep) {
			ntc_run_report(run, rep);
			ntc_stats_add_run(run, rep);
		} else {
			run->err = -ENOMEM;
			run->errmsg = "no memory for the run's report";
		}
	}
	msg = ntc_netlink_run_result(run, rep);
	kfree(rep);

	mutex_lock(&ntc_run_lock);
	ntc_run_current = NULL;
	mutex_unlock(&ntc_run_lock);
	ntc_netlink_send_result(msg);
	ntc_run_free(run);
	if (atomic_dec_and_test(&ntc_run_threads))
		wake_up_all(&ntc_run_idle);
}

static int ntc_run_thread_fn(void *data)
{
	struct ntc_run *run = data;

	cpus_read_lock();
	if (!ntc_run_cpus_present(run)) {
		cpus_read_unlock();
		run->err = -EAGAIN;
		run->errmsg = "a CPU of the set went offline before the run started";
		goto out;
	}
	ntc_run_start_barrier(run);
	cpus_read_unlock();
	ntc_run_measure_overhead(run);
	if (run->exp->setup) {
		run->err = run->exp->setup(run);
		if (run->err)
			goto out;
	}
	ntc_trace_run_start(run);
	ntc_run_iterations(run);
	ntc_trace_run_end(run);
	if (run->exp->teardown)
		run->exp->teardown(run);
out:
	ntc_run_finish(run);

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
		free_percpu(run->metric_cpu[i]);
		run->metric_cpu[i] = NULL;
	}
}

struct ntc_run *ntc_run_alloc(void)
{
	struct ntc_run *run = kzalloc(sizeof(*run), GFP_KERNEL);

	if (run && !zalloc_cpumask_var(&run->p.cpus, GFP_KERNEL)) {
		kfree(run);
		run = NULL;
	}
	return run;
}

/* Free a run that did not start, or (its thread does) one that finished. */
void ntc_run_free(struct ntc_run *run)
{
	if (!run)
		return;
	ntc_run_free_metrics(run);
	free_cpumask_var(run->p.cpus);
	kfree(run);
}

/* The last run's thread has finished (or there is none): reap it. */
static void ntc_run_reap(void)
{
	lockdep_assert_held(&ntc_run_lock);
	if (!ntc_run_task)
		return;
	kthread_stop(ntc_run_task);
	put_task_struct(ntc_run_task);
	ntc_run_task = NULL;
}

/*
 * Start @run (parameters validated by the caller): 0 with @run->id set and
 * its thread created but not yet going, or a negative errno with
 * @run->errmsg, @run still the caller's. After 0 the caller must call
 * ntc_run_go() (once it has answered the request, so that the answer comes
 * before any notification of the run) and not touch @run again.
 */
int ntc_run_start(struct ntc_run *run)
{
	struct task_struct *task;
	unsigned int i;
	int ret;

	run->initiator = cpumask_first(run->p.cpus);
	run->nr_cpus = cpumask_weight(run->p.cpus);
	run->deadline_ns = (u64)run->p.deadline_us * NSEC_PER_USEC;
	if (run->variant->refused) {
		run->errmsg = run->variant->refused;
		return -EINVAL;
	}
	if (run->exp->check) {
		ret = run->exp->check(run);
		if (ret)
			return ret;
	}
	mutex_lock(&ntc_run_lock);
	if (ntc_run_closed) {
		run->errmsg = "the module is being unloaded";
		ret = -ESHUTDOWN;
		goto out;
	}
	if (ntc_run_current) {
		run->errmsg = "another run is in progress";
		ret = -EBUSY;
		goto out;
	}
	ntc_run_reap();
	if (run->exp->admit) {
		ret = run->exp->admit(run);
		if (ret)
			goto out;
	}
	run->metric_cap = run->exp->max_samples ? run->exp->max_samples(run) :
			  run->p.iterations;
	run->metric_slots = run->metric_cap +
			    NTC_METRIC_CHUNK * num_possible_cpus();
	for (i = 0; i < run->exp->nr_metrics; i++) {
		atomic_set(&run->metric_len[i], 0);
		run->metric[i] = kvmalloc_array(run->metric_slots, sizeof(u64),
						GFP_KERNEL | __GFP_NOWARN);
		run->metric_cpu[i] = alloc_percpu(struct ntc_metric_cpu);
		if (!run->metric[i] || !run->metric_cpu[i]) {
			ret = -ENOMEM;
			run->errmsg = "no memory for the run's samples";
			goto out;
		}
		memset(run->metric[i], 0xff, run->metric_slots * sizeof(u64));
	}

	task = kthread_create(ntc_run_thread_fn, run, "ntcorral/%u",
			      run->initiator);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		run->errmsg = "cannot create the run's thread";
		goto out;
	}
	kthread_bind(task, run->initiator);
	get_task_struct(task);
	run->task = task;
	run->id = ++ntc_run_last_id;
	ntc_run_current = run;
	ntc_run_task = task;
	atomic_inc(&ntc_run_threads);
	ret = 0;
out:
	if (ret)
		ntc_run_free_metrics(run);
	mutex_unlock(&ntc_run_lock);
	return ret;
}

/* Let a started run go; from here on its thread owns it. */
void ntc_run_go(struct ntc_run *run)
{
	wake_up_process(run->task);
}

/*
 * Cancel the run in progress (any, or only run @id when @id is not 0):
 * it stops at its next checkpoint. -ENOENT when there is no such run.
 */
int ntc_run_cancel(u64 id, enum ntcorral_cancel why)
{
	int ret = -ENOENT;

	mutex_lock(&ntc_run_lock);
	if (ntc_run_current && (!id || ntc_run_current->id == id)) {
		WRITE_ONCE(ntc_run_current->cancel, why);
		ret = 0;
	}
	mutex_unlock(&ntc_run_lock);
	return ret;
}

/* Is run @id started and not finished? */
bool ntc_run_in_progress(u64 id)
{
	bool ret;

	mutex_lock(&ntc_run_lock);
	ret = ntc_run_current && ntc_run_current->id == id;
	mutex_unlock(&ntc_run_lock);
	return ret;
}

/*
 * Unload: no run starts any more, the one in flight is cancelled and
 * waited for (its result is sent while the family is still registered),
 * its thread reaped. The wait sleeps and says so every second: a run ends
 * within one iteration's deadlines of the cancel.
 */
void ntc_run_exit(void)
{
	mutex_lock(&ntc_run_lock);
	ntc_run_closed = true;
	if (ntc_run_current)
		WRITE_ONCE(ntc_run_current->cancel, NTCORRAL_CANCEL_UNLOAD);
	mutex_unlock(&ntc_run_lock);
	while (!wait_event_timeout(ntc_run_idle, !atomic_read(&ntc_run_threads), HZ))
		pr_warn("!!! unloading: waiting for the run in flight to stop\n");
	mutex_lock(&ntc_run_lock);
	ntc_run_reap();
	mutex_unlock(&ntc_run_lock);
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
					      ntc_run_metric_compact(run, i),
					      &rep->metric[i]);
	memcpy(rep->counters, run->counters, sizeof(rep->counters));
}
