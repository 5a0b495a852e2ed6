// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_timing_test: the timing method over raw netlink: warm-up and
 * cool-down iterations run but are not recorded, lean runs time the primary
 * metric only, batches time iterations together, the queue's bursts lose
 * nothing, and the shootdown's PCI read (the parameters' refusals are
 * ntcorral_reject_test's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntc_check.h"

/* ---- the timing method (warm-up, cool-down, lean runs, overhead) --------- */

/*
 * Warm-up and cool-down iterations run (the work ran once per iteration of
 * all three stretches) but only the measured ones are samples; the reply
 * says what was asked, and carries the instrumentation's measured cost.
 */
TEST_F_TIMEOUT(ntcorral, warmup_and_cooldown_run_but_are_not_recorded, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 10);
	msg_put_u32(&m, NTCORRAL_A_WARMUP, 5);
	msg_put_u32(&m, NTCORRAL_A_COOLDOWN, 3);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, 0);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply(_metadata, &r, "ipi", 10, self->online);
	ASSERT_REPLY_EQ(r, WARMUP, warmup, 5);
	ASSERT_REPLY_EQ(r, COOLDOWN, cooldown, 3);
	ASSERT_REPLY_EQ(r, PHASE_STAMPS, phase_stamps, 1);
	ASSERT_EQ(18, counter_value(_metadata, &r, "work_runs"))
		TH_LOG("the work ran once per iteration of warm-up, measured run and cool-down");
	for (int i = 0; i < r.nr_metrics; i++) {
		ASSERT_EQ(10, r.metrics[i].count)
			TH_LOG("metric %s", r.metrics[i].name);
	}
	ASSERT_TRUE(r.has[NTCORRAL_A_CLOCK_READ_NS]);
	ASSERT_TRUE(r.has[NTCORRAL_A_SAMPLE_OVERHEAD_NS]);
	ASSERT_LT(0, r.sample_overhead_ns);
	/* Two timestamps and a record cost at least one timestamp. */
	ASSERT_LE(r.clock_read_ns, r.sample_overhead_ns);
	TH_LOG("one timestamp %llu ns, an empty timed sample %llu ns",
	       (unsigned long long)r.clock_read_ns,
	       (unsigned long long)r.sample_overhead_ns);
}

/* A lean run times its primary metric only, and still checks everything. */
TEST_F_TIMEOUT(ntcorral, lean_run_times_the_primary_metric_only, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	run_msg(&self->s, &m, "ipi_barrier", "sense");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 10);
	msg_put_u32(&m, NTCORRAL_A_PHASE_STAMPS, 0);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply_of(_metadata, &r, "ipi_barrier", "call", "sense", 10,
			   self->online);
	ASSERT_REPLY_EQ(r, PHASE_STAMPS, phase_stamps, 0);
	ASSERT_LT(1, r.nr_metrics);
	for (int i = 1; i < r.nr_metrics; i++) {
		ASSERT_EQ(0, r.metrics[i].count)
			TH_LOG("phase metric %s", r.metrics[i].name);
	}
	ASSERT_EQ(10, counter_value(_metadata, &r, "phase1_runs"));
}

/*
 * Batches: 10 iterations timed in batches of 4 give 10 samples (every
 * iteration ran and was checked) but 3 primary-metric values (4, 4 and the
 * last 2), no phase metric, and the reply says the run was lean.
 */
