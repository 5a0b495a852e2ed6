// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: KUnit suites for the mapping layer and the statistics, built
 * only against a kernel with KUnit; they run when the module loads.
 */

#include <kunit/test.h>
#include <linux/irq_work.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/slab.h>

#include "ntcorral.h"
#include "nt.h"

static void ntc_test_hist_buckets(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket(0), 0U);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket(1), 1U);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket(2), 2U);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket(3), 2U);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket(1024), 11U);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket(U64_MAX), NTCORRAL_HIST_BUCKETS - 1);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket_lo(11), 1024ULL);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket_hi(11), 2048ULL);
	KUNIT_EXPECT_EQ(test, ntc_hist_bucket_hi(NTCORRAL_HIST_BUCKETS - 1), U64_MAX);
}

static void ntc_test_exact_percentiles(struct kunit *test)
{
	struct ntc_metric_summary *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 *v = kunit_kcalloc(test, 100, sizeof(u64), GFP_KERNEL);
	u64 i, total = 0;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, v);
	for (i = 0; i < 100; i++)
		v[i] = 100 - i;		/* unsorted on purpose */
	ntc_summarize_samples(v, 100, s);
	KUNIT_EXPECT_EQ(test, s->count, 100ULL);
	KUNIT_EXPECT_EQ(test, s->min, 1ULL);
	KUNIT_EXPECT_EQ(test, s->max, 100ULL);
	KUNIT_EXPECT_EQ(test, s->mean, 50ULL);
	KUNIT_EXPECT_EQ(test, s->p50, 50ULL);
	KUNIT_EXPECT_EQ(test, s->p90, 90ULL);
	KUNIT_EXPECT_EQ(test, s->p99, 99ULL);
	for (i = 0; i < NTCORRAL_HIST_BUCKETS; i++)
		total += s->hist[i];
	KUNIT_EXPECT_EQ(test, total, 100ULL);
	KUNIT_EXPECT_EQ(test, s->hist[7], 37ULL);	/* 64..100 */
}

static void ntc_test_hist_percentiles(struct kunit *test)
{
	u64 hist[NTCORRAL_HIST_BUCKETS] = { 0 };

	hist[11] = 90;		/* [1024, 2048) */
	hist[21] = 10;		/* [1M, 2M) */
	/* The upper edge of the rank's bucket, clamped to [min, max]. */
	KUNIT_EXPECT_EQ(test, ntc_hist_percentile(hist, 100, 1500, 1500000, 50), 2047ULL);
	KUNIT_EXPECT_EQ(test, ntc_hist_percentile(hist, 100, 1500, 1500000, 90), 2047ULL);
	KUNIT_EXPECT_EQ(test, ntc_hist_percentile(hist, 100, 1500, 1500000, 99), 1500000ULL);
	KUNIT_EXPECT_EQ(test, ntc_hist_percentile(hist, 100, 1900, 1500000, 1), 2047ULL);
}

static void ntc_test_deadlines(struct kunit *test)
{
	u64 t0 = ntc_now(), deadline = ntc_deadline(2 * NSEC_PER_MSEC);
	int turns = 0;

	KUNIT_EXPECT_TRUE(test, ntc_spin_until(++turns > 10, deadline));
	KUNIT_EXPECT_EQ(test, turns, 11);
	KUNIT_EXPECT_FALSE(test, ntc_spin_until(false, deadline));
	KUNIT_EXPECT_GE(test, ntc_now() - t0, 2 * NSEC_PER_MSEC);
	KUNIT_EXPECT_TRUE(test, ntc_past(deadline));
}

static void ntc_test_irql_process(struct kunit *test)
{
	struct ntc_irql_saved a, b;

	KUNIT_EXPECT_EQ(test, ntc_irql_current(), PASSIVE_LEVEL);
	ntc_irql_raise(DISPATCH_LEVEL, &a);
	KUNIT_EXPECT_EQ(test, ntc_irql_current(), DISPATCH_LEVEL);
	KUNIT_EXPECT_TRUE(test, in_softirq());	/* BHs off: no DPCs here */
	ntc_irql_raise(IPI_LEVEL - 1, &b);
	KUNIT_EXPECT_TRUE(test, irqs_disabled());
	KUNIT_EXPECT_GE(test, ntc_irql_current(), IPI_LEVEL - 1);
	ntc_irql_lower(&b);
	KUNIT_EXPECT_EQ(test, ntc_irql_current(), DISPATCH_LEVEL);
	ntc_irql_lower(&a);
	KUNIT_EXPECT_EQ(test, ntc_irql_current(), PASSIVE_LEVEL);
}

static void ntc_test_irql_assert_counts(struct kunit *test)
{
	u64 before = ntc_irql_violations();

	KUNIT_EXPECT_TRUE(test, ntc_irql_assert(PASSIVE_LEVEL, PASSIVE_LEVEL));
	KUNIT_EXPECT_EQ(test, ntc_irql_violations(), before);
	KUNIT_EXPECT_FALSE(test, ntc_irql_assert(DISPATCH_LEVEL, IPI_LEVEL));
	KUNIT_EXPECT_EQ(test, ntc_irql_violations(), before + 1);
	/* Ours, on purpose: the suite checks the module-wide count is 0. */
	ntc_irql_violations_forget(1);
}

struct ntc_test_hardirq {
	struct irq_work work;
	struct completion done;
	enum ntc_irql seen;
};

