// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: GainExclusivity (seed 003-gain-exclusivity-dpc).
 *
 * The seed: at DISPATCH_LEVEL, zero two globals, allocate one KDPC per
 * processor, queue RaiseCPUIrqlAndWait on every other processor and spin
 * until g_now == KeNumberProcessors - 1; each DPC increments g_now, spins
 * while g_count == 0, decrements g_now. ReleaseExclusivity increments
 * g_count, spins until g_now == 0 and frees the DPCs. Variants:
 *   seed              that protocol, ported literally, with deadlines
 *   generic_call_dpc  the same exclusivity on KeGenericCallDpc +
 *                     KeSignalCallDpcSynchronize/Done (nt.h)
 *   stop_machine      the baseline
 *
 * Defects of the original, found by porting and running it (README):
 *  1. It counts processors with KeNumberProcessors and targets ids
 *     0..N-1: with a CPU offline (or ids not dense) one target does not
 *     exist and a live CPU is never corralled; GainExclusivity then spins
 *     forever. Here: ntc_dpc_queue() refuses the offline target, the wait
 *     hits its deadline, the run counts a timeout (offline_targets).
 *  2. Nothing bounds a spin: a CPU that never runs its DPC hangs the
 *     initiator at DISPATCH_LEVEL. Here every spin has a deadline.
 *  3. GainExclusivity zeroes g_count/g_now on entry: a DPC left over from
 *     an earlier, abandoned call (or a second concurrent caller) then
 *     counts itself into the new round and the initiator believes a CPU
 *     is corralled that is not. Here a call refuses to start while any DPC
 *     of the last one has not finished (EBUSY), and runs are serialised.
 *  4. ReleaseExclusivity frees the DPC array as soon as g_now is 0, but a
 *     DPC that decremented g_now is still running, and the DPC machinery
 *     (on Linux, tasklet_action() unlocking the tasklet) touches the
 *     object after the routine returns: a use-after-free. Here the array
 *     is flushed (tasklet_kill) and freed at PASSIVE_LEVEL, after the
 *     release, outside the measured window.
 *  5. It allocates with ExAllocatePool at DISPATCH_LEVEL (NonPagedPool is
 *     allowed there; the Linux port must use GFP_ATOMIC) and returns NULL
 *     on failure with nothing corralled, which DoSomeThing ignores.
 *  6. RaiseCPUIrqlAndWait never raises: the held CPUs spin at
 *     DISPATCH_LEVEL with interrupts on, so their ISRs (and whatever the
 *     ISRs touch) keep running during the "exclusive" window. Ported as is;
 *     generic_call_dpc raises to IPI_LEVEL - 1 as the shootdown does. (On
 *     PREEMPT_RT the held CPUs spin in the IPI, interrupts off, instead:
 *     nt.c runs a DPC queued to another CPU there, see ntc_dpc_remote().)
 */

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>

#include "ntcorral.h"
#include "nt.h"

enum ex_metric { EX_WINDOW, EX_GAIN, EX_HOLD, EX_RELEASE, EX_NR_METRICS };

static const char *const ex_metrics[] = {
	[EX_WINDOW]	= "window",	/* gain request -> everyone out */
	[EX_GAIN]	= "gain",	/* request -> exclusivity held */
	[EX_HOLD]	= "hold",	/* held -> release signalled */
	[EX_RELEASE]	= "release",	/* release -> everyone out */
};

enum ex_counter {
	EX_C_CORRALLED,
	EX_C_WORK_RUNS,
	EX_C_OFFLINE_TARGETS,
	EX_C_GAIN_TIMEOUTS,
	EX_C_RELEASE_TIMEOUTS,
	EX_C_DPC_TIMEOUTS,
	EX_C_IRQL_VIOLATIONS,
	EX_NR_COUNTERS
};

