// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: interlocked queues, "Extreme DMA" (seed 004-interlocked-queues-
 * extreme-dma).
 *
 * ISRs on every CPU of the set push completed requests onto a done-queue,
 * the dispatch thread pushes too, and the DpcForIsr drains it. The
 * ExInterlocked list routines may be called from an ISR because they take
 * their lock with interrupts off. Variants:
 *   exinterlocked  ExInterlockedInsertTailList/RemoveHeadList semantics: a
 *                  spin lock taken with interrupts off around a list (FIFO);
 *                  NT's KSPIN_LOCK, so a raw_spinlock_t (on PREEMPT_RT a
 *                  spinlock_t would sleep, and the ISRs take this one)
 *   slist          the lock-free singly linked list, NT's interlocked SList:
 *                  llist_add() / llist_del_all(), order restored on drain
 *   naive          the deadlock the thread fears: the DPC takes the list
 *                  lock without disabling interrupts. An ISR that finds its
 *                  own CPU holding the lock backs off (counted) and leaves
 *                  its item on a lock-free side list the DPC also drains.
 *
 * naive's lock is kept out of lockdep's validation (struct
 * ntc_variant_lock, nt.h, says why) unless lockdep_sees_wrong_variants=1.
 *
 * One KDPC drains the queue: a tasklet never runs on two CPUs at once, so
 * there is a single consumer and per-producer order is checkable.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "ntcorral.h"
#include "nt.h"
#include "device.h"

enum iq_metric { IQ_LATENCY, IQ_DEQUEUE, IQ_NR_METRICS };

static const char *const iq_metrics[] = {
	[IQ_LATENCY]	= "isr_to_dpc",	/* produced -> consumed, per item */
	[IQ_DEQUEUE]	= "dequeue",	/* consumer cost per item of a batch */
};

enum iq_counter {
	IQ_C_PRODUCED,
	IQ_C_PRODUCED_ISR,
	IQ_C_PRODUCED_THREAD,
	IQ_C_CONSUMED,
	IQ_C_DUPLICATES,
	IQ_C_LOST,
	IQ_C_ORDER_BREAKS,
	IQ_C_BATCHES,
	IQ_C_MAX_BATCH,
	IQ_C_WOULD_DEADLOCK,
	IQ_C_SIDE_LIST,
	IQ_C_LOCK_TIMEOUTS,
	IQ_C_ITEMS_PER_SEC,
	IQ_NR_COUNTERS
};

static const char *const iq_counters[] = {
	[IQ_C_PRODUCED]		= "produced",
	[IQ_C_PRODUCED_ISR]	= "produced_by_isr",
	[IQ_C_PRODUCED_THREAD]	= "produced_by_thread",
	[IQ_C_CONSUMED]		= "consumed",
	[IQ_C_DUPLICATES]	= "duplicates",
	[IQ_C_LOST]		= "lost",
	[IQ_C_ORDER_BREAKS]	= "order_breaks",
	[IQ_C_BATCHES]		= "batches",
	[IQ_C_MAX_BATCH]	= "max_batch",
	[IQ_C_WOULD_DEADLOCK]	= "would_be_self_deadlocks",
	[IQ_C_SIDE_LIST]	= "side_listed",
	[IQ_C_LOCK_TIMEOUTS]	= "lock_timeouts",
	[IQ_C_ITEMS_PER_SEC]	= "items_per_sec",
};

/* A completed request. */
struct iq_item {
	struct list_head entry;		/* exinterlocked, naive */
	struct llist_node node;		/* slist, naive's side list */
	u32 producer;			/* CPU of its ISR, or nr_cpu_ids: thread */
	u32 seq;			/* per producer, from 0 */
	u64 t_produced;
};

struct iq_state;

/* How a variant queues: what differs between exinterlocked, slist, naive. */
struct iq_ops {
	/* Queue @it from an ISR (@isr) or the dispatch thread. */
	void (*insert)(struct iq_state *st, struct iq_item *it, bool isr);
	/* The DPC: everything queued, the batch's hold included; how many. */
	unsigned int (*drain)(struct iq_state *st);
	/* The DPC takes the list lock with interrupts off (ExInterlocked). */
	bool drain_irqs_off;
};

