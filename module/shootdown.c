// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: processor shootdown (seed 000-processor-shootdown).
 *
 * The NT recipe: at DISPATCH_LEVEL, set a barrier to the number of other
 * processors, queue a DPC on each of them; each DPC raises to IPI_LEVEL - 1,
 * decrements the barrier and spins; the initiator waits for the barrier to
 * reach 0, does its work "with the machine half-dead" (raw PCI config
 * access), then releases everyone.
 *
 * Written against the mapping layer (nt.h): DISPATCH_LEVEL is
 * local_bh_disable(), IPI_LEVEL - 1 is local_irq_save(), a DPC targeted at
 * a processor is an IPI that schedules a tasklet on that CPU. The variants:
 *   dpc           the literal port (IPI -> tasklet -> spin)
 *   ipi           the corral held inside smp_call_function_many() handlers
 *   stop_machine  Linux's own answer, the baseline
 *
 * Two departures from the recipe as posted, both found by porting it:
 *  - It says each DPC spins "waiting for the barrier to become non-zero",
 *    but the barrier is non-zero until the last CPU arrives: every CPU but
 *    the last would leave at once. The release needs its own word; here it
 *    is released_gen, an iteration number, so that a CPU arriving after the
 *    initiator gave up (timeout) can tell and leave without spinning.
 *  - Every spin has a deadline. A CPU that never answers turns into a
 *    counted timeout, not a hung machine; its slot stays "pending" and no
 *    later corral targets it until it has answered.
 */

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/stop_machine.h>

#include "ntcorral.h"
#include "nt.h"

enum sd_metric { SD_WINDOW, SD_CORRAL, SD_WORK, SD_RELEASE, SD_NR_METRICS };

static const char *const sd_metrics[] = {
	[SD_WINDOW]	= "window",	/* request -> every CPU out again */
	[SD_CORRAL]	= "corral",	/* request -> every CPU arrived */
	[SD_WORK]	= "work",	/* all arrived -> release */
	[SD_RELEASE]	= "release",	/* release -> every CPU out */
};

enum sd_counter {
	SD_C_CORRALLED,		/* CPU-iterations seen corralled through the work */
	SD_C_WORK_RUNS,
	SD_C_PCI_READS,
	SD_C_PCI_MISMATCHES,
	SD_C_PCI_SKIPPED,	/* raw access not safe: the corral is partial */
	SD_C_LATE_ARRIVALS,
	SD_C_TARGET_TIMEOUTS,
	SD_C_ARRIVAL_TIMEOUTS,
	SD_C_EXIT_TIMEOUTS,
	SD_C_IRQL_VIOLATIONS,
	SD_C_OWED_ANSWERS,	/* CPUs the run waited for before it began */
	SD_NR_COUNTERS
};

static const char *const sd_counters[] = {
	[SD_C_CORRALLED]	= "corralled_cpus",
	[SD_C_WORK_RUNS]	= "work_runs",
	[SD_C_PCI_READS]	= "pci_reads",
	[SD_C_PCI_MISMATCHES]	= "pci_mismatches",
	[SD_C_PCI_SKIPPED]	= "pci_skipped",
	[SD_C_LATE_ARRIVALS]	= "late_arrivals",
	[SD_C_TARGET_TIMEOUTS]	= "target_timeouts",
	[SD_C_ARRIVAL_TIMEOUTS]	= "arrival_timeouts",
	[SD_C_EXIT_TIMEOUTS]	= "exit_timeouts",
	[SD_C_IRQL_VIOLATIONS]	= "irql_violations",
	[SD_C_OWED_ANSWERS]	= "owed_answers_awaited",
};

/* One per CPU, for the module's lifetime: in-flight IPIs may point at it. */
struct sd_slot {
	struct ntc_dpc dpc;		/* dpc: RaiseIrqlAndWait's KDPC */
#ifdef NTC_HAVE_BH_WORK
	struct ntc_dpc dpc_bh;		/* dpc_bh: the same on a BH workqueue */
#endif
	unsigned long gen;		/* iteration this CPU was queued for */
	unsigned long arrived_gen;	/* evidence: entered the corral */
	unsigned long left_gen;		/* evidence: left the corral */
	unsigned long timed_out_gen;	/* left on its deadline, the work on */
	atomic_t pending;		/* queued, not yet out of the corral */
};

