// SPDX-License-Identifier: GPL-2.0
/* ntcorral: the trace events' one definition (see trace.h). */

#define CREATE_TRACE_POINTS
#include "trace.h"

#include <linux/percpu.h>

#include "ntcorral.h"

/*
 * The corrals' arrival and release events, with the waits they carry: the
 * arrival's since the iteration was armed, the release's since this CPU
 * arrived. The timestamps are taken only while the events are on.
 */
static u64 ntc_trace_t_armed;
static DEFINE_PER_CPU(u64, ntc_trace_t_arrived);

void ntc_trace_armed(void)
{
	if (trace_ntcorral_arrive_enabled())
		WRITE_ONCE(ntc_trace_t_armed, ntc_now());
}

void ntc_trace_arrive(unsigned long gen)
{
	u64 now;

	if (!trace_ntcorral_arrive_enabled() && !trace_ntcorral_release_enabled())
		return;
	now = ntc_now();
	raw_cpu_write(ntc_trace_t_arrived, now);
	trace_ntcorral_arrive(raw_smp_processor_id(), gen,
			      now - min(now, READ_ONCE(ntc_trace_t_armed)));
}

void ntc_trace_release(unsigned long gen)
{
	u64 now;

	if (!trace_ntcorral_release_enabled())
		return;
	now = ntc_now();
	trace_ntcorral_release(raw_smp_processor_id(), gen,
			       now - min(now, raw_cpu_read(ntc_trace_t_arrived)));
}

void ntc_trace_run_start(const struct ntc_run *run)
{
	trace_ntcorral_run_start(run->exp->name, run->variant->name,
				 run->nr_cpus, run->initiator,
				 run->p.iterations);
}

void ntc_trace_run_end(const struct ntc_run *run)
{
	trace_ntcorral_run_end(run->exp->name, run->variant->name,
			       run->samples, run->violations, run->timeouts,
			       run->truncated, run->duration_ns);
}

void ntc_trace_verdict(const struct ntc_run *run, bool violation,
		       const char *what)
{
	if (violation)
		trace_ntcorral_violation(run->exp->name, run->variant->name, what);
	else
		trace_ntcorral_timeout(run->exp->name, run->variant->name, what);
}

void ntc_trace_queue(bool enqueue, unsigned int producer, u32 seq,
		     long depth)
{
	if (enqueue)
		trace_ntcorral_enqueue(producer, seq, depth);
	else
		trace_ntcorral_dequeue(producer, seq, depth);
}

bool ntc_trace_queue_enabled(void)
{
	return trace_ntcorral_enqueue_enabled() || trace_ntcorral_dequeue_enabled();
}

void ntc_trace_device_irq(int cpu, u32 seq)
{
	trace_ntcorral_device_irq(cpu, seq);
}
