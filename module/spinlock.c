// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: spin locks and IRQL (seed 001-multiprocessor-safe-spinlocks).
 *
 * An ISR (hardirq, on every CPU of the set), its DpcForIsr and a dispatch
 * thread's KeSynchronizeExecution-style critical section share one device
 * extension: a multi-word record that a torn update would break, plus
 * totals. "The IRQL assigned to a spin lock is that of the highest-IRQL
 * routine that can acquire it." Variants:
 *   irqsave        the rule done right: DPC and thread take the ISR's lock
 *                  with interrupts off (spin_lock_irqsave), at DIRQL
 *   raw            the same with raw_spinlock_t, as PREEMPT_RT requires in
 *                  hard interrupt context
 *   dispatch_only  the mistake the DDK warns about: DPC and thread take the
 *                  ISR's lock at DISPATCH_LEVEL only (interrupts on). Run
 *                  safely: the holder records its CPU, and an ISR that
 *                  finds its own CPU holding the lock backs off instead of
 *                  spinning forever, counts a would-be self-deadlock and
 *                  leaves its event for the DPC (nothing is lost).
 *
 * dispatch_only's lock is kept out of lockdep's validation (struct
 * ntc_variant_lock, nt.h): lockdep would report the inconsistent
 * {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} use at once, which is the point of the
 * variant, and then switch itself off for the rest of the suite, hiding
 * real bugs. The debug-kernel lane checks that verdict in a boot of its
 * own, with lockdep_sees_wrong_variants=1.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/llist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "ntcorral.h"
#include "nt.h"
#include "device.h"

enum sl_metric { SL_ISR_TO_DPC, SL_HOLD, SL_WAIT, SL_NR_METRICS };

static const char *const sl_metrics[] = {
	[SL_ISR_TO_DPC]	= "isr_to_dpc",	/* interrupt -> its DPC handled it */
	[SL_HOLD]	= "hold",	/* lock held, every acquisition */
	[SL_WAIT]	= "wait",	/* waiting for the lock */
};

enum sl_counter {
	SL_C_INTERRUPTS,
	SL_C_ISR_SECTIONS,
	SL_C_DPC_RUNS,
	SL_C_DPC_SECTIONS,
	SL_C_THREAD_SECTIONS,
	SL_C_EVENTS_HANDLED,
	SL_C_TORN_RECORDS,
	SL_C_WOULD_DEADLOCK,
	SL_C_DEFERRED,
	SL_C_LOCK_TIMEOUTS,
	SL_C_EVENTS_PER_SEC,
	SL_C_IRQL_VIOLATIONS,
	SL_NR_COUNTERS
};

static const char *const sl_counters[] = {
	[SL_C_INTERRUPTS]	= "interrupts",
	[SL_C_ISR_SECTIONS]	= "isr_sections",
	[SL_C_DPC_RUNS]		= "dpc_runs",
	[SL_C_DPC_SECTIONS]	= "dpc_sections",
	[SL_C_THREAD_SECTIONS]	= "thread_sections",
	[SL_C_EVENTS_HANDLED]	= "events_handled",
	[SL_C_TORN_RECORDS]	= "torn_records",
	[SL_C_WOULD_DEADLOCK]	= "would_be_self_deadlocks",
	[SL_C_DEFERRED]		= "deferred_to_dpc",
	[SL_C_LOCK_TIMEOUTS]	= "lock_timeouts",
	[SL_C_EVENTS_PER_SEC]	= "events_per_sec",
	[SL_C_IRQL_VIOLATIONS]	= "irql_violations",
};

/* What a variant is: the device extension's lock. */
struct sl_ops {
	enum ntc_lock_kind lock;
};

enum sl_ctx { SL_ISR, SL_DPC, SL_THREAD };

#define SL_MAGIC 0x5a5a5a5a5a5a5a5aULL

/* One interrupt's event, from the ISR to the DPC. */
struct sl_event {
	struct llist_node node;
	u64 t_isr;
};

struct sl_state {
	struct ntc_run *run;
	struct ntc_device dev;
	u64 deadline_ns;
	u64 hold_ns;

	/* The device extension. */
	struct ntc_variant_lock lock;
	u64 t_acquired;
	struct {
		u64 seq, a, b, c;	/* b == 2a + 1, c == a ^ MAGIC, seq == a */
	} rec;
	u64 sections[3];		/* per enum sl_ctx, under the lock */
	u64 events_handled;		/* under the lock */

