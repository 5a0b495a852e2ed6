// SPDX-License-Identifier: GPL-2.0
/* ntcorral: the NT-on-Linux mapping layer (see nt.h for the map). */

#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>

#include "ntcorral.h"
#include "nt.h"

/*
 * What this layer raised the CPU to. Only non-preemptible code raises, and
 * it lowers before it can be preempted, so preemptible code always sees 0.
 */
static DEFINE_PER_CPU(u8, ntc_raised_irql);
static atomic64_t ntc_irql_misses = ATOMIC64_INIT(0);

/* What a raise did, bit by bit, for the lower to undo in reverse. */
enum {
	NTC_RAISED_BH		= BIT(0),
	NTC_RAISED_PREEMPT	= BIT(1),
	NTC_RAISED_IRQS		= BIT(2),
};

const char *ntc_irql_name(enum ntc_irql irql)
{
	switch (irql) {
	case PASSIVE_LEVEL:	return "PASSIVE_LEVEL";
	case APC_LEVEL:		return "APC_LEVEL";
	case DISPATCH_LEVEL:	return "DISPATCH_LEVEL";
	case IPI_LEVEL:		return "IPI_LEVEL";
	case HIGH_LEVEL:	return "HIGH_LEVEL";
	default:		return irql < IPI_LEVEL ? "DEVICE_LEVEL" : "IPI_LEVEL-1";
	}
}

/*
 * The IRQL that the Linux context amounts to. Without CONFIG_PREEMPT_COUNT
 * preemptible() is always 0 and preempt_disable() leaves no trace, so there
 * only a softirq or a BH-disabled section reads as DISPATCH_LEVEL; every
 * context this module asserts in (DPC, IPI handler, stopper, the run's
 * thread, what it raised itself) is told apart by the other tests, and a
 * raise to DISPATCH_LEVEL from process context then really disables BHs.
 */
static enum ntc_irql ntc_irql_of_context(void)
{
	if (in_nmi())
		return HIGH_LEVEL;
	if (in_hardirq())
		return DEVICE_LEVEL;
	if (irqs_disabled())
		return IPI_LEVEL;
	if (softirq_count())
		return DISPATCH_LEVEL;
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT) && !preemptible())
		return DISPATCH_LEVEL;
	return PASSIVE_LEVEL;
}

enum ntc_irql ntc_irql_current(void)
{
	enum ntc_irql ctx = ntc_irql_of_context();

	if (ctx == PASSIVE_LEVEL)
		return ctx;
	return max_t(enum ntc_irql, ctx, raw_cpu_read(ntc_raised_irql));
}

bool __ntc_irql_assert(enum ntc_irql min, enum ntc_irql max, const char *who)
{
	enum ntc_irql cur = ntc_irql_current();

	if (cur >= min && cur <= max)
		return true;
	atomic64_inc(&ntc_irql_misses);
	/* Driver Verifier would bugcheck; we count and say so once. */
	pr_warn_once("!!! IRQL assertion: %s ran at %s, allowed %s..%s\n", who,
		     ntc_irql_name(cur), ntc_irql_name(min), ntc_irql_name(max));
	return false;
}

u64 ntc_irql_violations(void)
{
	return atomic64_read(&ntc_irql_misses);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* For the KUnit test that trips the assertion on purpose. */
void ntc_irql_violations_forget(u64 n)
{
	atomic64_sub(n, &ntc_irql_misses);
}
#endif

static bool lockdep_sees_wrong_variants;
module_param(lockdep_sees_wrong_variants, bool, 0444);
MODULE_PARM_DESC(lockdep_sees_wrong_variants,
		 "let lockdep validate the deliberately wrong variants' locks (it will report them)");

void ntc_variant_lock_init(struct ntc_variant_lock *l, enum ntc_lock_kind kind)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	static struct lock_class_key key;

	lockdep_init_map(&l->dep_map, "ntc_wrong_variant_lock", &key, 0);
	l->announce = kind == NTC_LOCK_HIDDEN && lockdep_sees_wrong_variants;
#endif
	spin_lock_init(&l->lock);
	raw_spin_lock_init(&l->raw);
	l->hidden = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
	l->kind = kind;
	l->owner = -1;
}

