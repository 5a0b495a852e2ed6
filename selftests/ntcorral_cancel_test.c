// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_cancel_test: a run's life after its RUN reply, over raw
 * netlink: GET_RESULT of the last finished run, CANCEL of a long run
 * (truncated, cancelled, early), CANCEL with nothing to cancel, RUN while
 * another run goes on (EBUSY), CANCEL and RUN refused without
 * CAP_SYS_ADMIN while a run goes on, and a run's id and progress before
 * its result. The fixture's teardown cancels a long run a failed test
 * leaves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "ntc_check.h"

/* ---- GET_RESULT and CANCEL ----------------------------------------------- */

/*
 * A run that goes on until cancelled: the shootdown's ipi variant (the
 * cheapest, the one the suite runs most), as many iterations as RUN takes,
 * each holding the corral 100 us, no PCI read: more than 10 s of work on
 * any machine, within a LONG_RUN_MS budget. The fixture's teardown cancels
 * it if the test does not get to.
 */
#define LONG_RUN_VARIANT	"ipi"
#define LONG_RUN_ITERATIONS	NTCORRAL_MAX_ITERATIONS
#define LONG_RUN_HOLD_US	100
#define LONG_RUN_MS		20000

static void start_long_run(struct __test_metadata *_metadata,
			   FIXTURE_DATA(ntcorral) *self)
{
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, EXPERIMENT, LONG_RUN_VARIANT);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, LONG_RUN_ITERATIONS);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, LONG_RUN_HOLD_US);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_PCI_DEVICE_NONE);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, RUN_DEADLINE_US);
	msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, LONG_RUN_MS);
	ret = ntc_start(&self->s, &m, &self->long_run, &e);
	self->long_run_going = ret == 0;
	ASSERT_EQ(0, ret) TH_LOG("RUN of %u iterations: %s, extack '%s'",
				 LONG_RUN_ITERATIONS, strerror(-ret), e.msg);
	ASSERT_FALSE(self->long_run.p.malformed)
		TH_LOG("RUN reply: %s", self->long_run.p.why);
}

/*
 * CANCEL the long run and take its RUN_RESULT: what it measured so far,
 * TRUNCATED, and CANCELLED as a cancel request.
 */
