/* SPDX-License-Identifier: GPL-2.0 */
/* ntcorral: the module's internal interfaces (experiments, runs, stats). */
#ifndef _NTCORRAL_H
#define _NTCORRAL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/cpumask.h>
#include <linux/kcsan-checks.h>
#include <linux/mutex.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <ntcorral.h>

#define NTC_MAX_EXPERIMENTS	16
#define NTC_MAX_METRICS		4
#define NTC_MAX_COUNTERS	16

struct ntc_run;
struct sk_buff;

/*
 * A CPU's current chunk of a metric's sample array: the slots
 * [@next, @end) are its own, no other CPU writes them.
 */
struct ntc_metric_cpu {
	u32 next, end;
};

/* The timing-method parameters an iterated (not session) experiment takes. */
#define NTC_TIMING_PARAMS (BIT_ULL(NTCORRAL_A_WARMUP) |			\
			   BIT_ULL(NTCORRAL_A_COOLDOWN) |		\
			   BIT_ULL(NTCORRAL_A_PHASE_STAMPS) |		\
			   BIT_ULL(NTCORRAL_A_BATCH))

/* @x on a PREEMPT_RT kernel, NULL elsewhere: for a variant table entry. */
#define NTC_ON_PREEMPT_RT(x)	(IS_ENABLED(CONFIG_PREEMPT_RT) ? (x) : NULL)

/*
 * One way of doing an experiment's idiom. @iterate runs one iteration on the
 * initiator CPU, in a sleepable kthread bound to it, with CPU hotplug held
 * off (unless @holds_hotplug, or in a session: see device.h) and every CPU
 * of the run online. It fills @sample (ns, one per metric of the
 * experiment) and returns 0 when the iteration counts as a sample, 1 when
 * it was abandoned (a timeout, already counted) or a negative errno to
 * stop the run.
 */
struct ntc_variant {
	const char *name;
	const char *description;
	bool baseline;		/* the kernel's own answer: the yardstick */
	bool wrong;		/* deliberately wrong: its violations are the lesson */
	bool defect;		/* a literal port: a documented defect, counted */
	bool holds_hotplug;	/* @iterate holds CPU hotplug off itself */
	/*
	 * Its CPUs wait for CPUs that have not come yet inside an interrupt
	 * (an IPI, a DPC), interrupts off: it can catch a lock holder, and a
	 * CPU spinning for that lock with interrupts off then never comes
	 * before the deadline (README, "A corral that waits in an interrupt").
	 */
	bool waits_in_irq;
	/*
	 * Not run on this kernel: a RUN gets EINVAL with this sentence, and
	 * LIST says it. NULL: it runs.
	 */
	const char *refused;
	int (*iterate)(struct ntc_run *run, u64 *sample);
	/*
	 * The experiment's own description of this variant (its lock, its
	 * queue operations), as locktorture's lock types have: what makes
	 * the variants of one experiment differ, in its table entry.
	 */
	const void *ops;
};

struct ntc_experiment {
	const char *name;
	const char *seed;
	const char *description;
	const struct ntc_variant *variants;
	unsigned int nr_variants;
	const char *const *metrics;	/* the first is the primary one */
	unsigned int nr_metrics;
	const char *const *counters;
	unsigned int nr_counters;
	/*
	 * Counters that are a maximum or a rate, BIT(index): the cumulative
	 * stats keep the highest of the runs instead of adding them up.
	 */
	unsigned long counters_highest;
	/* Run attributes it uses beyond the common ones, BIT_ULL(attr). */
	u64 params;
	/*
	 * A session experiment's @iterate runs once, for the whole run, and
	 * records its own samples (ntc_run_metric_add(), run->samples);
	 * @max_samples sizes the metric arrays (default: the iterations).
	 */
	bool session;
	unsigned int (*max_samples)(const struct ntc_run *run);
	/*
	 * Parameters that cannot work together, refused before the run:
	 * -EINVAL with run->errmsg set to the sentence. @run has its
	 * parameters, initiator and nr_cpus.
	 */
	int (*check)(struct ntc_run *run);
	/*
	 * Under the run lock, before the run's thread is created: -EBUSY
	 * with run->errmsg while an earlier run's object is still in flight
	 * (a late CPU's DPC). Before the thread, because creating it needs
	 * kthreadd, which may be waiting on that very CPU.
	 */
	int (*admit)(struct ntc_run *run);
	/* Called before the first iteration / after the last, same context. */
	int (*setup)(struct ntc_run *run);
	void (*teardown)(struct ntc_run *run);
	/* Module load; and unload: wait until no CPU can run our code. */
	int (*init)(void);
	void (*exit)(void);
};