static bool ntc_variant_lock_trylock(struct ntc_variant_lock *l)
{
	switch (l->kind) {
	case NTC_LOCK_SPINLOCK:
		return spin_trylock(&l->lock);
	case NTC_LOCK_RAW:
		return raw_spin_trylock(&l->raw);
	default:
		return arch_spin_trylock(&l->hidden);
	}
}

static void ntc_variant_lock_unlock(struct ntc_variant_lock *l)
{
	switch (l->kind) {
	case NTC_LOCK_SPINLOCK:
		spin_unlock(&l->lock);
		break;
	case NTC_LOCK_RAW:
		raw_spin_unlock(&l->raw);
		break;
	default:
		arch_spin_unlock(&l->hidden);
	}
}

bool ntc_variant_lock_try(struct ntc_variant_lock *l)
{
	unsigned long flags;
	bool got;

	/* The owner and the lock change together for this CPU's ISR. */
	local_irq_save(flags);
	got = ntc_variant_lock_trylock(l);
	if (got)
		WRITE_ONCE(l->owner, smp_processor_id());
	local_irq_restore(flags);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	/* Announced in the holder's own context, with its interrupt state. */
	if (got && l->announce)
		lock_map_acquire(&l->dep_map);
#endif
	return got;
}

void ntc_variant_lock_release(struct ntc_variant_lock *l)
{
	unsigned long flags;

#ifdef CONFIG_DEBUG_LOCK_ALLOC
	if (l->announce)
		lock_map_release(&l->dep_map);
#endif
	local_irq_save(flags);
	WRITE_ONCE(l->owner, -1);
	ntc_variant_lock_unlock(l);
	local_irq_restore(flags);
}

struct ntc_fault ntc_fault = { .cpu = 0, .mode = NTC_FAULT_OFF };

/* The injected lateness, bounded like everything else. */
static void ntc_fault_delay(void)
{
	u64 until = ntc_deadline((u64)min_t(u32, READ_ONCE(ntc_fault.delay_us),
					    NTC_FAULT_MAX_DELAY_US) *
				 NSEC_PER_USEC);

	while (!ntc_past(until))
		cpu_relax();
}

bool ntc_fault_arrive(void)
{
	u32 mode = READ_ONCE(ntc_fault.mode);

	if ((mode != NTC_FAULT_LATE && mode != NTC_FAULT_NEVER) ||
	    READ_ONCE(ntc_fault.cpu) != raw_smp_processor_id())
		return false;
	atomic64_inc(&ntc_fault.injected);
	if (mode != NTC_FAULT_LATE)
		return true;
	ntc_fault_delay();
	return false;
}

/*
 * The device's DpcForIsr on the fault CPU (any CPU: fault_cpu -1, since
 * the one DPC runs wherever an ISR queued it first) starts delay_us late:
 * a DPC still running when its session ends, for the teardown tests.
 */
void ntc_fault_dpc(void)
{
	u32 cpu = READ_ONCE(ntc_fault.cpu);

	if (READ_ONCE(ntc_fault.mode) != NTC_FAULT_DPC_LATE ||
	    (cpu != U32_MAX && cpu != raw_smp_processor_id()))
		return;
	atomic64_inc(&ntc_fault.injected);
	ntc_fault_delay();
}