struct iq_state {
	struct ntc_run *run;
	const struct iq_ops *ops;
	struct ntc_device dev;
	u64 deadline_ns;
	u64 hold_ns;			/* the DPC's work per batch */

	struct ntc_variant_lock lock;	/* exinterlocked, naive */
	struct list_head list;
	struct llist_head slist;
	struct llist_head side;		/* naive: items whose ISR backed off */

	/* Items: per producer a slice of @iterations; thread's is the last. */
	struct iq_item *items;
	u8 *consumed;			/* times each item was consumed */
	u32 *next_seq;			/* consumer: expected per producer */
	u32 *produced;			/* producer-side counts */
	unsigned int nr_producers, per_producer;
	int *producer_of_cpu;

	atomic64_t would_deadlock, side_listed, lock_timeouts;
	atomic64_t insert_timeouts;	/* of lock_timeouts, inserts' */
	u64 consumed_total, batches, max_batch, order_breaks, duplicates;
	/* Throughput: the first item produced to the last drain's end. */
	u32 burst;			/* items per interrupt */
	atomic64_t t_first;
	u64 t_last, t_consume;
};

static struct iq_item *iq_item_of(struct iq_state *st, unsigned int producer,
				  u32 seq)
{
	return &st->items[producer * st->per_producer + seq];
}

/* ExInterlockedInsertTailList: the lock with interrupts off, from anywhere. */
static bool iq_insert_locked(struct iq_state *st, struct iq_item *it, bool isr)
{
	u64 deadline = ntc_deadline(st->deadline_ns);
	unsigned long flags;

	local_irq_save(flags);
	if (isr && ntc_variant_lock_held_here(&st->lock)) {
		/* naive: we interrupted the DPC holding it on this CPU. */
		local_irq_restore(flags);
		atomic64_inc(&st->would_deadlock);
		return false;
	}
	if (!ntc_spin_until(ntc_variant_lock_try(&st->lock), deadline)) {
		local_irq_restore(flags);
		atomic64_inc(&st->lock_timeouts);
		atomic64_inc(&st->insert_timeouts);
		return false;
	}
	list_add_tail(&it->entry, &st->list);
	ntc_variant_lock_release(&st->lock);
	local_irq_restore(flags);
	return true;
}

/* exinterlocked, naive: the list, or a lock-free side list it never fits. */
static void iq_insert_list(struct iq_state *st, struct iq_item *it, bool isr)
{
	if (iq_insert_locked(st, it, isr))
		return;
	/* Never dropped: the side list is lock-free and drained too. */
	atomic64_inc(&st->side_listed);
	llist_add(&it->node, &st->side);
}

/* slist: InterlockedPushEntrySList. */
static void iq_insert_slist(struct iq_state *st, struct iq_item *it, bool isr)
{
	llist_add(&it->node, &st->slist);
}

/* For the trace events: items produced and not yet consumed, roughly. */
static long iq_depth(struct iq_state *st)
{
	u64 produced = 0;
	unsigned int i;

	for (i = 0; i < st->nr_producers; i++)
		produced += READ_ONCE(st->produced[i]);
	return produced - READ_ONCE(st->consumed_total);
}

/* @now: the interrupt's time, one clock read for a whole burst. */
static void iq_produce(struct iq_state *st, unsigned int producer, bool isr,
		       u64 now)
{
	u32 seq = st->produced[producer];
	struct iq_item *it;

	if (seq >= st->per_producer)
		return;
	if (!atomic64_read(&st->t_first))
		atomic64_cmpxchg(&st->t_first, 0, now);
	it = iq_item_of(st, producer, seq);
	it->t_produced = now;
	st->produced[producer] = seq + 1;
	st->ops->insert(st, it, isr);
	if (ntc_trace_queue_enabled())
		ntc_trace_queue(true, producer, seq, iq_depth(st));
}

static void iq_isr(struct ntc_device *dev, int cpu, u32 seq)
{
	struct iq_state *st = dev->context;
	unsigned int producer = st->producer_of_cpu[cpu], i;
	u64 now = ntc_now();

	ntc_irql_assert(DEVICE_LEVEL, IPI_LEVEL);
	for (i = 0; i < st->burst; i++)
		iq_produce(st, producer, true, now);
	ntc_device_request_dpc(dev);
}

