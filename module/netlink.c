// SPDX-License-Identifier: GPL-2.0
/* ntcorral: the "ntcorral" generic netlink family. */

#include <linux/capability.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <net/genetlink.h>

#include "ntcorral.h"

static struct genl_family ntc_family;

/*
 * The run parameters, each described once: its attribute, its u32 in
 * struct ntc_run_params, its name, unit, range, default and meaning. The
 * request policy (ntc_netlink_init()), the list command's parameter info
 * and the defaults all come from this table.
 */
static const struct ntc_param_info {
	const char *name, *unit, *description;
	u32 attr;
	size_t offset;		/* of its u32 in struct ntc_run_params */
	struct netlink_range_validation range;
	u32 def;
} ntc_params[] = {
#define NTC_PARAM(a, f) .attr = NTCORRAL_A_##a, .name = #f,		\
	.offset = offsetof(struct ntc_run_params, f)
	{ NTC_PARAM(ITERATIONS, iterations), .unit = "count",
	  .range = { NTCORRAL_MIN_ITERATIONS, NTCORRAL_MAX_ITERATIONS },
	  .def = NTCORRAL_DEFAULT_ITERATIONS,
	  .description = "iterations to run" },
	{ NTC_PARAM(HOLD_US, hold_us), .unit = "us",
	  .range = { 0, NTCORRAL_MAX_HOLD_US },
	  .def = NTCORRAL_DEFAULT_HOLD_US,
	  .description = "work done holding the window (shootdown) or the lock (DPC and thread of the device experiments)" },
	{ NTC_PARAM(DEADLINE_US, deadline_us), .unit = "us",
	  .range = { NTCORRAL_MIN_DEADLINE_US, NTCORRAL_MAX_DEADLINE_US },
	  .def = NTCORRAL_DEFAULT_DEADLINE_US,
	  .description = "bound on every spin and wait of an iteration" },
	{ NTC_PARAM(MAX_RUNTIME_MS, max_runtime_ms), .unit = "ms",
	  .range = { NTCORRAL_MIN_RUNTIME_MS, NTCORRAL_MAX_RUNTIME_MS },
	  .def = NTCORRAL_DEFAULT_RUNTIME_MS,
	  .description = "bound on the whole run; it stops early (truncated) when reached" },
	{ NTC_PARAM(PCI_DEVICE, pci_device), .unit = "bus<<8|devfn",
	  .range = { 0, NTCORRAL_MAX_PCI_DEVICE },
	  .def = NTCORRAL_DEFAULT_PCI_DEVICE,
	  .description = "PCI device read inside the window, domain 0; 0x10000: none" },
	{ NTC_PARAM(RATE_HZ, rate_hz), .unit = "Hz",
	  .range = { NTCORRAL_MIN_RATE_HZ, NTCORRAL_MAX_RATE_HZ },
	  .def = NTCORRAL_DEFAULT_RATE_HZ,
	  .description = "interrupts per second on each CPU of the simulated device" },
	{ NTC_PARAM(WARMUP, warmup), .unit = "count",
	  .range = { 0, NTCORRAL_MAX_WARMUP },
	  .def = NTCORRAL_DEFAULT_WARMUP,
	  .description = "iterations run before the measured ones, not recorded (their violations and timeouts count)" },
	{ NTC_PARAM(COOLDOWN, cooldown), .unit = "count",
	  .range = { 0, NTCORRAL_MAX_WARMUP },
	  .def = NTCORRAL_DEFAULT_COOLDOWN,
	  .description = "iterations run after the measured ones, not recorded" },
	{ NTC_PARAM(PHASE_STAMPS, phase_stamps), .unit = "bool",
	  .range = { 0, 1 },
	  .def = NTCORRAL_DEFAULT_PHASE_STAMPS,
	  .description = "1: time every phase; 0: the primary metric only, no clock read inside its window" },
	{ NTC_PARAM(BATCH, batch), .unit = "count",
	  .range = { NTCORRAL_MIN_BATCH, NTCORRAL_MAX_BATCH },
	  .def = NTCORRAL_DEFAULT_BATCH,
	  .description = "iterations timed together between two timestamps; the primary metric's sample is their mean (> 1: phase_stamps 0)" },
	{ NTC_PARAM(BURST, burst), .unit = "count",
	  .range = { NTCORRAL_MIN_BURST, NTCORRAL_MAX_BURST },
	  .def = NTCORRAL_DEFAULT_BURST,
	  .description = "items each interrupt of the simulated device produces" },
#undef NTC_PARAM
};