/* KeRaiseIrql: raising to a lower level is counted and changes nothing. */
void ntc_irql_raise(enum ntc_irql new, struct ntc_irql_saved *saved)
{
	saved->old = ntc_irql_current();
	saved->how = 0;
	saved->tracked = false;
	if (new < saved->old) {
		__ntc_irql_assert(PASSIVE_LEVEL, new, "KeRaiseIrql to a lower level");
		return;
	}
	if (new >= DEVICE_LEVEL) {
		local_irq_save(saved->flags);
		saved->how = NTC_RAISED_IRQS;
	} else if (new == DISPATCH_LEVEL) {
		/* No DPCs (softirqs) and no preemption on this CPU. */
		if (saved->old < DISPATCH_LEVEL) {
			local_bh_disable();
			saved->how |= NTC_RAISED_BH;
		}
		/*
		 * On PREEMPT_RT BH-off code, softirqs included, is
		 * preemptible: a corral's initiator could be switched out
		 * while its targets spin with interrupts off. NT's
		 * DISPATCH_LEVEL never lets the scheduler in: no preemption
		 * either (taken after the BH lock, which may sleep there).
		 */
		if (IS_ENABLED(CONFIG_PREEMPT_RT) && preemptible()) {
			preempt_disable();
			saved->how |= NTC_RAISED_PREEMPT;
		}
	}
	if (new >= DISPATCH_LEVEL) {
		/* Pinned to this CPU now: what we raised over, to restore. */
		saved->prev = raw_cpu_read(ntc_raised_irql);
		saved->tracked = true;
		raw_cpu_write(ntc_raised_irql, new);
	}
}

/* KeLowerIrql to the level saved by the matching raise. */
void ntc_irql_lower(struct ntc_irql_saved *saved)
{
	if (saved->tracked)
		raw_cpu_write(ntc_raised_irql, saved->prev);
	if (saved->how & NTC_RAISED_IRQS)
		local_irq_restore(saved->flags);
	if (saved->how & NTC_RAISED_PREEMPT)
		preempt_enable();
	if (saved->how & NTC_RAISED_BH)
		local_bh_enable();
}

/*
 * Run @dpc's routine; @raise: at DISPATCH_LEVEL as KeRaiseIrql defines it
 * (a tasklet or BH work item), else at the IPI's level (from the IPI).
 */
static void ntc_dpc_run(struct ntc_dpc *dpc, bool raise)
{
	/*
	 * The arguments of the insertion this run is for, taken while the
	 * DPC is still queued: once it is not, an ISR on this CPU may queue
	 * it again and write new ones (NT's KiRetireDpcList, too, copies
	 * them before it marks the DPC dequeued). Found by KCSAN.
	 */
	void *arg1 = dpc->arg1, *arg2 = dpc->arg2;
	struct ntc_irql_saved irql;
	u8 prev = 0;

	/*
	 * As in NT, the DPC is out of the queue before its routine runs.
	 * Release: the reads above come first; the next ntc_dpc_queue()
	 * writes the arguments only after its cmpxchg sees this 0.
	 */
	atomic_set_release(&dpc->queued, 0);
	/*
	 * Softirq context is DISPATCH_LEVEL already, but preemptible on
	 * PREEMPT_RT, where a DPC switched out holding a spin lock would
	 * leave every other taker spinning. From the IPI: interrupts off,
	 * IPI_LEVEL, as ntc_ipi_handler() says.
	 */
	if (raise) {
		ntc_irql_raise(DISPATCH_LEVEL, &irql);
	} else {
		prev = raw_cpu_read(ntc_raised_irql);
		raw_cpu_write(ntc_raised_irql, IPI_LEVEL);
	}
	dpc->routine(dpc, dpc->context, arg1, arg2);
	if (raise)
		ntc_irql_lower(&irql);
	else
		raw_cpu_write(ntc_raised_irql, prev);
	/* Pairs with the acquire in ntc_dpc_idle(): last touch of @dpc. */
	atomic_dec_return_release(&dpc->running);
}

static void ntc_dpc_tasklet(struct tasklet_struct *t)
{
	struct ntc_dpc *dpc = from_tasklet(dpc, t, tasklet);

	ntc_dpc_run(dpc, true);
}

#ifdef NTC_HAVE_BH_WORK
static void ntc_dpc_bh_work(struct work_struct *work)
{
	ntc_dpc_run(container_of(work, struct ntc_dpc, bh_work), true);
}

void ntc_dpc_use_bh_work(struct ntc_dpc *dpc)
{
	INIT_WORK(&dpc->bh_work, ntc_dpc_bh_work);
	dpc->use_bh_work = true;
}
#endif

