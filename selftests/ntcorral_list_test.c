// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_list_test: LIST_EXPERIMENTS over raw netlink: each experiment
 * (shootdown, ipi_barrier, exclusivity) listed once with its seed, its
 * variants and baseline, the run parameters it takes with the uapi's
 * ranges, and its metric names; a LIST filtered by name returns it alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntc_check.h"

/* ---- LIST_EXPERIMENTS ---------------------------------------------------- */

#define PARAM(attr)	(1ULL << (attr))
/* What every experiment takes; the others only where it uses them. */
#define COMMON_PARAMS	(PARAM(NTCORRAL_A_ITERATIONS) | \
			 PARAM(NTCORRAL_A_DEADLINE_US) | \
			 PARAM(NTCORRAL_A_MAX_RUNTIME_MS))
/* The timing method's, of every iterated (not session) experiment. */
#define TIMING_PARAMS	(PARAM(NTCORRAL_A_WARMUP) | \
			 PARAM(NTCORRAL_A_COOLDOWN) | \
			 PARAM(NTCORRAL_A_PHASE_STAMPS) | \
			 PARAM(NTCORRAL_A_BATCH))

/* The uapi's range and default of run parameter @attr; false for none. */
static bool uapi_range(__u32 attr, __u64 *min, __u64 *max, __u64 *def)
{
	switch (attr) {
	case NTCORRAL_A_ITERATIONS:
		*min = NTCORRAL_MIN_ITERATIONS;
		*max = NTCORRAL_MAX_ITERATIONS;
		*def = NTCORRAL_DEFAULT_ITERATIONS;
		break;
	case NTCORRAL_A_HOLD_US:
		*min = 0;
		*max = NTCORRAL_MAX_HOLD_US;
		*def = NTCORRAL_DEFAULT_HOLD_US;
		break;
	case NTCORRAL_A_DEADLINE_US:
		*min = NTCORRAL_MIN_DEADLINE_US;
		*max = NTCORRAL_MAX_DEADLINE_US;
		*def = NTCORRAL_DEFAULT_DEADLINE_US;
		break;
	case NTCORRAL_A_MAX_RUNTIME_MS:
		*min = NTCORRAL_MIN_RUNTIME_MS;
		*max = NTCORRAL_MAX_RUNTIME_MS;
		*def = NTCORRAL_DEFAULT_RUNTIME_MS;
		break;
	case NTCORRAL_A_PCI_DEVICE:
		*min = 0;
		*max = NTCORRAL_MAX_PCI_DEVICE;
		*def = NTCORRAL_DEFAULT_PCI_DEVICE;
		break;
	case NTCORRAL_A_RATE_HZ:
		*min = NTCORRAL_MIN_RATE_HZ;
		*max = NTCORRAL_MAX_RATE_HZ;
		*def = NTCORRAL_DEFAULT_RATE_HZ;
		break;
	case NTCORRAL_A_WARMUP:
		*min = 0;
		*max = NTCORRAL_MAX_WARMUP;
		*def = NTCORRAL_DEFAULT_WARMUP;
		break;
	case NTCORRAL_A_COOLDOWN:
		*min = 0;
		*max = NTCORRAL_MAX_WARMUP;
		*def = NTCORRAL_DEFAULT_COOLDOWN;
		break;
	case NTCORRAL_A_PHASE_STAMPS:
		*min = 0;
		*max = 1;
		*def = NTCORRAL_DEFAULT_PHASE_STAMPS;
		break;
	case NTCORRAL_A_BATCH:
		*min = NTCORRAL_MIN_BATCH;
		*max = NTCORRAL_MAX_BATCH;
		*def = NTCORRAL_DEFAULT_BATCH;
		break;
	case NTCORRAL_A_BURST:
		*min = NTCORRAL_MIN_BURST;
		*max = NTCORRAL_MAX_BURST;
		*def = NTCORRAL_DEFAULT_BURST;
		break;
	default:
		return false;
	}
	return true;
}