static void cancel_long_run(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ntcorral) *self, struct ntc_result *r)
{
	const struct ntc_started *st = &self->long_run;
	struct ntc_err e;
	int ret;

	ret = ntc_cancel(&self->s, st->run_id, &e);
	ASSERT_EQ(0, ret) TH_LOG("CANCEL of run %llu: %s, extack '%s'",
				 (unsigned long long)st->run_id, strerror(-ret),
				 e.msg);
	result_poison(r);
	ret = ntc_wait_result(&self->s, st, r, &e);
	self->long_run_going = false;
	ASSERT_EQ(0, ret) TH_LOG("run %llu, cancelled: %s, '%s'",
				 (unsigned long long)st->run_id, strerror(-ret),
				 e.msg);
	ASSERT_FALSE(r->p.malformed) TH_LOG("malformed: %s", r->p.why);
	ASSERT_EQ(1, r->nr_msgs);
	TH_LOG("run %llu cancelled after %llu of %u iterations (%llu timeouts), %d progress reports",
	       (unsigned long long)st->run_id, (unsigned long long)r->samples,
	       LONG_RUN_ITERATIONS, (unsigned long long)r->timeouts,
	       r->nr_progress);
	ASSERT_TRUE(r->has[NTCORRAL_A_RUN_ID]);
	ASSERT_EQ(st->run_id, r->run_id);
	check_one_run(_metadata, r, EXPERIMENT, LONG_RUN_VARIANT,
		      LONG_RUN_ITERATIONS);
	ASSERT_TRUE(r->has[NTCORRAL_A_TRUNCATED]) TH_LOG("a cancelled run is truncated");
	ASSERT_TRUE(r->has[NTCORRAL_A_CANCELLED]);
	ASSERT_EQ(NTCORRAL_CANCEL_REQUEST, r->cancelled);
	ASSERT_TRUE(r->has[NTCORRAL_A_SAMPLES]);
	ASSERT_GT(LONG_RUN_ITERATIONS, r->samples);
	ASSERT_TRUE(r->has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(0, r->violations);
	ASSERT_TRUE(r->has[NTCORRAL_A_TIMEOUTS]);
	/* What it measured so far holds together. */
	ASSERT_LT(0, r->nr_metrics);
	for (int i = 0; i < r->nr_metrics; i++)
		check_metric(_metadata, &r->metrics[i],
			     i == 0 ? r->samples : r->metrics[i].count);
	check_counters(_metadata, r);
}

/* @g, from GET_RESULT, is run @r's RUN_RESULT again. */
static void check_same_result(struct __test_metadata *_metadata,
			      const struct ntc_result *r,
			      const struct ntc_result *g)
{
	ASSERT_FALSE(g->p.malformed) TH_LOG("GET_RESULT: %s", g->p.why);
	ASSERT_EQ(1, g->nr_msgs);
	ASSERT_TRUE(g->has[NTCORRAL_A_RUN_ID]);
	ASSERT_EQ(r->run_id, g->run_id);
	ASSERT_FALSE(g->has[NTCORRAL_A_ERROR]);
	ASSERT_STREQ(r->experiment, g->experiment);
	ASSERT_STREQ(r->variant, g->variant);
	ASSERT_TRUE(g->has[NTCORRAL_A_RUNS]);
	ASSERT_EQ(r->runs, g->runs);
	ASSERT_TRUE(g->has[NTCORRAL_A_ITERATIONS]);
	ASSERT_EQ(r->iterations, g->iterations);
	ASSERT_TRUE(g->has[NTCORRAL_A_SAMPLES]);
	ASSERT_EQ(r->samples, g->samples);
	ASSERT_TRUE(g->has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(r->violations, g->violations);
	ASSERT_TRUE(g->has[NTCORRAL_A_TIMEOUTS]);
	ASSERT_EQ(r->timeouts, g->timeouts);
	ASSERT_EQ(r->has[NTCORRAL_A_TRUNCATED], g->has[NTCORRAL_A_TRUNCATED]);
	ASSERT_EQ(r->has[NTCORRAL_A_CANCELLED], g->has[NTCORRAL_A_CANCELLED]);
	if (r->has[NTCORRAL_A_CANCELLED]) {
		ASSERT_EQ(r->cancelled, g->cancelled);
	}
	ASSERT_TRUE(g->has[NTCORRAL_A_DURATION_NS]);
	ASSERT_EQ(r->duration_ns, g->duration_ns);
	ASSERT_EQ(r->nr_metrics, g->nr_metrics);
	for (int i = 0; i < g->nr_metrics; i++) {
		ASSERT_STREQ(r->metrics[i].name, g->metrics[i].name);
		ASSERT_EQ(r->metrics[i].count, g->metrics[i].count)
			TH_LOG("metric %s", g->metrics[i].name);
	}
}

TEST_F_TIMEOUT(ntcorral, get_result_returns_the_last_finished_runs_run_result, 120)
{
	struct ntc_result r[2], g;
	struct ntc_err e;
	int ret;

	for (int i = 0; i < 2; i++) {
		ret = ntc_run_simple(&self->s, "ipi", 10, &r[i], &e);
		ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
		check_run_reply(_metadata, &r[i], "ipi", 10, self->online);
		ASSERT_TRUE(r[i].has[NTCORRAL_A_RUN_ID]);
	}
	ASSERT_NE(r[0].run_id, r[1].run_id);

	/* By its id, and without one: the last run that finished. */
	ret = ntc_get_result(&self->s, r[1].run_id, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT of run %llu: %s, extack '%s'",
				 (unsigned long long)r[1].run_id,
				 strerror(-ret), e.msg);
	check_same_result(_metadata, &r[1], &g);
	ret = ntc_get_result(&self->s, 0, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT: %s, extack '%s'", strerror(-ret),
				 e.msg);
	check_same_result(_metadata, &r[1], &g);

	/* The run before it is not the last one any more. */
	ret = ntc_get_result(&self->s, r[0].run_id, &g, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("GET_RESULT of the run before the last: %d (%s)",
				       ret, strerror(-ret));
	ASSERT_EQ(0, g.nr_msgs);
	TH_LOG("GET_RESULT of the run before the last: ENOENT, extack '%s'",
	       e.msg);
}

TEST_F_TIMEOUT(ntcorral, cancel_ends_a_long_run_early_truncated_and_cancelled, 60)
{
	struct timespec t0;
	struct ntc_result r, g;
	struct ntc_err e;
	long long ms;
	int ret;

	start_long_run(_metadata, self);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Under way: a progress report of it first. */
	result_poison(&r);
	ret = ntc_wait_progress(&self->s, &self->long_run, &r);
	ASSERT_EQ(0, ret) TH_LOG("no RUN_PROGRESS of run %llu: %s",
				 (unsigned long long)self->long_run.run_id,
				 strerror(-ret));
	ASSERT_FALSE(r.p.malformed) TH_LOG("%s", r.p.why);

	cancel_long_run(_metadata, self, &r);
	ms = ms_since(&t0);
	TH_LOG("%lld ms from the RUN reply to the result, of a %d ms budget",
	       ms, LONG_RUN_MS);
	ASSERT_GT(LONG_RUN_MS / 2, ms)
		TH_LOG("the cancelled run went on for %lld ms", ms);

	/* GET_RESULT says the same. */
	ret = ntc_get_result(&self->s, r.run_id, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT of run %llu: %s, extack '%s'",
				 (unsigned long long)r.run_id, strerror(-ret),
				 e.msg);
	check_same_result(_metadata, &r, &g);
}

TEST_F_TIMEOUT(ntcorral, cancel_without_a_run_in_progress_is_enoent, 60)
{
	struct ntc_result r, g;
	struct ntc_err e;
	int ret;

	ret = ntc_cancel(&self->s, 0, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("CANCEL with no run: %d (%s), extack '%s'",
				       ret, strerror(-ret), e.msg);
	TH_LOG("CANCEL with no run: ENOENT, extack '%s'", e.msg);

	/* Nor once a run has finished: by its id or not. */
	ret = ntc_run_simple(&self->s, "ipi", 1, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 1, self->online);
	ret = ntc_cancel(&self->s, r.run_id, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("CANCEL of finished run %llu: %d (%s)",
				       (unsigned long long)r.run_id, ret,
				       strerror(-ret));
	ret = ntc_cancel(&self->s, 0, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("CANCEL after the run: %d (%s)", ret,
				       strerror(-ret));

	/* Its result stands, not cancelled. */
	ret = ntc_get_result(&self->s, r.run_id, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT: %s, extack '%s'", strerror(-ret),
				 e.msg);
	check_same_result(_metadata, &r, &g);
	ASSERT_FALSE(g.has[NTCORRAL_A_TRUNCATED]);
}

TEST_F_TIMEOUT(ntcorral, run_while_another_is_in_progress_is_ebusy, 60)
{
	struct ntc_result r;
	struct ntc_sock s2;
	struct ntc_msg m;
	int ret;

	start_long_run(_metadata, self);

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	put_slack(&m);
	expect_run_error(_metadata, &self->s, &m, EBUSY,
			 "RUN during a run, same socket");

	ret = ntc_open(&s2);
	ASSERT_EQ(0, ret) TH_LOG("a second socket: %s", strerror(-ret));
	run_msg(&s2, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	put_slack(&m);
	expect_run_error(_metadata, &s2, &m, EBUSY,
			 "RUN during a run, another socket");
	ntc_close(&s2);

	/* The refused RUNs left it alone: it goes on until cancelled. */
	cancel_long_run(_metadata, self, &r);
}

struct refused_report {
	struct nobody_report who;
	__u64 run_id;		/* the run to cancel and ask the result of */
	int cancel_it, cancel_any, run, get_result;
	int run_replies;
	bool cancel_has_msg, run_has_msg;
	char cancel_msg[STR_MAX], run_msg[STR_MAX];
};

/*
 * The child's part of as_unprivileged(): CANCEL of run rep->run_id, CANCEL
 * of any run, RUN of shootdown/dpc, GET_RESULT of rep->run_id.
 */
static void try_refused(struct ntc_sock *s, void *arg)
{
	struct refused_report *rep = arg;
	struct ntc_result r;
	struct ntc_err e;

	rep->cancel_it = ntc_cancel(s, rep->run_id, &e);
	rep->cancel_has_msg = e.has_msg;
	snprintf(rep->cancel_msg, sizeof(rep->cancel_msg), "%s",
		 e.has_msg ? e.msg : "");
	rep->cancel_any = ntc_cancel(s, 0, &e);
	rep->run = ntc_run_simple(s, "dpc", 1, &r, &e);
	rep->run_replies = r.nr_msgs;
	rep->run_has_msg = e.has_msg;
	snprintf(rep->run_msg, sizeof(rep->run_msg), "%s",
		 e.has_msg ? e.msg : "");
	rep->get_result = ntc_get_result(s, rep->run_id, &r, &e);
}

/*
 * As uid 65534, without capabilities or (@net_admin) with CAP_NET_ADMIN
 * alone, on a socket of its own: try_refused() of run @run_id.
 */
static void as_unprivileged(struct __test_metadata *_metadata, bool net_admin,
			    __u64 run_id, struct refused_report *rep)
{
	memset(rep, POISON, sizeof(*rep));
	rep->run_id = run_id;
	as_nobody(_metadata, net_admin, &rep->who, try_refused, rep);
}

TEST_F_TIMEOUT(ntcorral, cancel_and_run_need_cap_sys_admin_while_a_run_goes_on, 60)
{
	struct refused_report *rep;
	struct ntc_result r;

	if (geteuid() != 0)
		SKIP(return, "needs root to become uid 65534");
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	start_long_run(_metadata, self);

	for (int net_admin = 0; net_admin < 2; net_admin++) {
		const char *who = net_admin ? "CAP_NET_ADMIN alone" :
					      "no capability";

		as_unprivileged(_metadata, net_admin, self->long_run.run_id, rep);
		TH_LOG("%s: CANCEL %d, CANCEL of any %d, RUN %d, GET_RESULT %d",
		       who, rep->cancel_it, rep->cancel_any, rep->run,
		       rep->get_result);
		ASSERT_EQ(-EPERM, rep->cancel_it)
			TH_LOG("%s: CANCEL of run %llu: %s, extack '%s'", who,
			       (unsigned long long)self->long_run.run_id,
			       strerror(-rep->cancel_it), rep->cancel_msg);
		ASSERT_EQ(-EPERM, rep->cancel_any)
			TH_LOG("%s: CANCEL: %s", who, strerror(-rep->cancel_any));
		ASSERT_EQ(-EPERM, rep->run)
			TH_LOG("%s: RUN: %s, extack '%s'", who,
			       strerror(-rep->run), rep->run_msg);
		ASSERT_EQ(0, rep->run_replies);
		if (net_admin) {
			/* past GENL_ADMIN_PERM: the module's own refusal */
			ASSERT_TRUE(rep->cancel_has_msg);
			ASSERT_NE(NULL, strstr(rep->cancel_msg, "CAP_SYS_ADMIN"))
				TH_LOG("CANCEL's extack '%s'", rep->cancel_msg);
			ASSERT_TRUE(rep->run_has_msg);
			ASSERT_NE(NULL, strstr(rep->run_msg, "CAP_SYS_ADMIN"))
				TH_LOG("RUN's extack '%s'", rep->run_msg);
		}
		/* Anyone may ask for a result; this one is not there yet. */
		ASSERT_EQ(-EINPROGRESS, rep->get_result)
			TH_LOG("%s: GET_RESULT of the run in progress: %s", who,
			       strerror(-rep->get_result));
	}

	/* The refused cancels left the run going: this one ends it. */
	cancel_long_run(_metadata, self, &r);
	munmap(rep, sizeof(*rep));
}

TEST_F_TIMEOUT(ntcorral, run_replies_with_its_id_before_the_result_of_a_long_run, 60)
{
	const struct ntc_started *st = &self->long_run;
	struct ntc_result r;
	int ret;

	start_long_run(_metadata, self);
	/* Its reply is in; nothing of its result yet. */
	for (int i = 0; i < self->s.nr_notes; i++) {
		ASSERT_FALSE(runs_cmd(self->s.notes[i]) == NTCORRAL_CMD_RUN_RESULT &&
			     runs_run_id(self->s.notes[i]) == st->run_id)
			TH_LOG("the RUN_RESULT of run %llu came before its reply",
			       (unsigned long long)st->run_id);
	}
	ASSERT_EQ(1, st->nr_msgs);
	ASSERT_STREQ(EXPERIMENT, st->experiment);
	ASSERT_STREQ(LONG_RUN_VARIANT, st->variant);

	/* And it goes on after the reply, reporting its progress. */
	result_poison(&r);
	ret = ntc_wait_progress(&self->s, st, &r);
	ASSERT_EQ(0, ret) TH_LOG("after the reply of run %llu: %s%s",
				 (unsigned long long)st->run_id, strerror(-ret),
				 ret == -EALREADY ? " (it ended)" : "");
	ASSERT_FALSE(r.p.malformed) TH_LOG("%s", r.p.why);
	ASSERT_EQ(1, r.nr_progress);
	ASSERT_EQ(st->run_id, r.progress.run_id);
	ASSERT_EQ(LONG_RUN_ITERATIONS, r.progress.total);
	ASSERT_GT(LONG_RUN_ITERATIONS, r.progress.done);
	ASSERT_EQ(LONG_RUN_MS * 1000000ULL, r.progress.budget_ns);
	TH_LOG("run %llu: %llu of %llu iterations done after %llu ns",
	       (unsigned long long)st->run_id,
	       (unsigned long long)r.progress.done,
	       (unsigned long long)r.progress.total,
	       (unsigned long long)r.progress.elapsed_ns);

	cancel_long_run(_metadata, self, &r);
}

TEST_HARNESS_MAIN