/*
 * The IPI half of a targeted DPC. In NT a queued DPC preempts every
 * thread on its CPU; so does a tasklet scheduled from the IPI, which runs
 * on the way out of the interrupt. On PREEMPT_RT softirqs are threads,
 * and a thread that waits with preemption off (for a TLB flush that the
 * corralled CPUs, spinning with interrupts off, cannot answer) holds
 * them off until the corral's deadline: seen in stress_test.sh. There
 * the routine runs here, in the IPI, where no thread can hold it off
 * (and where a softirq must not be raised: the idle loop's flush of the
 * call queue warns).
 */
static void ntc_dpc_remote(void *info)
{
	struct ntc_dpc *dpc = info;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		ntc_dpc_run(dpc, false);
	else
		tasklet_schedule(&dpc->tasklet);
}

/*
 * An idle DPC inserted and run on this CPU at once, from the IPI's level:
 * what KeGenericCallDpc's caller does with its own on PREEMPT_RT.
 */
static void ntc_dpc_run_here(struct ntc_dpc *dpc, void *arg1, void *arg2)
{
	unsigned long flags;

	atomic_set(&dpc->queued, 1);
	atomic_inc(&dpc->running);
	dpc->arg1 = arg1;
	dpc->arg2 = arg2;
	local_irq_save(flags);
	ntc_dpc_run(dpc, false);
	local_irq_restore(flags);
}

void ntc_dpc_init(struct ntc_dpc *dpc,
		  void (*routine)(struct ntc_dpc *dpc, void *context,
				  void *arg1, void *arg2),
		  void *context)
{
	tasklet_setup(&dpc->tasklet, ntc_dpc_tasklet);
	INIT_CSD(&dpc->csd, ntc_dpc_remote, dpc);
	dpc->routine = routine;
	dpc->context = context;
	dpc->target = -1;
#ifdef NTC_HAVE_BH_WORK
	dpc->use_bh_work = false;
#endif
	atomic_set(&dpc->queued, 0);
	atomic_set(&dpc->running, 0);
}

/* KeSetTargetProcessorDpc */
void ntc_dpc_set_target(struct ntc_dpc *dpc, int cpu)
{
	dpc->target = cpu;
}

/*
 * KeInsertQueueDpc: false when it is already queued, or when its target
 * CPU is offline (NT would queue it forever; we say no).
 */
bool ntc_dpc_queue(struct ntc_dpc *dpc, void *arg1, void *arg2)
{
	int cpu;

	if (atomic_cmpxchg(&dpc->queued, 0, 1))
		return false;
	atomic_inc(&dpc->running);
	dpc->arg1 = arg1;
	dpc->arg2 = arg2;
#ifdef NTC_HAVE_BH_WORK
	if (dpc->use_bh_work) {
		cpu = dpc->target < 0 ? raw_smp_processor_id() : dpc->target;
		if (cpu_online(cpu) &&
		    queue_work_on(cpu, system_bh_wq, &dpc->bh_work))
			return true;
		atomic_dec(&dpc->running);
		/* As ntc_dpc_run() does: our argument writes come first. */
		atomic_set_release(&dpc->queued, 0);
		return false;
	}
#endif
	cpu = get_cpu();
	if (dpc->target < 0 || dpc->target == cpu) {
		tasklet_schedule(&dpc->tasklet);
	} else if (smp_call_function_single_async(dpc->target, &dpc->csd)) {
		atomic_dec(&dpc->running);
		atomic_set_release(&dpc->queued, 0);
		put_cpu();
		return false;
	}
	put_cpu();
	return true;
}

bool ntc_dpc_idle(struct ntc_dpc *dpc)
{
	return !atomic_read_acquire(&dpc->running);
}

bool ntc_dpc_flush(struct ntc_dpc *dpc, unsigned int timeout_ms)
{
	unsigned long until = jiffies + msecs_to_jiffies(timeout_ms);

	while (!ntc_dpc_idle(dpc)) {
		if (time_after(jiffies, until))
			return false;
		usleep_range(1000, 2000);
	}
#ifdef NTC_HAVE_BH_WORK
	if (dpc->use_bh_work) {
		cancel_work_sync(&dpc->bh_work);
		return true;
	}
#endif
	tasklet_kill(&dpc->tasklet);
	return true;
}

