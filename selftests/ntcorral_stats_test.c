// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_stats_test: GET_STATS and RESET_STATS over raw netlink: runs
 * accumulate (counts, durations, metrics, histograms, counters) and a reset
 * clears them; a reset of one variant leaves the others; a filtered dump
 * returns only its variant; the debugfs files agree with the stats. Each
 * test resets the stats it counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ntc_check.h"

/* ---- statistics ---------------------------------------------------------- */

/*
 * Over 80 lines: every figure of two runs added up, then reset, in one
 * test because the reset's check needs the runs before it; the body is
 * kept as it was written.
 */
TEST_F_TIMEOUT(ntcorral, stats_accumulate_and_reset, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_result r[2];
	const struct ntc_result *s;
	struct ntc_err e;
	int ret;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	for (int i = 0; i < 2; i++) {
		ret = ntc_run_simple(&self->s, "dpc", 20, &r[i], &e);
		ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
		check_run_reply(_metadata, &r[i], "dpc", 20, self->online);
	}

	ASSERT_EQ(0, ntc_stats(&self->s, NULL, NULL, st, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	for (size_t v = 0; v < NR_VARIANTS; v++) {
		s = stats_find(st, EXPERIMENT, variants[v]);
		ASSERT_NE(NULL, s) TH_LOG("no stats for %s", variants[v]);
		ASSERT_TRUE(s->has[NTCORRAL_A_RUNS]);
		ASSERT_TRUE(s->has[NTCORRAL_A_SAMPLES]);
		ASSERT_TRUE(s->has[NTCORRAL_A_VIOLATIONS]);
		ASSERT_TRUE(s->has[NTCORRAL_A_TIMEOUTS]);
		/* run-reply-only attributes stay out of stats */
		ASSERT_FALSE(s->has[NTCORRAL_A_ITERATIONS]);
		ASSERT_FALSE(s->has[NTCORRAL_A_NR_CPUS]);
		ASSERT_FALSE(s->has[NTCORRAL_A_INITIATOR_CPU]);
		ASSERT_FALSE(s->has[NTCORRAL_A_CPUS]);
		if (strcmp(variants[v], "dpc")) {
			ASSERT_EQ(0, s->runs) TH_LOG("%s", variants[v]);
			ASSERT_EQ(0, s->samples) TH_LOG("%s", variants[v]);
		}
	}

	s = stats_find(st, EXPERIMENT, "dpc");
	ASSERT_EQ(2, s->runs);
	ASSERT_EQ(40, s->samples);
	ASSERT_EQ(0, s->violations);
	ASSERT_EQ(0, s->timeouts);
	ASSERT_TRUE(s->has[NTCORRAL_A_DURATION_NS]);
	ASSERT_EQ(r[0].duration_ns + r[1].duration_ns, s->duration_ns);
	ASSERT_EQ(r[0].nr_metrics, s->nr_metrics);
	for (int i = 0; i < s->nr_metrics; i++) {
		const struct ntc_metric *a = &r[0].metrics[i];
		const struct ntc_metric *b = &r[1].metrics[i];
		const struct ntc_metric *sm = &s->metrics[i];
		__u64 lo = (a->mean * a->count + b->mean * b->count) /
			   (a->count + b->count ?: 1);
		__u64 hi = ((a->mean + 1) * a->count + (b->mean + 1) * b->count) /
			   (a->count + b->count ?: 1);

		ASSERT_STREQ(a->name, sm->name);
		check_metric(_metadata, sm, a->count + b->count);
		ASSERT_EQ(a->min < b->min ? a->min : b->min, sm->min)
			TH_LOG("metric %s", sm->name);
		ASSERT_EQ(a->max > b->max ? a->max : b->max, sm->max)
			TH_LOG("metric %s", sm->name);
		ASSERT_LE(lo, sm->mean) TH_LOG("metric %s", sm->name);
		ASSERT_GE(hi, sm->mean) TH_LOG("metric %s", sm->name);
		for (int bk = 0; bk < NTCORRAL_HIST_BUCKETS; bk++) {
			ASSERT_EQ(a->hist[bk] + b->hist[bk], sm->hist[bk])
				TH_LOG("metric %s bucket %d", sm->name, bk);
		}
	}
	ASSERT_EQ(r[0].nr_counters, s->nr_counters);
	for (int i = 0; i < s->nr_counters; i++) {
		const struct ntc_counter *a = counter_find(&r[0], s->counters[i].name);
		const struct ntc_counter *b = counter_find(&r[1], s->counters[i].name);

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, b);
		ASSERT_EQ(a->value + b->value, s->counters[i].value)
			TH_LOG("counter %s", a->name);
	}

	/* Reset: back to zero, and still listed. */
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(1, st->n);
	ASSERT_STREQ("dpc", st->r[0].variant);
	ASSERT_EQ(0, st->r[0].runs);
	ASSERT_EQ(0, st->r[0].samples);
	ASSERT_EQ(0, st->r[0].violations);
	ASSERT_EQ(0, st->r[0].timeouts);
	for (int i = 0; i < st->r[0].nr_metrics; i++) {
		ASSERT_EQ(0, st->r[0].metrics[i].count);
		for (int bk = 0; bk < NTCORRAL_HIST_BUCKETS; bk++) {
			ASSERT_EQ(0, st->r[0].metrics[i].hist[bk]);
		}
	}
	for (int i = 0; i < st->r[0].nr_counters; i++) {
		ASSERT_EQ(0, st->r[0].counters[i].value);
	}
	free(st);
}

/* How many variants the module lists for @experiment (kernel-dependent:
 * the shootdown has dpc_bh where the kernel has BH workqueues). */
static int listed_variants(struct ntc_sock *s, const char *experiment)
{
	struct ntc_list *l = malloc(sizeof(*l));
	struct ntc_err e;
	int n = -1;

	if (l && !ntc_list(s, experiment, l, &e) && l->n == 1)
		n = l->e[0].nr_variants;
	free(l);
	return n;
}

TEST_F_TIMEOUT(ntcorral, reset_of_one_variant_leaves_the_others, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	ret = ntc_run_simple(&self->s, "dpc", 10, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	ret = ntc_run_simple(&self->s, "ipi", 10, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);

	ASSERT_EQ(0, ntc_reset(&self->s, EXPERIMENT, "dpc", &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, NULL, st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(listed_variants(&self->s, EXPERIMENT), st->n);
	ASSERT_EQ(0, stats_find(st, EXPERIMENT, "dpc")->runs);
	ASSERT_EQ(0, stats_find(st, EXPERIMENT, "dpc")->samples);
	ASSERT_EQ(1, stats_find(st, EXPERIMENT, "ipi")->runs);
	ASSERT_EQ(10, stats_find(st, EXPERIMENT, "ipi")->samples);
	free(st);
}

TEST_F_TIMEOUT(ntcorral, stats_filtered_by_variant_returns_only_it, 30)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_err e;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "stop_machine", st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(1, st->n);
	ASSERT_STREQ(EXPERIMENT, st->r[0].experiment);
	ASSERT_STREQ("stop_machine", st->r[0].variant);
	free(st);
}

/* ---- debugfs ------------------------------------------------------------- */

/* The GET_STATS figure of @s a debugfs "<key>: <u64>" line shows, if any. */
static bool stats_key(const struct ntc_result *s, const char *key, __u64 *want)
{
	if (!strcmp(key, "runs"))
		*want = s->runs;
	else if (!strcmp(key, "samples"))
		*want = s->samples;
	else if (!strcmp(key, "violations"))
		*want = s->violations;
	else if (!strcmp(key, "timeouts"))
		*want = s->timeouts;
	else if (!strcmp(key, "duration_ns"))
		*want = s->duration_ns;
	else if (!strcmp(key, "truncated"))
		*want = s->has[NTCORRAL_A_TRUNCATED];
	else
		return false;
	return true;
}

/* A debugfs "metric" line of @path: figures @n are metric @name's in @s. */
static void check_debugfs_metric(struct __test_metadata *_metadata,
				 const struct ntc_result *s, const char *path,
				 const char *name, const unsigned long long n[7])
{
	const struct ntc_metric *mt = metric_find(s, name);

	ASSERT_NE(NULL, mt) TH_LOG("%s: metric %s", path, name);
	ASSERT_EQ(mt->count, n[0]) TH_LOG("%s: %s count", path, name);
	ASSERT_EQ(mt->min, n[1]) TH_LOG("%s: %s min", path, name);
	ASSERT_EQ(mt->mean, n[2]) TH_LOG("%s: %s mean", path, name);
	ASSERT_EQ(mt->p50, n[3]) TH_LOG("%s: %s p50", path, name);
	ASSERT_EQ(mt->p90, n[4]) TH_LOG("%s: %s p90", path, name);
	ASSERT_EQ(mt->p99, n[5]) TH_LOG("%s: %s p99", path, name);
	ASSERT_EQ(mt->max, n[6]) TH_LOG("%s: %s max", path, name);
}

/*
 * Compares one debugfs file with the GET_STATS figures for the same variant:
 * "<key>: <u64>" lines, "metric <name>: count N min N mean N p50 N p90 N
 * p99 N max N", "counter <name>: N", and the "histogram <name>:" rows
 * "[lo, hi) count |###".
 */
static void check_debugfs_file(struct __test_metadata *_metadata,
			       const struct ntc_result *s)
{
	int metrics_seen = 0, counters_seen = 0, keys_seen = 0;
	const struct ntc_metric *hist_metric = NULL;
	__u64 hist_sum[MAX_METRICS] = { 0 };
	char path[256], line[512];
	bool first = true;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s/%s", s->experiment,
		 s->variant);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));

	while (fgets(line, sizeof(line), f)) {
		unsigned long long n[7], v, lo, hi;
		char name[NTCORRAL_NAME_MAX + 1], key[64];
		__u64 want;

		line[strcspn(line, "\n")] = '\0';
		if (first) {
			char want[2 * NTCORRAL_NAME_MAX + 2];

			/* "shootdown/stop_machine (baseline)" is fine too */
			snprintf(want, sizeof(want), "%s/%s", s->experiment,
				 s->variant);
			ASSERT_EQ(0, strncmp(want, line, strlen(want)))
				TH_LOG("%s: first line '%s'", path, line);
			ASSERT_TRUE(line[strlen(want)] == '\0' ||
				    line[strlen(want)] == ' ')
				TH_LOG("%s: first line '%s'", path, line);
			first = false;
			continue;
		}
		if (sscanf(line, "metric %32[^:]: count %llu min %llu mean %llu "
			   "p50 %llu p90 %llu p99 %llu max %llu", name, &n[0],
			   &n[1], &n[2], &n[3], &n[4], &n[5], &n[6]) == 8) {
			check_debugfs_metric(_metadata, s, path, name, n);
			metrics_seen++;
		} else if (sscanf(line, "counter %32[^:]: %llu", name, &v) == 2) {
			const struct ntc_counter *c = counter_find(s, name);

			ASSERT_NE(NULL, c) TH_LOG("%s: counter %s", path, name);
			ASSERT_EQ(c->value, v) TH_LOG("%s: counter %s", path, name);
			counters_seen++;
		} else if (sscanf(line, "histogram %32[^:]:", name) == 1) {
			hist_metric = metric_find(s, name);
			ASSERT_NE(NULL, hist_metric)
				TH_LOG("%s: histogram %s", path, name);
		} else if (sscanf(line, " [ %llu , %llu ) %llu", &lo, &hi, &v) == 3) {
			int b = fls64_(lo);

			ASSERT_NE(NULL, hist_metric)
				TH_LOG("%s: a histogram row outside a histogram",
				       path);
			ASSERT_EQ(lo, b ? 1ULL << (b - 1) : 0)
				TH_LOG("%s: row '%s' is no bucket", path, line);
			ASSERT_EQ(hist_metric->hist[b], v)
				TH_LOG("%s: %s row '%s'", path,
				       hist_metric->name, line);
			hist_sum[hist_metric - s->metrics] += v;
		} else if (sscanf(line, "%63[a-z_]: %llu", key, &v) == 2 &&
			   stats_key(s, key, &want)) {
			ASSERT_EQ(want, v) TH_LOG("%s: %s", path, key);
			keys_seen++;
		}
	}
	fclose(f);
	ASSERT_FALSE(first) TH_LOG("%s is empty", path);
	ASSERT_LE(5, keys_seen) TH_LOG("%s: runs/samples/violations/timeouts/"
				       "duration_ns lines", path);
	ASSERT_EQ(s->nr_metrics, metrics_seen) TH_LOG("%s: metric lines", path);
	ASSERT_EQ(s->nr_counters, counters_seen) TH_LOG("%s: counter lines", path);
	for (int i = 0; i < s->nr_metrics; i++) {
		ASSERT_EQ(s->metrics[i].count, hist_sum[i])
			TH_LOG("%s: histogram rows of %s", path,
			       s->metrics[i].name);
	}
}

TEST_F_TIMEOUT(ntcorral, debugfs_agrees_with_stats, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_result r;
	struct ntc_err e;
	struct statfs fs;
	struct stat sb;
	int ret;

	ASSERT_NE(NULL, st);
	if (statfs("/sys/kernel/debug", &fs) || fs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at /sys/kernel/debug");
	ASSERT_EQ(0, stat(DEBUGFS_DIR, &sb)) TH_LOG("%s: %s", DEBUGFS_DIR,
						    strerror(errno));

	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	for (int i = 0; i < 2; i++) {
		ret = ntc_run_simple(&self->s, "dpc", 20, &r, &e);
		ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	}
	ret = ntc_run_simple(&self->s, "stop_machine", 20, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);

	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, NULL, st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(listed_variants(&self->s, EXPERIMENT), st->n);
	ASSERT_EQ(2, stats_find(st, EXPERIMENT, "dpc")->runs);
	ASSERT_EQ(1, stats_find(st, EXPERIMENT, "stop_machine")->runs);
	for (int i = 0; i < st->n; i++)
		check_debugfs_file(_metadata, &st->r[i]);
	free(st);
}

TEST_HARNESS_MAIN