static DEFINE_PER_CPU_ALIGNED(struct sd_slot, sd_slots);

/*
 * NT's barrier, counting down to 0, tagged with the iteration it counts:
 * (u32)gen << 32 | CPUs still to arrive. A target arrives only into its own
 * iteration (one compare-exchange), so an answer owed to an abandoned
 * corral can never count in a later one.
 */
#define SD_BARRIER_LEFT		GENMASK_ULL(31, 0)

static u64 sd_barrier_word(unsigned long gen, unsigned int left)
{
	return (u64)(u32)gen << 32 | left;
}

/* The corral itself; one run at a time uses it. */
static struct {
	atomic64_t barrier;
	unsigned long gen;		/* current iteration */
	unsigned long released_gen;	/* the release word */
	u64 target_deadline_ns;
	atomic_t late_arrivals;
	atomic_t target_timeouts;
	atomic_t state;			/* SD_ARMED, SD_WORKING, SD_ABORTED */
	unsigned int work_runs;		/* initiator only */
	int work_cpu;
} sd_corral;

/* Per-run state, run->priv. */
struct sd_state {
	cpumask_var_t targets;		/* the run's CPUs but the initiator */
	unsigned int nr_targets;
	u64 hold_ns;
	struct pci_dev *pdev;		/* NULL: the work is a timed hold */
	u32 pci_api_value;
	u64 t1, t2;			/* stop_machine: set inside the window */
	u64 irql_misses;		/* ntc_irql_violations() at sd_arm() */
	int fatal;
};

static struct sd_slot *sd_slot_of(int cpu)
{
	return per_cpu_ptr(&sd_slots, cpu);
}

/*
 * The release word. Release/acquire: a CPU that sees its iteration released
 * also sees everything the initiator did in the window.
 */
static void sd_release(unsigned long gen)
{
	/* Pairs with the acquire in sd_released(). */
	smp_store_release(&sd_corral.released_gen, gen);
}

/*
 * Released, or stale: the release word has reached @gen, or a later
 * iteration has begun (a target that took so long its corral is gone).
 */
static bool sd_released(unsigned long gen)
{
	/* Pairs with the release in sd_release(). */
	return (long)(smp_load_acquire(&sd_corral.released_gen) - gen) >= 0 ||
	       READ_ONCE(sd_corral.gen) != gen;
}

/* InterlockedDecrement of the barrier, if it still counts @gen. */
static bool sd_arrive(unsigned long gen)
{
	s64 old = atomic64_read(&sd_corral.barrier);

	do {
		if ((u64)old >> 32 != (u32)gen || !(old & SD_BARRIER_LEFT))
			return false;
		/* A full barrier, as InterlockedDecrement is. */
	} while (!atomic64_try_cmpxchg(&sd_corral.barrier, &old, old - 1));
	return true;
}

/*
 * Who wins when a wait runs out: a target giving up and the initiator
 * starting the work exclude each other through one word per iteration.
 * Without it a stalled initiator (a vCPU descheduled by the host) could see
 * "all arrived" after the first arrivals had given up, and do its work with
 * CPUs out of the corral; running the late-CPU fault showed exactly that.
 */
enum { SD_ARMED, SD_WORKING, SD_ABORTED };

/* How long a target outwaits work that has begun, beyond its deadline. */
#define SD_WORK_GRACE_NS	((u64)NTCORRAL_MAX_DEADLINE_US * NSEC_PER_USEC)

/* A target's deadline passed: true if it may leave (nothing has begun). */
static bool sd_give_up(unsigned long gen)
{
	int state;

	/* Its iteration is over: the state word is another's now. */
	if (READ_ONCE(sd_corral.gen) != gen)
		return true;
	state = atomic_cmpxchg(&sd_corral.state, SD_ARMED, SD_ABORTED);

	if (state == SD_WORKING)
		return false;
	atomic_inc(&sd_corral.target_timeouts);
	return true;
}