struct ntc_run_params {
	u32 iterations;
	u32 hold_us;
	u32 deadline_us;
	u32 max_runtime_ms;
	u32 pci_device;
	u32 rate_hz;
	u32 warmup, cooldown;	/* iterations around the measured ones */
	u32 phase_stamps;	/* 0: time the primary metric only */
	u32 batch;		/* iterations timed together, see run.c */
	u32 burst;
	cpumask_var_t cpus;
	bool cpus_online;	/* no set asked for: the CPUs online at the request */
};

struct ntc_run {
	u64 id;				/* never 0 once started */
	struct task_struct *task;	/* its thread */
	int cancel;			/* enum ntcorral_cancel, READ_ONCE */
	unsigned long next_progress;	/* jiffies: the next notification */
	u64 start_ns;			/* the first iteration's start */
	const struct ntc_experiment *exp;
	const struct ntc_variant *variant;
	struct ntc_run_params p;
	unsigned int initiator;
	unsigned int nr_cpus;
	u64 deadline_ns;

	/* Results, written by the run's kthread only. */
	u64 samples;
	u64 violations;
	u64 timeouts;
	bool truncated;
	u64 duration_ns;
	u64 clock_read_ns;		/* see ntc_run_measure_overhead() */
	u64 sample_overhead_ns;
	bool recording;			/* false in warm-up and cool-down */
	u64 *metric[NTC_MAX_METRICS];	/* see ntc_run_metric_add() */
	struct ntc_metric_cpu __percpu *metric_cpu[NTC_MAX_METRICS];
	atomic_t metric_len[NTC_MAX_METRICS];	/* slots handed out, in chunks */
	unsigned int metric_cap;	/* samples asked for, per metric */
	unsigned int metric_slots;	/* the arrays' size: cap + chunk slack */
	atomic_t metric_dropped;
	u64 counters[NTC_MAX_COUNTERS];
	int err;
	const char *errmsg;		/* extack text for @err */
	void *priv;			/* the experiment's own state */
};

/* What a run or the cumulative stats report for one metric. */
struct ntc_metric_summary {
	u64 count, min, mean, p50, p90, p99, max;
	u64 hist[NTCORRAL_HIST_BUCKETS];
};

struct ntc_report {
	const struct ntc_experiment *exp;
	const struct ntc_variant *variant;
	u64 runs, samples, violations, timeouts, duration_ns;
	bool truncated;
	const struct ntc_run *run;	/* set for a run's reply only */
	struct ntc_metric_summary metric[NTC_MAX_METRICS];
	u64 counters[NTC_MAX_COUNTERS];
};

/* registry.c */
extern const struct ntc_experiment *const ntc_experiments[];
extern const unsigned int ntc_nr_experiments;
const struct ntc_experiment *ntc_experiment_find(const char *name);
const struct ntc_variant *ntc_variant_find(const struct ntc_experiment *exp,
					   const char *name);
unsigned int ntc_experiment_index(const struct ntc_experiment *exp);

/* run.c */
struct ntc_run *ntc_run_alloc(void);
void ntc_run_free(struct ntc_run *run);
int ntc_run_start(struct ntc_run *run);
void ntc_run_go(struct ntc_run *run);
int ntc_run_cancel(u64 id, enum ntcorral_cancel why);
bool ntc_run_in_progress(u64 id);
void ntc_run_exit(void);
bool ntc_run_checkpoint(struct ntc_run *run, u64 done, u64 total);
void ntc_run_report(struct ntc_run *run, struct ntc_report *rep);
bool ntc_run_cpus_present(struct ntc_run *run);
void ntc_run_metric_add(struct ntc_run *run, unsigned int i, u64 value);
void ntc_run_violation(struct ntc_run *run, const char *what);
void ntc_run_timeout(struct ntc_run *run, const char *what);
int ntc_run_check_hold(struct ntc_run *run, u64 records_per_cpu,
		       u64 extra_records);

/*
 * Timestamps for the figures: one clock for every CPU, NMI-safe.
 *
 * The fast timekeeper is a seqcount latch: a reader may read a copy while
 * the timekeeper rewrites it (with memcpy(), which KCSAN does not see) and
 * then retries. 6.12's raw_read_seqcount_latch() does not tell KCSAN so
 * (6.13 does, "kcsan, seqlock: Support seqcount_latch_t"), and KCSAN
 * reports the reads as a race of unknown origin, from a CPU spinning with
 * interrupts off, where printing the report stalls the box for the length
 * of the serial line. The same annotation, around the call: no-ops
 * without KCSAN.
 */
static inline u64 ntc_now(void)
{
	u64 now;

	kcsan_nestable_atomic_begin();
	now = ktime_get_mono_fast_ns();
	kcsan_nestable_atomic_end();
	return now;
}