	/* Lock-free, any context. */
	struct llist_head pending;	/* events waiting for the DPC */
	atomic64_t torn;
	atomic64_t would_deadlock;
	atomic64_t deferred;		/* updates the DPC still owes */
	atomic64_t deferred_total;
	atomic64_t lock_timeouts;
	struct sl_event *events;	/* one per interrupt */
	atomic_t next_event;
	unsigned int nr_events;
};

/*
 * Take the device extension's lock as @ctx would in this variant. Returns
 * false (nothing held, nothing raised) when the ISR must back off or the
 * deadline passed.
 */
static bool sl_acquire(struct sl_state *st, enum sl_ctx ctx,
		       struct ntc_irql_saved *irql)
{
	u64 t0 = ntc_now(), deadline = ntc_deadline(st->deadline_ns);
	bool correct = !st->run->variant->wrong;

	/* The lock's IRQL: DIRQL done right, DISPATCH_LEVEL in the mistake. */
	if (ctx == SL_ISR)
		ntc_irql_raise(ntc_irql_current(), irql);	/* already DIRQL */
	else if (correct)
		ntc_irql_raise(IPI_LEVEL - 1, irql);		/* KeSynchronizeExecution */
	else
		ntc_irql_raise(DISPATCH_LEVEL, irql);		/* KeAcquireSpinLock */
	if (correct)
		ntc_irql_assert(DEVICE_LEVEL, IPI_LEVEL);
	else
		ntc_irql_assert(DISPATCH_LEVEL, DISPATCH_LEVEL);

	if (ctx == SL_ISR && ntc_variant_lock_held_here(&st->lock)) {
		/* We interrupted this lock's holder: spinning would never end. */
		atomic64_inc(&st->would_deadlock);
		ntc_irql_lower(irql);
		return false;
	}
	if (!ntc_spin_until(ntc_variant_lock_try(&st->lock), deadline)) {
		atomic64_inc(&st->lock_timeouts);
		ntc_irql_lower(irql);
		return false;
	}
	st->t_acquired = ntc_now();
	ntc_run_metric_add(st->run, SL_WAIT, st->t_acquired - t0);
	return true;
}

static void sl_release(struct sl_state *st, struct ntc_irql_saved *irql)
{
	ntc_run_metric_add(st->run, SL_HOLD, ntc_now() - st->t_acquired);
	ntc_variant_lock_release(&st->lock);
	ntc_irql_lower(irql);
}

/* The critical section: check the record whole, update it word by word. */
static void sl_critical(struct sl_state *st, enum sl_ctx ctx)
{
	u64 a = st->rec.a;

	if (st->rec.b != 2 * a + 1 || st->rec.c != (a ^ SL_MAGIC) ||
	    st->rec.seq != a)
		atomic64_inc(&st->torn);
	/* Widen the window a torn update would need. */
	WRITE_ONCE(st->rec.a, a + 1);
	cpu_relax();
	WRITE_ONCE(st->rec.b, 2 * (a + 1) + 1);
	cpu_relax();
	WRITE_ONCE(st->rec.c, (a + 1) ^ SL_MAGIC);
	WRITE_ONCE(st->rec.seq, a + 1);
	st->sections[ctx]++;
	/* The DPC's and the thread's own work under the lock (hold_us). */
	if (ctx != SL_ISR)
		ntc_busy_for(st->hold_ns);
}

static void sl_isr(struct ntc_device *dev, int cpu, u32 seq)
{
	struct sl_state *st = dev->context;
	unsigned int idx = atomic_inc_return(&st->next_event) - 1;
	struct ntc_irql_saved irql;

	if (idx < st->nr_events) {
		st->events[idx].t_isr = ntc_now();
		llist_add(&st->events[idx].node, &st->pending);
	}
	if (sl_acquire(st, SL_ISR, &irql)) {
		sl_critical(st, SL_ISR);
		sl_release(st, &irql);
	} else {
		/* Its update is the DPC's to make: nothing is lost. */
		atomic64_inc(&st->deferred);
		atomic64_inc(&st->deferred_total);
	}
	ntc_device_request_dpc(dev);
}