/* The initiator, everyone arrived: true if no target gave up first. */
static bool sd_begin_work(void)
{
	return atomic_cmpxchg(&sd_corral.state, SD_ARMED, SD_WORKING) == SD_ARMED;
}

/*
 * A corralled CPU: what the DPC routine does in the recipe. Runs on a
 * target CPU from a tasklet (dpc; on PREEMPT_RT from the IPI), a BH work
 * item (dpc_bh), an IPI handler (ipi) or a stopper (stop_machine).
 */
static void sd_corralled(struct sd_slot *slot)
{
	unsigned long gen = READ_ONCE(slot->gen);
	struct ntc_irql_saved irql;
	u64 deadline;

	/* DPC, IPI handler or stopper: never below DISPATCH_LEVEL. */
	ntc_irql_assert(DISPATCH_LEVEL, IPI_LEVEL);
	/*
	 * Raise to IPI_LEVEL - 1: only NMIs can reach this CPU now. A stopper
	 * already runs with interrupts off (IPI_LEVEL): raising is never down.
	 */
	ntc_irql_raise(max_t(enum ntc_irql, ntc_irql_current(), IPI_LEVEL - 1),
		       &irql);
	if (ntc_fault_arrive())
		goto out;	/* injected: this CPU never arrives */
	/* After any delay: is our iteration still the current one? */
	WRITE_ONCE(slot->arrived_gen, gen);
	if (sd_released(gen) || !sd_arrive(gen)) {
		/* The initiator gave up waiting for us, or moved on. */
		atomic_inc(&sd_corral.late_arrivals);
		goto out;
	}
	ntc_trace_arrive(gen);

	deadline = ntc_deadline(READ_ONCE(sd_corral.target_deadline_ns));
	if (!ntc_spin_until(sd_released(gen), deadline) && !sd_give_up(gen)) {
		/*
		 * Too late to give up: the work has begun. It is bounded by
		 * the hold, but an emulated initiator can be descheduled in
		 * the middle of it: see it out, with a second's grace.
		 */
		deadline = ntc_deadline(READ_ONCE(sd_corral.target_deadline_ns) +
					SD_WORK_GRACE_NS);
		if (!ntc_spin_until(sd_released(gen), deadline)) {
			atomic_inc(&sd_corral.target_timeouts);
			WRITE_ONCE(slot->timed_out_gen, gen);
		}
	}
	/* Pairs with the acquire in sd_check_corralled(): left after the work. */
	smp_store_release(&slot->left_gen, gen);
	ntc_trace_release(gen);
out:
	ntc_irql_lower(&irql);
	/* Last touch of the slot: from here the initiator may reuse it. */
	atomic_set_release(&slot->pending, 0);
}

/* RaiseCPUIrqlAndWait, the DPC routine. */
static void sd_dpc_routine(struct ntc_dpc *dpc, void *context, void *arg1,
			   void *arg2)
{
	sd_corralled(context);
}

static void sd_ipi_fn(void *info)
{
	sd_corralled(this_cpu_ptr(&sd_slots));
}

#ifdef CONFIG_X86
/*
 * Configuration mechanism #1, by hand: the access the thread needed the
 * machine half-dead for. 0xCF8/0xCFC is one shared index/data pair, so
 * nothing else may touch it in between: every other CPU is corralled with
 * interrupts off and so is this one.
 */
static u32 sd_pci_conf1_read(unsigned int bus, unsigned int devfn,
			     unsigned int reg)
{
	outl(0x80000000U | (bus << 16) | (devfn << 8) | (reg & 0xfc), 0xcf8);
	return inl(0xcfc);
}

