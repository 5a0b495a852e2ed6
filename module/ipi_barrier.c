// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: the two-phase IPI barrier (seed 002-ipi-synchronization-barrier).
 *
 * Inside one KeIpiGenericCall, one blessed CPU runs phase 1 (in the thread:
 * patch code) while every other CPU waits at IPI_LEVEL; then every CPU runs
 * phase 2 (flush its instruction cache). Variants:
 *   counter       the thread's arrival counter: the last CPU to arrive runs
 *                 phase 1 and releases the others
 *   lockflag      the reply's compare-exchange lock plus a done flag,
 *                 with the lock's loop condition corrected (below); it
 *                 is fast because phase 1 does not wait for the others to
 *                 arrive, which is also its flaw: the counter
 *                 phase1_before_all_arrived shows how often the "code" was
 *                 patched while a CPU was not yet parked
 *   sense         a reusable sense-reversing barrier (nt.h), twice
 *   stop_machine  the two phases under stop_machine(), Linux's safe answer
 *   static_key    what the thread wanted: patch text and sync every CPU,
 *                 static_branch_enable/disable(), checked on every CPU
 *   bare_ipi      the baseline: an all-CPU IPI with an empty function
 *
 * The thread's own design released, from phase 1's CPU, a queued spin lock
 * that the initiator had acquired on its stack: an in-stack queued lock
 * handle belongs to its acquirer, and a lock released by another CPU than
 * its owner breaks every lock debugger (and on Linux, lockdep's owner
 * tracking). Only its arrival counter is ported; the release is a flag.
 *
 * The reply's acquire loop, while (ICE(&b, acquired, free) != acquired),
 * compares the old value with "acquired": it leaves whenever anyone holds
 * the lock, so it is no lock at all (every CPU but the first passes while
 * the first holds it; phase 1 can run on several CPUs at once, and phase 2
 * on one CPU before phase 1 ended on another). That is a one-character slip
 * (!= for ==), not an idiom with a cost worth measuring, and its only
 * verdict would be "phase 1 ran twice": lockflag waits until the exchange
 * returns "free", as the reply meant. Its real flaw is measured instead.
 *
 * Waiting inside an IPI handler can deadlock against another CPU that is
 * itself waiting, interrupts off, for one of ours (a concurrent cross-call
 * or stop_machine() from elsewhere in the kernel): every wait here has a
 * deadline, and such a deadlock shows up as a counted timeout.
 *
 * On arm64 the "code" is code: phase 1 rewrites a real instruction (below)
 * and phase 2 executes it on every CPU of the set.
 */

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#ifdef CONFIG_X86
#include <asm/sync_core.h>
#endif
#ifdef CONFIG_ARM64
#include <linux/vmalloc.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>
#endif

#include "ntcorral.h"
#include "nt.h"

enum ib_metric { IB_CALL, IB_ARRIVAL, IB_PHASE1, IB_NR_METRICS };

static const char *const ib_metrics[] = {
	[IB_CALL]	= "call",	/* whole call, as the initiator sees it */
	[IB_ARRIVAL]	= "arrival",	/* send -> the last CPU arrived */
	[IB_PHASE1]	= "phase1",	/* phase 1 start -> the others released */
};

enum ib_counter {
	IB_C_PHASE1_RUNS,
	IB_C_PHASE2_RUNS,
	IB_C_STALE_PHASE2,	/* a CPU's phase 2 did not see phase 1 */
	IB_C_BARRIER_TIMEOUTS,
	IB_C_KEY_MISMATCHES,
	IB_C_IRQL_VIOLATIONS,
	IB_C_PHASE1_EARLY,	/* phase 1 ran before every CPU had arrived */
	IB_NR_COUNTERS
};

static const char *const ib_counters[] = {
	[IB_C_PHASE1_RUNS]	= "phase1_runs",
	[IB_C_PHASE2_RUNS]	= "phase2_runs",
	[IB_C_STALE_PHASE2]	= "stale_phase2",
	[IB_C_BARRIER_TIMEOUTS]	= "barrier_timeouts",
	[IB_C_KEY_MISMATCHES]	= "static_key_mismatches",
	[IB_C_IRQL_VIOLATIONS]	= "irql_violations",
	[IB_C_PHASE1_EARLY]	= "phase1_before_all_arrived",
};

