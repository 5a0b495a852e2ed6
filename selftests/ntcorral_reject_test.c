// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_reject_test: requests the family must refuse, over raw
 * netlink: every bad input of a RUN rejected with its errno and an extack
 * message (and, where the kernel says, the attribute at fault), stats left
 * untouched by a refused run, callers without CAP_SYS_ADMIN (no capability,
 * or CAP_NET_ADMIN alone) refused RUN and RESET_STATS, the exclusivity
 * seed's CPU set, and the timing method's parameters out of range or where
 * an experiment does not take them.
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

/* ---- RUN: bad input ------------------------------------------------------ */

TEST_F_TIMEOUT(ntcorral, run_rejects_unknown_experiment, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, "nosuch", "dpc");
	expect_run_error(_metadata, &self->s, &m, ENOENT, "experiment nosuch");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_unknown_variant, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, EXPERIMENT, "nosuch");
	expect_run_error(_metadata, &self->s, &m, ENOENT, "variant nosuch");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_missing_experiment, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, NULL, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	expect_run_error_missing(_metadata, &self->s, &m, NTCORRAL_A_EXPERIMENT,
				 "no experiment");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_missing_variant, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, EXPERIMENT, NULL);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	expect_run_error_missing(_metadata, &self->s, &m, NTCORRAL_A_VARIANT,
				 "no variant");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_zero_iterations, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_ITERATIONS, 0,
				"iterations 0");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_too_many_iterations, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_ITERATIONS,
				NTCORRAL_MAX_ITERATIONS + 1, "iterations max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_hold_us_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_HOLD_US,
				NTCORRAL_MAX_HOLD_US + 1, "hold_us max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_deadline_us_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_DEADLINE_US,
				NTCORRAL_MIN_DEADLINE_US - 1, "deadline_us min-1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_DEADLINE_US,
				NTCORRAL_MAX_DEADLINE_US + 1, "deadline_us max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_max_runtime_ms_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_MAX_RUNTIME_MS,
				NTCORRAL_MIN_RUNTIME_MS - 1, "max_runtime_ms min-1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_MAX_RUNTIME_MS,
				NTCORRAL_MAX_RUNTIME_MS + 1, "max_runtime_ms max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_pci_device_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_PCI_DEVICE,
				NTCORRAL_MAX_PCI_DEVICE + 1, "pci_device max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_a_parameter_its_experiment_does_not_take, 30)
{
	/* The IPI barrier holds no window; the shootdown has no device. */
	expect_u32_refused(_metadata, &self->s, "ipi_barrier", "counter",
			   NTCORRAL_A_HOLD_US, 5, EINVAL, "ipi_barrier with hold_us");
	expect_u32_refused(_metadata, &self->s, EXPERIMENT, "dpc",
			   NTCORRAL_A_RATE_HZ, 1000, EINVAL, "shootdown with rate_hz");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_iterations_of_the_wrong_width, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	off = msg_put_u64(&m, NTCORRAL_A_ITERATIONS, 10);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "iterations as a u64");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_unknown_attribute_type, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	off = msg_put_u32(&m, NTCORRAL_A_MAX + 1, 1);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "attribute A_MAX+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_attribute_outside_its_policy, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	off = msg_put_u64(&m, NTCORRAL_A_SAMPLES, 1);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "attribute SAMPLES in a RUN");
}

/*
 * NTCORRAL_A_EXPERIMENT is an NLA_NUL_STRING of at most NTCORRAL_NAME_MAX - 1
 * characters: for a longer one, validate_nla() finds no NUL within the
 * first .len + 1 bytes and answers EINVAL (an NLA_STRING would be ERANGE).
 */