/*
 * RUN's policy: the names here, a range per parameter from ntc_params
 * (ntc_netlink_init()). Reply-only attributes between BURST and BATCH are
 * rejected; the ones past BATCH are unknown.
 */
static struct netlink_range_validation ntc_param_ranges[ARRAY_SIZE(ntc_params)] __ro_after_init;
static struct nla_policy ntc_run_policy[NTCORRAL_A_BATCH + 1] __ro_after_init = {
	[NTCORRAL_A_EXPERIMENT]	= { .type = NLA_NUL_STRING, .len = NTCORRAL_NAME_MAX - 1 },
	[NTCORRAL_A_VARIANT]	= { .type = NLA_NUL_STRING, .len = NTCORRAL_NAME_MAX - 1 },
	[NTCORRAL_A_CPUS]	= { .type = NLA_BINARY, .len = NTCORRAL_CPUS_MAX_BYTES },
	[NTCORRAL_A_CLOCK_READ_NS] = { .type = NLA_REJECT },
	[NTCORRAL_A_SAMPLE_OVERHEAD_NS] = { .type = NLA_REJECT },
};

/* GET_RESULT and CANCEL: which run. */
static const struct nla_policy ntc_run_id_policy[NTCORRAL_A_RUN_ID + 1] = {
	[NTCORRAL_A_RUN_ID]	= NLA_POLICY_MIN(NLA_U64, 1),
};

/* LIST, GET_STATS and RESET_STATS take only the name filters. */
static const struct nla_policy ntc_filter_policy[NTCORRAL_A_VARIANT + 1] = {
	[NTCORRAL_A_EXPERIMENT]	= { .type = NLA_NUL_STRING, .len = NTCORRAL_NAME_MAX - 1 },
	[NTCORRAL_A_VARIANT]	= { .type = NLA_NUL_STRING, .len = NTCORRAL_NAME_MAX - 1 },
};


/* Every experiment takes these; the others only where it lists them. */
static bool ntc_param_used(const struct ntc_experiment *exp, u32 attr)
{
	return attr == NTCORRAL_A_ITERATIONS || attr == NTCORRAL_A_DEADLINE_US ||
	       attr == NTCORRAL_A_MAX_RUNTIME_MS || (exp->params & BIT_ULL(attr));
}

/* The request's attributes in a dump: the API moved in 6.2. */
static struct nlattr **ntc_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Resolve the optional experiment/variant filters; -ENOENT on a miss. */
static int ntc_parse_filter(struct nlattr **attrs, struct netlink_ext_ack *extack,
			    const struct ntc_experiment **exp,
			    const struct ntc_variant **variant)
{
	*exp = NULL;
	*variant = NULL;
	if (attrs[NTCORRAL_A_EXPERIMENT]) {
		*exp = ntc_experiment_find(nla_data(attrs[NTCORRAL_A_EXPERIMENT]));
		if (!*exp) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[NTCORRAL_A_EXPERIMENT],
					    "unknown experiment; the list command shows the valid ones");
			return -ENOENT;
		}
	}
	if (attrs[NTCORRAL_A_VARIANT]) {
		if (!*exp) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[NTCORRAL_A_VARIANT],
					    "a variant needs its experiment");
			return -EINVAL;
		}
		*variant = ntc_variant_find(*exp, nla_data(attrs[NTCORRAL_A_VARIANT]));
		if (!*variant) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[NTCORRAL_A_VARIANT],
					    "unknown variant of this experiment; the list command shows the valid ones");
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * GENL_ADMIN_PERM checks CAP_NET_ADMIN; running experiments stops CPUs, so
 * it also takes CAP_SYS_ADMIN.
 */
