/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntcorral: the trace events (system "ntcorral"), for trace-cmd and perf:
 *   run_start, run_end          a run, with its experiment, variant, CPUs
 *   arrive, release             a CPU entering a corral or barrier for an
 *                               iteration (generation) and leaving it, with
 *                               the time it waited there
 *   timeout, violation          what run.c counts, with the sentence
 *   enqueue, dequeue            the interlocked queue, with its depth
 *   device_irq                  an interrupt of the simulated device
 * Each costs a static branch when disabled (the tracepoint's key).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ntcorral

#if !defined(_NTCORRAL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NTCORRAL_TRACE_H

#include <linux/tracepoint.h>
#include <linux/version.h>

/* __assign_str() lost its second argument in 6.10. */
#ifndef ntc_assign_str
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define ntc_assign_str(field, src) __assign_str(field, src)
#else
#define ntc_assign_str(field, src) __assign_str(field)
#endif
#endif

TRACE_EVENT(ntcorral_run_start,
	TP_PROTO(const char *exp, const char *variant, unsigned int nr_cpus,
		 unsigned int initiator, u32 iterations),
	TP_ARGS(exp, variant, nr_cpus, initiator, iterations),
	TP_STRUCT__entry(
		__string(exp, exp)
		__string(variant, variant)
		__field(unsigned int, nr_cpus)
		__field(unsigned int, initiator)
		__field(u32, iterations)
	),
	TP_fast_assign(
		ntc_assign_str(exp, exp);
		ntc_assign_str(variant, variant);
		__entry->nr_cpus = nr_cpus;
		__entry->initiator = initiator;
		__entry->iterations = iterations;
	),
	TP_printk("%s/%s cpus=%u initiator=%u iterations=%u",
		  __get_str(exp), __get_str(variant), __entry->nr_cpus,
		  __entry->initiator, __entry->iterations)
);

TRACE_EVENT(ntcorral_run_end,
	TP_PROTO(const char *exp, const char *variant, u64 samples,
		 u64 violations, u64 timeouts, bool truncated, u64 duration_ns),
	TP_ARGS(exp, variant, samples, violations, timeouts, truncated,
		duration_ns),
	TP_STRUCT__entry(
		__string(exp, exp)
		__string(variant, variant)
		__field(u64, samples)
		__field(u64, violations)
		__field(u64, timeouts)
		__field(bool, truncated)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		ntc_assign_str(exp, exp);
		ntc_assign_str(variant, variant);
		__entry->samples = samples;
		__entry->violations = violations;
		__entry->timeouts = timeouts;
		__entry->truncated = truncated;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("%s/%s samples=%llu violations=%llu timeouts=%llu truncated=%d duration_ns=%llu",
		  __get_str(exp), __get_str(variant), __entry->samples,
		  __entry->violations, __entry->timeouts, __entry->truncated,
		  __entry->duration_ns)
);

DECLARE_EVENT_CLASS(ntcorral_cpu_gen,
	TP_PROTO(int cpu, unsigned long gen, u64 wait_ns),
	TP_ARGS(cpu, gen, wait_ns),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(unsigned long, gen)
		__field(u64, wait_ns)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->gen = gen;
		__entry->wait_ns = wait_ns;
	),
	TP_printk("cpu=%d gen=%lu wait_ns=%llu", __entry->cpu, __entry->gen,
		  __entry->wait_ns)
);

/* A CPU counted itself into iteration @gen's corral or barrier. */
DEFINE_EVENT(ntcorral_cpu_gen, ntcorral_arrive,
	TP_PROTO(int cpu, unsigned long gen, u64 wait_ns),
	TP_ARGS(cpu, gen, wait_ns));

/* It left, after @wait_ns there. */
DEFINE_EVENT(ntcorral_cpu_gen, ntcorral_release,
	TP_PROTO(int cpu, unsigned long gen, u64 wait_ns),
	TP_ARGS(cpu, gen, wait_ns));

DECLARE_EVENT_CLASS(ntcorral_verdict,
	TP_PROTO(const char *exp, const char *variant, const char *what),
	TP_ARGS(exp, variant, what),
	TP_STRUCT__entry(
		__string(exp, exp)
		__string(variant, variant)
		__string(what, what)
	),
	TP_fast_assign(
		ntc_assign_str(exp, exp);
		ntc_assign_str(variant, variant);
		ntc_assign_str(what, what);
	),
	TP_printk("%s/%s: %s", __get_str(exp), __get_str(variant),
		  __get_str(what))
);

DEFINE_EVENT(ntcorral_verdict, ntcorral_timeout,
	TP_PROTO(const char *exp, const char *variant, const char *what),
	TP_ARGS(exp, variant, what));

DEFINE_EVENT(ntcorral_verdict, ntcorral_violation,
	TP_PROTO(const char *exp, const char *variant, const char *what),
	TP_ARGS(exp, variant, what));

DECLARE_EVENT_CLASS(ntcorral_queue,
	TP_PROTO(unsigned int producer, u32 seq, long depth),
	TP_ARGS(producer, seq, depth),
	TP_STRUCT__entry(
		__field(unsigned int, producer)
		__field(u32, seq)
		__field(long, depth)
	),
	TP_fast_assign(
		__entry->producer = producer;
		__entry->seq = seq;
		__entry->depth = depth;
	),
	TP_printk("producer=%u seq=%u depth=%ld", __entry->producer,
		  __entry->seq, __entry->depth)
);

/* An item queued; @depth: items produced and not yet consumed. */
DEFINE_EVENT(ntcorral_queue, ntcorral_enqueue,
	TP_PROTO(unsigned int producer, u32 seq, long depth),
	TP_ARGS(producer, seq, depth));

DEFINE_EVENT(ntcorral_queue, ntcorral_dequeue,
	TP_PROTO(unsigned int producer, u32 seq, long depth),
	TP_ARGS(producer, seq, depth));

TRACE_EVENT(ntcorral_device_irq,
	TP_PROTO(int cpu, u32 seq),
	TP_ARGS(cpu, seq),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(u32, seq)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->seq = seq;
	),
	TP_printk("cpu=%d seq=%u", __entry->cpu, __entry->seq)
);

#endif /* _NTCORRAL_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I$(src)/module. */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