/* Parameters: exactly @want, and the uapi's own ranges. */
static void check_param_info(struct __test_metadata *_metadata,
			     const struct ntc_experiment *ex, __u64 want)
{
	__u64 seen = 0;

	ASSERT_LT(0, ex->nr_params);
	for (int i = 0; i < ex->nr_params; i++)
		seen |= PARAM(ex->params[i].attr);
	ASSERT_EQ(want, seen) TH_LOG("%s lists parameters %#llx, not %#llx",
				     ex->name, (unsigned long long)seen,
				     (unsigned long long)want);
	for (int i = 0; i < ex->nr_params; i++) {
		const struct ntc_param_info *pi = &ex->params[i];
		__u64 min, max, def;

		for (int t = NTCORRAL_PARAM_A_NAME; t <= NTCORRAL_PARAM_A_MAX; t++) {
			ASSERT_TRUE(pi->has[t]) TH_LOG("param %d lacks attribute %d",
						       i, t);
		}
		ASSERT_LE(pi->min, pi->def) TH_LOG("param %s", pi->name);
		ASSERT_LE(pi->def, pi->max) TH_LOG("param %s", pi->name);
		ASSERT_NE(0, strlen(pi->description));
		ASSERT_TRUE(uapi_range(pi->attr, &min, &max, &def))
			TH_LOG("param %s names attribute %u, which is no run parameter",
			       pi->name, pi->attr);
		ASSERT_EQ(min, pi->min) TH_LOG("param %s", pi->name);
		ASSERT_EQ(max, pi->max) TH_LOG("param %s", pi->name);
		ASSERT_EQ(def, pi->def) TH_LOG("param %s", pi->name);
	}
}