/* Per-CPU evidence of one iteration. */
struct ib_cpu {
	unsigned long arrived_gen;
	unsigned long phase2_gen;
	unsigned long seen;		/* what phase 2 read of phase 1's work */
	unsigned int phase2_runs;
	bool timed_out;
	bool key_seen;
};

static DEFINE_PER_CPU(struct ib_cpu, ib_cpus);

#define IB_PATCH_BYTES 64

/* The shared state of one iteration; one run at a time. */
static struct {
	unsigned long gen;
	int nr_cpus;
	int blessed;			/* stop_machine: the initiator */
	const struct cpumask *cpus;	/* stop_machine: the run's set */
	bool cpu_gone;			/* stop_machine: a CPU of it left */
	u64 deadline_ns;
	atomic_t arrived;		/* counter, and arrival timing */
	atomic_t phase1_runs;
	unsigned long phase1_done;	/* counter/lockflag release word */
	atomic_t lock;			/* lockflag: 0 free, 1 taken */
	bool done_flag;			/* lockflag: phase 1 has been done */
	bool phase1_early;
	struct ntc_barrier barrier;	/* sense */
	u64 t_arrived, t_phase1, t_release;
	bool stamps;			/* the run's phase_stamps */
	u8 patch[IB_PATCH_BYTES];	/* the "code" phase 1 patches */
} ib;

static DEFINE_STATIC_KEY_FALSE(ib_key);

#ifdef CONFIG_ARM64
#define IB_CODE_MOVZ	1	/* ntc_ib_code[1]: the instruction phase 1 patches */

/*
 * The module's text is read-only (STRICT_MODULE_RWX): phase 1 writes
 * through a writable, non-executable alias of the page, as the kernel's
 * own patch_map() does through a fixmap slot. Made at load, process
 * context; W^X holds on both mappings.
 */
static __le32 *ib_code_rw;

static int ib_code_init(void)
{
	struct page *page = vmalloc_to_page(ntc_ib_code);

	if (!page)
		return -ENOMEM;
	ib_code_rw = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	return ib_code_rw ? 0 : -ENOMEM;
}

static void ib_code_exit(void)
{
	vunmap(ib_code_rw);
}

/*
 * Phase 1, one CPU, every other CPU of the set parked outside the page:
 * MOVZ X0, #gen, then the maintenance the new instruction needs before any
 * CPU may fetch it: DC CVAU (the data cache cleaned to the point of
 * unification), DSB ISH, IC IVAU (every CPU's instruction cache in the
 * inner shareable domain invalidated for that line: the instruction is
 * broadcast), DSB ISH. What stays per CPU is phase 2's ISB.
 */
static void ib_code_patch(u16 gen)
{
	WRITE_ONCE(ib_code_rw[IB_CODE_MOVZ], cpu_to_le32(0xd2800000U | (u32)gen << 5));
	caches_clean_inval_pou((unsigned long)&ntc_ib_code[IB_CODE_MOVZ],
			       (unsigned long)&ntc_ib_code[IB_CODE_MOVZ + 1]);
}

/*
 * Phase 2, every CPU, after the acquire that saw phase 1's release: ISB
 * (context synchronization: instructions this CPU fetched before it are
 * refetched), then run the code. The kernel's aarch64_insn_patch_text_cb()
 * is the same two phases: one CPU patches and flushes, the others wait and
 * ISB. False: this CPU executed the old instruction.
 */
static bool ib_code_run(u16 gen)
{
	u64 (*code)(void) = (u64 (*)(void))ntc_ib_code;

	isb();
	return code() == gen;
}
#endif

/* A phase timestamp inside the call; none when the run times only it. */
static u64 ib_stamp(void)
{
	return ib.stamps ? ntc_now() : 0;
}

