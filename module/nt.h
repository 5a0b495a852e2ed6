/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntcorral: the NT-on-Linux mapping layer. Experiments are written in NT
 * terms against this API; the README has the table of what maps to what.
 *
 *   IRQL                     derived from the Linux context, plus what this
 *                            layer raised (NT levels are per CPU; Linux has
 *                            no numbers, only contexts)
 *   KeRaiseIrql/KeLowerIrql  ntc_irql_raise()/ntc_irql_lower():
 *                            DISPATCH_LEVEL = local_bh_disable() (no DPCs,
 *                            no preemption), on PREEMPT_RT, where BH-off
 *                            code is preemptible, plus preempt_disable();
 *                            >= DEVICE_LEVEL = local_irq_save()
 *   KDPC + KeSetTargetProcessorDpc + KeInsertQueueDpc
 *                            struct ntc_dpc, ntc_dpc_queue(): a tasklet
 *                            scheduled on the target CPU by an async IPI
 *                            (PREEMPT_RT: the IPI runs the routine itself,
 *                            at IPI_LEVEL, see ntc_dpc_remote())
 *   KeIpiGenericCall         ntc_ipi_generic_call(): on_each_cpu(), the
 *                            function on every CPU of a set at once, caller
 *                            included, interrupts off
 *   KeGenericCallDpc + KeSignalCallDpcSynchronize + KeSignalCallDpcDone
 *                            ntc_generic_call_dpc(), ntc_call_dpc_synchronize(),
 *                            ntc_call_dpc_done()
 *
 * Every wait here takes a deadline and reports a timeout instead of spinning
 * forever. Calls made at the wrong IRQL are counted and reported (once in
 * the log, always in the counter), as Driver Verifier would, never a crash.
 */
#ifndef _NTCORRAL_NT_H
#define _NTCORRAL_NT_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/version.h>
#include <linux/workqueue.h>

/* x64 NT's numbering. */
enum ntc_irql {
	PASSIVE_LEVEL	= 0,
	APC_LEVEL	= 1,
	DISPATCH_LEVEL	= 2,
	DEVICE_LEVEL	= 3,	/* some device's DIRQL: hardirq context */
	IPI_LEVEL	= 14,	/* interrupts off, IPI handlers */
	HIGH_LEVEL	= 15,	/* NMI */
};

const char *ntc_irql_name(enum ntc_irql irql);
enum ntc_irql ntc_irql_current(void);

struct ntc_irql_saved {
	enum ntc_irql old;	/* the level before the raise */
	u8 how;			/* what the raise did, for the lower */
	bool tracked;		/* @prev is to be restored */
	u8 prev;		/* the level this layer had recorded */
	unsigned long flags;
};

void ntc_irql_raise(enum ntc_irql new, struct ntc_irql_saved *saved);
void ntc_irql_lower(struct ntc_irql_saved *saved);

/*
 * The IRQL assertion: true when the current level is in [min, max]. A miss
 * is counted, warned about once, and the caller decides what to skip.
 */
#define ntc_irql_assert(min, max) \
	__ntc_irql_assert((min), (max), __func__)
bool __ntc_irql_assert(enum ntc_irql min, enum ntc_irql max, const char *who);
u64 ntc_irql_violations(void);
void ntc_irql_violations_forget(u64 n);

/*
 * KDPC. The routine runs at DISPATCH_LEVEL (softirq) on the target CPU; on
 * PREEMPT_RT one queued to another CPU runs in the IPI (NTC_DPC_LEVEL_MAX).
 */
/*
 * Kernels with BH workqueues (WQ_BH, 6.9 on) offer a second flavour of a
 * DPC: a work item on system_bh_wq, run in softirq on the CPU it was
 * queued on (queue_work_on() kicks a remote CPU itself).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define NTC_HAVE_BH_WORK 1
#endif

struct ntc_dpc {
	struct tasklet_struct tasklet;
	/* The IPI that queues it remotely; on PREEMPT_RT, that runs it. */
	call_single_data_t csd;
#ifdef NTC_HAVE_BH_WORK
	struct work_struct bh_work;
	bool use_bh_work;