static int ntc_check_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(info->extack, "this command needs CAP_SYS_ADMIN");
	return -EPERM;
}

static int ntc_put_cpus(struct sk_buff *skb, const struct cpumask *mask)
{
	unsigned int words = DIV_ROUND_UP(nr_cpu_ids, 64), cpu;
	u64 *bits;
	int ret;

	bits = kcalloc(words, sizeof(*bits), GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	for_each_cpu(cpu, mask)
		bits[cpu / 64] |= 1ULL << (cpu % 64);
	ret = nla_put(skb, NTCORRAL_A_CPUS, words * sizeof(*bits), bits);
	kfree(bits);
	return ret;
}

static int ntc_parse_cpus(const struct nlattr *attr, struct cpumask *mask,
			  struct netlink_ext_ack *extack)
{
	const u8 *bytes = nla_data(attr);
	unsigned int len = nla_len(attr), i, cpu;
	u64 word;

	if (len == 0 || len % sizeof(u64)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "CPU set must be a whole number of u64 bitmap words");
		return -EINVAL;
	}
	cpumask_clear(mask);
	for (i = 0; i < len / sizeof(u64); i++) {
		memcpy(&word, bytes + i * sizeof(u64), sizeof(u64));
		while (word) {
			cpu = i * 64 + __ffs64(word);
			word &= word - 1;
			if (cpu >= nr_cpu_ids) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "CPU set names a CPU this machine does not have");
				return -EINVAL;
			}
			if (!cpu_online(cpu)) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "CPU set names an offline CPU");
				return -EINVAL;
			}
			cpumask_set_cpu(cpu, mask);
		}
	}
	if (cpumask_empty(mask)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "CPU set is empty");
		return -EINVAL;
	}
	return 0;
}