static u32 sd_pci_raw_read(struct pci_dev *pdev)
{
	return sd_pci_conf1_read(pdev->bus->number, pdev->devfn, 0);
}
#elif defined(CONFIG_ARM64)
/*
 * arm64 has no port I/O and no index/data pair: the host bridge maps
 * configuration space into memory (ECAM on QEMU's virt, gpex). The raw
 * access is the bridge's own address computation, pci_ops->map_bus (on the
 * generic ECAM host pci_ecam_map_bus(), arithmetic only, fine with
 * interrupts off), and one MMIO read, bypassing pci_lock and the
 * accessors. A single ECAM read needs no corral: the window protects
 * nothing here, which is the finding. (A bridge whose map_bus reprograms
 * a shared window, as some do for buses behind the root, would need it
 * again.) sd_setup() takes no device from a bridge without map_bus.
 */
static u32 sd_pci_raw_read(struct pci_dev *pdev)
{
	void __iomem *addr = pdev->bus->ops->map_bus(pdev->bus, pdev->devfn, 0);

	return addr ? readl(addr) : ~0U;
}
#endif

static int sd_iterate_stop_machine(struct ntc_run *run, u64 *sample);

/*
 * Raw 0xCF8/0xCFC access is only safe when no CPU outside the corral can be
 * in the middle of its own config access: the run's set is every online CPU
 * (decided now, inside the window: hotplug is held off, and a CPU onlined
 * since the last iteration is outside the corral), or stop_machine, which
 * stops every online CPU whatever the set. arm64's ECAM read keeps the
 * same rule, so that pci_reads and pci_skipped mean the same on both.
 */
static bool sd_raw_pci_safe(struct ntc_run *run)
{
	return run->variant->iterate == sd_iterate_stop_machine ||
	       cpumask_equal(run->p.cpus, cpu_online_mask);
}

/* The work, on the initiator, inside the window, interrupts off. */
static void sd_work(struct ntc_run *run, struct sd_state *st)
{
	sd_corral.work_runs++;
	sd_corral.work_cpu = smp_processor_id();
#if defined(CONFIG_X86) || defined(CONFIG_ARM64)
	if (st->pdev && sd_raw_pci_safe(run)) {
		u32 raw = sd_pci_raw_read(st->pdev);

		run->counters[SD_C_PCI_READS]++;
		if (raw != st->pci_api_value) {
			run->counters[SD_C_PCI_MISMATCHES]++;
			ntc_run_violation(run, "raw PCI config read differs from pci_read_config_dword()");
		}
	}
#endif
	if (st->pdev && !sd_raw_pci_safe(run))
		run->counters[SD_C_PCI_SKIPPED]++;
	ntc_busy_for(st->hold_ns);
}

/* Evidence that every target is in the corral right now. */
static void sd_check_corralled(struct ntc_run *run, struct sd_state *st,
			       unsigned long gen, const char *when)
{
	int cpu;

	for_each_cpu(cpu, st->targets) {
		struct sd_slot *slot = sd_slot_of(cpu);

		if (READ_ONCE(slot->arrived_gen) != gen)
			ntc_run_violation(run, when[0] == 'b' ?
					  "a CPU was not in the corral when the work started" :
					  "a CPU was not in the corral when the work ended");
		/* Pairs with the release in sd_corralled(). */
		else if (smp_load_acquire(&slot->left_gen) != gen)
			continue;
		/* Gone on its deadline: a timeout (counted by sd_finish()). */
		else if (READ_ONCE(slot->timed_out_gen) != gen)
			ntc_run_violation(run, "a CPU left the corral during the window");
	}
}

static bool sd_wait_arrivals(struct ntc_run *run)
{
	u64 deadline = ntc_deadline(run->deadline_ns);

	return ntc_spin_until(!(atomic64_read_acquire(&sd_corral.barrier) &
				SD_BARRIER_LEFT), deadline);
}

/* Wait until no target can still touch its slot. */
static bool sd_wait_exits(struct ntc_run *run, struct sd_state *st)
{
	u64 deadline = ntc_deadline(run->deadline_ns);
	int cpu;

	for_each_cpu(cpu, st->targets)
		if (!ntc_spin_until(!atomic_read_acquire(&sd_slot_of(cpu)->pending),
				    deadline))
			return false;
	return true;
}

