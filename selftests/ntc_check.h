/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntc_check.h: what the ntcorral_*_test programs share under the kselftest
 * harness: the checks of a run's reply and of a refusal, a few run helpers,
 * and the fixture every test has (a socket in "runs", the online CPUs, and
 * what a test must leave as it found it). Include it once per program,
 * after kselftest_harness.h; the netlink layer is ntc_nl.h.
 */
#ifndef NTC_CHECK_H
#define NTC_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "ntc_nl.h"
#include "kselftest_harness.h"

/* ---- checks shared by the tests ------------------------------------------ */

/* The reply carries NTCORRAL_A_<ATTR>, and its member @field is @want. */
#define ASSERT_REPLY_EQ(r, ATTR, field, want)			\
	do {							\
		ASSERT_TRUE((r).has[NTCORRAL_A_##ATTR]);	\
		ASSERT_EQ(want, (r).field);			\
	} while (0)

/*
 * A metric must be complete and consistent with itself: ordered figures,
 * a histogram whose counts add up to COUNT, whose lowest and highest
 * non-empty buckets hold MIN and MAX.
 */
static inline void check_metric(struct __test_metadata *_metadata,
				const struct ntc_metric *mt, __u64 expected_count)
{
	__u64 sum = 0;
	int lo = -1, hi = -1;

	for (int t = NTCORRAL_METRIC_A_NAME; t <= NTCORRAL_METRIC_A_MAX; t++) {
		ASSERT_TRUE(mt->has[t]) TH_LOG("metric %s lacks attribute %d",
					       mt->has[NTCORRAL_METRIC_A_NAME] ?
					       mt->name : "?", t);
	}
	ASSERT_NE(0, strlen(mt->name));
	ASSERT_EQ(expected_count, mt->count) TH_LOG("metric %s", mt->name);
	if (!mt->count)
		return;
	ASSERT_LE(mt->min, mt->p50) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->p50, mt->p90) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->p90, mt->p99) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->p99, mt->max) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->min, mt->mean) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->mean, mt->max) TH_LOG("metric %s", mt->name);
	for (int b = 0; b < NTCORRAL_HIST_BUCKETS; b++) {
		sum += mt->hist[b];
		if (mt->hist[b]) {
			if (lo < 0)
				lo = b;
			hi = b;
		}
	}
	ASSERT_EQ(mt->count, sum) TH_LOG("metric %s: histogram sums to %llu",
					 mt->name, (unsigned long long)sum);
	ASSERT_EQ(bucket_of(mt->min), lo) TH_LOG("metric %s: min %llu",
						 mt->name,
						 (unsigned long long)mt->min);
	ASSERT_EQ(bucket_of(mt->max), hi) TH_LOG("metric %s: max %llu",
						 mt->name,
						 (unsigned long long)mt->max);
}

static inline void check_counters(struct __test_metadata *_metadata,
				  const struct ntc_result *r)
{
	ASSERT_LT(0, r->nr_counters) TH_LOG("%s/%s has no counters",
					    r->experiment, r->variant);
	for (int i = 0; i < r->nr_counters; i++) {
		ASSERT_TRUE(r->counters[i].has_name);
		ASSERT_TRUE(r->counters[i].has_value);
		ASSERT_NE(0, strlen(r->counters[i].name));
		for (int j = 0; j < i; j++) {
			ASSERT_NE(0, strcmp(r->counters[i].name,
					    r->counters[j].name));
		}
	}
}

/* A result of one run of @experiment/@variant, @iterations asked for. */
static inline void check_one_run(struct __test_metadata *_metadata,
				 const struct ntc_result *r,
				 const char *experiment, const char *variant,
				 __u32 iterations)
{
	ASSERT_TRUE(r->has[NTCORRAL_A_EXPERIMENT]);
	ASSERT_STREQ(experiment, r->experiment);
	ASSERT_TRUE(r->has[NTCORRAL_A_VARIANT]);
	ASSERT_STREQ(variant, r->variant);
	ASSERT_TRUE(r->has[NTCORRAL_A_RUNS]);
	ASSERT_EQ(1, r->runs);
	ASSERT_TRUE(r->has[NTCORRAL_A_ITERATIONS]);
	ASSERT_EQ(iterations, r->iterations);
}