/* False: an injected fault says this CPU never arrives (a timeout). */
static bool ib_arrive(void)
{
	struct ib_cpu *me = this_cpu_ptr(&ib_cpus);

	ntc_irql_assert(IPI_LEVEL, IPI_LEVEL);
	if (ntc_fault_arrive()) {
		me->timed_out = true;
		return false;
	}
	WRITE_ONCE(me->arrived_gen, ib.gen);
	ntc_trace_arrive(ib.gen);
	if (atomic_inc_return(&ib.arrived) == ib.nr_cpus)
		WRITE_ONCE(ib.t_arrived, ib_stamp());
	return true;
}

/* Phase 1: "patch the code". Exactly one CPU per iteration. */
static void ib_phase1(void)
{
	WRITE_ONCE(ib.t_phase1, ib_stamp());
	atomic_inc(&ib.phase1_runs);
	/*
	 * Evidence, not an invariant of the seed: code patched while a CPU is
	 * not yet parked in the call may be patched under that CPU's feet.
	 */
	if (atomic_read(&ib.arrived) < ib.nr_cpus)
		ib.phase1_early = true;
	memset(ib.patch, (u8)ib.gen, sizeof(ib.patch));
#ifdef CONFIG_ARM64
	ib_code_patch((u16)ib.gen);
#endif
}

/* Phase 2: every CPU "syncs its instruction stream" and checks the patch. */
static void ib_phase2(void)
{
	struct ib_cpu *me = this_cpu_ptr(&ib_cpus);
	unsigned int i;
	u8 want = (u8)ib.gen;

	me->seen = ib.gen;
	for (i = 0; i < IB_PATCH_BYTES; i++)
		if (READ_ONCE(ib.patch[i]) != want)
			me->seen = 0;
#ifdef CONFIG_X86
	sync_core();
#endif
#ifdef CONFIG_ARM64
	if (!ib_code_run((u16)ib.gen))
		me->seen = 0;
#endif
	me->phase2_runs++;
	WRITE_ONCE(me->phase2_gen, ib.gen);
	ntc_trace_release(ib.gen);
}

static void ib_timed_out(void)
{
	this_cpu_ptr(&ib_cpus)->timed_out = true;
	ntc_trace_release(ib.gen);
}

/* The release word: release/acquire, phase 2 sees what phase 1 wrote. */
static void ib_release_others(void)
{
	WRITE_ONCE(ib.t_release, ib_stamp());
	/* Pairs with the acquire in ib_wait_release(). */
	smp_store_release(&ib.phase1_done, ib.gen);
}

/*
 * A waiting CPU outwaits the blessed one's own wait for arrivals (one
 * deadline) plus phase 1, so that a slow arrival is the blessed CPU's
 * timeout to report, not a spurious one of every early arriver.
 */
static bool ib_wait_release(void)
{
	u64 deadline = ntc_deadline(2 * ib.deadline_ns);

	/* Pairs with the release in ib_release_others(). */
	return ntc_spin_until(smp_load_acquire(&ib.phase1_done) == ib.gen,
			      deadline);
}

/* counter: the last to arrive is blessed. */
static void ib_counter_fn(void *unused)
{
	struct ib_cpu *me = this_cpu_ptr(&ib_cpus);

	ntc_irql_assert(IPI_LEVEL, IPI_LEVEL);
	if (ntc_fault_arrive()) {
		me->timed_out = true;
		return;
	}
	WRITE_ONCE(me->arrived_gen, ib.gen);
	ntc_trace_arrive(ib.gen);
	if (atomic_inc_return(&ib.arrived) == ib.nr_cpus) {
		WRITE_ONCE(ib.t_arrived, ib_stamp());
		ib_phase1();
		ib_release_others();
	} else if (!ib_wait_release()) {
		ib_timed_out();
		return;
	}
	ib_phase2();
}