static const char *const ex_counters[] = {
	[EX_C_CORRALLED]	= "corralled_cpus",
	[EX_C_WORK_RUNS]	= "work_runs",
	[EX_C_OFFLINE_TARGETS]	= "offline_targets",
	[EX_C_GAIN_TIMEOUTS]	= "gain_timeouts",
	[EX_C_RELEASE_TIMEOUTS]	= "release_timeouts",
	[EX_C_DPC_TIMEOUTS]	= "dpc_timeouts",
	[EX_C_IRQL_VIOLATIONS]	= "irql_violations",
};

/* Per-CPU evidence, as in the shootdown. */
struct ex_cpu {
	unsigned long arrived_gen;
	unsigned long left_gen;
	unsigned long timed_out_gen;	/* left because a wait ran out */
};

static DEFINE_PER_CPU(struct ex_cpu, ex_cpus);

static struct {
	/* The seed's two globals. */
	atomic_t g_count;
	atomic_t g_now;
	unsigned long gen;
	u64 deadline_ns;
	atomic_t dpc_timeouts;
	unsigned int work_runs;
	int work_cpu;
	u64 t_gained, t_release;
	/* The seed's DPC array of the last call, until it is flushed. */
	struct ntc_dpc *dpcs;
	unsigned int nr_dpcs;
} ex;

static void ex_arrived(void)
{
	WRITE_ONCE(this_cpu_ptr(&ex_cpus)->arrived_gen, ex.gen);
	ntc_trace_arrive(ex.gen);
}

/* This CPU's wait ran out: it leaves on a deadline, not on the release. */
static void ex_gave_up(void)
{
	WRITE_ONCE(this_cpu_ptr(&ex_cpus)->timed_out_gen, ex.gen);
}

static void ex_left(void)
{
	/* Pairs with the acquire in ex_check_corralled(). */
	smp_store_release(&this_cpu_ptr(&ex_cpus)->left_gen, ex.gen);
	ntc_trace_release(ex.gen);
}

/* RaiseCPUIrqlAndWait */
static void ex_raise_and_wait(struct ntc_dpc *dpc, void *context, void *arg1,
			      void *arg2)
{
	u64 deadline;

	ntc_irql_assert(DISPATCH_LEVEL, NTC_DPC_LEVEL_MAX);
	if (ntc_fault_arrive())
		return;		/* injected: this DPC never arrives */
	/* Its name notwithstanding, it never raises: defect 6 (not on RT). */
	ex_arrived();
	atomic_inc(&ex.g_now);
	deadline = ntc_deadline(ex.deadline_ns);
	if (!ntc_spin_until(atomic_read(&ex.g_count), deadline + ex.deadline_ns)) {
		atomic_inc(&ex.dpc_timeouts);
		ex_gave_up();
	}
	ex_left();
	atomic_dec(&ex.g_now);
}

static void ex_work(struct ntc_run *run)
{
	ex.work_runs++;
	ex.work_cpu = smp_processor_id();
	ex.t_gained = ntc_phase_stamp(run);
}

static void ex_check_corralled(struct ntc_run *run, const char *when)
{
	int cpu;

	for_each_cpu(cpu, run->p.cpus) {
		struct ex_cpu *c = per_cpu_ptr(&ex_cpus, cpu);

		if (cpu == run->initiator)
			continue;
		if (READ_ONCE(c->arrived_gen) != ex.gen)
			ntc_run_violation(run, when);
		/* Pairs with the release in ex_left(). */
		else if (smp_load_acquire(&c->left_gen) != ex.gen)
			continue;
		/* Gone on its own deadline: the iteration's timeout, not the idiom's fault. */
		else if (READ_ONCE(c->timed_out_gen) == ex.gen)
			ntc_run_timeout(run, "a held CPU's wait ran out before the work");
		else
			ntc_run_violation(run, when);
	}
}

/* After the release: everyone out, work once on the initiator. */
static void ex_check_after(struct ntc_run *run)
{
	int cpu;

	for_each_cpu(cpu, run->p.cpus)
		if (cpu != run->initiator &&
		    READ_ONCE(per_cpu_ptr(&ex_cpus, cpu)->left_gen) != ex.gen)
			ntc_run_violation(run, "a CPU has no record of leaving the corral");
	if (ex.work_runs != 1 || ex.work_cpu != run->initiator)
		ntc_run_violation(run, "the work did not run exactly once on the initiator");
	run->counters[EX_C_WORK_RUNS] += ex.work_runs;
}