/*
 * The reply of a clean RUN of @experiment/@variant, @iterations on the CPUs
 * in @cpus: every iteration a sample, no violation, no timeout, and the
 * primary metric (the first one) is @primary with a sample per iteration.
 */
static inline void check_run_reply_of(struct __test_metadata *_metadata,
				      const struct ntc_result *r,
				      const char *experiment, const char *primary,
				      const char *variant, __u32 iterations,
				      const __u64 cpus[CPU_WORDS])
{
	int nr = 0, words = r->cpus_len / 8;

	ASSERT_FALSE(r->p.malformed) TH_LOG("malformed reply: %s", r->p.why);
	ASSERT_EQ(1, r->nr_msgs);
	if (r->has[NTCORRAL_A_SAMPLES] && r->has[NTCORRAL_A_VIOLATIONS] &&
	    r->has[NTCORRAL_A_TIMEOUTS] &&
	    (r->samples != iterations || r->violations || r->timeouts ||
	     r->has[NTCORRAL_A_TRUNCATED]))
		TH_LOG("%s/%s: %u iterations gave %llu samples, %llu violations, "
		       "%llu timeouts%s", experiment, variant, iterations,
		       (unsigned long long)r->samples,
		       (unsigned long long)r->violations,
		       (unsigned long long)r->timeouts,
		       r->has[NTCORRAL_A_TRUNCATED] ? ", truncated" : "");
	check_one_run(_metadata, r, experiment, variant, iterations);
	ASSERT_FALSE(r->has[NTCORRAL_A_TRUNCATED])
		TH_LOG("%u iterations of %s were truncated", iterations, variant);
	ASSERT_TRUE(r->has[NTCORRAL_A_SAMPLES]);
	ASSERT_EQ(iterations, r->samples);
	ASSERT_TRUE(r->has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(0, r->violations);
	ASSERT_TRUE(r->has[NTCORRAL_A_TIMEOUTS]);
	ASSERT_EQ(0, r->timeouts);
	ASSERT_TRUE(r->has[NTCORRAL_A_DURATION_NS]);
	ASSERT_LT(0, r->duration_ns);

	/* The CPUs taking part are exactly the ones asked for. */
	for (int c = 0; c < NTCORRAL_MAX_CPUS; c++)
		nr += !!(cpus[c / 64] & (1ULL << (c % 64)));
	ASSERT_TRUE(r->has[NTCORRAL_A_NR_CPUS]);
	ASSERT_EQ(nr, r->nr_cpus);
	ASSERT_TRUE(r->has[NTCORRAL_A_CPUS]);
	for (int w = 0; w < CPU_WORDS; w++) {
		ASSERT_EQ(cpus[w], w < words ? r->cpus[w] : 0)
			TH_LOG("CPU word %d of the reply", w);
	}
	ASSERT_TRUE(r->has[NTCORRAL_A_INITIATOR_CPU]);
	ASSERT_EQ(lowest_cpu(cpus, CPU_WORDS), r->initiator_cpu);

	ASSERT_LT(0, r->nr_metrics);
	ASSERT_STREQ(primary, r->metrics[0].name);
	for (int i = 0; i < r->nr_metrics; i++) {
		check_metric(_metadata, &r->metrics[i],
			     i == 0 ? iterations : r->metrics[i].count);
		for (int j = 0; j < i; j++) {
			ASSERT_NE(0, strcmp(r->metrics[i].name,
					    r->metrics[j].name));
		}
	}
	check_counters(_metadata, r);
}

/* The same for the shootdown, whose primary metric is "window". */
static inline void check_run_reply(struct __test_metadata *_metadata,
				   const struct ntc_result *r, const char *variant,
				   __u32 iterations, const __u64 cpus[CPU_WORDS])
{
	check_run_reply_of(_metadata, r, EXPERIMENT, "window", variant,
			   iterations, cpus);
}

/* A rejected request: the errno, and an extack message saying why. */
static inline void __expect_run_error(struct __test_metadata *_metadata,
				      struct ntc_sock *s, struct ntc_msg *m,
				      int expected_errno, const char *what,
				      struct ntc_err *out)
{
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ret = ntc_run(s, m, &r, &e);
	ASSERT_EQ(-expected_errno, ret)
		TH_LOG("%s: expected %s, got %d (%s), extack '%s'", what,
		       strerror(expected_errno), ret,
		       ret < 0 ? strerror(-ret) : "success", e.msg);
	ASSERT_EQ(0, r.nr_msgs) TH_LOG("%s: a rejected RUN sent a reply", what);
	ASSERT_TRUE(e.has_msg) TH_LOG("%s: no extack message came back", what);
	ASSERT_NE(0, strlen(e.msg)) TH_LOG("%s: empty extack message", what);
	TH_LOG("%s: %s, extack: %s", what, strerror(expected_errno), e.msg);
	if (out)
		*out = e;
}

static inline void expect_run_error(struct __test_metadata *_metadata,
				    struct ntc_sock *s, struct ntc_msg *m,
				    int expected_errno, const char *what)
{
	__expect_run_error(_metadata, s, m, expected_errno, what, NULL);
}

/* As above, and the extack must point at the attribute at @offset. */
static inline void expect_run_error_at(struct __test_metadata *_metadata,
				       struct ntc_sock *s, struct ntc_msg *m,
				       int expected_errno, size_t offset,
				       const char *what)
{
	struct ntc_err e;

	__expect_run_error(_metadata, s, m, expected_errno, what, &e);
	ASSERT_TRUE(e.has_offs) TH_LOG("%s: extack names no attribute", what);
	ASSERT_EQ(offset, e.offs) TH_LOG("%s: extack points elsewhere", what);
}

/*
 * A required attribute left out: EINVAL, NLMSGERR_ATTR_MISS_TYPE naming it
 * when the kernel says which (GENL_REQ_ATTR_CHECK), and a message all the
 * same, for people.
 */
static inline void expect_run_error_missing(struct __test_metadata *_metadata,
					    struct ntc_sock *s, struct ntc_msg *m,
					    __u32 attr, const char *what)
{
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ret = ntc_run(s, m, &r, &e);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("%s: got %d (%s), extack '%s'", what,
				       ret, ret < 0 ? strerror(-ret) : "success",
				       e.msg);
	ASSERT_EQ(0, r.nr_msgs);
	if (e.has_miss_type) {
		ASSERT_EQ(attr, e.miss_type) TH_LOG("%s: wrong MISS_TYPE", what);
	}
	TH_LOG("%s: EINVAL, miss_type %d, extack message '%s'", what,
	       e.has_miss_type ? (int)e.miss_type : -1, e.msg);
	ASSERT_TRUE(e.has_msg) TH_LOG("%s: no extack message came back", what);
	ASSERT_NE(0, strlen(e.msg)) TH_LOG("%s: empty extack message", what);
}

/* ---- the fixture --------------------------------------------------------- */

/*
 * debugfs irql_violations: how often the mapping layer's IRQL assertion
 * fired since the module was loaded; -1 when it cannot be read (debugfs
 * not mounted) or does not read as a count.
 */
static inline long long irql_violations_now(void)
{
	char buf[32], *end;
	long long v;
	ssize_t n;
	int fd;

	fd = open(DEBUGFS_DIR "/irql_violations", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	return end == buf || errno || strcmp(end, "\n") || v < 0 ? -1 : v;
}

/* The kernel's thread creator: PID 2 on every Linux since 2.6.22. */
#define KTHREADD_PID	2

FIXTURE(ntcorral) {
	struct ntc_sock s;
	__u64 online[CPU_WORDS];
	int nr_online;
	int offlined_cpu;	/* to bring back online in teardown */
	struct ntc_started long_run;	/* start_long_run()'s */
	bool long_run_going;		/* to cancel in teardown */
	cpu_set_t kthreadd_cpus;	/* to give back to kthreadd in teardown */
	bool kthreadd_pinned;
	long long irql_at_setup;	/* irql_violations_now() */
};

FIXTURE_SETUP(ntcorral)
{
	int ret;

	self->offlined_cpu = -1;
	ret = ntc_open(&self->s);
	ASSERT_EQ(0, ret) TH_LOG("generic netlink family \"%s\": %s%s",
				 NTCORRAL_FAMILY_NAME, strerror(-ret),
				 ret == -ENOENT ? " (is the module loaded?)" :
				 ret == -EPROTO ? " (no \"" NTCORRAL_MCGRP_RUNS
				 "\" group: a module older than version 2?)" : "");
	self->nr_online = online_cpus(self->online);
	ASSERT_LT(0, self->nr_online);
	ASSERT_EQ(sysconf(_SC_NPROCESSORS_ONLN), self->nr_online);
	self->irql_at_setup = irql_violations_now();
}

FIXTURE_TEARDOWN(ntcorral)
{
	if (self->long_run_going) {
		struct ntc_result *r = malloc(sizeof(*r));
		struct ntc_err e;

		/* A test that failed half-way leaves no run to the next. */
		ntc_cancel(&self->s, self->long_run.run_id, &e);
		if (r) {
			result_poison(r);
			ntc_wait_result(&self->s, &self->long_run, r, &e);
		}
		free(r);
	}
	if (self->offlined_cpu >= 0)
		set_cpu_online(self->offlined_cpu, true);
	if (self->kthreadd_pinned)
		sched_setaffinity(KTHREADD_PID, sizeof(self->kthreadd_cpus),
				  &self->kthreadd_cpus);
	ntc_close(&self->s);
	/*
	 * No test of these programs runs a deliberately wrong variant: the
	 * mapping layer's IRQL assertion (Driver Verifier's check) must not
	 * have fired during any of them, in whatever order they run.
	 */
	if (self->irql_at_setup >= 0) {
		long long now = irql_violations_now();

		EXPECT_EQ(self->irql_at_setup, now)
			TH_LOG("the IRQL assertion fired %lld times during this test (debugfs irql_violations; the console has the first)",
			       now - self->irql_at_setup);
	}
}

/* ---- requests every program refuses or runs ------------------------------ */

/* A RUN of @experiment/@variant with u32 @attr = @value fails with @err at it. */
static inline void expect_u32_refused(struct __test_metadata *_metadata,
				      struct ntc_sock *s, const char *experiment,
				      const char *variant, int attr, __u32 value,
				      int err, const char *what)
{
	struct ntc_msg m;
	size_t off;

	run_msg(s, &m, experiment, variant);
	off = msg_put_u32(&m, attr, value);
	expect_run_error_at(_metadata, s, &m, err, off, what);
}

static inline void expect_u32_out_of_range(struct __test_metadata *_metadata,
					   struct ntc_sock *s, int attr, __u32 value,
					   const char *what)
{
	expect_u32_refused(_metadata, s, EXPERIMENT, "dpc", attr, value, ERANGE, what);
}

static inline void expect_cpus_rejected(struct __test_metadata *_metadata,
					struct ntc_sock *s, const void *cpus,
					size_t len, const char *what)
{
	struct ntc_msg m;

	run_msg(s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	msg_put(&m, NTCORRAL_A_CPUS, cpus, len);
	expect_run_error(_metadata, s, &m, EINVAL, what);
}

/* One line of every counter of a reply, for the log. */
static inline void log_counters(struct __test_metadata *_metadata,
				const struct ntc_result *r)
{
	char line[1024];
	size_t n = 0;

	line[0] = '\0';
	for (int i = 0; i < r->nr_counters && n < sizeof(line); i++) {
		if (!r->counters[i].has_name || !r->counters[i].has_value)
			continue;
		n += snprintf(line + n, sizeof(line) - n, " %s=%llu",
			      r->counters[i].name,
			      (unsigned long long)r->counters[i].value);
	}
	TH_LOG("%s/%s: samples %llu, violations %llu, timeouts %llu;%s",
	       r->experiment, r->variant, (unsigned long long)r->samples,
	       (unsigned long long)r->violations,
	       (unsigned long long)r->timeouts, line);
}

static inline void expect_counter(struct __test_metadata *_metadata,
				  const struct ntc_result *r, const char *name,
				  __u64 want)
{
	const struct ntc_counter *c = counter_find(r, name);

	ASSERT_NE(NULL, c) TH_LOG("%s/%s has no counter %s", r->experiment,
				  r->variant, name);
	ASSERT_EQ(want, c->value) TH_LOG("%s/%s: counter %s", r->experiment,
					 r->variant, name);
}

/* RUN @d/@variant, @iterations with the slack, on every online CPU: clean. */
static inline void run_clean(struct __test_metadata *_metadata,
			     FIXTURE_DATA(ntcorral) *self, const struct exp_desc *d,
			     const char *variant, __u32 iterations,
			     const __u64 cpus[CPU_WORDS], struct ntc_result *r)
{
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, d->name, variant);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, iterations);
	put_slack(&m);
	ret = ntc_run(&self->s, &m, r, &e);
	ASSERT_EQ(0, ret) TH_LOG("RUN %s/%s: %s, extack '%s'", d->name,
				 variant, strerror(-ret), e.msg);
	if (!r->p.malformed)
		log_counters(_metadata, r);
	check_run_reply_of(_metadata, r, d->name, d->metrics[0], variant,
			   iterations, cpus);
}

/*
 * Exclusivity held on every iteration: the work ran once each time with
 * every other CPU of @cpus held, no target was offline, no call at the
 * wrong IRQL.
 */
static inline void run_exclusivity(struct __test_metadata *_metadata,
				   FIXTURE_DATA(ntcorral) *self, const char *variant,
				   __u32 iterations, const __u64 cpus[CPU_WORDS])
{
	struct ntc_result r;
	int nr = 0;

	for (int c = 0; c < NTCORRAL_MAX_CPUS; c++)
		nr += !!(cpus[c / 64] & (1ULL << (c % 64)));
	run_clean(_metadata, self, &exclusivity, variant, iterations, cpus, &r);
	expect_counter(_metadata, &r, "work_runs", iterations);
	expect_counter(_metadata, &r, "corralled_cpus",
		       (__u64)iterations * (nr - 1));
	expect_counter(_metadata, &r, "offline_targets", 0);
	expect_counter(_metadata, &r, "irql_violations", 0);
}

static inline __u64 counter_value(struct __test_metadata *_metadata,
				  const struct ntc_result *r, const char *name)
{
	const struct ntc_counter *c = counter_find(r, name);

	EXPECT_NE(NULL, c) TH_LOG("%s/%s has no counter %s", r->experiment,
				  r->variant, name);
	return c ? c->value : 0;
}

/* ---- callers with fewer capabilities ------------------------------------- */

/* What a child that became uid 65534 reports first (as_nobody()). */
struct nobody_report {
	int setup;		/* 0, or errno of the uid/capability change */
	__u64 caps;		/* the effective set the child ended with */
	int open;
};

/*
 * Fork a child that becomes uid 65534 (become_nobody(): no capability, or
 * with @net_admin CAP_NET_ADMIN alone), opens a socket of its own after
 * the change (the kernel checks its opener too) and runs @fn on it; @who
 * and @arg are shared memory the child reports into. Wait for it: the
 * change and the open must have taken.
 */
static inline void as_nobody(struct __test_metadata *_metadata,
			     bool net_admin, struct nobody_report *who,
			     void (*fn)(struct ntc_sock *s, void *arg),
			     void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ntc_sock s;

		who->setup = become_nobody(net_admin, &who->caps);
		who->open = who->setup ? -EPERM : ntc_open(&s);
		if (who->setup || who->open)
			_exit(1);
		fn(&s, arg);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, who->setup) TH_LOG("becoming uid 65534%s: %s",
					net_admin ? " with CAP_NET_ADMIN" : "",
					strerror(who->setup));
	if (net_admin) {
		ASSERT_EQ(1ULL << CAP_NET_ADMIN, who->caps)
			TH_LOG("effective capabilities %#llx, not CAP_NET_ADMIN alone",
			       (unsigned long long)who->caps);
	}
	ASSERT_EQ(0, who->open) TH_LOG("open as uid 65534%s: %s",
				       net_admin ? " with CAP_NET_ADMIN" : "",
				       strerror(-who->open));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

#endif /* NTC_CHECK_H */