/* Arm the barrier and the slots for a new iteration; returns its number. */
static unsigned long sd_arm(struct sd_state *st)
{
	unsigned long gen = ++sd_corral.gen;
	int cpu;

	st->irql_misses = ntc_irql_violations();
	sd_corral.work_runs = 0;
	sd_corral.work_cpu = -1;
	atomic64_set(&sd_corral.barrier, sd_barrier_word(gen, st->nr_targets));
	atomic_set(&sd_corral.state, SD_ARMED);
	for_each_cpu(cpu, st->targets) {
		struct sd_slot *slot = sd_slot_of(cpu);

		WRITE_ONCE(slot->gen, gen);
		atomic_set(&slot->pending, 1);
	}
	ntc_trace_armed();
	/* Slots and barrier are visible before any target can run. */
	smp_mb();
	return gen;
}

/*
 * A target that went offline between sd_arm() and stop_machine() will never
 * run its part; nothing else can hold its slot, so clear it.
 */
static void sd_disarm_offline(struct sd_state *st)
{
	int cpu;

	for_each_cpu(cpu, st->targets)
		if (!cpu_online(cpu))
			atomic_set_release(&sd_slot_of(cpu)->pending, 0);
}

/* The window, on the initiator, from "all arrived" to the release. */
static void sd_window(struct ntc_run *run, struct sd_state *st,
		      unsigned long gen)
{
	struct ntc_irql_saved irql;

	/* Interrupts off here too (stop_machine has them off already). */
	ntc_irql_raise(max_t(enum ntc_irql, ntc_irql_current(), IPI_LEVEL - 1),
		       &irql);
	st->t1 = ntc_phase_stamp(run);
	sd_check_corralled(run, st, gen, "before");
	sd_work(run, st);
	sd_check_corralled(run, st, gen, "after");
	st->t2 = ntc_phase_stamp(run);
	ntc_irql_lower(&irql);
	sd_release(gen);
}

/*
 * After the release: every target left, the barrier is idle, the work ran
 * once on the initiator. Returns 0 (a sample), 1 (abandoned) or -ETIMEDOUT.
 */
static int sd_finish(struct ntc_run *run, struct sd_state *st,
		     unsigned long gen, bool arrived, int late0, int tmo0)
{
	int cpu, late, tmo;

	run->counters[SD_C_IRQL_VIOLATIONS] += ntc_irql_violations() - st->irql_misses;
	if (!sd_wait_exits(run, st)) {
		run->counters[SD_C_EXIT_TIMEOUTS]++;
		ntc_run_timeout(run, "a CPU did not leave the corral; stopping the run");
		return -ETIMEDOUT;
	}
	late = atomic_read(&sd_corral.late_arrivals) - late0;
	tmo = atomic_read(&sd_corral.target_timeouts) - tmo0;
	run->counters[SD_C_LATE_ARRIVALS] += late;
	run->counters[SD_C_TARGET_TIMEOUTS] += tmo;
	if (tmo)
		ntc_run_timeout(run, "a corralled CPU gave up waiting for the release");
	if (!arrived)
		return 1;

	for_each_cpu(cpu, st->targets)
		if (READ_ONCE(sd_slot_of(cpu)->left_gen) != gen)
			ntc_run_violation(run, "a CPU has no record of leaving the corral");
	if (atomic64_read(&sd_corral.barrier) != sd_barrier_word(gen, 0))
		ntc_run_violation(run, "the barrier did not return to idle");
	if (sd_corral.work_runs != 1 || sd_corral.work_cpu != run->initiator)
		ntc_run_violation(run, "the work did not run exactly once on the initiator");
	run->counters[SD_C_WORK_RUNS] += sd_corral.work_runs;
	run->counters[SD_C_CORRALLED] += st->nr_targets;
	return tmo ? 1 : 0;
}

static void sd_read_api_value(struct sd_state *st)
{
	if (st->pdev)
		pci_read_config_dword(st->pdev, 0, &st->pci_api_value);
}