struct ntc_ipi_call {
	void (*fn)(void *context);
	void *context;
};

static void ntc_ipi_handler(void *info)
{
	struct ntc_ipi_call *call = info;
	u8 prev = raw_cpu_read(ntc_raised_irql);

	/* Hardirq with interrupts off: in NT terms, IPI_LEVEL. */
	raw_cpu_write(ntc_raised_irql, IPI_LEVEL);
	call->fn(call->context);
	raw_cpu_write(ntc_raised_irql, prev);
}

void ntc_ipi_generic_call(const struct cpumask *cpus, void (*fn)(void *context),
			  void *context)
{
	struct ntc_ipi_call call = { .fn = fn, .context = context };

	/*
	 * on_each_cpu_mask() sends the IPIs, runs @fn locally with interrupts
	 * off, then waits for the others: all run at the same time.
	 */
	on_each_cpu_mask(cpus, ntc_ipi_handler, &call, true);
}

#define NTC_BARRIER_ROUND_SHIFT	32
#define NTC_BARRIER_REMAINING	GENMASK_ULL(31, 0)
#define NTC_BARRIER_ROUND	GENMASK_ULL(62, NTC_BARRIER_ROUND_SHIFT)

static u32 ntc_barrier_round(u64 state)
{
	return (state & NTC_BARRIER_ROUND) >> NTC_BARRIER_ROUND_SHIFT;
}

void ntc_barrier_init(struct ntc_barrier *b, u32 total, u64 deadline_ns)
{
	atomic64_set(&b->state, total);
	b->total = total;
	b->deadline_ns = deadline_ns;
}

bool ntc_barrier_broken(struct ntc_barrier *b)
{
	return atomic64_read(&b->state) & NTC_BARRIER_BROKEN;
}

/* Whoever is missing will find it broken and not wait. */
void ntc_barrier_break(struct ntc_barrier *b)
{
	atomic64_or(NTC_BARRIER_BROKEN, &b->state);
}

/*
 * Count this CPU in: 1 if it completed the round (the next one starts
 * armed, in the same atomic step), 0 if it must wait for round @round,
 * -ETIMEDOUT if the barrier is broken.
 */
int ntc_barrier_arrive(struct ntc_barrier *b, u32 *round)
{
	s64 old = atomic64_read(&b->state), new;

	do {
		if (old & NTC_BARRIER_BROKEN)
			return -ETIMEDOUT;
		*round = ntc_barrier_round(old);
		if ((old & NTC_BARRIER_REMAINING) == 1)
			new = ((u64)(*round + 1) << NTC_BARRIER_ROUND_SHIFT &
			       NTC_BARRIER_ROUND) | b->total;
		else
			new = old - 1;
		/* Full barrier: what we did before is seen by whoever passes. */
	} while (!atomic64_try_cmpxchg(&b->state, &old, new));
	return (old & NTC_BARRIER_REMAINING) == 1;
}

/*
 * How round @round ended, for a waiter that stopped looking (it saw the
 * round over, or its deadline passed): 0 if it completed, even after the
 * waiter's last look (the completion won), else the barrier is broken now,
 * by this call or another, and -ETIMEDOUT.
 */
int ntc_barrier_give_up(struct ntc_barrier *b, u32 round)
{
	s64 old = atomic64_read(&b->state);

	do {
		if (ntc_barrier_round(old) != round) {
			/* Pairs with the cmpxchg of the last arrival. */
			smp_mb();
			return 0;
		}
		if (old & NTC_BARRIER_BROKEN)
			return -ETIMEDOUT;
	} while (!atomic64_try_cmpxchg(&b->state, &old, old | NTC_BARRIER_BROKEN));
	return -ETIMEDOUT;
}

/* Round @round is over (completed), or the barrier broke. */
static bool ntc_barrier_settled(struct ntc_barrier *b, u32 round)
{
	/* Pairs with the fully ordered cmpxchg of the last arrival. */
	s64 now = atomic64_read_acquire(&b->state);

	return ntc_barrier_round(now) != round || (now & NTC_BARRIER_BROKEN);
}

