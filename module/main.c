// SPDX-License-Identifier: GPL-2.0
/* ntcorral: module init and exit. */

#include <linux/module.h>

#include "ntcorral.h"
#include "nt.h"
#include "device.h"

static int ntc_experiments_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ntc_nr_experiments; i++) {
		const struct ntc_experiment *exp = ntc_experiments[i];

		/* A run's arrays are sized by these: refuse to load past them. */
		if (WARN_ON(exp->nr_metrics > NTC_MAX_METRICS ||
			    exp->nr_counters > NTC_MAX_COUNTERS ||
			    !exp->nr_metrics)) {
			ret = -EINVAL;
			goto unwind;
		}
		if (!ntc_experiments[i]->init)
			continue;
		ret = ntc_experiments[i]->init();
		if (ret)
			goto unwind;
	}
	return 0;

unwind:
	while (i--)
		if (ntc_experiments[i]->exit)
			ntc_experiments[i]->exit();
	return ret;
}

static void ntc_experiments_exit(void)
{
	unsigned int i;

	for (i = 0; i < ntc_nr_experiments; i++)
		if (ntc_experiments[i]->exit)
			ntc_experiments[i]->exit();
}

static int __init ntc_init(void)
{
	int ret;

	ret = ntc_stats_init();
	if (ret)
		return ret;
	ret = ntc_nt_init();
	if (ret)
		goto err_stats;
	ret = ntc_device_init_module();
	if (ret)
		goto err_nt;
	ret = ntc_experiments_init();
	if (ret)
		goto err_device;
	ret = ntc_debugfs_init();
	if (ret)
		goto err_experiments;
	/* Last: once the family is registered, runs can start. */
	ret = ntc_netlink_init();
	if (ret)
		goto err_debugfs;
	pr_info("loaded: %u experiment(s), family \"%s\" v%u\n",
		ntc_nr_experiments, NTCORRAL_FAMILY_NAME,
		NTCORRAL_FAMILY_VERSION);
	return 0;

err_debugfs:
	ntc_debugfs_exit();
err_experiments:
	ntc_experiments_exit();
err_device:
	ntc_device_exit_module();
err_nt:
	ntc_nt_exit();
err_stats:
	ntc_stats_exit();
	return ret;
}

static void __exit ntc_exit(void)
{
	/*
	 * No run starts any more; the one in flight is cancelled and its
	 * result sent while the family is still there.
	 */
	ntc_run_exit();
	ntc_netlink_exit();
	ntc_debugfs_exit();
	/* No run can start now; wait out CPUs that may still be in our code. */
	ntc_experiments_exit();
	ntc_device_exit_module();
	ntc_nt_exit();
	ntc_stats_exit();
	pr_info("unloaded\n");
}

module_init(ntc_init);
module_exit(ntc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NT multiprocessor-synchronization idioms on Linux, measured and self-checking");
MODULE_AUTHOR("The ntcorral developers");