static void sl_dpc(struct ntc_device *dev)
{
	struct sl_state *st = dev->context;
	struct llist_node *list, *last;
	struct ntc_irql_saved irql;
	struct sl_event *ev;
	u64 now, deferred;

	list = llist_del_all(&st->pending);
	if (!sl_acquire(st, SL_DPC, &irql)) {
		/* Deadline: give the events back; the next DPC takes them. */
		if (list) {
			for (last = list; last->next; last = last->next)
				;
			llist_add_batch(list, last, &st->pending);
		}
		ntc_device_request_dpc(dev);
		return;
	}
	sl_critical(st, SL_DPC);
	now = ntc_now();
	llist_for_each_entry(ev, list, node) {
		ntc_run_metric_add(st->run, SL_ISR_TO_DPC, now - ev->t_isr);
		st->events_handled++;
	}
	/* The ISRs that backed off: their updates, made here. */
	deferred = atomic64_xchg(&st->deferred, 0);
	while (deferred--)
		sl_critical(st, SL_ISR);
	sl_release(st, &irql);
}

/* The dispatch routine's KeSynchronizeExecution. */
static void sl_thread(struct ntc_device *dev)
{
	struct sl_state *st = dev->context;
	struct ntc_irql_saved irql;

	if (sl_acquire(st, SL_THREAD, &irql)) {
		sl_critical(st, SL_THREAD);
		sl_release(st, &irql);
	}
}

/* Events, or ISR updates, that a DPC which ran into its deadline left. */
static bool sl_left_behind(struct ntc_device *dev)
{
	struct sl_state *st = dev->context;

	return !llist_empty(&st->pending) || atomic64_read(&st->deferred);
}

static const struct ntc_device_ops sl_device_ops = {
	.isr = sl_isr,
	.dpc = sl_dpc,
	.thread = sl_thread,
	.left_behind = sl_left_behind,
};

static unsigned int sl_max_samples(const struct ntc_run *run)
{
	/* Acquisitions: ISR + DPC + thread per interrupt, roughly; capped. */
	return min_t(u64, (u64)run->p.iterations * run->nr_cpus * 3 + 1024,
		     1U << 20);
}

/* One event record per interrupt: iterations per CPU of the set. */
static int sl_check(struct ntc_run *run)
{
	return ntc_run_check_hold(run, run->p.iterations, 0);
}

static int sl_setup(struct ntc_run *run)
{
	struct sl_state *st;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		goto nomem;
	/* Bounded by sl_check(). */
	st->nr_events = run->p.iterations * run->nr_cpus;
	st->events = kvcalloc(st->nr_events, sizeof(*st->events),
			      GFP_KERNEL | __GFP_NOWARN);
	if (!st->events)
		goto nomem;
	st->run = run;
	st->deadline_ns = run->deadline_ns;
	st->hold_ns = (u64)run->p.hold_us * NSEC_PER_USEC;
	st->rec.b = 1;
	st->rec.c = SL_MAGIC;
	ntc_variant_lock_init(&st->lock,
			      ((const struct sl_ops *)run->variant->ops)->lock);
	init_llist_head(&st->pending);
	ntc_device_init(&st->dev, &sl_device_ops, st, run->p.cpus,
			run->p.rate_hz, run->p.iterations);
	run->priv = st;
	return 0;
nomem:
	if (st)
		kvfree(st->events);
	kfree(st);
	run->errmsg = "no memory for the device";
	return -ENOMEM;
}

static void sl_teardown(struct ntc_run *run)
{
	struct sl_state *st = run->priv;

	kvfree(st->events);
	kfree(st);
	run->priv = NULL;
}