int ntc_barrier_wait(struct ntc_barrier *b)
{
	u64 deadline;
	u32 round;
	int ret;

	ret = ntc_barrier_arrive(b, &round);
	if (ret)
		return ret;
	deadline = ntc_deadline(b->deadline_ns);
	ntc_spin_until(ntc_barrier_settled(b, round), deadline);
	/*
	 * Completed, broken by another, or our deadline: the one word
	 * decides, and only an incomplete round fails.
	 */
	return ntc_barrier_give_up(b, round);
}

/* One DPC per CPU for KeGenericCallDpc; one call at a time. */
static DEFINE_PER_CPU(struct ntc_dpc, ntc_generic_dpcs);
static DEFINE_MUTEX(ntc_generic_lock);
static struct ntc_generic_call ntc_generic_call_state;

/*
 * A DPC may run long after its call gave up (a CPU that took its time):
 * it counts itself inside before it checks the generation, and the caller
 * retires the generation before it waits for nobody to be inside. Either
 * the caller sees this DPC inside and waits for it, or this DPC sees the
 * new generation and leaves without touching the call's context.
 */
static void ntc_generic_dpc_routine(struct ntc_dpc *dpc, void *context,
				    void *arg1, void *arg2)
{
	struct ntc_generic_call *call = arg1;

	atomic_inc(&call->inside);
	/* Orders our count before the check; pairs with the caller's smp_mb(). */
	smp_mb__after_atomic();
	if (READ_ONCE(call->gen) == (unsigned long)arg2)
		call->fn(call, call->context);
	/* Pairs with the acquire in ntc_generic_call_retire(). */
	atomic_dec_return_release(&call->inside);
}

int ntc_call_dpc_synchronize(struct ntc_generic_call *call)
{
	return ntc_barrier_wait(&call->sync);
}

/*
 * End a call: no DPC of it may use the caller's context after this. A DPC
 * inside the routine is bounded (every wait in it has the call's deadline),
 * so the wait ends; it is not given up, because giving up here is exactly
 * the use-after-free it prevents.
 */
static void ntc_generic_call_retire(struct ntc_generic_call *call,
				    unsigned long gen)
{
	unsigned int waited_ms = 0;

	WRITE_ONCE(call->gen, gen + 1);
	/* Pairs with smp_mb__after_atomic() in ntc_generic_dpc_routine(). */
	smp_mb();
	while (atomic_read_acquire(&call->inside)) {
		if (waited_ms && !(waited_ms % 1000))
			pr_warn("!!! KeGenericCallDpc: a late DPC is still inside its routine\n");
		usleep_range(1000, 2000);
		waited_ms++;
	}
}

void ntc_call_dpc_done(struct ntc_generic_call *call)
{
	if (atomic_dec_and_test(&call->done_remaining))
		complete(&call->done);
}

/*
 * Queue the call's DPC on every CPU of @cpus, at DISPATCH_LEVEL as NT
 * does: otherwise our own CPU's DPC can run (ksoftirqd preempting us at
 * the first preemption point) and spin in its first synchronize,
 * interrupts off, before the other CPUs' DPCs are even queued. Found the
 * hard way: every call then ran into its deadline. -ETIMEDOUT when a CPU
 * is offline (nobody will arrive in its place), else 0.
 */
