// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_missing_cpu_test: runs with a CPU missing, over raw netlink:
 * an offline CPU refused in a CPU set and the run taking the CPUs online
 * now; the exclusivity seed's offline-CPU defect (every gain times out,
 * the run returns); then that the IRQL assertion is watched around every
 * test (ntc_check.h's fixture); then a shootdown target answering an
 * abandoned corral late never counts in a later one. Its runs hit deadlines on purpose: the
 * module's "!!!" lines are expected throughout (run_tests.sh's
 * bangs_whole).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ntc_check.h"

/* ---- an offline CPU ------------------------------------------------------ */

TEST_F_TIMEOUT(ntcorral, run_rejects_offline_cpu_and_runs_without_it, 180)
{
	__u64 cpus[CPU_WORDS] = { 0 }, now[CPU_WORDS];
	struct ntc_result r;
	struct ntc_err e;
	int cpu, ret;

	cpu = highest_cpu(self->online, CPU_WORDS);
	if (self->nr_online < 2 || cpu <= 0)
		SKIP(return, "needs two online CPUs");
	ret = set_cpu_online(cpu, false);
	if (ret)
		SKIP(return, "cannot offline CPU %d: %s", cpu, strerror(-ret));
	self->offlined_cpu = cpu;
	ASSERT_EQ(self->nr_online - 1, online_cpus(now));

	cpus[0] = 1;
	cpus[cpu / 64] |= 1ULL << (cpu % 64);
	expect_cpus_rejected(_metadata, &self->s, cpus,
			     ((cpu / 64) + 1) * 8, "an offline CPU");

	/* Without a CPU set, the run takes the CPUs online now. */
	ret = ntc_run_simple(&self->s, "ipi", 20, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 20, now);

	/* And all of them again once it is back. */
	ASSERT_EQ(0, set_cpu_online(cpu, true));
	self->offlined_cpu = -1;
	ASSERT_EQ(self->nr_online, online_cpus(now));
	ret = ntc_run_simple(&self->s, "ipi", 20, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 20, self->online);
}

/* ---- the exclusivity seed with CPU 1 offline ----------------------------- */

/*
 * The seed's defect 1: it counts processors and targets ids 0..N-1, so
 * with CPU 1 offline one target does not exist and a live CPU is never
 * held. The original spins forever; the port must refuse the offline
 * target, time out every gain (2 iterations, 2 timeouts, no sample, the
 * work never done) and return. With CPU 1 still offline, the variants
 * that take the online CPUs as they are run clean.
 */
TEST_F_TIMEOUT(ntcorral, exclusivity_seed_with_cpu_1_offline_times_out_every_gain_and_returns, 180)
{
	__u64 now[CPU_WORDS];
	const struct ntc_metric *window;
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int nr_now, ret;

	if (self->nr_online < 3 || !(self->online[0] & 2))
		SKIP(return, "needs three online CPUs, CPU 1 among them (%d online)",
		     self->nr_online);
	ret = set_cpu_online(1, false);
	if (ret)
		SKIP(return, "cannot offline CPU 1: %s", strerror(-ret));
	self->offlined_cpu = 1;
	nr_now = online_cpus(now);
	ASSERT_EQ(self->nr_online - 1, nr_now);
	ASSERT_EQ(0, now[0] & 2) TH_LOG("CPU 1 is still online");

	/*
	 * Each gain waits the whole deadline: 3 s, so two iterations (two
	 * gains, each timed out on its own) rather than more. A shorter
	 * deadline is faster but not exact: with 2 ms, a TCG vCPU stall past
	 * the held DPC's own wait (twice the deadline) or the release's added
	 * a dpc_timeouts or release_timeouts in 8 runs of 20; with the slack,
	 * in none of 6.
	 */
	run_msg(&self->s, &m, exclusivity.name, "seed");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 2);
	put_slack(&m);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("seed with CPU 1 offline: %s, extack '%s'",
				 strerror(-ret), e.msg);
	ASSERT_FALSE(r.p.malformed) TH_LOG("malformed reply: %s", r.p.why);
	ASSERT_EQ(1, r.nr_msgs);
	log_counters(_metadata, &r);
	ASSERT_STREQ(exclusivity.name, r.experiment);
	ASSERT_STREQ("seed", r.variant);
	ASSERT_REPLY_EQ(r, ITERATIONS, iterations, 2);
	ASSERT_FALSE(r.has[NTCORRAL_A_TRUNCATED]);
	ASSERT_REPLY_EQ(r, NR_CPUS, nr_cpus, nr_now);
	ASSERT_REPLY_EQ(r, SAMPLES, samples, 0);
	ASSERT_REPLY_EQ(r, TIMEOUTS, timeouts, 2);
	ASSERT_REPLY_EQ(r, VIOLATIONS, violations, 0);
	window = metric_find(&r, "window");
	ASSERT_NE(NULL, window);
	ASSERT_EQ(0, window->count);
	expect_counter(_metadata, &r, "offline_targets", 2);
	expect_counter(_metadata, &r, "gain_timeouts", 2);
	expect_counter(_metadata, &r, "release_timeouts", 0);
	expect_counter(_metadata, &r, "dpc_timeouts", 0);
	expect_counter(_metadata, &r, "work_runs", 0);

	/* The online CPUs as they are: every one of them held, clean. */
	run_exclusivity(_metadata, self, "generic_call_dpc", 10, now);
	run_clean(_metadata, self, &shootdown, "dpc", 10, now, &r);
	ASSERT_EQ(nr_now, r.nr_cpus);
}

/* ---- the IRQL assertion -------------------------------------------------- */