static void sd_record(u64 *sample, u64 t0, struct sd_state *st, u64 t3)
{
	sample[SD_WINDOW] = t3 - t0;
	sample[SD_CORRAL] = st->t1 - t0;
	sample[SD_WORK] = st->t2 - st->t1;
	sample[SD_RELEASE] = t3 - st->t2;
}

enum sd_send { SD_SEND_DPC, SD_SEND_DPC_BH, SD_SEND_IPI };

static struct ntc_dpc *sd_dpc_of(int cpu, enum sd_send how)
{
#ifdef NTC_HAVE_BH_WORK
	if (how == SD_SEND_DPC_BH)
		return &sd_slot_of(cpu)->dpc_bh;
#endif
	return &sd_slot_of(cpu)->dpc;
}

/* dpc, dpc_bh and ipi: the initiator corrals from DISPATCH_LEVEL. */
static int sd_iterate_targeted(struct ntc_run *run, u64 *sample,
			       enum sd_send how)
{
	struct sd_state *st = run->priv;
	int late0, tmo0, cpu, ret;
	struct ntc_irql_saved irql;
	unsigned long gen;
	bool arrived;
	u64 t0, t3;

	sd_read_api_value(st);
	late0 = atomic_read(&sd_corral.late_arrivals);
	tmo0 = atomic_read(&sd_corral.target_timeouts);

	ntc_irql_raise(DISPATCH_LEVEL, &irql);
	gen = sd_arm(st);
	t0 = ntc_window_stamp(run);
	if (how != SD_SEND_IPI) {
		for_each_cpu(cpu, st->targets) {
			struct ntc_dpc *d = sd_dpc_of(cpu, how);

			ntc_dpc_set_target(d, cpu);
			if (!ntc_dpc_queue(d, NULL, NULL))
				ntc_run_violation(run, "KeInsertQueueDpc refused: DPC still queued");
		}
	} else {
		smp_call_function_many(st->targets, sd_ipi_fn, NULL, false);
	}
	arrived = sd_wait_arrivals(run) && sd_begin_work();
	if (arrived) {
		sd_window(run, st, gen);
	} else {
		run->counters[SD_C_ARRIVAL_TIMEOUTS]++;
		ntc_run_timeout(run, "not every CPU arrived in the corral");
		sd_release(gen);
	}
	ret = sd_finish(run, st, gen, arrived, late0, tmo0);
	t3 = ntc_window_stamp(run);
	ntc_irql_lower(&irql);

	if (ret == 0)
		sd_record(sample, t0, st, t3);
	return ret;
}

static int sd_iterate_dpc(struct ntc_run *run, u64 *sample)
{
	return sd_iterate_targeted(run, sample, SD_SEND_DPC);
}

#ifdef NTC_HAVE_BH_WORK
static int sd_iterate_dpc_bh(struct ntc_run *run, u64 *sample)
{
	return sd_iterate_targeted(run, sample, SD_SEND_DPC_BH);
}
#endif

static int sd_iterate_ipi(struct ntc_run *run, u64 *sample)
{
	return sd_iterate_targeted(run, sample, SD_SEND_IPI);
}

struct sd_stop_ctx {
	struct ntc_run *run;
	unsigned long gen;
	bool arrived;
	bool cpu_gone;
};

static int sd_stop_fn(void *data)
{
	struct sd_stop_ctx *ctx = data;
	struct ntc_run *run = ctx->run;

	if (smp_processor_id() != run->initiator) {
		sd_corralled(this_cpu_ptr(&sd_slots));
		return 0;
	}
	/* stop_machine() holds hotplug off: check the set once, here. */
	if (!cpumask_subset(run->p.cpus, cpu_online_mask)) {
		ctx->cpu_gone = true;
		sd_release(ctx->gen);
		return 0;
	}
	ctx->arrived = sd_wait_arrivals(run) && sd_begin_work();
	if (ctx->arrived)
		sd_window(run, run->priv, ctx->gen);
	else
		sd_release(ctx->gen);
	return 0;
}