/*
 * A timestamp inside a measured window, for a phase metric: 0 (no clock
 * read) when the run times its primary metric only. Where the clock is
 * emulated a read costs as much as a short IPI; the lean mode keeps it out
 * of the figure being compared.
 */
static inline u64 ntc_phase_stamp(const struct ntc_run *run)
{
	return run->p.phase_stamps ? ntc_now() : 0;
}

/*
 * The primary metric's own timestamps around one iteration's window: none
 * when iterations are timed in batches, from outside (run.c).
 */
static inline u64 ntc_window_stamp(const struct ntc_run *run)
{
	return run->p.batch > 1 ? 0 : ntc_now();
}

/*
 * Deadlines use the same clock: it advances with interrupts off on every
 * CPU. (local_clock() does not: with an unstable TSC it is clamped to one
 * tick past the last tick this CPU took, and a spin with interrupts off
 * would never reach its deadline.)
 */
static inline u64 ntc_deadline(u64 ns)
{
	return ntc_now() + ns;
}

static inline bool ntc_past(u64 deadline)
{
	return ntc_now() > deadline;
}

/*
 * Spin until @cond holds (true) or @deadline from ntc_deadline() passed
 * (false, unless @cond held at the last look). The clock is read once
 * every 64 turns: where the clocksource is emulated (an HPET under QEMU
 * TCG) every read is a trip through the emulator's big lock, and a few
 * vCPUs reading it in a spin starve the very vCPU they wait for.
 */
#define ntc_spin_until(cond, deadline) ({				\
	unsigned int __turns = 0;					\
	bool __ok = true;						\
	while (!(cond)) {						\
		if (!(++__turns & 63) && ntc_past(deadline)) {		\
			__ok = !!(cond);				\
			break;						\
		}							\
		cpu_relax();						\
	}								\
	__ok;								\
})

/*
 * Busy for @ns, as the work done under a lock or in a corral is (hold_us):
 * a spin, so that it runs with whatever the caller holds off.
 */
static inline void ntc_busy_for(u64 ns)
{
	u64 until = ntc_deadline(ns);

	while (!ntc_past(until))
		cpu_relax();
}

/* trace.c: the trace events (trace.h), cheap while they are off */
void ntc_trace_armed(void);
void ntc_trace_arrive(unsigned long gen);
void ntc_trace_release(unsigned long gen);
void ntc_trace_run_start(const struct ntc_run *run);
void ntc_trace_run_end(const struct ntc_run *run);
void ntc_trace_verdict(const struct ntc_run *run, bool violation,
		       const char *what);
bool ntc_trace_queue_enabled(void);
void ntc_trace_queue(bool enqueue, unsigned int producer, u32 seq,
		     long depth);
void ntc_trace_device_irq(int cpu, u32 seq);

/* stats.c */
int ntc_stats_init(void);
void ntc_stats_exit(void);
unsigned int ntc_hist_bucket(u64 ns);
u64 ntc_hist_bucket_lo(unsigned int b);
u64 ntc_hist_bucket_hi(unsigned int b);
void ntc_summarize_samples(u64 *v, u64 n, struct ntc_metric_summary *s);
u64 ntc_hist_percentile(const u64 *hist, u64 count, u64 min, u64 max,
			unsigned int pct);
void ntc_stats_add_run(const struct ntc_run *run,
		       const struct ntc_report *rep);
void ntc_stats_report(const struct ntc_experiment *exp,
		      const struct ntc_variant *variant,
		      struct ntc_report *rep);
void ntc_stats_reset(const struct ntc_experiment *exp,
		     const struct ntc_variant *variant);

/* netlink.c */
int ntc_netlink_init(void);
void ntc_netlink_exit(void);
void ntc_netlink_run_progress(const struct ntc_run *run, u64 done, u64 total,
			      u64 elapsed_ns);
struct sk_buff *ntc_netlink_run_result(const struct ntc_run *run,
				       const struct ntc_report *rep);
void ntc_netlink_send_result(struct sk_buff *msg);

/* debugfs.c */
int ntc_debugfs_init(void);
void ntc_debugfs_exit(void);

/* The experiments */
extern const struct ntc_experiment ntc_shootdown;
extern const struct ntc_experiment ntc_ipi_barrier;
extern const struct ntc_experiment ntc_exclusivity;
extern const struct ntc_experiment ntc_spinlock;
extern const struct ntc_experiment ntc_interlocked_queue;
#ifdef CONFIG_ARM64
/* ipi_barrier_code.S: a page of text, MOVZ X0, #gen; RET (seed 002). */
extern const u32 ntc_ib_code[];
#endif

#endif /* _NTCORRAL_H */