TEST_F_TIMEOUT(ntcorral, run_rejects_overlong_experiment_name, 30)
{
	char name[NTCORRAL_NAME_MAX + 8];
	struct ntc_msg m;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	run_msg(&self->s, &m, name, "dpc");
	expect_run_error(_metadata, &self->s, &m, EINVAL, "40-byte experiment");

	/* One past the longest name allowed */
	name[NTCORRAL_NAME_MAX] = '\0';
	run_msg(&self->s, &m, name, "dpc");
	expect_run_error(_metadata, &self->s, &m, EINVAL, "32-byte experiment");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_cpu_set_not_in_whole_words, 30)
{
	__u8 cpus[16];

	memset(cpus, 0, sizeof(cpus));
	cpus[0] = 3;
	expect_cpus_rejected(_metadata, &self->s, cpus, 7, "7-byte CPU set");
	expect_cpus_rejected(_metadata, &self->s, cpus, 9, "9-byte CPU set");
	expect_cpus_rejected(_metadata, &self->s, cpus, 1, "1-byte CPU set");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_empty_cpu_set, 30)
{
	__u64 cpus[2] = { 0, 0 };

	expect_cpus_rejected(_metadata, &self->s, cpus, 8, "empty CPU set");
	expect_cpus_rejected(_metadata, &self->s, cpus, 16,
			     "empty 2-word CPU set");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_cpu_beyond_nr_cpu_ids, 30)
{
	__u64 cpus[CPU_WORDS] = { 0 };

	cpus[0] = 1;
	cpus[1000 / 64] = 1ULL << (1000 % 64);
	expect_cpus_rejected(_metadata, &self->s, cpus, sizeof(cpus),
			     "CPUs 0 and 1000");
	cpus[0] = 0;
	expect_cpus_rejected(_metadata, &self->s, cpus, sizeof(cpus),
			     "CPU 1000");
	/* the first CPU past the ones present */
	memset(cpus, 0, sizeof(cpus));
	{
		__u64 possible[CPU_WORDS];
		int hi, nr = read_cpu_list("/sys/devices/system/cpu/possible",
					   possible);

		ASSERT_LT(0, nr);
		hi = highest_cpu(possible, CPU_WORDS) + 1;
		if (hi < NTCORRAL_MAX_CPUS) {
			cpus[0] |= 1;
			cpus[hi / 64] |= 1ULL << (hi % 64);
			expect_cpus_rejected(_metadata, &self->s, cpus,
					     sizeof(cpus),
					     "CPU 0 and the first impossible CPU");
		}
	}
}

TEST_F_TIMEOUT(ntcorral, run_rejects_oversized_cpu_set, 30)
{
	__u64 cpus[CPU_WORDS + 1] = { 1 };
	struct ntc_msg m;
	size_t off;

	/* NLA_BINARY with .len = NTCORRAL_CPUS_MAX_BYTES: the policy's ERANGE */
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	off = msg_put(&m, NTCORRAL_A_CPUS, cpus, sizeof(cpus));
	expect_run_error_at(_metadata, &self->s, &m, ERANGE, off,
			    "CPU set of 1032 bits");
}

TEST_F_TIMEOUT(ntcorral, rejected_runs_leave_stats_untouched, 60)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	__u64 cpus[1] = { 0 };
	struct ntc_msg m;
	struct ntc_err e;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 0);
	expect_run_error(_metadata, &self->s, &m, ERANGE, "iterations 0");
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put(&m, NTCORRAL_A_CPUS, cpus, sizeof(cpus));
	expect_run_error(_metadata, &self->s, &m, EINVAL, "empty CPU set");

	ASSERT_EQ(0, ntc_stats(&self->s, NULL, NULL, st, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_LE(NR_VARIANTS, st->n);
	for (int i = 0; i < st->n; i++) {
		ASSERT_EQ(0, st->r[i].runs) TH_LOG("%s/%s", st->r[i].experiment,
						   st->r[i].variant);
		ASSERT_EQ(0, st->r[i].samples);
	}
	free(st);
}

/* ---- permissions --------------------------------------------------------- */

struct unpriv_report {
	int setup;		/* 0, or errno of the uid/gid change */
	int open;
	int run, reset, list, stats;
	int list_n, stats_n;
	bool run_replied;
};

TEST_F_TIMEOUT(ntcorral, unprivileged_run_gets_eperm, 60)
{
	struct unpriv_report *rep;
	int status;
	pid_t pid;

	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, POISON, sizeof(*rep));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ntc_list *l = malloc(sizeof(*l));
		struct ntc_stats *st = malloc(sizeof(*st));
		struct ntc_result r;
		struct ntc_sock s;
		struct ntc_err e;

		rep->setup = 0;
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534) ||
		    geteuid() != 65534)
			rep->setup = errno ?: EPERM;
		rep->open = ntc_open(&s);
		if (rep->setup || rep->open || !l || !st)
			_exit(1);
		rep->run = ntc_run_simple(&s, "dpc", 1, &r, &e);
		rep->run_replied = r.nr_msgs > 0;
		rep->reset = ntc_reset(&s, NULL, NULL, &e);
		rep->list = ntc_list(&s, NULL, l, &e);
		rep->list_n = l->p.malformed ? -1 : l->n;
		rep->stats = ntc_stats(&s, NULL, NULL, st, &e);
		rep->stats_n = st->p.malformed ? -1 : st->n;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, rep->setup) TH_LOG("dropping to uid 65534: %s",
					strerror(rep->setup));
	ASSERT_EQ(0, rep->open) TH_LOG("unprivileged open: %s",
				       strerror(-rep->open));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(-EPERM, rep->run);
	ASSERT_FALSE(rep->run_replied);
	ASSERT_EQ(-EPERM, rep->reset);
	ASSERT_EQ(0, rep->list);
	ASSERT_LE(1, rep->list_n);
	ASSERT_EQ(0, rep->stats);
	ASSERT_LE((int)NR_VARIANTS, rep->stats_n);
	munmap(rep, sizeof(*rep));
}