TEST_F_TIMEOUT(ntcorral, batches_time_iterations_together, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	run_msg(&self->s, &m, "ipi_barrier", "bare_ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 10);
	msg_put_u32(&m, NTCORRAL_A_BATCH, 4);
	msg_put_u32(&m, NTCORRAL_A_WARMUP, 3);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(r.p.malformed) TH_LOG("malformed reply: %s", r.p.why);
	ASSERT_EQ(10, r.samples);
	ASSERT_EQ(0, r.violations);
	ASSERT_EQ(0, r.timeouts);
	ASSERT_FALSE(r.has[NTCORRAL_A_TRUNCATED]);
	ASSERT_REPLY_EQ(r, BATCH, batch, 4);
	ASSERT_EQ(0, r.phase_stamps) TH_LOG("a batch implies a lean run");
	ASSERT_LT(1, r.nr_metrics);
	ASSERT_STREQ("call", r.metrics[0].name);
	check_metric(_metadata, &r.metrics[0], 3);
	for (int i = 1; i < r.nr_metrics; i++) {
		ASSERT_EQ(0, r.metrics[i].count)
			TH_LOG("phase metric %s", r.metrics[i].name);
	}
}

/*
 * Bursts: every interrupt produces @burst items; every item produced is
 * consumed exactly once, in order, and the throughput window is non-empty.
 * A session's reply has no warm-up to echo but its overhead figures.
 */
TEST_F_TIMEOUT(ntcorral, queue_bursts_lose_nothing, 120)
{
	static const char *const kinds[] = { "exinterlocked", "slist" };

	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		struct ntc_result r;
		struct ntc_msg m;
		struct ntc_err e;
		__u64 produced, isr;

		run_msg(&self->s, &m, "interlocked_queue", kinds[k]);
		msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 64);
		msg_put_u32(&m, NTCORRAL_A_BURST, 16);
		msg_put_u32(&m, NTCORRAL_A_RATE_HZ, 1000);
		put_slack(&m);
		ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e))
			TH_LOG("%s: %s", kinds[k], e.msg);
		ASSERT_FALSE(r.p.malformed) TH_LOG("malformed reply: %s", r.p.why);
		ASSERT_EQ(0, r.violations) TH_LOG("%s", kinds[k]);
		ASSERT_FALSE(r.has[NTCORRAL_A_TRUNCATED]) TH_LOG("%s", kinds[k]);
		ASSERT_FALSE(r.has[NTCORRAL_A_WARMUP]);
		ASSERT_TRUE(r.has[NTCORRAL_A_SAMPLE_OVERHEAD_NS]);
		produced = counter_value(_metadata, &r, "produced");
		isr = counter_value(_metadata, &r, "produced_by_isr");
		ASSERT_EQ((__u64)self->nr_online * 64, isr)
			TH_LOG("%s: every CPU's ISRs produce their 64 items in bursts of 16",
			       kinds[k]);
		ASSERT_EQ(produced, counter_value(_metadata, &r, "consumed"))
			TH_LOG("%s", kinds[k]);
		ASSERT_EQ(0, counter_value(_metadata, &r, "lost"));
		ASSERT_EQ(0, counter_value(_metadata, &r, "duplicates"));
		ASSERT_EQ(0, counter_value(_metadata, &r, "order_breaks"));
		ASSERT_LT(0, counter_value(_metadata, &r, "items_per_sec"));
	}
}

/*
 * The thread's work is a raw PCI config read of 00:00.0 (QEMU's host bridge,
 * as on most PCs) with the whole machine corralled: once per iteration, and
 * it agrees with the kernel's own read. NTCORRAL_PCI_DEVICE_NONE takes it
 * out of the window, as the bench does to time the corral alone.
 */
TEST_F_TIMEOUT(ntcorral, shootdown_reads_pci_config_raw_unless_told_none, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	if (access("/sys/bus/pci/devices/0000:00:00.0", F_OK))
		SKIP(return, "no PCI device 00:00.0 on this machine");
	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply(_metadata, &r, "ipi", 5, self->online);
	ASSERT_EQ(5, counter_value(_metadata, &r, "pci_reads"));
	ASSERT_EQ(0, counter_value(_metadata, &r, "pci_mismatches"));

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_PCI_DEVICE_NONE);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply(_metadata, &r, "ipi", 5, self->online);
	ASSERT_EQ(0, counter_value(_metadata, &r, "pci_reads"));
	ASSERT_EQ(0, counter_value(_metadata, &r, "pci_skipped"));
	ASSERT_EQ(5, counter_value(_metadata, &r, "work_runs"));
}

TEST_HARNESS_MAIN
