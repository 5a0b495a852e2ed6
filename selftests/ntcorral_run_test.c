// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_run_test: clean runs over raw netlink: every variant of the
 * shootdown, ipi_barrier and exclusivity experiments with no violation or
 * timeout and a reply that holds together (ntc_check.h's
 * check_run_reply_of()), the default and smallest bounds, runs on chosen
 * CPUs, and two concurrent runs that never hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntc_check.h"

/* ---- RUN ----------------------------------------------------------------- */

static void run_variant(struct __test_metadata *_metadata,
			FIXTURE_DATA(ntcorral) *self, const char *variant)
{
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ret = ntc_run_simple(&self->s, variant, 50, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("RUN %s: %s, extack '%s'", variant,
				 strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, variant, 50, self->online);
}

TEST_F_TIMEOUT(ntcorral, run_dpc_has_no_violations_or_timeouts, 120)
{
	run_variant(_metadata, self, "dpc");
}

TEST_F_TIMEOUT(ntcorral, run_ipi_has_no_violations_or_timeouts, 120)
{
	run_variant(_metadata, self, "ipi");
}

TEST_F_TIMEOUT(ntcorral, run_stop_machine_has_no_violations_or_timeouts, 120)
{
	run_variant(_metadata, self, "stop_machine");
}

TEST_F_TIMEOUT(ntcorral, run_without_iterations_does_the_default_count, 180)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	put_slack(&m);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", NTCORRAL_DEFAULT_ITERATIONS,
			self->online);
}

TEST_F_TIMEOUT(ntcorral, run_accepts_the_smallest_bounds, 60)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, NTCORRAL_MIN_ITERATIONS);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, 0);
	msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, NTCORRAL_MAX_RUNTIME_MS);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, NTCORRAL_MAX_DEADLINE_US);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_DEFAULT_PCI_DEVICE);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", NTCORRAL_MIN_ITERATIONS,
			self->online);
}

static void run_on_cpus(struct __test_metadata *_metadata,
			FIXTURE_DATA(ntcorral) *self, int a, int b)
{
	__u64 cpus[CPU_WORDS] = { 0 };
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	cpus[a / 64] |= 1ULL << (a % 64);
	cpus[b / 64] |= 1ULL << (b % 64);
	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 20);
	put_slack(&m);
	msg_put(&m, NTCORRAL_A_CPUS, cpus, ((highest_cpu(cpus, CPU_WORDS) / 64) + 1) * 8);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 20, cpus);
	ASSERT_EQ(2, r.nr_cpus);
	ASSERT_EQ(a, r.initiator_cpu);
}

TEST_F_TIMEOUT(ntcorral, run_on_cpus_0_1_takes_two_cpus_with_initiator_0, 60)
{
	if (self->nr_online < 2 || !(self->online[0] & 3))
		SKIP(return, "needs CPUs 0 and 1 online");
	run_on_cpus(_metadata, self, 0, 1);
}

TEST_F_TIMEOUT(ntcorral, run_on_cpus_1_2_takes_two_cpus_with_initiator_1, 60)
{
	if ((self->online[0] & 6) != 6)
		SKIP(return, "needs CPUs 1 and 2 online");
	run_on_cpus(_metadata, self, 1, 2);
}

/* ---- concurrency --------------------------------------------------------- */

struct race_report {
	int open;
	int ret;
	bool has_msg;
	char msg[STR_MAX];
	bool malformed;
	__u64 samples, violations, timeouts;
	bool truncated;
};

/*
 * Over 80 lines: the two runners, the start line and the verdict on each
 * are one race; the body is kept as it was written.
 */