/*
 * CAP_NET_ADMIN without CAP_SYS_ADMIN: past generic netlink's
 * GENL_ADMIN_PERM, so only the module's own check (ntc_check_admin()) can
 * refuse RUN and RESET_STATS. The test above drops every capability, and
 * there GENL_ADMIN_PERM answers first, with no word from the module.
 */
struct net_admin_report {
	struct nobody_report who;
	__u8 cmd;		/* the request to send */
	int ret;		/* the request's answer */
	bool has_msg;
	char msg[STR_MAX];
	int replies;
};

/* The child's part of as_net_admin_only(). */
static void send_cmd(struct ntc_sock *s, void *arg)
{
	struct net_admin_report *rep = arg;
	struct ntc_result r;
	struct ntc_err e;

	if (rep->cmd == NTCORRAL_CMD_RUN) {
		rep->ret = ntc_run_simple(s, "dpc", 1, &r, &e);
		rep->replies = r.nr_msgs;
	} else {
		rep->ret = ntc_reset(s, NULL, NULL, &e);
		rep->replies = 0;
	}
	rep->has_msg = e.has_msg;
	snprintf(rep->msg, sizeof(rep->msg), "%s", e.has_msg ? e.msg : "");
}

/* Send @cmd (RUN of shootdown/dpc, or RESET_STATS) as that caller. */
static void as_net_admin_only(struct __test_metadata *_metadata, __u8 cmd,
			      struct net_admin_report *rep)
{
	memset(rep, POISON, sizeof(*rep));
	rep->cmd = cmd;
	as_nobody(_metadata, true, &rep->who, send_cmd, rep);
}

/* The refusal is the module's: EPERM, and its sentence naming CAP_SYS_ADMIN. */
static void expect_module_eperm(struct __test_metadata *_metadata,
				const struct net_admin_report *rep, const char *what)
{
	ASSERT_EQ(-EPERM, rep->ret)
		TH_LOG("%s with CAP_NET_ADMIN alone: got %d (%s), extack '%s'", what,
		       rep->ret, rep->ret < 0 ? strerror(-rep->ret) : "success",
		       rep->has_msg ? rep->msg : "");
	ASSERT_EQ(0, rep->replies) TH_LOG("%s: a refused request sent a reply", what);
	ASSERT_TRUE(rep->has_msg)
		TH_LOG("%s: EPERM without an extack message: generic netlink refused it, not the module",
		       what);
	ASSERT_NE(NULL, strstr(rep->msg, "CAP_SYS_ADMIN"))
		TH_LOG("%s: extack '%s' does not name CAP_SYS_ADMIN", what, rep->msg);
	TH_LOG("%s with CAP_NET_ADMIN alone: EPERM, extack: %s", what, rep->msg);
}

TEST_F_TIMEOUT(ntcorral, run_needs_cap_sys_admin_even_with_cap_net_admin, 60)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct net_admin_report *rep;
	struct ntc_err e;
	__u64 runs;

	ASSERT_NE(NULL, st);
	if (geteuid() != 0)
		SKIP(return, "needs root to keep CAP_NET_ADMIN alone");
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	runs = st->r[0].runs;

	as_net_admin_only(_metadata, NTCORRAL_CMD_RUN, rep);
	expect_module_eperm(_metadata, rep, "RUN");
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	ASSERT_EQ(runs, st->r[0].runs) TH_LOG("the refused run was counted");
	munmap(rep, sizeof(*rep));
	free(st);
}