/*
 * The consumer: exactly-once and per-producer order, from the evidence.
 * The clock is read for the first item of a drain and every 64th after it
 * (@n counts the drain's items): per item, where the clock is emulated, it
 * would cost more than the queue operation being measured.
 */
static void iq_consume(struct iq_state *st, struct iq_item *it, unsigned int n)
{
	unsigned int idx = it - st->items;
	u64 now;

	if (!(n & 63))
		st->t_consume = ntc_now();
	now = max(st->t_consume, it->t_produced);

	if (st->consumed[idx]++) {
		st->duplicates++;
		return;
	}
	st->consumed_total++;
	if (it->seq != st->next_seq[it->producer])
		st->order_breaks++;
	st->next_seq[it->producer] = it->seq + 1;
	ntc_run_metric_add(st->run, IQ_LATENCY, now - it->t_produced);
	if (ntc_trace_queue_enabled())
		ntc_trace_queue(false, it->producer, it->seq, iq_depth(st));
}

/* The DPC's own work on a batch; under the list lock where there is one. */
static void iq_hold(struct iq_state *st)
{
	ntc_busy_for(st->hold_ns);
}

/* RemoveHeadList until empty, the lock taken as the variant takes it. */
static unsigned int iq_drain_list(struct iq_state *st)
{
	u64 deadline = ntc_deadline(st->deadline_ns);
	unsigned int n = 0;
	unsigned long flags = 0;
	struct iq_item *it;

	for (;;) {
		if (st->ops->drain_irqs_off)
			local_irq_save(flags);
		if (!ntc_spin_until(ntc_variant_lock_try(&st->lock), deadline)) {
			if (st->ops->drain_irqs_off)
				local_irq_restore(flags);
			atomic64_inc(&st->lock_timeouts);
			break;
		}
		if (!n)
			iq_hold(st);
		it = list_first_entry_or_null(&st->list, struct iq_item, entry);
		if (it)
			list_del(&it->entry);
		ntc_variant_lock_release(&st->lock);
		if (st->ops->drain_irqs_off)
			local_irq_restore(flags);
		if (!it)
			break;
		iq_consume(st, it, n);
		n++;
	}
	return n;
}

static unsigned int iq_drain_llist(struct iq_state *st, struct llist_head *head)
{
	struct llist_node *batch = llist_del_all(head);
	struct iq_item *it, *tmp;
	unsigned int n = 0;

	/* An SList pops LIFO: restore the order the items came in. */
	batch = llist_reverse_order(batch);
	llist_for_each_entry_safe(it, tmp, batch, node) {
		iq_consume(st, it, n);
		n++;
	}
	return n;
}

/* exinterlocked, naive: RemoveHeadList until empty, then the side list. */
static unsigned int iq_drain_lists(struct iq_state *st)
{
	unsigned int n = iq_drain_list(st);

	return n + iq_drain_llist(st, &st->side);
}

/* slist: InterlockedFlushSList, the batch's work first. */
static unsigned int iq_drain_slist(struct iq_state *st)
{
	iq_hold(st);
	return iq_drain_llist(st, &st->slist);
}

static void iq_dpc(struct ntc_device *dev)
{
	struct iq_state *st = dev->context;
	u64 t0 = ntc_now(), t1;
	unsigned int n;

	ntc_irql_assert(DISPATCH_LEVEL, DISPATCH_LEVEL);
	n = st->ops->drain(st);
	if (!n)
		return;
	t1 = ntc_now();
	st->t_last = t1;
	st->batches++;
	st->max_batch = max_t(u64, st->max_batch, n);
	ntc_run_metric_add(st->run, IQ_DEQUEUE, div_u64(t1 - t0, n));
}

/* The dispatch routine completes a request of its own. */
static void iq_thread(struct ntc_device *dev)
{
	struct iq_state *st = dev->context;

	iq_produce(st, st->nr_producers - 1, false, ntc_now());
	ntc_device_request_dpc(dev);
}

static const struct ntc_device_ops iq_device_ops = {
	.isr = iq_isr,
	.dpc = iq_dpc,
	.thread = iq_thread,
};