/* lockflag: whoever takes the lock first runs phase 1. */
static void ib_lockflag_fn(void *unused)
{
	u64 deadline;

	if (!ib_arrive())
		return;
	deadline = ntc_deadline(ib.deadline_ns);
	if (!ntc_spin_until(atomic_cmpxchg_acquire(&ib.lock, 0, 1) == 0,
			    deadline)) {
		ib_timed_out();
		return;
	}
	if (!ib.done_flag) {
		ib_phase1();
		ib.done_flag = true;
		WRITE_ONCE(ib.t_release, ib_stamp());
	}
	/* InterlockedExchange: the next owner sees done_flag and the patch. */
	atomic_set_release(&ib.lock, 0);
	ib_phase2();
}

/* sense: barrier, the last one runs phase 1, barrier, phase 2. */
static void ib_sense_fn(void *unused)
{
	int ret;

	if (!ib_arrive())
		return;
	ret = ntc_barrier_wait(&ib.barrier);
	if (ret == 1) {
		ib_phase1();
		WRITE_ONCE(ib.t_release, ib_stamp());
	}
	if (ret < 0 || ntc_barrier_wait(&ib.barrier) < 0) {
		ib_timed_out();
		return;
	}
	ib_phase2();
}

/* stop_machine: every CPU stopped, the initiator is blessed. */
static int ib_stop_fn(void *unused)
{
	if (!ib_arrive() && smp_processor_id() != ib.blessed)
		return 0;
	if (smp_processor_id() == ib.blessed) {
		u64 deadline = ntc_deadline(ib.deadline_ns);

		/*
		 * stop_machine() holds hotplug off: a CPU of the set that
		 * went offline before it will never arrive. Say so and let
		 * everyone go, instead of a timeout per iteration.
		 */
		if (!cpumask_subset(ib.cpus, cpu_online_mask)) {
			ib.cpu_gone = true;
			ib_release_others();
			return 0;
		}
		/* stop_machine() already waited for everyone: this is quick. */
		if (!ntc_spin_until(atomic_read(&ib.arrived) == ib.nr_cpus,
				    deadline)) {
			ib_timed_out();
			ib_release_others();
			return 0;
		}
		ib_phase1();
		ib_release_others();
	} else if (!ib_wait_release()) {
		ib_timed_out();
		return 0;
	} else if (READ_ONCE(ib.cpu_gone)) {
		return 0;
	}
	ib_phase2();
	return 0;
}

static void ib_empty_fn(void *unused)
{
	if (ib_arrive())
		ntc_trace_release(ib.gen);
}

/* static_key: each CPU reports which way the branch goes now. */
static void ib_key_check_fn(void *unused)
{
	if (!ib_arrive())
		return;
	this_cpu_ptr(&ib_cpus)->key_seen = static_branch_unlikely(&ib_key);
	ntc_trace_release(ib.gen);
}

static void ib_arm(struct ntc_run *run)
{
	int cpu;

	ntc_trace_armed();
	ib.gen++;
	ib.nr_cpus = run->nr_cpus;
	ib.blessed = run->initiator;
	ib.cpus = run->p.cpus;
	ib.cpu_gone = false;
	ib.deadline_ns = run->deadline_ns;
	ib.stamps = run->p.phase_stamps;
	atomic_set(&ib.arrived, 0);
	atomic_set(&ib.phase1_runs, 0);
	atomic_set(&ib.lock, 0);
	ib.done_flag = false;
	ib.phase1_early = false;
	ntc_barrier_init(&ib.barrier, run->nr_cpus, run->deadline_ns);
	ib.t_arrived = 0;
	ib.t_phase1 = 0;
	ib.t_release = 0;
	for_each_cpu(cpu, run->p.cpus) {
		struct ib_cpu *c = per_cpu_ptr(&ib_cpus, cpu);

		c->phase2_runs = 0;
		c->timed_out = false;
	}
	/* Everything above before any CPU is sent into the call. */
	smp_mb();
}

/*
 * The invariants: phase 1 once, phase 2 once per CPU and after phase 1.
 * Returns 0 (a sample) or 1 (abandoned on a timeout, already counted).
 */