TEST_F_TIMEOUT(ntcorral, reset_stats_needs_cap_sys_admin_even_with_cap_net_admin, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct net_admin_report *rep;
	struct ntc_result r;
	struct ntc_err e;
	__u64 runs;
	int ret;

	ASSERT_NE(NULL, st);
	if (geteuid() != 0)
		SKIP(return, "needs root to keep CAP_NET_ADMIN alone");
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	/* Something to reset: at least one run in the stats. */
	ret = ntc_run_simple(&self->s, "dpc", 1, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	runs = st->r[0].runs;
	ASSERT_LE(1, runs);

	as_net_admin_only(_metadata, NTCORRAL_CMD_RESET_STATS, rep);
	expect_module_eperm(_metadata, rep, "RESET_STATS");
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	ASSERT_EQ(runs, st->r[0].runs) TH_LOG("the refused reset cleared the stats");
	munmap(rep, sizeof(*rep));
	free(st);
}

/* ---- the exclusivity seed's CPU set -------------------------------------- */

static void expect_seed_cpus_rejected(struct __test_metadata *_metadata,
				      struct ntc_sock *s,
				      const __u64 cpus[CPU_WORDS],
				      const char *what)
{
	struct ntc_msg m;

	run_msg(s, &m, exclusivity.name, "seed");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	put_slack(&m);
	msg_put(&m, NTCORRAL_A_CPUS, cpus,
		((highest_cpu(cpus, CPU_WORDS) / 64) + 1) * 8);
	expect_run_error(_metadata, s, &m, EINVAL, what);
}

/*
 * The seed always targets processors 0..KeNumberProcessors-1: it takes no
 * CPU set but all the online CPUs (named or, by default, implied).
 */
TEST_F_TIMEOUT(ntcorral, exclusivity_seed_rejects_a_cpu_set_that_is_not_all_online_cpus, 120)
{
	__u64 cpus[CPU_WORDS] = { 0 };
	int lo = lowest_cpu(self->online, CPU_WORDS);
	int hi = highest_cpu(self->online, CPU_WORDS);
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	if (self->nr_online < 2)
		SKIP(return, "needs two online CPUs (%d online)", self->nr_online);

	cpus[lo / 64] = 1ULL << (lo % 64);
	expect_seed_cpus_rejected(_metadata, &self->s, cpus,
				  "seed on the lowest online CPU alone");

	memcpy(cpus, self->online, sizeof(cpus));
	cpus[hi / 64] &= ~(1ULL << (hi % 64));
	expect_seed_cpus_rejected(_metadata, &self->s, cpus,
				  "seed on every online CPU but the highest");

	/* Every online CPU, named: that set it takes. */
	run_msg(&self->s, &m, exclusivity.name, "seed");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
	put_slack(&m);
	msg_put(&m, NTCORRAL_A_CPUS, self->online, ((hi / 64) + 1) * 8);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("seed on every online CPU, named: %s, "
				 "extack '%s'", strerror(-ret), e.msg);
	check_run_reply_of(_metadata, &r, exclusivity.name, "window", "seed", 5,
			   self->online);
}

/* ---- the timing method's parameters ------------------------------------ */

TEST_F_TIMEOUT(ntcorral, run_rejects_timing_parameters_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_WARMUP,
				NTCORRAL_MAX_WARMUP + 1, "warmup max+1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_COOLDOWN,
				NTCORRAL_MAX_WARMUP + 1, "cooldown max+1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_PHASE_STAMPS,
				2, "phase_stamps 2");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BURST, 0,
				"burst 0");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BATCH, 0,
				"batch 0");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BATCH,
				NTCORRAL_MAX_BATCH + 1, "batch max+1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BURST,
				NTCORRAL_MAX_BURST + 1, "burst max+1");
}

/* Warm-up is for iterated experiments, bursts for the queue's device. */
TEST_F_TIMEOUT(ntcorral, run_rejects_timing_parameters_where_not_taken, 30)
{
	expect_u32_refused(_metadata, &self->s, "interlocked_queue", "slist",
			   NTCORRAL_A_WARMUP, 5, EINVAL, "interlocked_queue with warmup");
	expect_u32_refused(_metadata, &self->s, EXPERIMENT, "dpc",
			   NTCORRAL_A_BURST, 4, EINVAL, "shootdown with burst");
	expect_u32_refused(_metadata, &self->s, "spinlock", "raw",
			   NTCORRAL_A_BATCH, 4, EINVAL, "spinlock with batch");
}

TEST_HARNESS_MAIN