static void ntc_test_hardirq_fn(struct irq_work *work)
{
	struct ntc_test_hardirq *h = container_of(work, struct ntc_test_hardirq, work);

	h->seen = ntc_irql_current();
	complete(&h->done);
}

static void ntc_test_irql_hardirq(struct kunit *test)
{
	struct ntc_test_hardirq h = { .seen = PASSIVE_LEVEL };

	init_completion(&h.done);
	h.work = IRQ_WORK_INIT_HARD(ntc_test_hardirq_fn);
	irq_work_queue(&h.work);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&h.done, HZ), 0UL);
	irq_work_sync(&h.work);
	/* A device's ISR: hardirq, at least DIRQL. */
	KUNIT_EXPECT_GE(test, h.seen, DEVICE_LEVEL);
}

static void ntc_test_ipi_fn(void *info)
{
	enum ntc_irql *seen = this_cpu_ptr(info);

	*seen = ntc_irql_current();
}

static void ntc_test_irql_ipi(struct kunit *test)
{
	enum ntc_irql __percpu *seen = alloc_percpu(enum ntc_irql);
	int cpu;

	KUNIT_ASSERT_NOT_NULL(test, seen);
	cpus_read_lock();
	ntc_ipi_generic_call(cpu_online_mask, ntc_test_ipi_fn, seen);
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_EQ(test, *per_cpu_ptr(seen, cpu), IPI_LEVEL);
	cpus_read_unlock();
	free_percpu(seen);
}

static void ntc_test_barrier_breaks_on_timeout(struct kunit *test)
{
	struct ntc_barrier b;

	/* One of two arrives: the round cannot complete, the wait times out. */
	ntc_barrier_init(&b, 2, NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, ntc_barrier_wait(&b), -ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, ntc_barrier_broken(&b));
	/* Broken stays broken: no later wait spins. */
	KUNIT_EXPECT_EQ(test, ntc_barrier_wait(&b), -ETIMEDOUT);
	/* A barrier of one completes at once, on its only CPU. */
	ntc_barrier_init(&b, 1, NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, ntc_barrier_wait(&b), 1);
	KUNIT_EXPECT_EQ(test, ntc_barrier_wait(&b), 1);
}

/*
 * A waiter's deadline passes just as the last CPU arrives: the waiter's
 * last look saw the round incomplete, the last arrival then completed it.
 * Giving up must lose to the completion: the round is reported complete,
 * the barrier stays whole, the next round works.
 */
static void ntc_test_barrier_completion_beats_give_up(struct kunit *test)
{
	struct ntc_barrier b;
	u32 waiter, last;

	ntc_barrier_init(&b, 2, NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, ntc_barrier_arrive(&b, &waiter), 0);
	KUNIT_EXPECT_EQ(test, ntc_barrier_arrive(&b, &last), 1);
	KUNIT_EXPECT_EQ(test, waiter, last);
	KUNIT_EXPECT_EQ(test, ntc_barrier_give_up(&b, waiter), 0);
	KUNIT_EXPECT_FALSE(test, ntc_barrier_broken(&b));
	/* The next round: a give-up before its completion does break it. */
	KUNIT_EXPECT_EQ(test, ntc_barrier_arrive(&b, &waiter), 0);
	KUNIT_EXPECT_EQ(test, ntc_barrier_give_up(&b, waiter), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, ntc_barrier_arrive(&b, &last), -ETIMEDOUT);
}

/*
 * A raise to DISPATCH_LEVEL from process context disables BHs, on every
 * kernel: without CONFIG_PREEMPT_COUNT, !preemptible() holds everywhere
 * and once made the process context read as DISPATCH_LEVEL already.
 */
static void ntc_test_dispatch_raise_disables_bh(struct kunit *test)
{
	struct ntc_irql_saved irql;

	KUNIT_ASSERT_EQ(test, ntc_irql_current(), PASSIVE_LEVEL);
	ntc_irql_raise(DISPATCH_LEVEL, &irql);
	KUNIT_EXPECT_NE(test, softirq_count(), 0);
	KUNIT_EXPECT_EQ(test, ntc_irql_current(), DISPATCH_LEVEL);
	ntc_irql_lower(&irql);
	KUNIT_EXPECT_EQ(test, softirq_count(), 0);
	KUNIT_EXPECT_EQ(test, ntc_irql_current(), PASSIVE_LEVEL);
}

static struct kunit_case ntc_stats_cases[] = {
	KUNIT_CASE(ntc_test_hist_buckets),
	KUNIT_CASE(ntc_test_exact_percentiles),
	KUNIT_CASE(ntc_test_hist_percentiles),
	{}
};

static struct kunit_case ntc_nt_cases[] = {
	KUNIT_CASE(ntc_test_deadlines),
	KUNIT_CASE(ntc_test_irql_process),
	KUNIT_CASE(ntc_test_irql_assert_counts),
	KUNIT_CASE(ntc_test_irql_hardirq),
	KUNIT_CASE(ntc_test_irql_ipi),
	KUNIT_CASE(ntc_test_barrier_breaks_on_timeout),
	KUNIT_CASE(ntc_test_barrier_completion_beats_give_up),
	KUNIT_CASE(ntc_test_dispatch_raise_disables_bh),
	{}
};

static struct kunit_suite ntc_stats_suite = {
	.name = "ntcorral_stats",
	.test_cases = ntc_stats_cases,
};

static struct kunit_suite ntc_nt_suite = {
	.name = "ntcorral_nt",
	.test_cases = ntc_nt_cases,
};

kunit_test_suites(&ntc_stats_suite, &ntc_nt_suite);