/* A held iteration's figures, from the request at @t0 to the end at @t3. */
static void ex_record(u64 *sample, u64 t0, u64 t3)
{
	sample[EX_WINDOW] = t3 - t0;
	sample[EX_GAIN] = ex.t_gained - t0;
	sample[EX_HOLD] = ex.t_release - ex.t_gained;
	sample[EX_RELEASE] = t3 - ex.t_release;
}

/*
 * Flush and free the seed's DPC array at PASSIVE_LEVEL (defect 4), waiting
 * at most @timeout_ms for each DPC; false (the array kept: a DPC may still
 * run) when one has not finished.
 */
static bool ex_free_dpcs(unsigned int timeout_ms)
{
	unsigned int i;

	for (i = 0; i < ex.nr_dpcs; i++)
		if (!ntc_dpc_flush(&ex.dpcs[i], timeout_ms))
			return false;	/* keep it: a DPC may still run */
	kfree(ex.dpcs);
	ex.dpcs = NULL;
	ex.nr_dpcs = 0;
	return true;
}

/* Longer than a late DPC can take: its two deadlines, the injected delay. */
#define EX_LATE_DPC_WAIT_MS	(4 * NTCORRAL_MAX_DEADLINE_US / USEC_PER_MSEC)

static void ex_arm(struct ntc_run *run)
{
	ntc_trace_armed();
	ex.gen++;
	ex.deadline_ns = run->deadline_ns;
	ex.work_runs = 0;
	ex.work_cpu = -1;
	ex.t_gained = 0;
	ex.t_release = 0;
	atomic_set(&ex.dpc_timeouts, 0);
}

/*
 * The DPC array, which GainExclusivity allocates at DISPATCH_LEVEL
 * (ExAllocatePool from non-paged pool, legal there in NT). On PREEMPT_RT
 * nothing may be allocated with preemption off, GFP_ATOMIC or not: the
 * slab's locks sleep there. So on RT it comes from @pool, allocated before
 * the raise; elsewhere the seed's own allocation stays where it was.
 */
static struct ntc_dpc *ex_alloc_dpcs(struct ntc_dpc *pool, int nprocs)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return pool;
	return kcalloc(nprocs, sizeof(struct ntc_dpc), GFP_ATOMIC);
}

/* GainExclusivity, as the seed has it, with deadlines. */
static struct ntc_dpc *ex_gain_exclusivity(struct ntc_run *run, int nprocs,
					   struct ntc_dpc *pool)
{
	struct ntc_dpc *dpcs;
	u64 deadline;
	int i, self;

	if (!ntc_irql_assert(DISPATCH_LEVEL, DISPATCH_LEVEL))
		return NULL;
	atomic_set(&ex.g_count, 0);	/* InterlockedAnd(&g_count, 0) */
	atomic_set(&ex.g_now, 0);
	dpcs = ex_alloc_dpcs(pool, nprocs);
	if (!dpcs)
		return NULL;
	ex.dpcs = dpcs;
	ex.nr_dpcs = nprocs;
	self = smp_processor_id();
	for (i = 0; i < nprocs; i++) {
		if (i == self)
			continue;
		ntc_dpc_init(&dpcs[i], ex_raise_and_wait, NULL);
		ntc_dpc_set_target(&dpcs[i], i);
		if (!ntc_dpc_queue(&dpcs[i], NULL, NULL))
			run->counters[EX_C_OFFLINE_TARGETS]++;
	}
	deadline = ntc_deadline(run->deadline_ns);
	if (!ntc_spin_until(atomic_read(&ex.g_now) == nprocs - 1, deadline)) {
		run->counters[EX_C_GAIN_TIMEOUTS]++;
		ntc_run_timeout(run, "GainExclusivity: not every processor's DPC arrived");
	}
	return dpcs;
}