/* Bounded by iq_check(). */
static unsigned int iq_max_samples(const struct ntc_run *run)
{
	return (run->nr_cpus + 1) * run->p.iterations;
}

/* An item per iteration for each CPU's ISR and for the thread. */
static int iq_check(struct ntc_run *run)
{
	return ntc_run_check_hold(run, run->p.iterations, run->p.iterations);
}

/* The state and what hangs off it; whatever of it was allocated. */
static void iq_free(struct iq_state *st)
{
	if (!st)
		return;
	kvfree(st->items);
	kvfree(st->consumed);
	kfree(st->next_seq);
	kfree(st->produced);
	kfree(st->producer_of_cpu);
	kfree(st);
}

static int iq_setup(struct ntc_run *run)
{
	struct iq_state *st;
	unsigned int i, p = 0, total;
	int cpu;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		goto nomem;
	st->nr_producers = run->nr_cpus + 1;	/* ISR per CPU, and the thread */
	st->per_producer = run->p.iterations;
	total = st->nr_producers * st->per_producer;
	st->items = kvcalloc(total, sizeof(*st->items), GFP_KERNEL | __GFP_NOWARN);
	st->consumed = kvcalloc(total, 1, GFP_KERNEL | __GFP_NOWARN);
	st->next_seq = kcalloc(st->nr_producers, sizeof(u32), GFP_KERNEL);
	st->produced = kcalloc(st->nr_producers, sizeof(u32), GFP_KERNEL);
	st->producer_of_cpu = kcalloc(nr_cpu_ids, sizeof(int), GFP_KERNEL);
	if (!st->items || !st->consumed || !st->next_seq || !st->produced ||
	    !st->producer_of_cpu)
		goto nomem;
	for_each_cpu(cpu, run->p.cpus)
		st->producer_of_cpu[cpu] = p++;
	for (i = 0; i < total; i++) {
		st->items[i].producer = i / st->per_producer;
		st->items[i].seq = i % st->per_producer;
	}
	st->run = run;
	st->ops = run->variant->ops;
	st->deadline_ns = run->deadline_ns;
	st->hold_ns = (u64)run->p.hold_us * NSEC_PER_USEC;
	/*
	 * ExInterlocked's lock is a KSPIN_LOCK taken with interrupts off:
	 * raw_spinlock_t, which an ISR may take on PREEMPT_RT too.
	 */
	ntc_variant_lock_init(&st->lock, run->variant->wrong ? NTC_LOCK_HIDDEN :
					 NTC_LOCK_RAW);
	INIT_LIST_HEAD(&st->list);
	init_llist_head(&st->slist);
	init_llist_head(&st->side);
	st->burst = run->p.burst;
	atomic64_set(&st->t_first, 0);
	ntc_device_init(&st->dev, &iq_device_ops, st, run->p.cpus,
			run->p.rate_hz, DIV_ROUND_UP(run->p.iterations, st->burst));
	run->priv = st;
	return 0;
nomem:
	iq_free(st);
	run->errmsg = "no memory for the queue's items";
	return -ENOMEM;
}

static void iq_teardown(struct ntc_run *run)
{
	iq_free(run->priv);
	run->priv = NULL;
}