static int ib_check(struct ntc_run *run, bool two_phase)
{
	int cpu, timeouts = 0;

	for_each_cpu(cpu, run->p.cpus)
		timeouts += per_cpu_ptr(&ib_cpus, cpu)->timed_out;
	if (timeouts) {
		run->counters[IB_C_BARRIER_TIMEOUTS] += timeouts;
		ntc_run_timeout(run, "a CPU gave up waiting at the barrier");
		return 1;
	}
	for_each_cpu(cpu, run->p.cpus) {
		struct ib_cpu *c = per_cpu_ptr(&ib_cpus, cpu);

		if (c->arrived_gen != ib.gen)
			ntc_run_violation(run, "a CPU of the set never arrived in the call");
		if (!two_phase)
			continue;
		run->counters[IB_C_PHASE2_RUNS] += c->phase2_runs;
		if (c->phase2_runs != 1 || c->phase2_gen != ib.gen)
			ntc_run_violation(run, "a CPU did not run phase 2 exactly once");
		if (c->seen != ib.gen) {
			run->counters[IB_C_STALE_PHASE2]++;
			ntc_run_violation(run, "a CPU's phase 2 did not see phase 1's result");
		}
	}
	if (two_phase) {
		run->counters[IB_C_PHASE1_RUNS] += atomic_read(&ib.phase1_runs);
		run->counters[IB_C_PHASE1_EARLY] += ib.phase1_early;
		if (atomic_read(&ib.phase1_runs) != 1)
			ntc_run_violation(run, "phase 1 did not run exactly once");
	}
	return 0;
}

static void ib_record(u64 *sample, u64 t0, u64 t3)
{
	sample[IB_CALL] = t3 - t0;
	sample[IB_ARRIVAL] = ib.t_arrived > t0 ? ib.t_arrived - t0 : 0;
	sample[IB_PHASE1] = ib.t_release > ib.t_phase1 ? ib.t_release - ib.t_phase1 : 0;
}

static int ib_iterate_ipi(struct ntc_run *run, u64 *sample,
			  void (*fn)(void *), bool two_phase)
{
	u64 misses = ntc_irql_violations(), t0, t3;
	int ret;

	ib_arm(run);
	t0 = ntc_window_stamp(run);
	ntc_ipi_generic_call(run->p.cpus, fn, NULL);
	t3 = ntc_window_stamp(run);
	ret = ib_check(run, two_phase);
	run->counters[IB_C_IRQL_VIOLATIONS] += ntc_irql_violations() - misses;
	if (ret == 0)
		ib_record(sample, t0, t3);
	return ret;
}

static int ib_iterate_counter(struct ntc_run *run, u64 *sample)
{
	return ib_iterate_ipi(run, sample, ib_counter_fn, true);
}

static int ib_iterate_lockflag(struct ntc_run *run, u64 *sample)
{
	return ib_iterate_ipi(run, sample, ib_lockflag_fn, true);
}

static int ib_iterate_sense(struct ntc_run *run, u64 *sample)
{
	return ib_iterate_ipi(run, sample, ib_sense_fn, true);
}

static int ib_iterate_bare(struct ntc_run *run, u64 *sample)
{
	return ib_iterate_ipi(run, sample, ib_empty_fn, false);
}

static int ib_iterate_stop_machine(struct ntc_run *run, u64 *sample)
{
	u64 t0, t3;
	int ret;

	ib_arm(run);
	t0 = ntc_window_stamp(run);
	ret = stop_machine(ib_stop_fn, NULL, run->p.cpus);
	t3 = ntc_window_stamp(run);
	if (ret) {
		ntc_run_violation(run, "stop_machine() failed");
		return 1;
	}
	if (ib.cpu_gone)
		return -ENODEV;		/* run.c says so and ends the run */
	ret = ib_check(run, true);
	if (ret == 0)
		ib_record(sample, t0, t3);
	return ret;
}

/*
 * static_key: the text patching the thread hand-rolled, done by the
 * kernel: static_branch_enable/disable() rewrite the branch and make every
 * CPU execute the new instructions before returning. Then every CPU must
 * take the new branch. The flip takes the hotplug lock itself.
 */