/* ReleaseExclusivity, without the early free (defect 4). */
static void ex_release_exclusivity(struct ntc_run *run)
{
	u64 deadline;

	ex.t_release = ntc_phase_stamp(run);
	atomic_inc(&ex.g_count);
	deadline = ntc_deadline(run->deadline_ns);
	if (!ntc_spin_until(atomic_read(&ex.g_now) == 0, deadline)) {
		run->counters[EX_C_RELEASE_TIMEOUTS]++;
		ntc_run_timeout(run, "ReleaseExclusivity: a DPC never left");
	}
}

static int ex_iterate_seed(struct ntc_run *run, u64 *sample)
{
	u64 misses = ntc_irql_violations(), t0, t3;
	int nprocs = num_online_cpus();	/* KeNumberProcessors */
	struct ntc_irql_saved irql;
	struct ntc_dpc *dpcs, *pool;
	bool gained;
	int dpc_tmo;

	/*
	 * Defect 3: never start over DPCs that may still run. The last
	 * iteration's late DPC spins two deadlines at most (plus an injected
	 * delay): give it that, then end the run early, its timeout counted.
	 */
	if (ex.dpcs && !ex_free_dpcs(EX_LATE_DPC_WAIT_MS)) {
		ntc_run_timeout(run, "a DPC of the last GainExclusivity never finished; stopping the run");
		return -ETIMEDOUT;
	}
	ex_arm(run);
	pool = NULL;
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pool = kcalloc(nprocs, sizeof(*pool), GFP_KERNEL);
		if (!pool) {
			run->errmsg = "no memory for GainExclusivity's DPCs";
			return -ENOMEM;
		}
	}
	ntc_irql_raise(DISPATCH_LEVEL, &irql);
	t0 = ntc_window_stamp(run);
	dpcs = ex_gain_exclusivity(run, nprocs, pool);
	gained = dpcs && atomic_read(&ex.g_now) == nprocs - 1;
	if (gained) {
		ex_check_corralled(run, "a processor was not held when the work ran");
		ex_work(run);
	}
	if (dpcs)
		ex_release_exclusivity(run);
	t3 = ntc_window_stamp(run);
	ntc_irql_lower(&irql);
	/* A GainExclusivity that returned before taking it (RT); not at DISPATCH_LEVEL. */
	if (dpcs != pool)
		kfree(pool);

	run->counters[EX_C_IRQL_VIOLATIONS] += ntc_irql_violations() - misses;
	if (!dpcs) {
		ntc_run_violation(run, "GainExclusivity returned NULL");
		return 1;
	}
	if (!ex_free_dpcs(1 + div_u64(ex.deadline_ns, NSEC_PER_MSEC)))
		ntc_run_timeout(run, "a DPC did not finish after the release");
	dpc_tmo = atomic_read(&ex.dpc_timeouts);
	run->counters[EX_C_DPC_TIMEOUTS] += dpc_tmo;
	if (dpc_tmo)
		ntc_run_timeout(run, "a DPC gave up waiting for the release");
	if (!gained || dpc_tmo)
		return 1;
	ex_check_after(run);
	run->counters[EX_C_CORRALLED] += nprocs - 1;
	ex_record(sample, t0, t3);
	return 0;
}

/* The same on KeGenericCallDpc: every CPU, the initiator's included. */
static void ex_generic_routine(struct ntc_generic_call *call, void *context)
{
	struct ntc_run *run = context;
	struct ntc_irql_saved irql;

	ntc_irql_assert(DISPATCH_LEVEL, NTC_DPC_LEVEL_MAX);
	/* From the IPI on PREEMPT_RT: interrupts are off already. */
	ntc_irql_raise(max_t(enum ntc_irql, ntc_irql_current(), IPI_LEVEL - 1),
		       &irql);
	if (ntc_fault_arrive()) {
		/*
		 * Injected: never synchronizes, as if its wait had run out.
		 * Counted here: alone in its set, nobody else would notice.
		 */
		ex_gave_up();
		atomic_inc(&ex.dpc_timeouts);
		goto out;
	}
	ex_arrived();
	/* Everyone is here with interrupts off. */
	if (ntc_call_dpc_synchronize(call) < 0) {
		ex_gave_up();
		goto out;
	}
	if (smp_processor_id() == run->initiator) {
		ex_check_corralled(run, "a CPU was not held when the work ran");
		ex_work(run);
		ex.t_release = ntc_phase_stamp(run);
	}
	/* Nobody leaves before the work is done. */
	if (ntc_call_dpc_synchronize(call) < 0)
		ex_gave_up();
out:
	ex_left();
	ntc_irql_lower(&irql);
	ntc_call_dpc_done(call);
}