static int ntc_put_metric(struct sk_buff *skb, const char *name,
			  const struct ntc_metric_summary *s)
{
	struct nlattr *nest = nla_nest_start(skb, NTCORRAL_A_METRIC);

	if (!nest ||
	    nla_put_string(skb, NTCORRAL_METRIC_A_NAME, name) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_COUNT, s->count, NTCORRAL_METRIC_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_MIN_NS, s->min, NTCORRAL_METRIC_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_MEAN_NS, s->mean, NTCORRAL_METRIC_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_P50_NS, s->p50, NTCORRAL_METRIC_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_P90_NS, s->p90, NTCORRAL_METRIC_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_P99_NS, s->p99, NTCORRAL_METRIC_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_METRIC_A_MAX_NS, s->max, NTCORRAL_METRIC_A_PAD) ||
	    nla_put(skb, NTCORRAL_METRIC_A_HIST, sizeof(s->hist), s->hist))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int ntc_put_counter(struct sk_buff *skb, const char *name, u64 value)
{
	struct nlattr *nest = nla_nest_start(skb, NTCORRAL_A_COUNTER);

	if (!nest ||
	    nla_put_string(skb, NTCORRAL_COUNTER_A_NAME, name) ||
	    nla_put_u64_64bit(skb, NTCORRAL_COUNTER_A_VALUE, value, NTCORRAL_COUNTER_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The result layout of the uapi header, for a run or the stats. */
static int ntc_put_report(struct sk_buff *skb, const struct ntc_report *rep)
{
	const struct ntc_experiment *exp = rep->exp;
	const struct ntc_run *run = rep->run;
	unsigned int i;

	if (nla_put_string(skb, NTCORRAL_A_EXPERIMENT, exp->name) ||
	    nla_put_string(skb, NTCORRAL_A_VARIANT, rep->variant->name) ||
	    nla_put_u64_64bit(skb, NTCORRAL_A_RUNS, rep->runs, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_A_SAMPLES, rep->samples, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_A_VIOLATIONS, rep->violations, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_A_TIMEOUTS, rep->timeouts, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(skb, NTCORRAL_A_DURATION_NS, rep->duration_ns, NTCORRAL_A_PAD) ||
	    (rep->truncated && nla_put_flag(skb, NTCORRAL_A_TRUNCATED)))
		return -EMSGSIZE;
	if (run &&
	    (nla_put_u32(skb, NTCORRAL_A_ITERATIONS, run->p.iterations) ||
	     nla_put_u32(skb, NTCORRAL_A_NR_CPUS, run->nr_cpus) ||
	     nla_put_u32(skb, NTCORRAL_A_INITIATOR_CPU, run->initiator) ||
	     ntc_put_cpus(skb, run->p.cpus) ||
	     nla_put_u64_64bit(skb, NTCORRAL_A_CLOCK_READ_NS, run->clock_read_ns,
			       NTCORRAL_A_PAD) ||
	     nla_put_u64_64bit(skb, NTCORRAL_A_SAMPLE_OVERHEAD_NS,
			       run->sample_overhead_ns, NTCORRAL_A_PAD)))
		return -EMSGSIZE;
	if (run && (exp->params & BIT_ULL(NTCORRAL_A_WARMUP)) &&
	    (nla_put_u32(skb, NTCORRAL_A_WARMUP, run->p.warmup) ||
	     nla_put_u32(skb, NTCORRAL_A_COOLDOWN, run->p.cooldown) ||
	     nla_put_u32(skb, NTCORRAL_A_PHASE_STAMPS, run->p.phase_stamps) ||
	     nla_put_u32(skb, NTCORRAL_A_BATCH, run->p.batch)))
		return -EMSGSIZE;
	for (i = 0; i < exp->nr_metrics; i++)
		if (ntc_put_metric(skb, exp->metrics[i], &rep->metric[i]))
			return -EMSGSIZE;
	for (i = 0; i < exp->nr_counters; i++)
		if (ntc_put_counter(skb, exp->counters[i], rep->counters[i]))
			return -EMSGSIZE;
	return 0;
}

static int ntc_put_experiment(struct sk_buff *skb, const struct ntc_experiment *exp)
{
	const struct ntc_param_info *p;
	struct nlattr *nest;
	unsigned int i;

	if (nla_put_string(skb, NTCORRAL_A_EXPERIMENT, exp->name) ||
	    nla_put_string(skb, NTCORRAL_A_SEED, exp->seed) ||
	    nla_put_string(skb, NTCORRAL_A_DESCRIPTION, exp->description))
		return -EMSGSIZE;
	for (i = 0; i < exp->nr_variants; i++) {
		const struct ntc_variant *v = &exp->variants[i];

		nest = nla_nest_start(skb, NTCORRAL_A_VARIANT_INFO);
		if (!nest ||
		    nla_put_string(skb, NTCORRAL_VARIANT_A_NAME, v->name) ||
		    nla_put_string(skb, NTCORRAL_VARIANT_A_DESCRIPTION, v->description) ||
		    (v->baseline && nla_put_flag(skb, NTCORRAL_VARIANT_A_BASELINE)) ||
		    (v->wrong && nla_put_flag(skb, NTCORRAL_VARIANT_A_WRONG)) ||
		    (v->defect && nla_put_flag(skb, NTCORRAL_VARIANT_A_DEFECT)) ||
		    (v->waits_in_irq &&
		     nla_put_flag(skb, NTCORRAL_VARIANT_A_WAITS_IN_IRQ)) ||
		    (v->refused &&
		     nla_put_string(skb, NTCORRAL_VARIANT_A_REFUSED, v->refused)))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	for (p = ntc_params; p < ntc_params + ARRAY_SIZE(ntc_params); p++) {
		if (!ntc_param_used(exp, p->attr))
			continue;
		nest = nla_nest_start(skb, NTCORRAL_A_PARAM_INFO);
		if (!nest ||
		    nla_put_string(skb, NTCORRAL_PARAM_A_NAME, p->name) ||
		    nla_put_u32(skb, NTCORRAL_PARAM_A_ATTR, p->attr) ||
		    nla_put_string(skb, NTCORRAL_PARAM_A_DESCRIPTION, p->description) ||
		    nla_put_string(skb, NTCORRAL_PARAM_A_UNIT, p->unit) ||
		    nla_put_u64_64bit(skb, NTCORRAL_PARAM_A_MIN_VALUE, p->range.min, NTCORRAL_PARAM_A_PAD) ||
		    nla_put_u64_64bit(skb, NTCORRAL_PARAM_A_MAX_VALUE, p->range.max, NTCORRAL_PARAM_A_PAD) ||
		    nla_put_u64_64bit(skb, NTCORRAL_PARAM_A_DEFAULT_VALUE, p->def, NTCORRAL_PARAM_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	for (i = 0; i < exp->nr_metrics; i++)
		if (nla_put_string(skb, NTCORRAL_A_METRIC_NAME, exp->metrics[i]))
			return -EMSGSIZE;
	return 0;
}

static int ntc_nl_list_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct ntc_experiment *only, *exp;
	const struct ntc_variant *variant;
	unsigned int idx;
	void *hdr;
	int ret;

	ret = ntc_parse_filter(ntc_dump_attrs(cb), cb->extack, &only, &variant);
	if (ret)
		return ret;
	for (idx = cb->args[0]; idx < ntc_nr_experiments; idx++) {
		exp = ntc_experiments[idx];
		if (only && exp != only)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &ntc_family, NLM_F_MULTI, NTCORRAL_CMD_LIST_EXPERIMENTS);
		if (!hdr)
			break;
		if (ntc_put_experiment(skb, exp)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = idx;
	return skb->len;
}

static int ntc_nl_stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct ntc_experiment *only_exp, *exp;
	const struct ntc_variant *only_variant;
	unsigned int e, v, flat = 0;
	struct ntc_report *rep;
	void *hdr;
	int ret;

	ret = ntc_parse_filter(ntc_dump_attrs(cb), cb->extack, &only_exp, &only_variant);
	if (ret)
		return ret;
	rep = kmalloc(sizeof(*rep), GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	/* cb->args[0] counts (experiment, variant) pairs already sent. */
	for (e = 0; e < ntc_nr_experiments; e++) {
		exp = ntc_experiments[e];
		for (v = 0; v < exp->nr_variants; v++, flat++) {
			if (flat < cb->args[0])
				continue;
			if ((only_exp && exp != only_exp) ||
			    (only_variant && &exp->variants[v] != only_variant)) {
				cb->args[0] = flat + 1;
				continue;
			}
			ntc_stats_report(exp, &exp->variants[v], rep);
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &ntc_family,
					  NLM_F_MULTI, NTCORRAL_CMD_GET_STATS);
			if (!hdr)
				goto out;
			if (ntc_put_report(skb, rep)) {
				genlmsg_cancel(skb, hdr);
				goto out;
			}
			genlmsg_end(skb, hdr);
			cb->args[0] = flat + 1;
		}
	}
out:
	kfree(rep);
	return skb->len;
}

/*
 * The last finished run's RUN_RESULT attributes, for GET_RESULT: a client
 * that missed the notification (a full socket) fetches it from here.
 */
static DEFINE_MUTEX(ntc_result_lock);
static void *ntc_last_result;
static size_t ntc_last_result_len;
static u64 ntc_last_result_id;

enum ntc_mcgrp { NTC_MCGRP_RUNS };

static const struct genl_multicast_group ntc_mcgrps[] = {
	[NTC_MCGRP_RUNS] = { .name = NTCORRAL_MCGRP_RUNS },
};

static bool ntc_runs_listened(void)
{
	return genl_has_listeners(&ntc_family, &init_net, NTC_MCGRP_RUNS);
}

/* On the run's thread, between iterations: sleepable, no lock of ours. */
void ntc_netlink_run_progress(const struct ntc_run *run, u64 done, u64 total,
			      u64 elapsed_ns)
{
	struct sk_buff *msg;
	void *hdr;

	if (!ntc_runs_listened())
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;		/* progress is best effort; the result is not */
	hdr = genlmsg_put(msg, 0, 0, &ntc_family, 0, NTCORRAL_CMD_RUN_PROGRESS);
	if (!hdr ||
	    nla_put_u64_64bit(msg, NTCORRAL_A_RUN_ID, run->id, NTCORRAL_A_PAD) ||
	    nla_put_string(msg, NTCORRAL_A_EXPERIMENT, run->exp->name) ||
	    nla_put_string(msg, NTCORRAL_A_VARIANT, run->variant->name) ||
	    nla_put_u64_64bit(msg, NTCORRAL_A_DONE, done, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(msg, NTCORRAL_A_TOTAL, total, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(msg, NTCORRAL_A_ELAPSED_NS, elapsed_ns, NTCORRAL_A_PAD) ||
	    nla_put_u64_64bit(msg, NTCORRAL_A_BUDGET_NS,
			      (u64)run->p.max_runtime_ms * NSEC_PER_MSEC,
			      NTCORRAL_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&ntc_family, msg, 0, NTC_MCGRP_RUNS, GFP_KERNEL);
}

/* A run's RUN_RESULT attributes: its report (@rep), or its error. */
static int ntc_put_run_result(struct sk_buff *skb, const struct ntc_run *run,
			      const struct ntc_report *rep)
{
	if (nla_put_u64_64bit(skb, NTCORRAL_A_RUN_ID, run->id, NTCORRAL_A_PAD))
		return -EMSGSIZE;
	if (rep)
		return ntc_put_report(skb, rep) ||
		       (run->cancel && nla_put_u32(skb, NTCORRAL_A_CANCELLED,
						   run->cancel)) ? -EMSGSIZE : 0;
	if (nla_put_string(skb, NTCORRAL_A_EXPERIMENT, run->exp->name) ||
	    nla_put_string(skb, NTCORRAL_A_VARIANT, run->variant->name) ||
	    nla_put_u32(skb, NTCORRAL_A_ERROR, -run->err) ||
	    (run->errmsg &&
	     nla_put_string(skb, NTCORRAL_A_ERROR_MESSAGE, run->errmsg)))
		return -EMSGSIZE;
	return 0;
}

/*
 * On the run's thread, once it finished: its RUN_RESULT, kept for
 * GET_RESULT and returned for ntc_netlink_send_result() (NULL when there
 * was no memory for it: said in the log, the figures are in the stats).
 */
struct sk_buff *ntc_netlink_run_result(const struct ntc_run *run,
				       const struct ntc_report *rep)
{
	struct sk_buff *msg;
	size_t len;
	void *hdr, *copy;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &ntc_family, 0, NTCORRAL_CMD_RUN_RESULT);
	if (!hdr || ntc_put_run_result(msg, run, rep)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);

	len = genlmsg_len(nlmsg_data(nlmsg_hdr(msg)));
	copy = kmemdup(genlmsg_data(nlmsg_data(nlmsg_hdr(msg))), len, GFP_KERNEL);
	mutex_lock(&ntc_result_lock);
	kfree(ntc_last_result);
	ntc_last_result = copy;
	ntc_last_result_len = copy ? len : 0;
	ntc_last_result_id = run->id;
	mutex_unlock(&ntc_result_lock);
	return msg;
lost:
	pr_err("%s/%s: run %llu: no memory for its result message; its figures are in the stats\n",
	       run->exp->name, run->variant->name, run->id);
	return NULL;
}

/* The result to the "runs" group; consumes @msg. */
void ntc_netlink_send_result(struct sk_buff *msg)
{
	if (msg && ntc_runs_listened())
		genlmsg_multicast(&ntc_family, msg, 0, NTC_MCGRP_RUNS, GFP_KERNEL);
	else
		nlmsg_free(msg);
}

/*
 * The run's parameters from the request: each the experiment takes, or its
 * default; one it does not take is refused. The CPU set, or the CPUs
 * online now.
 */
static int ntc_nl_run_params(struct ntc_run *run, struct nlattr **attrs,
			     struct netlink_ext_ack *extack)
{
	const struct ntc_param_info *p;

	for (p = ntc_params; p < ntc_params + ARRAY_SIZE(ntc_params); p++) {
		u32 *value = (void *)&run->p + p->offset;

		if (attrs[p->attr] && !ntc_param_used(run->exp, p->attr)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[p->attr],
					    "this experiment does not take that parameter; the list command shows the ones it does");
			return -EINVAL;
		}
		*value = attrs[p->attr] ? nla_get_u32(attrs[p->attr]) : p->def;
	}
	/* A batch is timed from outside: no timestamp inside it. */
	if (run->p.batch > 1)
		run->p.phase_stamps = 0;
	if (attrs[NTCORRAL_A_CPUS])
		return ntc_parse_cpus(attrs[NTCORRAL_A_CPUS], run->p.cpus, extack);
	cpumask_copy(run->p.cpus, cpu_online_mask);
	run->p.cpus_online = true;
	return 0;
}

/* The RUN answer: the run's id, experiment and variant. Consumes @reply. */
static int ntc_nl_run_reply(struct sk_buff *reply, struct genl_info *info,
			    const struct ntc_run *run)
{
	void *hdr;

	hdr = genlmsg_put_reply(reply, info, &ntc_family, 0, NTCORRAL_CMD_RUN);
	if (hdr &&
	    !nla_put_u64_64bit(reply, NTCORRAL_A_RUN_ID, run->id, NTCORRAL_A_PAD) &&
	    !nla_put_string(reply, NTCORRAL_A_EXPERIMENT, run->exp->name) &&
	    !nla_put_string(reply, NTCORRAL_A_VARIANT, run->variant->name)) {
		genlmsg_end(reply, hdr);
		return genlmsg_reply(reply, info);
	}
	nlmsg_free(reply);
	return -EMSGSIZE;
}

static int ntc_nl_run_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct sk_buff *reply = NULL;
	struct ntc_run *run;
	int ret;

	ret = ntc_check_admin(skb, info);
	if (ret)
		return ret;
	/* The missing-attribute report, and a sentence for people. */
	if (GENL_REQ_ATTR_CHECK(info, NTCORRAL_A_EXPERIMENT)) {
		NL_SET_ERR_MSG(info->extack, "a run needs an experiment name");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, NTCORRAL_A_VARIANT)) {
		NL_SET_ERR_MSG(info->extack, "a run needs a variant name");
		return -EINVAL;
	}

	run = ntc_run_alloc();
	reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!run || !reply) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ntc_parse_filter(attrs, info->extack, &run->exp, &run->variant);
	if (ret)
		goto out;
	ret = ntc_nl_run_params(run, attrs, info->extack);
	if (ret)
		goto out;
	ret = ntc_run_start(run);
	if (ret) {
		/* errmsg is a string literal of run.c/the experiment. */
		if (info->extack && run->errmsg)
			info->extack->_msg = run->errmsg;
		goto out;
	}
	/* The answer first: it is queued before any notification of the run. */
	ret = ntc_nl_run_reply(reply, info, run);
	/* Started: it goes on, answered or not, and frees itself. */
	ntc_run_go(run);
	return ret;
out:
	nlmsg_free(reply);
	ntc_run_free(run);
	return ret;
}

static u64 ntc_get_run_id(struct genl_info *info)
{
	const struct nlattr *a = info->attrs[NTCORRAL_A_RUN_ID];

	return a ? nla_get_u64(a) : 0;
}

static int ntc_nl_get_result_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 id = ntc_get_run_id(info);
	struct sk_buff *msg;
	void *hdr;

	mutex_lock(&ntc_result_lock);
	if (!ntc_last_result || (id && id != ntc_last_result_id)) {
		mutex_unlock(&ntc_result_lock);
		if (id && ntc_run_in_progress(id)) {
			NL_SET_ERR_MSG(info->extack,
				       "that run has not finished yet; its result will come on the runs group");
			return -EINPROGRESS;
		}
		if (id)
			NL_SET_ERR_MSG(info->extack,
				       "no result of that run: a later run replaced it, or it never was");
		else
			NL_SET_ERR_MSG(info->extack,
				       "no run has finished since the module was loaded");
		return -ENOENT;
	}
	msg = genlmsg_new(ntc_last_result_len, GFP_KERNEL);
	hdr = msg ? genlmsg_put_reply(msg, info, &ntc_family, 0,
				      NTCORRAL_CMD_GET_RESULT) : NULL;
	if (!hdr) {
		mutex_unlock(&ntc_result_lock);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	skb_put_data(msg, ntc_last_result, ntc_last_result_len);
	mutex_unlock(&ntc_result_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int ntc_nl_cancel_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 id = ntc_get_run_id(info);
	int ret;

	ret = ntc_check_admin(skb, info);
	if (ret)
		return ret;
	ret = ntc_run_cancel(id, NTCORRAL_CANCEL_REQUEST);
	if (ret && id)
		NL_SET_ERR_MSG(info->extack, "that run is not in progress");
	else if (ret)
		NL_SET_ERR_MSG(info->extack, "no run is in progress");
	return ret;
}

static int ntc_nl_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct ntc_experiment *exp;
	const struct ntc_variant *variant;
	int ret;

	ret = ntc_check_admin(skb, info);
	if (ret)
		return ret;
	ret = ntc_parse_filter(info->attrs, info->extack, &exp, &variant);
	if (ret)
		return ret;
	ntc_stats_reset(exp, variant);
	return 0;
}

static const struct genl_ops ntc_ops[] = {
	{
		.cmd		= NTCORRAL_CMD_LIST_EXPERIMENTS,
		.dumpit		= ntc_nl_list_dumpit,
		.policy		= ntc_filter_policy,
		.maxattr	= ARRAY_SIZE(ntc_filter_policy) - 1,
	},
	{
		.cmd		= NTCORRAL_CMD_RUN,
		.doit		= ntc_nl_run_doit,
		.policy		= ntc_run_policy,
		.maxattr	= ARRAY_SIZE(ntc_run_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= NTCORRAL_CMD_GET_STATS,
		.dumpit		= ntc_nl_stats_dumpit,
		.policy		= ntc_filter_policy,
		.maxattr	= ARRAY_SIZE(ntc_filter_policy) - 1,
	},
	{
		.cmd		= NTCORRAL_CMD_RESET_STATS,
		.doit		= ntc_nl_reset_doit,
		.policy		= ntc_filter_policy,
		.maxattr	= ARRAY_SIZE(ntc_filter_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= NTCORRAL_CMD_GET_RESULT,
		.doit		= ntc_nl_get_result_doit,
		.policy		= ntc_run_id_policy,
		.maxattr	= ARRAY_SIZE(ntc_run_id_policy) - 1,
	},
	{
		.cmd		= NTCORRAL_CMD_CANCEL,
		.doit		= ntc_nl_cancel_doit,
		.policy		= ntc_run_id_policy,
		.maxattr	= ARRAY_SIZE(ntc_run_id_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
};

static struct genl_family ntc_family = {
	.name		= NTCORRAL_FAMILY_NAME,
	.version	= NTCORRAL_FAMILY_VERSION,
	.maxattr	= NTCORRAL_A_MAX,
	.module		= THIS_MODULE,
	.ops		= ntc_ops,
	.n_ops		= ARRAY_SIZE(ntc_ops),
	.mcgrps		= ntc_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ntc_mcgrps),
	.resv_start_op	= NTCORRAL_CMD_CANCEL + 1,
	/* No genl_mutex: run.c's lock serialises runs, briefly. */
	.parallel_ops	= true,
};

int __init ntc_netlink_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ntc_params); i++) {
		const struct ntc_param_info *p = &ntc_params[i];
		struct nla_policy *pol;

		if (WARN_ON(p->attr >= ARRAY_SIZE(ntc_run_policy)))
			return -EINVAL;
		pol = &ntc_run_policy[p->attr];
		/* NLA_POLICY_FULL_RANGE(NLA_U32, range), range not const < 6.2 */
		ntc_param_ranges[i] = p->range;
		pol->type = NLA_U32;
		pol->validation_type = NLA_VALIDATE_RANGE_PTR;
		pol->range = &ntc_param_ranges[i];
	}
	return genl_register_family(&ntc_family);
}

/* After ntc_run_exit(): no run is in flight, none can start. */
void ntc_netlink_exit(void)
{
	genl_unregister_family(&ntc_family);
	kfree(ntc_last_result);
	ntc_last_result = NULL;
}