#endif
	void (*routine)(struct ntc_dpc *dpc, void *context, void *arg1,
			void *arg2);
	void *context;
	void *arg1, *arg2;
	int target;			/* -1: the CPU that queues it */
	atomic_t queued;		/* KeInsertQueueDpc's "already queued" */
	atomic_t running;		/* from queue until the routine returned */
};

void ntc_dpc_init(struct ntc_dpc *dpc,
		  void (*routine)(struct ntc_dpc *dpc, void *context,
				  void *arg1, void *arg2),
		  void *context);
void ntc_dpc_set_target(struct ntc_dpc *dpc, int cpu);
#ifdef NTC_HAVE_BH_WORK
/* The BH-workqueue flavour: queued with queue_work_on(system_bh_wq). */
void ntc_dpc_use_bh_work(struct ntc_dpc *dpc);
#endif
bool ntc_dpc_queue(struct ntc_dpc *dpc, void *arg1, void *arg2);
/*
 * The highest IRQL a DPC's routine runs at: DISPATCH_LEVEL, as in NT, but
 * on PREEMPT_RT a DPC queued to another CPU runs in that CPU's IPI, at
 * IPI_LEVEL (its routine must not take a spinlock_t there).
 */
#define NTC_DPC_LEVEL_MAX \
	(IS_ENABLED(CONFIG_PREEMPT_RT) ? IPI_LEVEL : DISPATCH_LEVEL)
/* Not an NT call: true once the DPC is neither queued nor running. */
bool ntc_dpc_idle(struct ntc_dpc *dpc);
/* Teardown: wait (sleeping, bounded by @timeout_ms) until it is idle. */
bool ntc_dpc_flush(struct ntc_dpc *dpc, unsigned int timeout_ms);

/*
 * KeIpiGenericCall: @fn on every CPU of @cpus at once, the caller's
 * included, at IPI_LEVEL; returns when all returned. Process context,
 * interrupts on, hotplug held off.
 */
void ntc_ipi_generic_call(const struct cpumask *cpus, void (*fn)(void *context),
			  void *context);

/*
 * A reusable all-CPU barrier with a deadline. Returns 1 on exactly one CPU
 * per round (the last to arrive), 0 on the others, -ETIMEDOUT when the
 * round did not complete in time; a timed-out barrier is broken and every
 * later wait on it fails at once.
 *
 * One word holds the round, the arrivals it still needs and the broken
 * bit, so that completing a round and giving up on it exclude each other:
 * a waiter whose deadline passes breaks the barrier only if its own round
 * is still incomplete at that instant (a compare-exchange on the word), and
 * a round that completed is reported as completed to every CPU of it,
 * however late it looked.
 */
struct ntc_barrier {
	atomic64_t state;	/* NTC_BARRIER_BROKEN | round << 32 | remaining */
	u32 total;
	u64 deadline_ns;
};

#define NTC_BARRIER_BROKEN	BIT_ULL(63)

void ntc_barrier_init(struct ntc_barrier *b, u32 total, u64 deadline_ns);
int ntc_barrier_wait(struct ntc_barrier *b);
bool ntc_barrier_broken(struct ntc_barrier *b);
void ntc_barrier_break(struct ntc_barrier *b);
/* The two halves of a wait, for the KUnit test of their race. */
int ntc_barrier_arrive(struct ntc_barrier *b, u32 *round);
int ntc_barrier_give_up(struct ntc_barrier *b, u32 round);

/*
 * KeGenericCallDpc and the two signals its routine may use. The state is
 * the layer's (one call at a time): a DPC that runs after its call gave up
 * finds a newer generation and does nothing.
 */
struct ntc_generic_call {
	void (*fn)(struct ntc_generic_call *call, void *context);
	void *context;
	unsigned long gen;
	atomic_t inside;		/* DPCs past the generation check */
	struct ntc_barrier sync;
	atomic_t done_remaining;
	struct completion done;
};

/*
 * Queue a DPC running @fn on every CPU of @cpus (caller's included) and
 * wait, sleeping, until each signalled done or the deadline passed. Called
 * at PASSIVE_LEVEL with CPU hotplug held off. Returns 0 or -ETIMEDOUT.
 */