static int ex_iterate_generic(struct ntc_run *run, u64 *sample)
{
	u64 misses = ntc_irql_violations(), t0, t3;
	int ret;

	ex_arm(run);
	t0 = ntc_window_stamp(run);
	ret = ntc_generic_call_dpc(run->p.cpus, ex_generic_routine, run,
				   run->deadline_ns);
	t3 = ntc_window_stamp(run);
	run->counters[EX_C_IRQL_VIOLATIONS] += ntc_irql_violations() - misses;
	if (ret == -EBUSY) {
		/* The last call's DPC, retired, has not even started. */
		ntc_run_timeout(run, "a DPC of the last KeGenericCallDpc never ran; stopping the run");
		return -ETIMEDOUT;
	}
	if (ret || atomic_read(&ex.dpc_timeouts)) {
		run->counters[EX_C_DPC_TIMEOUTS]++;
		ntc_run_timeout(run, "KeGenericCallDpc: a CPU missed a synchronize");
		return 1;
	}
	ex_check_after(run);
	run->counters[EX_C_CORRALLED] += run->nr_cpus - 1;
	ex_record(sample, t0, t3);
	return 0;
}

struct ex_stop_ctx {
	struct ntc_run *run;
	atomic_t arrived;
	unsigned long released;
	/*
	 * Giving up and starting the work exclude each other (as in the
	 * shootdown): a stalled initiator must not work once a CPU has left.
	 */
	atomic_t state;			/* 0 armed, 1 working, 2 aborted */
	bool cpu_gone;			/* a CPU of the set went offline */
};

static int ex_stop_fn(void *data)
{
	struct ex_stop_ctx *ctx = data;
	struct ntc_run *run = ctx->run;
	u64 deadline = ntc_deadline(run->deadline_ns);

	if (smp_processor_id() != run->initiator && ntc_fault_arrive())
		return 0;	/* injected: never arrives */
	ex_arrived();
	atomic_inc(&ctx->arrived);
	if (smp_processor_id() == run->initiator) {
		/*
		 * stop_machine() holds hotplug off: a CPU of the set that
		 * went offline before it will never arrive. Let everyone go
		 * and end the run, instead of a timeout per iteration.
		 */
		if (!cpumask_subset(run->p.cpus, cpu_online_mask) &&
		    atomic_cmpxchg(&ctx->state, 0, 2) == 0)
			ctx->cpu_gone = true;
		else if (ntc_spin_until(atomic_read(&ctx->arrived) == run->nr_cpus,
					deadline) &&
		    atomic_cmpxchg(&ctx->state, 0, 1) == 0) {
			ex_check_corralled(run, "a CPU was not held when the work ran");
			ex_work(run);
		}
		ex.t_release = ntc_phase_stamp(run);
		/* Pairs with the acquire below. */
		smp_store_release(&ctx->released, 1);
		return 0;
	}
	/* Pairs with the release above. */
	if (!ntc_spin_until(smp_load_acquire(&ctx->released),
			    deadline + run->deadline_ns) &&
	    (atomic_cmpxchg(&ctx->state, 0, 2) != 1 ||
	     /* The work has begun: it is bounded, see it out. */
	     !ntc_spin_until(smp_load_acquire(&ctx->released),
			     ntc_deadline(2 * run->deadline_ns)))) {
		atomic_inc(&ex.dpc_timeouts);
		ex_gave_up();
	}
	ex_left();
	return 0;
}