static int sd_iterate_stop_machine(struct ntc_run *run, u64 *sample)
{
	struct sd_state *st = run->priv;
	struct sd_stop_ctx ctx = { .run = run };
	int late0, tmo0, ret;
	u64 t0, t3;

	sd_read_api_value(st);
	late0 = atomic_read(&sd_corral.late_arrivals);
	tmo0 = atomic_read(&sd_corral.target_timeouts);
	ctx.gen = sd_arm(st);
	t0 = ntc_window_stamp(run);
	ret = stop_machine(sd_stop_fn, &ctx, run->p.cpus);
	if (ret) {
		ntc_run_violation(run, "stop_machine() failed");
		sd_release(ctx.gen);
	}
	if (ctx.cpu_gone) {
		/* Targets that went offline never armed-off their slot. */
		sd_disarm_offline(st);
		pr_info("shootdown/stop_machine: a CPU of the run went offline; stopping early\n");
		return -ENODEV;
	}
	if (!ctx.arrived) {
		run->counters[SD_C_ARRIVAL_TIMEOUTS]++;
		ntc_run_timeout(run, "not every CPU arrived in the corral");
	}
	ret = sd_finish(run, st, ctx.gen, ctx.arrived, late0, tmo0);
	t3 = ntc_window_stamp(run);
	if (ret == 0)
		sd_record(sample, t0, st, t3);
	return ret;
}

/*
 * Any CPU, in the run's set or not, that still owes an answer to an earlier
 * corral could arrive during this run: wait for it, sleeping, a second
 * longer than the longest injected delay, then refuse. Each CPU waited for
 * is counted: the figure shows a test that the run began while one owed.
 */
#define SD_ANSWER_WAIT_MS	(NTC_FAULT_MAX_DELAY_US / USEC_PER_MSEC + MSEC_PER_SEC)

static bool sd_wait_answered(struct ntc_run *run)
{
	unsigned long until = jiffies + msecs_to_jiffies(SD_ANSWER_WAIT_MS);
	int cpu;

	for_each_possible_cpu(cpu) {
		if (atomic_read_acquire(&sd_slot_of(cpu)->pending))
			run->counters[SD_C_OWED_ANSWERS]++;
		while (atomic_read_acquire(&sd_slot_of(cpu)->pending)) {
			if (time_after(jiffies, until))
				return false;
			usleep_range(1000, 2000);
		}
	}
	return true;
}

static int sd_setup(struct ntc_run *run)
{
	struct sd_state *st;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st || !zalloc_cpumask_var(&st->targets, GFP_KERNEL)) {
		kfree(st);
		run->errmsg = "no memory for the corral";
		return -ENOMEM;
	}
	cpumask_copy(st->targets, run->p.cpus);
	cpumask_clear_cpu(run->initiator, st->targets);
	st->nr_targets = cpumask_weight(st->targets);
	st->hold_ns = (u64)run->p.hold_us * NSEC_PER_USEC;

	if (!sd_wait_answered(run)) {
		free_cpumask_var(st->targets);
		kfree(st);
		run->errmsg = "a CPU has not yet answered an earlier corral";
		return -EBUSY;
	}
	if ((IS_ENABLED(CONFIG_X86) || IS_ENABLED(CONFIG_ARM64)) &&
	    IS_ENABLED(CONFIG_PCI) &&
	    run->p.pci_device != NTCORRAL_PCI_DEVICE_NONE)
		st->pdev = pci_get_domain_bus_and_slot(0, run->p.pci_device >> 8,
						       run->p.pci_device & 0xff);
	if (IS_ENABLED(CONFIG_ARM64) && st->pdev && !st->pdev->bus->ops->map_bus) {
		pci_dev_put(st->pdev);
		st->pdev = NULL;
	}

	/* A target outwaits the initiator's own deadline plus the work. */
	WRITE_ONCE(sd_corral.target_deadline_ns, 2 * run->deadline_ns + st->hold_ns);
	run->priv = st;
	return 0;
}

static void sd_teardown(struct ntc_run *run)
{
	struct sd_state *st = run->priv;

	pci_dev_put(st->pdev);
	free_cpumask_var(st->targets);
	kfree(st);
	run->priv = NULL;
}