int ntc_generic_call_dpc(const struct cpumask *cpus,
			 void (*fn)(struct ntc_generic_call *call, void *context),
			 void *context, u64 deadline_ns);
/*
 * KeSignalCallDpcSynchronize: every CPU of the call waits for the others;
 * 1 on exactly one of them, 0 on the rest, -ETIMEDOUT when the round broke.
 */
int ntc_call_dpc_synchronize(struct ntc_generic_call *call);
/* KeSignalCallDpcDone */
void ntc_call_dpc_done(struct ntc_generic_call *call);

/*
 * The lock of a variant, of the kind its port takes. NT's KSPIN_LOCK spins
 * everywhere: raw_spinlock_t is its Linux form, and the only one that may
 * be taken in hard interrupt context on PREEMPT_RT, where spinlock_t is a
 * sleeping lock. A deliberately wrong variant's lock is an
 * arch_spinlock_t, which lockdep does not track: lockdep would report the
 * inconsistent IRQ-safe/IRQ-unsafe use at once (the point of the variant)
 * and then switch itself off for the rest of the suite, hiding real bugs.
 * Loaded with lockdep_sees_wrong_variants=1 (the debug lane's verdict
 * test), each hold of it is also announced to lockdep through a lockdep
 * map, in the holder's own context (ISR, DPC, thread) and with its real
 * interrupt state, so that lockdep judges the usage the variant really has.
 * Used only where preemption is off (hardirq, softirq, raised IRQL).
 */
enum ntc_lock_kind {
	NTC_LOCK_SPINLOCK,		/* spinlock_t */
	NTC_LOCK_RAW,			/* raw_spinlock_t */
	NTC_LOCK_HIDDEN,		/* a wrong variant's arch_spinlock_t */
};

struct ntc_variant_lock {
	enum ntc_lock_kind kind;
	/*
	 * The CPU holding it, or -1. Recorded with that CPU's interrupts off,
	 * together with the lock, so that its own ISR never finds the lock
	 * taken without knowing by whom: it would spin on its own CPU's lock
	 * until the deadline.
	 */
	int owner;
	spinlock_t lock;
	raw_spinlock_t raw;
	arch_spinlock_t hidden;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	bool announce;
	struct lockdep_map dep_map;
#endif
};

void ntc_variant_lock_init(struct ntc_variant_lock *l, enum ntc_lock_kind kind);
/* One try; true: held, by this CPU, announced to lockdep where it is. */
bool ntc_variant_lock_try(struct ntc_variant_lock *l);
void ntc_variant_lock_release(struct ntc_variant_lock *l);

/* Held by this CPU: an ISR that finds this interrupted the holder. */
static inline bool ntc_variant_lock_held_here(struct ntc_variant_lock *l)
{
	return READ_ONCE(l->owner) == smp_processor_id();
}

/*
 * Fault injection, for the reliability tests (debugfs fault_*): at every
 * barrier arrival, CPU ntc_fault.cpu arrives late (busy for delay_us) or
 * never. A CPU told never to arrive leaves as if it had timed out. In mode
 * dpc_late, the simulated device's DpcForIsr on that CPU starts delay_us
 * late instead (the barriers are left alone).
 */
enum ntc_fault_mode {
	NTC_FAULT_OFF,
	NTC_FAULT_LATE,
	NTC_FAULT_NEVER,
	NTC_FAULT_DPC_LATE,
};

/*
 * The longest injected lateness. Longer than any deadline, so that a late
 * CPU can outlast its run and the start of the next (a new client process
 * under TCG takes over a second); short of the CSD-lock watchdog's 5 s.
 */
#define NTC_FAULT_MAX_DELAY_US	(3 * NTCORRAL_MAX_DEADLINE_US)

struct ntc_fault {
	u32 cpu;
	u32 mode;
	u32 delay_us;
	atomic64_t injected;
};

extern struct ntc_fault ntc_fault;
/* Called just before arriving at a barrier: true means "do not arrive". */
bool ntc_fault_arrive(void);
/* Called at the start of the simulated device's DPC. */
void ntc_fault_dpc(void);

int ntc_nt_init(void);
void ntc_nt_exit(void);

#endif /* _NTCORRAL_NT_H */