/* The whole run: the device interrupts while the thread calls in. */
static int sl_session(struct ntc_run *run, u64 *unused)
{
	struct sl_state *st = run->priv;
	u64 misses = ntc_irql_violations(), elapsed;
	u64 raised, *c = run->counters;
	int ret;

	ret = ntc_device_session(&st->dev, run, &elapsed);
	raised = atomic64_read(&st->dev.raised);
	c[SL_C_INTERRUPTS] = raised;
	c[SL_C_ISR_SECTIONS] = st->sections[SL_ISR];
	c[SL_C_DPC_RUNS] = atomic64_read(&st->dev.dpc_runs);
	c[SL_C_DPC_SECTIONS] = st->sections[SL_DPC];
	c[SL_C_THREAD_SECTIONS] = st->sections[SL_THREAD];
	c[SL_C_EVENTS_HANDLED] = st->events_handled;
	c[SL_C_TORN_RECORDS] = atomic64_read(&st->torn);
	c[SL_C_WOULD_DEADLOCK] = atomic64_read(&st->would_deadlock);
	c[SL_C_LOCK_TIMEOUTS] = atomic64_read(&st->lock_timeouts);
	c[SL_C_EVENTS_PER_SEC] = elapsed ? div64_u64(raised * NSEC_PER_SEC, elapsed) : 0;
	c[SL_C_IRQL_VIOLATIONS] = ntc_irql_violations() - misses;
	/* Deferred updates are made by the DPC as ISR sections. */
	c[SL_C_DEFERRED] = atomic64_read(&st->deferred_total);

	if (c[SL_C_TORN_RECORDS])
		ntc_run_violation(run, "a torn device-extension record was observed");
	if (st->rec.a != st->sections[SL_ISR] + st->sections[SL_DPC] +
			 st->sections[SL_THREAD])
		ntc_run_violation(run, "a critical-section update was lost");
	if (c[SL_C_ISR_SECTIONS] != raised)
		ntc_run_violation(run, "an interrupt's update was never made");
	if (c[SL_C_EVENTS_HANDLED] != min_t(u64, raised, st->nr_events))
		ntc_run_violation(run, "an interrupt was never handled by a DPC");
	if (!run->variant->wrong && c[SL_C_IRQL_VIOLATIONS])
		ntc_run_violation(run, "the IRQL assertion fired in a correct variant");
	if (c[SL_C_LOCK_TIMEOUTS])
		ntc_run_timeout(run, "a lock acquisition ran into its deadline");
	run->samples = raised;
	return ret;
}

static const struct ntc_variant sl_variants[] = {
	/*
	 * Seed 001's rule on PREEMPT_RT: a lock taken in hard interrupt
	 * context must be a raw_spinlock_t, because there a spinlock_t is a
	 * sleeping rt_mutex. irqsave's ISR would take one from the hrtimer's
	 * hard interrupt (its owner then whatever task it interrupted): not
	 * run there, and raw is the yardstick.
	 */
	{
		.name = "irqsave",
		.description = IS_ENABLED(CONFIG_PREEMPT_RT) ?
			"the NT rule on a spinlock_t, which PREEMPT_RT makes a sleeping lock: the ISR would take it in hard interrupt context (not run here; raw is the port)" :
			"the NT rule done right: the lock's IRQL is the ISR's, so the DPC and the thread take it with interrupts off (spin_lock_irqsave)",
		.baseline = !IS_ENABLED(CONFIG_PREEMPT_RT),
		.refused = NTC_ON_PREEMPT_RT("on PREEMPT_RT a spinlock_t is a sleeping lock, and this variant's ISR takes it in hard interrupt context: there the lock must be a raw_spinlock_t (--variant raw)"),
		.iterate = sl_session,
		.ops = &(const struct sl_ops){ .lock = NTC_LOCK_SPINLOCK },
	},
	{
		.name = "raw",
		.description = IS_ENABLED(CONFIG_PREEMPT_RT) ?
			"the NT rule done right on PREEMPT_RT: a raw_spinlock_t, the only lock an ISR may take there, with interrupts off in the DPC and the thread" :
			"the same with raw_spinlock_t, as PREEMPT_RT requires in hard interrupt context",
		.baseline = IS_ENABLED(CONFIG_PREEMPT_RT),
		.iterate = sl_session,
		.ops = &(const struct sl_ops){ .lock = NTC_LOCK_RAW },
	},
	{
		.name = "dispatch_only",
		.description = "the mistake: DPC and thread take the ISR's lock at DISPATCH_LEVEL (interrupts on); the ISR detects its own CPU holding it, backs off and counts",
		.wrong = true,
		.iterate = sl_session,
		.ops = &(const struct sl_ops){ .lock = NTC_LOCK_HIDDEN },
	},
};

const struct ntc_experiment ntc_spinlock = {
	.name = "spinlock",
	.seed = "001-multiprocessor-safe-spinlocks",
	.description = "ISR, DpcForIsr and a KeSynchronizeExecution critical section share a device extension under one spin lock",
	.variants = sl_variants,
	.nr_variants = ARRAY_SIZE(sl_variants),
	.metrics = sl_metrics,
	.nr_metrics = ARRAY_SIZE(sl_metrics),
	.counters = sl_counters,
	.nr_counters = ARRAY_SIZE(sl_counters),
	.params = BIT_ULL(NTCORRAL_A_HOLD_US) | BIT_ULL(NTCORRAL_A_RATE_HZ),
	.session = true,
	.counters_highest = BIT(SL_C_EVENTS_PER_SEC),
	.max_samples = sl_max_samples,
	.check = sl_check,
	.setup = sl_setup,
	.teardown = sl_teardown,
};