TEST_F_TIMEOUT(ntcorral, concurrent_runs_never_hang, 240)
{
	struct race_report *rep;
	int ready[2], go[2], ok = 0, ret;
	struct ntc_result r;
	struct ntc_err e;
	pid_t pid[2];
	char c;

	rep = mmap(NULL, 2 * sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, POISON, 2 * sizeof(*rep));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));

	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			struct race_report *me = &rep[i];
			struct ntc_result r;
			struct ntc_sock s;
			struct ntc_err e;

			alarm(180);	/* a hung RUN ends as SIGALRM */
			close(ready[0]);
			close(go[1]);
			me->open = ntc_open(&s);
			if (write(ready[1], "r", 1) != 1 || me->open)
				_exit(1);
			if (read(go[0], &c, 1) != 1)
				_exit(1);
			me->ret = ntc_run_simple(&s, "ipi", 100, &r, &e);
			me->has_msg = e.has_msg && e.msg[0];
			snprintf(me->msg, sizeof(me->msg), "%s", e.msg);
			me->malformed = r.p.malformed;
			me->samples = r.samples;
			me->violations = r.violations;
			me->timeouts = r.timeouts;
			me->truncated = r.has[NTCORRAL_A_TRUNCATED];
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(1, read(ready[0], &c, 1));
	}
	ASSERT_EQ(2, write(go[1], "gg", 2));

	for (int i = 0; i < 2; i++) {
		int status;

		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status))
			TH_LOG("runner %d died by signal %d (SIGALRM: it hung)",
			       i, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		ASSERT_EQ(0, WEXITSTATUS(status));
		ASSERT_EQ(0, rep[i].open);
		TH_LOG("runner %d: %s%s%s", i,
		       rep[i].ret ? strerror(-rep[i].ret) : "ok",
		       rep[i].has_msg ? ", extack: " : "", rep[i].msg);
		if (rep[i].ret == 0) {
			ok++;
			ASSERT_FALSE(rep[i].malformed);
			ASSERT_FALSE(rep[i].truncated);
			ASSERT_EQ(100, rep[i].samples);
			ASSERT_EQ(0, rep[i].violations);
			ASSERT_EQ(0, rep[i].timeouts);
		} else {
			ASSERT_EQ(-EBUSY, rep[i].ret);
			ASSERT_TRUE(rep[i].has_msg) TH_LOG("EBUSY without extack");
		}
	}
	ASSERT_LE(1, ok);

	/* Nothing is left busy afterwards. */
	ret = ntc_run_simple(&self->s, "ipi", 10, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("RUN after the race: %s, extack '%s'",
				 strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 10, self->online);
	munmap(rep, 2 * sizeof(*rep));
}

/* ---- ipi_barrier and exclusivity ----------------------------------------- */

#define IB_ITERATIONS 30

/*
 * Every two-phase variant: phase 1 once per iteration, phase 2 once per
 * CPU and iteration and after phase 1, no CPU gave up, no call at the
 * wrong IRQL. Those that wait for every CPU never run phase 1 early.
 */
static void run_ipi_barrier_two_phase(struct __test_metadata *_metadata,
				      FIXTURE_DATA(ntcorral) *self,
				      const char *variant, bool waits_for_all)
{
	const struct ntc_counter *early;
	struct ntc_result r;

	run_clean(_metadata, self, &ipi_barrier, variant, IB_ITERATIONS,
		  self->online, &r);
	expect_counter(_metadata, &r, "phase1_runs", IB_ITERATIONS);
	expect_counter(_metadata, &r, "phase2_runs",
		       (__u64)IB_ITERATIONS * self->nr_online);
	expect_counter(_metadata, &r, "stale_phase2", 0);
	expect_counter(_metadata, &r, "barrier_timeouts", 0);
	expect_counter(_metadata, &r, "irql_violations", 0);
	if (waits_for_all) {
		expect_counter(_metadata, &r, "phase1_before_all_arrived", 0);
		return;
	}
	/* lockflag: evidence that depends on timing, not an invariant */
	early = counter_find(&r, "phase1_before_all_arrived");
	ASSERT_NE(NULL, early) TH_LOG("no counter phase1_before_all_arrived");
	TH_LOG("%s: phase 1 ran before every CPU had arrived in %llu of %d "
	       "iterations (%d CPUs)", variant,
	       (unsigned long long)early->value, IB_ITERATIONS, self->nr_online);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_counter_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "counter", true);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_lockflag_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "lockflag", false);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_sense_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "sense", true);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_stop_machine_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "stop_machine", true);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_static_key_runs_clean_every_cpu_takes_the_new_branch, 120)
{
	struct ntc_result r;

	run_clean(_metadata, self, &ipi_barrier, "static_key", IB_ITERATIONS,
		  self->online, &r);
	expect_counter(_metadata, &r, "static_key_mismatches", 0);
	expect_counter(_metadata, &r, "irql_violations", 0);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_bare_ipi_runs_clean, 120)
{
	struct ntc_result r;

	run_clean(_metadata, self, &ipi_barrier, "bare_ipi", IB_ITERATIONS,
		  self->online, &r);
	expect_counter(_metadata, &r, "irql_violations", 0);
}

#define EX_ITERATIONS 30

TEST_F_TIMEOUT(ntcorral, exclusivity_seed_runs_clean_holding_every_other_cpu, 120)
{
	run_exclusivity(_metadata, self, "seed", EX_ITERATIONS, self->online);
}

TEST_F_TIMEOUT(ntcorral, exclusivity_generic_call_dpc_runs_clean_holding_every_other_cpu, 120)
{
	run_exclusivity(_metadata, self, "generic_call_dpc", EX_ITERATIONS,
			self->online);
}

TEST_F_TIMEOUT(ntcorral, exclusivity_stop_machine_runs_clean_holding_every_other_cpu, 120)
{
	run_exclusivity(_metadata, self, "stop_machine", EX_ITERATIONS,
			self->online);
}

TEST_HARNESS_MAIN