/*
 * The mapping layer's IRQL assertion (Driver Verifier's check) must not
 * fire during any test of the ntcorral_* programs: the fixture reads
 * debugfs irql_violations before each test and expects it unchanged after
 * (ntc_check.h), whatever order the programs run in (device_test.sh trips
 * it on purpose with the deliberately wrong variants). Here: that the count
 * can be read, so that those checks are made at all.
 */
TEST_F_TIMEOUT(ntcorral, irql_assertion_is_watched_around_every_test, 30)
{
	struct statfs fs;

	if (statfs("/sys/kernel/debug", &fs) || fs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at /sys/kernel/debug: no test checks the IRQL assertion");
	ASSERT_LE(0, irql_violations_now())
		TH_LOG("%s cannot be read as a count", DEBUGFS_DIR "/irql_violations");
	ASSERT_LE(0, self->irql_at_setup);
}

/* ---- an answer owed to an abandoned corral ------------------------------ */

static void kmsg(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	/* best effort: a marker that did not land shows as a console splat */
	n = write(fd, line, strlen(line));
	(void)n;
	close(fd);
}

static int debugfs_put(const char *name, unsigned long long value)
{
	char path[128], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%llu\n", value);
	if (write(fd, buf, n) != n)
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * CPU 3 answers a corral on CPUs 0-3 3 s late (the longest injected
 * delay): long after that run is over and the next one, on CPUs 0-2, has
 * started. Both runs come from this one process, back to back: a new
 * client process can take seconds to start while CPU 3 spins with
 * interrupts off. The later run must not count CPU 3's answer: it waits
 * for it before it begins (owed_answers_awaited), and a stale arrival
 * counts only in its own, abandoned corral. Most of each iteration is the
 * 10 ms hold, so an answer that counted would land inside a window: a
 * violation.
 *
 * Even back to back, the kernel itself can hold the later RUN until CPU 3
 * is back (seen on the debug kernel: a memory allocation on the way to the
 * run's thread waited 2.8 s, as a cross-CPU flush or drain does for a CPU
 * with interrupts off). Such a try proves nothing, so the pair is tried
 * up to 5 times until the later run began while CPU 3 still owed; every
 * try must still be clean.
 */
static void stale_try(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ntcorral) *self, struct ntc_result *r)
{
	__u64 all4[CPU_WORDS] = { 0xf }, first3[CPU_WORDS] = { 0x7 };
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	kmsg("ntcorral-test: expect !!! begin: shootdown/dpc: CPU 3 answers 3 s late");
	ASSERT_EQ(0, debugfs_put("fault_cpu", 3));
	ASSERT_EQ(0, debugfs_put("fault_delay_us", 3000000));
	ASSERT_EQ(0, debugfs_put("fault_mode", 1));
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, 100000);
	msg_put(&m, NTCORRAL_A_CPUS, all4, sizeof(all4[0]));
	ret = ntc_run(&self->s, &m, r, &e);
	debugfs_put("fault_mode", 0);
	kmsg("ntcorral-test: expect !!! end");
	ASSERT_EQ(0, ret) TH_LOG("the faulted run: %s, extack '%s'",
				 strerror(-ret), e.msg);
	ASSERT_LT(0, r->timeouts) TH_LOG("CPU 3 was not late: the fault did not take");

	/* Small: its sample arrays come from kmalloc, not vmalloc. */
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1000);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, 10000);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_PCI_DEVICE_NONE);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, 1000000);
	msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, 4000);
	msg_put(&m, NTCORRAL_A_CPUS, first3, sizeof(first3[0]));
	ret = ntc_run(&self->s, &m, r, &e);
	ASSERT_EQ(0, ret) TH_LOG("the later run: %s, extack '%s'",
				 strerror(-ret), e.msg);
	log_counters(_metadata, r);
	ASSERT_LT(0, r->samples);
	ASSERT_EQ(0, r->violations);
	ASSERT_EQ(0, r->timeouts);
}

TEST_F_TIMEOUT(ntcorral, stale_shootdown_target_never_counts_in_a_later_corral, 180)
{
	struct ntc_result r;
	cpu_set_t on0;
	int try;

	if ((self->online[0] & 0xf) != 0xf)
		SKIP(return, "needs CPUs 0-3 online (the VM has them)");
	if (access(DEBUGFS_DIR "/fault_mode", W_OK))
		SKIP(return, "no %s/fault_mode (debugfs not mounted?)", DEBUGFS_DIR);
	/* Never on CPU 3: it is busy for 3 s with interrupts off. */
	CPU_ZERO(&on0);
	CPU_SET(0, &on0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(on0), &on0));
	/*
	 * Nor kthreadd, which creates each run's thread. CPU 3, spinning in
	 * a DPC from the idle loop, looks idle to the scheduler, so waking
	 * kthreadd could pick it: the wakeup then waits in CPU 3's wake list
	 * for its interrupts, and so does the later run (seen on the KCSAN
	 * kernel, every try of one boot: ttwu_queue_wakelist's IPI to CPU 3
	 * from this process, the run's start 3 s later).
	 */
	ASSERT_EQ(0, sched_getaffinity(KTHREADD_PID, sizeof(self->kthreadd_cpus),
				       &self->kthreadd_cpus));
	ASSERT_EQ(0, sched_setaffinity(KTHREADD_PID, sizeof(on0), &on0));
	self->kthreadd_pinned = true;

	for (try = 1; try <= 5; try++) {
		stale_try(_metadata, self, &r);
		if (counter_value(_metadata, &r, "owed_answers_awaited"))
			break;
		TH_LOG("try %d: the later run began after CPU 3 had answered", try);
	}
	ASSERT_LE(try, 5) TH_LOG("in 5 tries the later run never began while "
				 "CPU 3 still owed an answer: it proves nothing");
}

TEST_HARNESS_MAIN