TEST_F_TIMEOUT(ntcorral, family_resolves_and_lists_shootdown, 30)
{
	const struct ntc_experiment *ex = NULL;
	struct ntc_list *l = malloc(sizeof(*l));
	struct ntc_err e;
	bool window = false;

	ASSERT_NE(NULL, l);
	ASSERT_EQ(0, ntc_list(&self->s, NULL, l, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(l->p.malformed) TH_LOG("malformed: %s", l->p.why);
	for (int i = 0; i < l->n; i++) {
		ASSERT_TRUE(l->e[i].has[NTCORRAL_A_EXPERIMENT]);
		if (!strcmp(l->e[i].name, EXPERIMENT)) {
			ASSERT_EQ(NULL, ex) TH_LOG("shootdown listed twice");
			ex = &l->e[i];
		}
	}
	ASSERT_NE(NULL, ex) TH_LOG("no experiment \"%s\" among %d", EXPERIMENT,
				   l->n);
	ASSERT_TRUE(ex->has[NTCORRAL_A_SEED]);
	ASSERT_STREQ(SEED, ex->seed);
	ASSERT_TRUE(ex->has[NTCORRAL_A_DESCRIPTION]);
	ASSERT_NE(0, strlen(ex->description));

	/* Every expected variant, once, with a description; stop_machine is
	 * the kernel's own answer, the baseline.
	 */
	for (size_t v = 0; v < NR_VARIANTS; v++) {
		int found = 0;

		for (int i = 0; i < ex->nr_variants; i++) {
			const struct ntc_variant_info *vi = &ex->variants[i];

			ASSERT_TRUE(vi->has[NTCORRAL_VARIANT_A_NAME]);
			if (strcmp(vi->name, variants[v]))
				continue;
			found++;
			ASSERT_TRUE(vi->has[NTCORRAL_VARIANT_A_DESCRIPTION]);
			ASSERT_NE(0, strlen(vi->description));
			ASSERT_EQ(!strcmp(variants[v], "stop_machine"),
				  vi->has[NTCORRAL_VARIANT_A_BASELINE])
				TH_LOG("baseline flag of %s", variants[v]);
		}
		ASSERT_EQ(1, found) TH_LOG("variant %s", variants[v]);
	}

	check_param_info(_metadata, ex, COMMON_PARAMS | TIMING_PARAMS |
			 PARAM(NTCORRAL_A_HOLD_US) | PARAM(NTCORRAL_A_PCI_DEVICE));

	ASSERT_LT(0, ex->nr_metric_names);
	for (int i = 0; i < ex->nr_metric_names; i++)
		window |= !strcmp(ex->metric_names[i], "window");
	ASSERT_TRUE(window) TH_LOG("metric names lack \"window\"");
	free(l);
}

TEST_F_TIMEOUT(ntcorral, list_filtered_by_experiment_returns_only_it, 30)
{
	struct ntc_list *l = malloc(sizeof(*l));
	struct ntc_err e;

	ASSERT_NE(NULL, l);
	ASSERT_EQ(0, ntc_list(&self->s, EXPERIMENT, l, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(l->p.malformed) TH_LOG("malformed: %s", l->p.why);
	ASSERT_EQ(1, l->n);
	ASSERT_STREQ(EXPERIMENT, l->e[0].name);
	free(l);
}

/* ---- ipi_barrier and exclusivity ----------------------------------------- */

/*
 * The experiment is listed once, with its seed, every variant once (and no
 * other), the baseline flag on exactly d->baseline, the run parameters and
 * exactly d's metric names, the primary one first; LIST filtered by its
 * name returns it alone.
 */
static void check_listed(struct __test_metadata *_metadata,
			 struct ntc_sock *s, const struct exp_desc *d)
{
	const struct ntc_experiment *ex = NULL;
	struct ntc_list *l = malloc(sizeof(*l));
	struct ntc_err e;

	ASSERT_NE(NULL, l);
	ASSERT_EQ(0, ntc_list(s, NULL, l, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(l->p.malformed) TH_LOG("malformed: %s", l->p.why);
	for (int i = 0; i < l->n; i++) {
		ASSERT_TRUE(l->e[i].has[NTCORRAL_A_EXPERIMENT]);
		if (!strcmp(l->e[i].name, d->name)) {
			ASSERT_EQ(NULL, ex) TH_LOG("%s listed twice", d->name);
			ex = &l->e[i];
		}
	}
	ASSERT_NE(NULL, ex) TH_LOG("no experiment \"%s\" among %d", d->name,
				   l->n);
	ASSERT_TRUE(ex->has[NTCORRAL_A_SEED]);
	ASSERT_STREQ(d->seed, ex->seed);
	ASSERT_TRUE(ex->has[NTCORRAL_A_DESCRIPTION]);
	ASSERT_NE(0, strlen(ex->description));

	ASSERT_EQ((int)d->nr_variants, ex->nr_variants)
		TH_LOG("%s lists %d variants", d->name, ex->nr_variants);
	for (size_t v = 0; v < d->nr_variants; v++) {
		int found = 0;

		for (int i = 0; i < ex->nr_variants; i++) {
			const struct ntc_variant_info *vi = &ex->variants[i];

			ASSERT_TRUE(vi->has[NTCORRAL_VARIANT_A_NAME]);
			if (strcmp(vi->name, d->variants[v]))
				continue;
			found++;
			ASSERT_TRUE(vi->has[NTCORRAL_VARIANT_A_DESCRIPTION]);
			ASSERT_NE(0, strlen(vi->description));
			ASSERT_EQ(!strcmp(d->variants[v], d->baseline),
				  vi->has[NTCORRAL_VARIANT_A_BASELINE])
				TH_LOG("baseline flag of %s/%s", d->name,
				       d->variants[v]);
		}
		ASSERT_EQ(1, found) TH_LOG("variant %s/%s", d->name,
					   d->variants[v]);
	}

	check_param_info(_metadata, ex, COMMON_PARAMS | TIMING_PARAMS);

	ASSERT_EQ((int)d->nr_metrics, ex->nr_metric_names)
		TH_LOG("%s lists %d metric names", d->name, ex->nr_metric_names);
	for (size_t i = 0; i < d->nr_metrics; i++) {
		ASSERT_STREQ(d->metrics[i], ex->metric_names[i])
			TH_LOG("%s: metric name %zu", d->name, i);
	}

	ASSERT_EQ(0, ntc_list(s, d->name, l, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(l->p.malformed) TH_LOG("malformed: %s", l->p.why);
	ASSERT_EQ(1, l->n);
	ASSERT_STREQ(d->name, l->e[0].name);
	free(l);
}

TEST_F_TIMEOUT(ntcorral, family_lists_ipi_barrier_with_its_variants_and_metrics, 30)
{
	check_listed(_metadata, &self->s, &ipi_barrier);
}

TEST_F_TIMEOUT(ntcorral, family_lists_exclusivity_with_its_variants_and_metrics, 30)
{
	check_listed(_metadata, &self->s, &exclusivity);
}

TEST_HARNESS_MAIN