/* The whole run: the device interrupts while the thread produces too. */
static int iq_session(struct ntc_run *run, u64 *unused)
{
	struct iq_state *st = run->priv;
	unsigned int thread = st->nr_producers - 1, i;
	u64 produced = 0, t_first, window, *c = run->counters;
	int ret;

	ret = ntc_device_session(&st->dev, run, NULL);
	t_first = atomic64_read(&st->t_first);
	window = st->t_last > t_first ? st->t_last - t_first : 0;

	for (i = 0; i < st->nr_producers; i++)
		produced += st->produced[i];
	c[IQ_C_PRODUCED] = produced;
	c[IQ_C_PRODUCED_THREAD] = st->produced[thread];
	c[IQ_C_PRODUCED_ISR] = produced - st->produced[thread];
	c[IQ_C_CONSUMED] = st->consumed_total;
	c[IQ_C_DUPLICATES] = st->duplicates;
	c[IQ_C_LOST] = produced - st->consumed_total;
	c[IQ_C_ORDER_BREAKS] = st->order_breaks;
	c[IQ_C_BATCHES] = st->batches;
	c[IQ_C_MAX_BATCH] = st->max_batch;
	c[IQ_C_WOULD_DEADLOCK] = atomic64_read(&st->would_deadlock);
	c[IQ_C_SIDE_LIST] = atomic64_read(&st->side_listed);
	c[IQ_C_LOCK_TIMEOUTS] = atomic64_read(&st->lock_timeouts);
	c[IQ_C_ITEMS_PER_SEC] = window ?
		div64_u64(st->consumed_total * NSEC_PER_SEC, window) : 0;

	if (c[IQ_C_DUPLICATES])
		ntc_run_violation(run, "an item was consumed twice");
	if (c[IQ_C_LOST])
		ntc_run_violation(run, "an item produced was never consumed");
	if (!list_empty(&st->list) || !llist_empty(&st->slist) ||
	    !llist_empty(&st->side))
		ntc_run_violation(run, "the queue is not empty at the end");
	/*
	 * naive's side list reorders by design: a hazard, counted. In a
	 * correct variant an item goes to the side list only when its insert
	 * ran into the deadline (a counted timeout, below), and only then may
	 * its producer's order break.
	 */
	if (!run->variant->wrong &&
	    c[IQ_C_SIDE_LIST] > atomic64_read(&st->insert_timeouts))
		ntc_run_violation(run, "a correct variant's ISR could not insert, with no deadline to blame");
	if (!run->variant->wrong && c[IQ_C_ORDER_BREAKS] && !c[IQ_C_SIDE_LIST])
		ntc_run_violation(run, "a producer's items were consumed out of order");
	if (c[IQ_C_LOCK_TIMEOUTS])
		ntc_run_timeout(run, "a list-lock acquisition ran into its deadline");
	run->samples = st->consumed_total;
	return ret;
}

static const struct ntc_variant iq_variants[] = {
	{
		.name = "exinterlocked",
		.description = "ExInterlockedInsertTailList/RemoveHeadList: a raw spin lock (NT's KSPIN_LOCK) taken with interrupts off around a FIFO list",
		.baseline = true,
		.iterate = iq_session,
		.ops = &(const struct iq_ops){
			.insert = iq_insert_list,
			.drain = iq_drain_lists,
			.drain_irqs_off = true,
		},
	},
	{
		.name = "slist",
		.description = "the interlocked SList: llist_add() from ISRs and thread, llist_del_all() in the DPC, order restored on drain",
		.iterate = iq_session,
		.ops = &(const struct iq_ops){
			.insert = iq_insert_slist,
			.drain = iq_drain_slist,
		},
	},
	{
		.name = "naive",
		.description = "the feared deadlock: the DPC takes the list lock with interrupts on; an ISR that finds its own CPU holding it backs off (counted) to a lock-free side list",
		.wrong = true,
		.iterate = iq_session,
		/* As exinterlocked, but the DPC leaves interrupts on. */
		.ops = &(const struct iq_ops){
			.insert = iq_insert_list,
			.drain = iq_drain_lists,
		},
	},
};

const struct ntc_experiment ntc_interlocked_queue = {
	.name = "interlocked_queue",
	.seed = "004-interlocked-queues-extreme-dma",
	.description = "Extreme DMA's done-queue: ISRs on several CPUs and the dispatch thread push completed requests, the DpcForIsr drains them",
	.variants = iq_variants,
	.nr_variants = ARRAY_SIZE(iq_variants),
	.metrics = iq_metrics,
	.nr_metrics = ARRAY_SIZE(iq_metrics),
	.counters = iq_counters,
	.nr_counters = ARRAY_SIZE(iq_counters),
	.params = BIT_ULL(NTCORRAL_A_HOLD_US) | BIT_ULL(NTCORRAL_A_RATE_HZ) |
		  BIT_ULL(NTCORRAL_A_BURST),
	.session = true,
	.counters_highest = BIT(IQ_C_MAX_BATCH) | BIT(IQ_C_ITEMS_PER_SEC),
	.max_samples = iq_max_samples,
	.check = iq_check,
	.setup = iq_setup,
	.teardown = iq_teardown,
};
