// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: /sys/kernel/debug/ntcorral/<experiment>/<variant>, the
 * cumulative stats for people. The figures are those of the stats command;
 * the netlink family, not this text, is the stable interface.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "ntcorral.h"
#include "nt.h"

static struct dentry *ntc_debugfs_root;

/* A variant's file: its experiment's index and its own, in the private. */
#define NTC_DEBUGFS_KEY(e, v)	((void *)(uintptr_t)((e) << 16 | (v)))

static void ntc_show_hist(struct seq_file *m, const char *name,
			  const struct ntc_metric_summary *s)
{
	unsigned int b, first = NTCORRAL_HIST_BUCKETS, last = 0, bar;
	u64 peak = 0;

	for (b = 0; b < NTCORRAL_HIST_BUCKETS; b++) {
		if (!s->hist[b])
			continue;
		first = min(first, b);
		last = b;
		peak = max(peak, s->hist[b]);
	}
	if (!peak)
		return;
	seq_printf(m, "histogram %s:\n", name);
	for (b = first; b <= last; b++) {
		bar = div64_u64(s->hist[b] * 40 + peak - 1, peak);
		seq_printf(m, "  [%12llu, %12llu) %10llu |%.*s\n",
			   ntc_hist_bucket_lo(b), ntc_hist_bucket_hi(b),
			   s->hist[b], bar,
			   "########################################");
	}
}

static int ntc_variant_show(struct seq_file *m, void *unused)
{
	uintptr_t key = (uintptr_t)m->private;
	const struct ntc_experiment *exp = ntc_experiments[key >> 16];
	const struct ntc_variant *variant = &exp->variants[key & 0xffff];
	struct ntc_report *rep;
	unsigned int i;

	rep = kmalloc(sizeof(*rep), GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	ntc_stats_report(exp, variant, rep);
	seq_printf(m, "%s/%s%s\n", exp->name, variant->name,
		   variant->baseline ? " (baseline)" : "");
	seq_printf(m, "runs: %llu\n", rep->runs);
	seq_printf(m, "samples: %llu\n", rep->samples);
	seq_printf(m, "violations: %llu\n", rep->violations);
	seq_printf(m, "timeouts: %llu\n", rep->timeouts);
	seq_printf(m, "truncated: %u\n", rep->truncated);
	seq_printf(m, "duration_ns: %llu\n", rep->duration_ns);
	for (i = 0; i < exp->nr_metrics; i++) {
		const struct ntc_metric_summary *s = &rep->metric[i];

		seq_printf(m, "metric %s: count %llu min %llu mean %llu p50 %llu p90 %llu p99 %llu max %llu\n",
			   exp->metrics[i], s->count, s->min, s->mean, s->p50,
			   s->p90, s->p99, s->max);
	}
	for (i = 0; i < exp->nr_counters; i++)
		seq_printf(m, "counter %s: %llu\n", exp->counters[i],
			   rep->counters[i]);
	for (i = 0; i < exp->nr_metrics; i++)
		ntc_show_hist(m, exp->metrics[i], &rep->metric[i]);
	kfree(rep);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ntc_variant);

/* Calls made at the wrong IRQL since load (Driver Verifier's count). */
static int ntc_irql_violations_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%llu\n", ntc_irql_violations());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ntc_irql_violations);

static int ntc_fault_injected_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%lld\n", (long long)atomic64_read(&ntc_fault.injected));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ntc_fault_injected);

int __init ntc_debugfs_init(void)
{
	unsigned int e, v;
	struct dentry *dir;

	ntc_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("irql_violations", 0444, ntc_debugfs_root, NULL,
			    &ntc_irql_violations_fops);
	/* Fault injection for the reliability tests; see nt.h. */
	debugfs_create_u32("fault_cpu", 0600, ntc_debugfs_root, &ntc_fault.cpu);
	debugfs_create_u32("fault_mode", 0600, ntc_debugfs_root, &ntc_fault.mode);
	debugfs_create_u32("fault_delay_us", 0600, ntc_debugfs_root,
			   &ntc_fault.delay_us);
	debugfs_create_file("fault_injected", 0444, ntc_debugfs_root, NULL,
			    &ntc_fault_injected_fops);
	for (e = 0; e < ntc_nr_experiments; e++) {
		const struct ntc_experiment *exp = ntc_experiments[e];

		dir = debugfs_create_dir(exp->name, ntc_debugfs_root);
		for (v = 0; v < exp->nr_variants; v++)
			debugfs_create_file(exp->variants[v].name, 0444, dir,
					    NTC_DEBUGFS_KEY(e, v),
					    &ntc_variant_fops);
	}
	/* debugfs is optional: its failures are not the module's. */
	return 0;
}

void ntc_debugfs_exit(void)
{
	debugfs_remove_recursive(ntc_debugfs_root);
	ntc_debugfs_root = NULL;
}