static int ntc_generic_call_queue(struct ntc_generic_call *call,
				  const struct cpumask *cpus, unsigned long gen)
{
	struct ntc_irql_saved irql;
	int cpu, self, ret = 0;

	ntc_irql_raise(DISPATCH_LEVEL, &irql);
	self = smp_processor_id();
	for_each_cpu(cpu, cpus) {
		struct ntc_dpc *dpc = per_cpu_ptr(&ntc_generic_dpcs, cpu);

		if (IS_ENABLED(CONFIG_PREEMPT_RT) && cpu == self)
			continue;
		ntc_dpc_set_target(dpc, cpu);
		if (!ntc_dpc_queue(dpc, call, (void *)gen)) {
			ntc_barrier_break(&call->sync);
			ntc_call_dpc_done(call);
			ret = -ETIMEDOUT;
		}
	}
	/*
	 * Our own DPC runs here, as the softirqs do on the way down. On
	 * PREEMPT_RT it would be a tasklet run by this thread once it lowers,
	 * where the thread can be preempted while the others already spin in
	 * their IPIs (ntc_dpc_remote()): there it runs now, interrupts off,
	 * as the IPI runs theirs.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && cpumask_test_cpu(self, cpus))
		ntc_dpc_run_here(per_cpu_ptr(&ntc_generic_dpcs, self), call,
				 (void *)gen);
	ntc_irql_lower(&irql);
	return ret;
}

/*
 * After the retire: the DPCs still queued find the generation retired and
 * leave at once; wait for each to be idle, at most @deadline_ns per CPU.
 */
static int ntc_generic_call_wait_idle(const struct cpumask *cpus,
				      u64 deadline_ns)
{
	int cpu, ret = 0;

	for_each_cpu(cpu, cpus) {
		struct ntc_dpc *dpc = per_cpu_ptr(&ntc_generic_dpcs, cpu);
		u64 until = ntc_deadline(deadline_ns);

		while (!ntc_dpc_idle(dpc)) {
			if (ntc_past(until)) {
				pr_err("!!! KeGenericCallDpc: CPU %d never ran its DPC\n", cpu);
				ret = -ETIMEDOUT;
				break;
			}
			usleep_range(100, 200);
		}
	}
	return ret;
}

int ntc_generic_call_dpc(const struct cpumask *cpus,
			 void (*fn)(struct ntc_generic_call *call, void *context),
			 void *context, u64 deadline_ns)
{
	struct ntc_generic_call *call = &ntc_generic_call_state;
	unsigned long wait = nsecs_to_jiffies(4 * deadline_ns) + 1, gen;
	int cpu, ret;

	mutex_lock(&ntc_generic_lock);
	for_each_cpu(cpu, cpus) {
		/* A DPC of an earlier call, retired, still to run: it is quick. */
		if (!ntc_dpc_flush(per_cpu_ptr(&ntc_generic_dpcs, cpu),
				   div_u64(deadline_ns, NSEC_PER_MSEC) + 1)) {
			mutex_unlock(&ntc_generic_lock);
			return -EBUSY;
		}
	}
	call->fn = fn;
	call->context = context;
	ntc_barrier_init(&call->sync, cpumask_weight(cpus), deadline_ns);
	atomic_set(&call->inside, 0);
	atomic_set(&call->done_remaining, cpumask_weight(cpus));
	init_completion(&call->done);
	gen = call->gen + 1;
	/* Seen by a DPC of this call: ntc_dpc_queue() orders it (full barrier). */
	WRITE_ONCE(call->gen, gen);

	ret = ntc_generic_call_queue(call, cpus, gen);
	if (!wait_for_completion_timeout(&call->done, wait)) {
		ntc_barrier_break(&call->sync);
		ret = -ETIMEDOUT;
	}
	/* A synchronize that timed out broke the call, done or not. */
	if (ntc_barrier_broken(&call->sync))
		ret = -ETIMEDOUT;
	/* The caller's context: no DPC may use it after we return. */
	ntc_generic_call_retire(call, gen);
	if (ntc_generic_call_wait_idle(cpus, deadline_ns))
		ret = -ETIMEDOUT;
	mutex_unlock(&ntc_generic_lock);
	return ret;
}

int ntc_nt_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		ntc_dpc_init(per_cpu_ptr(&ntc_generic_dpcs, cpu),
			     ntc_generic_dpc_routine, NULL);
	return 0;
}

void ntc_nt_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ntc_dpc *dpc = per_cpu_ptr(&ntc_generic_dpcs, cpu);

		while (!ntc_dpc_flush(dpc, 1000))
			pr_warn("!!! unload waits for CPU %d's DPC\n", cpu);
	}
}