static int ex_iterate_stop_machine(struct ntc_run *run, u64 *sample)
{
	struct ex_stop_ctx ctx = { .run = run };
	u64 t0, t3;
	int ret;

	ex_arm(run);
	atomic_set(&ctx.arrived, 0);
	atomic_set(&ctx.state, 0);
	t0 = ntc_window_stamp(run);
	ret = stop_machine(ex_stop_fn, &ctx, run->p.cpus);
	t3 = ntc_window_stamp(run);
	if (ret) {
		ntc_run_violation(run, "stop_machine() failed");
		return 1;
	}
	if (ctx.cpu_gone)
		return -ENODEV;		/* run.c says so and ends the run */
	if (atomic_read(&ex.dpc_timeouts) || !ex.work_runs) {
		run->counters[EX_C_DPC_TIMEOUTS] += atomic_read(&ex.dpc_timeouts);
		ntc_run_timeout(run, "stop_machine: a CPU did not arrive or leave in time");
		return 1;
	}
	ex_check_after(run);
	run->counters[EX_C_CORRALLED] += run->nr_cpus - 1;
	ex_record(sample, t0, t3);
	return 0;
}

/* An earlier run's late DPC: the run is refused, as the uapi says. */
static int ex_admit(struct ntc_run *run)
{
	if (ex.dpcs && !ex_free_dpcs(1 + div_u64(run->deadline_ns, NSEC_PER_MSEC))) {
		run->errmsg = "a DPC of an earlier GainExclusivity has not finished; retry when it has";
		return -EBUSY;
	}
	return 0;
}

static int ex_setup(struct ntc_run *run)
{
	if (run->variant->iterate == ex_iterate_seed &&
	    !cpumask_equal(run->p.cpus, cpu_online_mask)) {
		/*
		 * Without a set the run took the CPUs online at the request:
		 * a hotplug since then, not the user's set, is the cause.
		 */
		run->errmsg = run->p.cpus_online ?
			"a CPU went offline or came online since the request, and the seed variant always targets processors 0..KeNumberProcessors-1; retry" :
			"the seed variant always targets processors 0..KeNumberProcessors-1: run it without a CPU set";
		return run->p.cpus_online ? -EAGAIN : -EINVAL;
	}
	return 0;
}

/* Unload: a seed DPC array still owned by a late CPU. */
static void ex_exit(void)
{
	while (ex.dpcs && !ex_free_dpcs(1000))
		pr_warn("!!! unload waits for a GainExclusivity DPC\n");
}

static const struct ntc_variant ex_variants[] = {
	{
		.name = "seed",
		.description = "the literal GainExclusivity/ReleaseExclusivity/RaiseCPUIrqlAndWait with its two global counters, deadlines added",
		.defect = true,
		.waits_in_irq = true,
		.iterate = ex_iterate_seed,
	},
	{
		.name = "generic_call_dpc",
		.description = "the same exclusivity on KeGenericCallDpc with KeSignalCallDpcSynchronize/Done",
		.waits_in_irq = true,
		.iterate = ex_iterate_generic,
	},
	{
		.name = "stop_machine",
		.description = "baseline: the work under stop_machine() on the run's CPUs",
		.baseline = true,
		.holds_hotplug = true,
		.iterate = ex_iterate_stop_machine,
	},
};

const struct ntc_experiment ntc_exclusivity = {
	.name = "exclusivity",
	.seed = "003-gain-exclusivity-dpc",
	.description = "GainExclusivity: targeted DPCs and two global counters hold every other CPU while the caller works",
	.variants = ex_variants,
	.nr_variants = ARRAY_SIZE(ex_variants),
	.metrics = ex_metrics,
	.nr_metrics = ARRAY_SIZE(ex_metrics),
	.counters = ex_counters,
	.nr_counters = ARRAY_SIZE(ex_counters),
	.params = NTC_TIMING_PARAMS,
	.admit = ex_admit,
	.setup = ex_setup,
	.exit = ex_exit,
};