static int sd_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct sd_slot *slot = sd_slot_of(cpu);

		ntc_dpc_init(&slot->dpc, sd_dpc_routine, slot);
#ifdef NTC_HAVE_BH_WORK
		ntc_dpc_init(&slot->dpc_bh, sd_dpc_routine, slot);
		ntc_dpc_use_bh_work(&slot->dpc_bh);
#endif
	}
	return 0;
}

/*
 * Unload: a CPU that missed every deadline may still owe us a DPC or an IPI
 * handler; our text must outlive it. Waiting here blocks rmmod, not a CPU.
 */
static void sd_exit(void)
{
	unsigned int waited = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct sd_slot *slot = sd_slot_of(cpu);

		while (atomic_read_acquire(&slot->pending)) {
			if (waited++ == 100)
				pr_warn("!!! unload waits for CPU %d to leave an old corral\n", cpu);
			usleep_range(10000, 20000);
		}
		while (!ntc_dpc_flush(&slot->dpc, 1000))
			pr_warn("!!! unload waits for CPU %d's DPC\n", cpu);
#ifdef NTC_HAVE_BH_WORK
		while (!ntc_dpc_flush(&slot->dpc_bh, 1000))
			pr_warn("!!! unload waits for CPU %d's BH-work DPC\n", cpu);
#endif
	}
}

static const struct ntc_variant sd_variants[] = {
	{
		.name = "dpc",
		.description = IS_ENABLED(CONFIG_PREEMPT_RT) ?
			"literal NT port: a DPC per other CPU, run from the IPI on PREEMPT_RT (where a tasklet is a thread), so at IPI_LEVEL (irqs off), decrements the barrier and spins" :
			"literal NT port: a DPC (IPI -> tasklet) per other CPU raises to IPI_LEVEL-1 (irqs off), decrements the barrier and spins",
		.waits_in_irq = true,
		.iterate = sd_iterate_dpc,
	},
#ifdef NTC_HAVE_BH_WORK
	{
		.name = "dpc_bh",
		.description = "the literal port with the DPC a BH work item (system_bh_wq, WQ_BH) instead of a tasklet",
		/*
		 * A BH work item runs in a thread on RT, and nt.c cannot
		 * run it from the IPI as it does the tasklet's routine.
		 */
		.refused = NTC_ON_PREEMPT_RT("on PREEMPT_RT a BH work item runs in a thread, which a thread waiting with preemption off holds off while the other CPUs spin with interrupts off: the corral would wait for its deadline (--variant dpc runs the DPC from the IPI there)"),
		.waits_in_irq = true,
		.iterate = sd_iterate_dpc_bh,
	},
#endif
	{
		.name = "ipi",
		.description = "the same corral held inside smp_call_function_many() handlers (hardirq, irqs off)",
		.waits_in_irq = true,
		.iterate = sd_iterate_ipi,
	},
	{
		.name = "stop_machine",
		.description = "Linux's own answer: the work runs under stop_machine(), every online CPU stopped",
		.baseline = true,
		.holds_hotplug = true,
		.iterate = sd_iterate_stop_machine,
	},
};

const struct ntc_experiment ntc_shootdown = {
	.name = "shootdown",
	.seed = "000-processor-shootdown",
	.description = "corral every other CPU with interrupts off while the initiator does raw PCI config access with the machine half-dead",
	.variants = sd_variants,
	.nr_variants = ARRAY_SIZE(sd_variants),
	.metrics = sd_metrics,
	.nr_metrics = ARRAY_SIZE(sd_metrics),
	.counters = sd_counters,
	.nr_counters = ARRAY_SIZE(sd_counters),
	.params = BIT_ULL(NTCORRAL_A_HOLD_US) | BIT_ULL(NTCORRAL_A_PCI_DEVICE) |
		  NTC_TIMING_PARAMS,
	.setup = sd_setup,
	.teardown = sd_teardown,
	.init = sd_init,
	.exit = sd_exit,
};
