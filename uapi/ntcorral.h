/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ntcorral: the generic netlink interface, shared by the module, the client
 * and the selftests. Every id used by any of them is defined here and only
 * here.
 *
 * Family "ntcorral", version NTCORRAL_FAMILY_VERSION. All attributes live in
 * one top-level space (enum ntcorral_attr); the repeated nests use their own
 * small spaces. Attributes marked [multi] appear once per element.
 *
 * NTCORRAL_CMD_LIST_EXPERIMENTS (dump; any user)
 *   request:  [NTCORRAL_A_EXPERIMENT]            only this experiment
 *   reply, one message per experiment:
 *     NTCORRAL_A_EXPERIMENT        string
 *     NTCORRAL_A_SEED              string  seed file, e.g. "000-processor-shootdown"
 *     NTCORRAL_A_DESCRIPTION       string
 *     NTCORRAL_A_VARIANT_INFO      nest [multi]
 *       NTCORRAL_VARIANT_A_NAME, _DESCRIPTION, _BASELINE (flag: the
 *       kernel's own answer, the others' yardstick), _WRONG (flag:
 *       deliberately wrong, its violations are the lesson), _DEFECT (flag:
 *       a literal port with a documented defect it counts), _REFUSED
 *       (string: this kernel does not run it, and why: a RUN of it gets
 *       EINVAL with that sentence), _WAITS_IN_IRQ (flag: its CPUs wait
 *       for one another inside an interrupt, an IPI or a DPC, interrupts
 *       off: a CPU it catches holding a lock, and one spinning for that
 *       lock with interrupts off, hold each other until the deadline)
 *     NTCORRAL_A_PARAM_INFO        nest [multi]
 *       NTCORRAL_PARAM_A_NAME (the run attribute's name), _ATTR (u32 id of
 *       the run attribute), _DESCRIPTION, _UNIT, _MIN_VALUE, _MAX_VALUE,
 *       _DEFAULT_VALUE (u64)
 *     NTCORRAL_A_METRIC_NAME       string [multi]  metrics a run records
 *
 * NTCORRAL_CMD_RUN (do; CAP_SYS_ADMIN): start a run. The reply comes at
 * once; the run goes on in the module, its progress and its result arrive
 * on the "runs" multicast group (below). Join the group before sending
 * RUN, or the result may come first.
 *   request:
 *     NTCORRAL_A_EXPERIMENT        string, required
 *     NTCORRAL_A_VARIANT           string, required
 *     NTCORRAL_A_ITERATIONS        u32     [1, NTCORRAL_MAX_ITERATIONS]
 *     NTCORRAL_A_CPUS              binary  CPU bitmap, array of u64 words in
 *                                          host order, bit n = CPU n; all
 *                                          CPUs set must be online. The
 *                                          lowest CPU is the initiator.
 *     NTCORRAL_A_HOLD_US           u32     work held inside the window
 *     NTCORRAL_A_DEADLINE_US       u32     bound on every spin of the run
 *     NTCORRAL_A_MAX_RUNTIME_MS    u32     bound on the whole run
 *     NTCORRAL_A_PCI_DEVICE        u32     (bus << 8) | devfn, domain 0, or
 *                                          NTCORRAL_PCI_DEVICE_NONE
 *     NTCORRAL_A_RATE_HZ           u32     interrupts per second per CPU of
 *                                          the simulated device
 *     NTCORRAL_A_WARMUP            u32     iterations run before the measured
 *                                          ones, not recorded (their
 *                                          violations and timeouts count)
 *     NTCORRAL_A_COOLDOWN          u32     iterations run after them, the same
 *     NTCORRAL_A_PHASE_STAMPS      u32     1: every metric; 0: the primary
 *                                          metric only, no clock read inside
 *                                          its window (the phase metrics are
 *                                          then empty)
 *     NTCORRAL_A_BURST             u32     items each interrupt produces
 *     NTCORRAL_A_BATCH             u32     iterations timed together, with two
 *                                          timestamps around all of them: the
 *                                          primary metric's sample is their
 *                                          mean, bookkeeping between them
 *                                          included; > 1 implies phase_stamps 0
 *   Every experiment takes ITERATIONS, CPUS, DEADLINE_US and MAX_RUNTIME_MS;
 *   the others only where its PARAM_INFO lists them (else EINVAL).
 *   reply: NTCORRAL_A_RUN_ID u64 (never 0), NTCORRAL_A_EXPERIMENT,
 *     NTCORRAL_A_VARIANT.
 *   errors, before the run starts: EINVAL (bad input, or parameters that cannot work together,
 *   e.g. a hold longer than a quarter of the deadline, with an extack
 *   message), ENOENT (unknown experiment or variant), EPERM, EBUSY (another
 *   run is in progress, or a CPU still owes the answer to an earlier corral
 *   or GainExclusivity), ESHUTDOWN (the module is being unloaded), ENOMEM.
 *   An error after the start comes in the run's RUN_RESULT instead.
 *
 * NTCORRAL_CMD_RUN_PROGRESS (notification on "runs", about five a second
 * while a run goes on)
 *   NTCORRAL_A_RUN_ID, NTCORRAL_A_EXPERIMENT, NTCORRAL_A_VARIANT
 *   NTCORRAL_A_DONE              u64  iterations done (warm-up and cool-down
 *                                     included); a device session: interrupts
 *   NTCORRAL_A_TOTAL             u64  what DONE counts up to
 *   NTCORRAL_A_ELAPSED_NS        u64  since the first iteration
 *   NTCORRAL_A_BUDGET_NS         u64  max_runtime_ms, in ns
 *
 * NTCORRAL_CMD_RUN_RESULT (notification on "runs", once per run; also the
 * reply of GET_RESULT)
 *   NTCORRAL_A_RUN_ID, then either the result layout below, with
 *   NTCORRAL_A_CANCELLED u32 (enum ntcorral_cancel) when a cancel ended it
 *   early, or, for a run that failed after it started:
 *   NTCORRAL_A_EXPERIMENT, NTCORRAL_A_VARIANT, NTCORRAL_A_ERROR u32 (a
 *   positive errno, as RUN's), NTCORRAL_A_ERROR_MESSAGE string.
 *
 * NTCORRAL_CMD_GET_RESULT (do; any user)
 *   request:  [NTCORRAL_A_RUN_ID]  only this run's
 *   reply: the attributes of the RUN_RESULT of the last run that finished.
 *   errors: ENOENT (no run finished since the module was loaded, or the
 *   last one is not RUN_ID), EINPROGRESS (RUN_ID has not finished yet).
 *
 * NTCORRAL_CMD_CANCEL (do; CAP_SYS_ADMIN)
 *   request:  [NTCORRAL_A_RUN_ID]  only if it is this run
 *   Ends the run in progress early; its RUN_RESULT follows with what it
 *   measured so far, TRUNCATED and CANCELLED. errors: ENOENT (no such run
 *   in progress).
 *
 * NTCORRAL_CMD_GET_STATS (dump; any user)
 *   request:  [NTCORRAL_A_EXPERIMENT] [NTCORRAL_A_VARIANT]
 *   reply, one message per experiment and variant, the result layout below
 *   with cumulative figures; percentiles there are log2-bucket estimates.
 *   Counters are summed over the runs, but for maxima and rates (max_batch,
 *   items_per_sec, events_per_sec): there, the highest of the runs.
 *
 * NTCORRAL_CMD_RESET_STATS (do; CAP_SYS_ADMIN)
 *   request:  [NTCORRAL_A_EXPERIMENT] [NTCORRAL_A_VARIANT]
 *
 * Result layout (RUN_RESULT and stats):
 *   NTCORRAL_A_EXPERIMENT, NTCORRAL_A_VARIANT   string
 *   NTCORRAL_A_RUNS             u64  runs counted (1 in a RUN_RESULT)
 *   NTCORRAL_A_ITERATIONS       u32  iterations asked for (RUN_RESULT only)
 *   NTCORRAL_A_SAMPLES          u64  iterations completed
 *   NTCORRAL_A_VIOLATIONS       u64  invariant violations
 *   NTCORRAL_A_TIMEOUTS         u64  deadlines hit
 *   NTCORRAL_A_TRUNCATED        flag the run ended early: its budget, a CPU
 *                                    that left, a deadline or a cancel
 *   NTCORRAL_A_NR_CPUS          u32  CPUs taking part (RUN_RESULT only)
 *   NTCORRAL_A_INITIATOR_CPU    u32  (RUN_RESULT only)
 *   NTCORRAL_A_CPUS             binary CPUs taking part (RUN_RESULT only)
 *   NTCORRAL_A_DURATION_NS      u64  wall time of the run(s)
 *   NTCORRAL_A_WARMUP, NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS,
 *   NTCORRAL_A_BATCH            u32  as run (RUN_RESULT, where taken); the
 *                                    primary metric then counts batches
 *   NTCORRAL_A_CLOCK_READ_NS    u64  cost of one timestamp, measured on the
 *                                    initiator before the run (RUN_RESULT)
 *   NTCORRAL_A_SAMPLE_OVERHEAD_NS u64 cost of an empty timed section: two
 *                                    timestamps and one recorded sample, the
 *                                    instrumentation every sample carries
 *                                    (RUN_RESULT)
 *   NTCORRAL_A_METRIC           nest [multi], the first is the primary one
 *     NTCORRAL_METRIC_A_NAME, _COUNT, _MIN_NS, _MEAN_NS, _P50_NS, _P90_NS,
 *     _P99_NS, _MAX_NS (u64), _HIST (binary: u64[NTCORRAL_HIST_BUCKETS])
 *   NTCORRAL_A_COUNTER          nest [multi]
 *     NTCORRAL_COUNTER_A_NAME, NTCORRAL_COUNTER_A_VALUE (u64)
 *
 * Every attribute space ends with __X_MAX and X_MAX (the highest id); no
 * attribute is itself named like that, so X_MAX is always the set's bound.
 *
 * Histogram bucket b counts samples v (ns) with fls64(v) == b, that is
 * bucket 0 holds 0 and bucket b >= 1 holds [2^(b-1), 2^b); the last bucket
 * also holds everything larger.
 */
#ifndef _UAPI_LINUX_NTCORRAL_H
#define _UAPI_LINUX_NTCORRAL_H

#define NTCORRAL_FAMILY_NAME	"ntcorral"
#define NTCORRAL_FAMILY_VERSION	2	/* 2: RUN starts, "runs" reports */
#define NTCORRAL_MCGRP_RUNS	"runs"

#define NTCORRAL_NAME_MAX		32	/* with the NUL */
#define NTCORRAL_MAX_CPUS		1024
#define NTCORRAL_CPUS_MAX_BYTES		(NTCORRAL_MAX_CPUS / 8)
#define NTCORRAL_HIST_BUCKETS		64

/* Run parameters: defaults and ranges. */
#define NTCORRAL_MIN_ITERATIONS		1
#define NTCORRAL_MAX_ITERATIONS		100000
#define NTCORRAL_DEFAULT_ITERATIONS	100
#define NTCORRAL_MAX_HOLD_US		10000
#define NTCORRAL_DEFAULT_HOLD_US	5
/*
 * Spins run with interrupts off on every CPU. The cap keeps the worst case
 * (arrival + release waits) far below the soft-lockup (20 s), hard-lockup
 * (10 s) and RCU-stall (21 s) limits.
 */
#define NTCORRAL_MIN_DEADLINE_US	100
#define NTCORRAL_MAX_DEADLINE_US	1000000
#define NTCORRAL_DEFAULT_DEADLINE_US	200000
#define NTCORRAL_MIN_RUNTIME_MS		10
#define NTCORRAL_MAX_RUNTIME_MS		30000
#define NTCORRAL_DEFAULT_RUNTIME_MS	10000
#define NTCORRAL_MIN_RATE_HZ		100
#define NTCORRAL_MAX_RATE_HZ		100000
#define NTCORRAL_DEFAULT_RATE_HZ	2000
#define NTCORRAL_MAX_WARMUP		10000	/* also the cool-down's cap */
#define NTCORRAL_DEFAULT_WARMUP		0
#define NTCORRAL_DEFAULT_COOLDOWN	0
#define NTCORRAL_DEFAULT_PHASE_STAMPS	1
#define NTCORRAL_MIN_BATCH		1
#define NTCORRAL_MAX_BATCH		1000
#define NTCORRAL_DEFAULT_BATCH		1
#define NTCORRAL_MIN_BURST		1
#define NTCORRAL_MAX_BURST		1024
#define NTCORRAL_DEFAULT_BURST		1
#define NTCORRAL_PCI_DEVICE_NONE	0x10000	/* no PCI access in the window */
#define NTCORRAL_MAX_PCI_DEVICE		NTCORRAL_PCI_DEVICE_NONE
#define NTCORRAL_DEFAULT_PCI_DEVICE	0x0000	/* 00:00.0 */

enum ntcorral_cmd {
	NTCORRAL_CMD_UNSPEC,
	NTCORRAL_CMD_LIST_EXPERIMENTS,
	NTCORRAL_CMD_RUN,
	NTCORRAL_CMD_GET_STATS,
	NTCORRAL_CMD_RESET_STATS,
	NTCORRAL_CMD_RUN_PROGRESS,
	NTCORRAL_CMD_RUN_RESULT,
	NTCORRAL_CMD_GET_RESULT,
	NTCORRAL_CMD_CANCEL,

	__NTCORRAL_CMD_MAX
};
#define NTCORRAL_CMD_MAX (__NTCORRAL_CMD_MAX - 1)

enum ntcorral_attr {
	NTCORRAL_A_UNSPEC,
	NTCORRAL_A_PAD,
	NTCORRAL_A_EXPERIMENT,		/* string */
	NTCORRAL_A_VARIANT,		/* string */
	NTCORRAL_A_ITERATIONS,		/* u32 */
	NTCORRAL_A_CPUS,		/* binary: u64 bitmap words */
	NTCORRAL_A_HOLD_US,		/* u32 */
	NTCORRAL_A_DEADLINE_US,		/* u32 */
	NTCORRAL_A_MAX_RUNTIME_MS,	/* u32 */
	NTCORRAL_A_PCI_DEVICE,		/* u32 */
	NTCORRAL_A_SEED,		/* string */
	NTCORRAL_A_DESCRIPTION,		/* string */
	NTCORRAL_A_VARIANT_INFO,	/* nest, multi */
	NTCORRAL_A_PARAM_INFO,		/* nest, multi */
	NTCORRAL_A_METRIC_NAME,		/* string, multi */
	NTCORRAL_A_RUNS,		/* u64 */
	NTCORRAL_A_SAMPLES,		/* u64 */
	NTCORRAL_A_VIOLATIONS,		/* u64 */
	NTCORRAL_A_TIMEOUTS,		/* u64 */
	NTCORRAL_A_TRUNCATED,		/* flag */
	NTCORRAL_A_NR_CPUS,		/* u32 */
	NTCORRAL_A_INITIATOR_CPU,	/* u32 */
	NTCORRAL_A_DURATION_NS,		/* u64 */
	NTCORRAL_A_METRIC,		/* nest, multi */
	NTCORRAL_A_COUNTER,		/* nest, multi */
	NTCORRAL_A_RATE_HZ,		/* u32 */
	NTCORRAL_A_WARMUP,		/* u32 */
	NTCORRAL_A_COOLDOWN,		/* u32 */
	NTCORRAL_A_PHASE_STAMPS,	/* u32: 0 or 1 */
	NTCORRAL_A_BURST,		/* u32 */
	NTCORRAL_A_CLOCK_READ_NS,	/* u64 */
	NTCORRAL_A_SAMPLE_OVERHEAD_NS,	/* u64 */
	NTCORRAL_A_BATCH,		/* u32 */
	NTCORRAL_A_RUN_ID,		/* u64 */
	NTCORRAL_A_DONE,		/* u64 */
	NTCORRAL_A_TOTAL,		/* u64 */
	NTCORRAL_A_ELAPSED_NS,		/* u64 */
	NTCORRAL_A_BUDGET_NS,		/* u64 */
	NTCORRAL_A_CANCELLED,		/* u32: enum ntcorral_cancel */
	NTCORRAL_A_ERROR,		/* u32: positive errno */
	NTCORRAL_A_ERROR_MESSAGE,	/* string */

	__NTCORRAL_A_MAX
};
#define NTCORRAL_A_MAX (__NTCORRAL_A_MAX - 1)

/* Why a run ended early, in RUN_RESULT's NTCORRAL_A_CANCELLED. */
enum ntcorral_cancel {
	NTCORRAL_CANCEL_NONE,
	NTCORRAL_CANCEL_REQUEST,	/* a CANCEL command */
	NTCORRAL_CANCEL_UNLOAD,		/* the module is being unloaded */
};

enum ntcorral_variant_attr {
	NTCORRAL_VARIANT_A_UNSPEC,
	NTCORRAL_VARIANT_A_NAME,	/* string */
	NTCORRAL_VARIANT_A_DESCRIPTION,	/* string */
	NTCORRAL_VARIANT_A_BASELINE,	/* flag: the kernel's own answer */
	NTCORRAL_VARIANT_A_WRONG,	/* flag: deliberately wrong */
	NTCORRAL_VARIANT_A_DEFECT,	/* flag: a documented, counted defect */
	NTCORRAL_VARIANT_A_REFUSED,	/* string: not run on this kernel: why */
	NTCORRAL_VARIANT_A_WAITS_IN_IRQ, /* flag: CPUs wait for CPUs in an interrupt */

	__NTCORRAL_VARIANT_A_MAX
};
#define NTCORRAL_VARIANT_A_MAX (__NTCORRAL_VARIANT_A_MAX - 1)

enum ntcorral_param_attr {
	NTCORRAL_PARAM_A_UNSPEC,
	NTCORRAL_PARAM_A_PAD,
	NTCORRAL_PARAM_A_NAME,		/* string, e.g. "hold_us" */
	NTCORRAL_PARAM_A_ATTR,		/* u32: enum ntcorral_attr of the run */
	NTCORRAL_PARAM_A_DESCRIPTION,	/* string */
	NTCORRAL_PARAM_A_UNIT,		/* string */
	NTCORRAL_PARAM_A_MIN_VALUE,	/* u64 */
	NTCORRAL_PARAM_A_MAX_VALUE,	/* u64 */
	NTCORRAL_PARAM_A_DEFAULT_VALUE,	/* u64 */

	__NTCORRAL_PARAM_A_MAX
};
#define NTCORRAL_PARAM_A_MAX (__NTCORRAL_PARAM_A_MAX - 1)

enum ntcorral_metric_attr {
	NTCORRAL_METRIC_A_UNSPEC,
	NTCORRAL_METRIC_A_PAD,
	NTCORRAL_METRIC_A_NAME,		/* string */
	NTCORRAL_METRIC_A_COUNT,	/* u64 */
	NTCORRAL_METRIC_A_MIN_NS,	/* u64 */
	NTCORRAL_METRIC_A_MEAN_NS,	/* u64 */
	NTCORRAL_METRIC_A_P50_NS,	/* u64 */
	NTCORRAL_METRIC_A_P90_NS,	/* u64 */
	NTCORRAL_METRIC_A_P99_NS,	/* u64 */
	NTCORRAL_METRIC_A_MAX_NS,	/* u64 */
	NTCORRAL_METRIC_A_HIST,		/* binary: u64[NTCORRAL_HIST_BUCKETS] */

	__NTCORRAL_METRIC_A_MAX
};
#define NTCORRAL_METRIC_A_MAX (__NTCORRAL_METRIC_A_MAX - 1)

enum ntcorral_counter_attr {
	NTCORRAL_COUNTER_A_UNSPEC,
	NTCORRAL_COUNTER_A_PAD,
	NTCORRAL_COUNTER_A_NAME,	/* string */
	NTCORRAL_COUNTER_A_VALUE,	/* u64 */

	__NTCORRAL_COUNTER_A_MAX
};
#define NTCORRAL_COUNTER_A_MAX (__NTCORRAL_COUNTER_A_MAX - 1)

#endif /* _UAPI_LINUX_NTCORRAL_H */
