// SPDX-License-Identifier: GPL-2.0
/* ntcorral: latency histograms, percentiles and the cumulative stats. */

#include <linux/bitops.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "ntcorral.h"

struct ntc_metric_acc {
	u64 count, sum, min, max;
	u64 hist[NTCORRAL_HIST_BUCKETS];
};

struct ntc_stats {
	u64 runs, samples, violations, timeouts, duration_ns;
	bool truncated;
	struct ntc_metric_acc metric[NTC_MAX_METRICS];
	u64 counters[NTC_MAX_COUNTERS];
};

/* One array of per-variant stats per experiment, guarded by ntc_stats_lock. */
static struct ntc_stats *ntc_stats[NTC_MAX_EXPERIMENTS];
static DEFINE_MUTEX(ntc_stats_lock);

unsigned int ntc_hist_bucket(u64 ns)
{
	return min_t(unsigned int, fls64(ns), NTCORRAL_HIST_BUCKETS - 1);
}

u64 ntc_hist_bucket_lo(unsigned int b)
{
	return b ? 1ULL << (b - 1) : 0;
}

/* Exclusive upper bound; the last bucket is open-ended. */
u64 ntc_hist_bucket_hi(unsigned int b)
{
	return b >= NTCORRAL_HIST_BUCKETS - 1 ? U64_MAX : 1ULL << b;
}

static int ntc_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static u64 ntc_percentile_sorted(const u64 *v, u64 n, unsigned int pct)
{
	u64 rank = div_u64(n * pct + 99, 100);

	return v[rank ? rank - 1 : 0];
}

/* Exact summary of a run's samples; sorts @v in place. */
void ntc_summarize_samples(u64 *v, u64 n, struct ntc_metric_summary *s)
{
	u64 i, sum = 0;

	memset(s, 0, sizeof(*s));
	if (!n)
		return;
	sort(v, n, sizeof(*v), ntc_cmp_u64, NULL);
	for (i = 0; i < n; i++) {
		sum += v[i];
		s->hist[ntc_hist_bucket(v[i])]++;
	}
	s->count = n;
	s->min = v[0];
	s->max = v[n - 1];
	s->mean = div64_u64(sum, n);
	s->p50 = ntc_percentile_sorted(v, n, 50);
	s->p90 = ntc_percentile_sorted(v, n, 90);
	s->p99 = ntc_percentile_sorted(v, n, 99);
}

/*
 * Percentile estimated from a log2 histogram: the upper edge of the bucket
 * holding the nearest rank, clamped to the observed range.
 */
u64 ntc_hist_percentile(const u64 *hist, u64 count, u64 min, u64 max,
			unsigned int pct)
{
	u64 rank = div_u64(count * pct + 99, 100), seen = 0;
	unsigned int b;

	if (!rank)
		rank = 1;
	for (b = 0; b < NTCORRAL_HIST_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= rank)
			return clamp(ntc_hist_bucket_hi(b) - 1, min, max);
	}
	return max;
}

static u64 ntc_percentile_hist(const struct ntc_metric_acc *m, unsigned int pct)
{
	return ntc_hist_percentile(m->hist, m->count, m->min, m->max, pct);
}

static struct ntc_stats *ntc_stats_of(const struct ntc_experiment *exp,
				      const struct ntc_variant *variant)
{
	return &ntc_stats[ntc_experiment_index(exp)][variant - exp->variants];
}

void ntc_stats_add_run(const struct ntc_run *run, const struct ntc_report *rep)
{
	struct ntc_stats *st = ntc_stats_of(run->exp, run->variant);
	unsigned int i, b;

	mutex_lock(&ntc_stats_lock);
	st->runs++;
	st->samples += run->samples;
	st->violations += run->violations;
	st->timeouts += run->timeouts;
	st->duration_ns += run->duration_ns;
	st->truncated |= run->truncated;
	for (i = 0; i < run->exp->nr_metrics; i++) {
		const struct ntc_metric_summary *s = &rep->metric[i];
		struct ntc_metric_acc *m = &st->metric[i];

		if (!s->count)
			continue;
		m->min = m->count ? min(m->min, s->min) : s->min;
		m->max = max(m->max, s->max);
		m->count += s->count;
		m->sum += s->mean * s->count;
		for (b = 0; b < NTCORRAL_HIST_BUCKETS; b++)
			m->hist[b] += s->hist[b];
	}
	/* Sums, but for a maximum or a rate: the highest of the runs. */
	for (i = 0; i < run->exp->nr_counters; i++)
		if (run->exp->counters_highest & BIT(i))
			st->counters[i] = max(st->counters[i], run->counters[i]);
		else
			st->counters[i] += run->counters[i];
	mutex_unlock(&ntc_stats_lock);
}

void ntc_stats_report(const struct ntc_experiment *exp,
		      const struct ntc_variant *variant, struct ntc_report *rep)
{
	struct ntc_stats *st = ntc_stats_of(exp, variant);
	unsigned int i;

	memset(rep, 0, sizeof(*rep));
	rep->exp = exp;
	rep->variant = variant;
	mutex_lock(&ntc_stats_lock);
	rep->runs = st->runs;
	rep->samples = st->samples;
	rep->violations = st->violations;
	rep->timeouts = st->timeouts;
	rep->duration_ns = st->duration_ns;
	rep->truncated = st->truncated;
	for (i = 0; i < exp->nr_metrics; i++) {
		const struct ntc_metric_acc *m = &st->metric[i];
		struct ntc_metric_summary *s = &rep->metric[i];

		s->count = m->count;
		memcpy(s->hist, m->hist, sizeof(s->hist));
		if (!m->count)
			continue;
		s->min = m->min;
		s->max = m->max;
		s->mean = div64_u64(m->sum, m->count);
		s->p50 = ntc_percentile_hist(m, 50);
		s->p90 = ntc_percentile_hist(m, 90);
		s->p99 = ntc_percentile_hist(m, 99);
	}
	memcpy(rep->counters, st->counters, sizeof(rep->counters));
	mutex_unlock(&ntc_stats_lock);
}

/* NULL @exp resets everything, NULL @variant every variant of @exp. */
void ntc_stats_reset(const struct ntc_experiment *exp,
		     const struct ntc_variant *variant)
{
	unsigned int e, v;

	mutex_lock(&ntc_stats_lock);
	for (e = 0; e < ntc_nr_experiments; e++) {
		const struct ntc_experiment *x = ntc_experiments[e];

		if (exp && exp != x)
			continue;
		for (v = 0; v < x->nr_variants; v++)
			if (!variant || variant == &x->variants[v])
				memset(&ntc_stats[e][v], 0, sizeof(ntc_stats[e][v]));
	}
	mutex_unlock(&ntc_stats_lock);
}

int ntc_stats_init(void)
{
	unsigned int e;

	BUILD_BUG_ON(NTCORRAL_HIST_BUCKETS != 64);
	if (WARN_ON(ntc_nr_experiments > ARRAY_SIZE(ntc_stats)))
		return -EINVAL;
	for (e = 0; e < ntc_nr_experiments; e++) {
		ntc_stats[e] = kcalloc(ntc_experiments[e]->nr_variants,
				       sizeof(struct ntc_stats), GFP_KERNEL);
		if (!ntc_stats[e]) {
			ntc_stats_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void ntc_stats_exit(void)
{
	unsigned int e;

	for (e = 0; e < ARRAY_SIZE(ntc_stats); e++) {
		kfree(ntc_stats[e]);
		ntc_stats[e] = NULL;
	}
}
