// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral: the registry of experiments, which everything else reads. An
 * experiment is one file with its static const struct ntc_experiment,
 * listed here; a variant is one entry of its experiment's table.
 */

#include <linux/module.h>
#include <linux/string.h>

#include "ntcorral.h"

const struct ntc_experiment *const ntc_experiments[] = {
	&ntc_shootdown,
	&ntc_ipi_barrier,
	&ntc_exclusivity,
	&ntc_spinlock,
	&ntc_interlocked_queue,
};
const unsigned int ntc_nr_experiments = ARRAY_SIZE(ntc_experiments);

const struct ntc_experiment *ntc_experiment_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ntc_nr_experiments; i++)
		if (!strcmp(ntc_experiments[i]->name, name))
			return ntc_experiments[i];
	return NULL;
}

const struct ntc_variant *ntc_variant_find(const struct ntc_experiment *exp,
					   const char *name)
{
	unsigned int i;

	for (i = 0; i < exp->nr_variants; i++)
		if (!strcmp(exp->variants[i].name, name))
			return &exp->variants[i];
	return NULL;
}

unsigned int ntc_experiment_index(const struct ntc_experiment *exp)
{
	unsigned int i;

	for (i = 0; i < ntc_nr_experiments; i++)
		if (ntc_experiments[i] == exp)
			break;
	return i;
}