static int ib_iterate_static_key(struct ntc_run *run, u64 *sample)
{
	bool want = !static_key_enabled(&ib_key);
	u64 t0, t1, t3;
	int cpu, ret;

	ib_arm(run);
	t0 = ntc_window_stamp(run);
	if (want)
		static_branch_enable(&ib_key);
	else
		static_branch_disable(&ib_key);
	t1 = ntc_phase_stamp(run);
	cpus_read_lock();
	if (!ntc_run_cpus_present(run)) {
		cpus_read_unlock();
		return -ENODEV;
	}
	ntc_ipi_generic_call(run->p.cpus, ib_key_check_fn, NULL);
	cpus_read_unlock();
	t3 = ntc_window_stamp(run);
	ret = ib_check(run, false);
	for_each_cpu(cpu, run->p.cpus) {
		struct ib_cpu *c = per_cpu_ptr(&ib_cpus, cpu);

		/* A CPU that never arrived (a counted timeout) saw nothing. */
		if (c->arrived_gen == ib.gen && c->key_seen != want) {
			run->counters[IB_C_KEY_MISMATCHES]++;
			ntc_run_violation(run, "a CPU took the old branch after the static key flip");
		}
	}
	if (ret == 0) {
		sample[IB_CALL] = t3 - t0;
		sample[IB_ARRIVAL] = ib.t_arrived > t1 ? ib.t_arrived - t1 : 0;
		sample[IB_PHASE1] = t1 - t0;
	}
	return ret;
}

static void ib_teardown(struct ntc_run *run)
{
	if (static_key_enabled(&ib_key))
		static_branch_disable(&ib_key);
}

static const struct ntc_variant ib_variants[] = {
	{
		.name = "counter",
		.description = "the thread's arrival counter: the last CPU to arrive runs phase 1 and releases the others (no cross-CPU lock hand-off)",
		.waits_in_irq = true,
		.iterate = ib_iterate_counter,
	},
	{
		.name = "lockflag",
		.description = "the reply's compare-exchange lock plus a done flag, its acquire loop corrected (as posted it exits whenever anyone holds the lock): whoever takes the lock first runs phase 1",
		.defect = true,
		.iterate = ib_iterate_lockflag,
	},
	{
		.name = "sense",
		.description = "a reusable sense-reversing barrier: barrier, the last arriver runs phase 1, barrier, phase 2",
		.waits_in_irq = true,
		.iterate = ib_iterate_sense,
	},
	{
		.name = "stop_machine",
		.description = "the two phases under stop_machine() on the run's CPUs, the initiator blessed",
		.holds_hotplug = true,
		.iterate = ib_iterate_stop_machine,
	},
	{
		.name = "static_key",
		.description = "what the thread wanted: static_branch_enable/disable() patch text and sync every CPU; each CPU checks the new branch",
		.holds_hotplug = true,
		.iterate = ib_iterate_static_key,
	},
	{
		.name = "bare_ipi",
		.description = "baseline: one all-CPU IPI (KeIpiGenericCall) with an empty function",
		.baseline = true,
		.iterate = ib_iterate_bare,
	},
};

const struct ntc_experiment ntc_ipi_barrier = {
	.name = "ipi_barrier",
	.seed = "002-ipi-synchronization-barrier",
	.description = "inside one all-CPU IPI, one blessed CPU runs phase 1 while the others wait, then every CPU runs phase 2",
	.variants = ib_variants,
	.nr_variants = ARRAY_SIZE(ib_variants),
	.metrics = ib_metrics,
	.nr_metrics = ARRAY_SIZE(ib_metrics),
	.counters = ib_counters,
	.nr_counters = ARRAY_SIZE(ib_counters),
	.params = NTC_TIMING_PARAMS,
	.teardown = ib_teardown,
#ifdef CONFIG_ARM64
	.init = ib_code_init,
	.exit = ib_code_exit,
#endif
};
