/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntc_nl.h: the raw-netlink layer of the ntcorral C test programs
 * (ntcorral_*_test, nl_fuzz): the socket, building requests, reading every
 * reply strictly, waiting for a run's result on the "runs" group, the
 * family's requests, and the machine's CPUs. No kselftest harness here:
 * the checks that assert are in ntc_check.h.
 *
 * Every reply is parsed strictly (exact integer widths, NUL-terminated
 * strings, no leftover bytes); receive buffers and parsed results are
 * poisoned with 0xcc first, so a value the kernel did not write cannot pass
 * for one it did. Every error comes with its errno and the extack message
 * that must come with it.
 *
 * A RUN answers at once with its run id; the run's progress and its result
 * come on the family's "runs" multicast group, which every socket joins.
 * ntc_run() reads the result of its run as the old RUN reply, and a
 * failure after the start as the errno and extack message a refused RUN
 * has, so most tests see one RUN as before.
 */
#ifndef NTC_NL_H
#define NTC_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ntcorral.h"
#include "ntc_runs.h"

#define POISON		0xcc
#define RECV_BUF_SIZE	(128 * 1024)
#define STR_MAX		256
#define MAX_NOTES	64

/*
 * Bounds on every wait: a request's answer (a dump under the debug kernel
 * takes a while), a run's result (its budget is at most 30 s, plus a
 * deadline or two of the iteration under way and the teardown), the first
 * progress report of a run (about five a second).
 */
#define XFER_WAIT_S	120
#define RESULT_WAIT_S	(NTCORRAL_MAX_RUNTIME_MS / 1000 + 90)
#define PROGRESS_WAIT_S	10

#define EXPERIMENT	"shootdown"
/*
 * Runs that must be clean take the longest deadline and run budget: under
 * QEMU TCG on a busy host (8 vCPUs on 2 cores) a vCPU can stall past the
 * 200 ms default deadline and 50 iterations can take more than the default
 * 10 s; a test must not assert on timing.
 */
#define RUN_DEADLINE_US		NTCORRAL_MAX_DEADLINE_US
#define RUN_MAX_RUNTIME_MS	NTCORRAL_MAX_RUNTIME_MS
#define SEED		"000-processor-shootdown"

/* The shootdown's variants that every kernel has. */
extern const char *const variants[3];
#define NR_VARIANTS	(sizeof(variants) / sizeof(variants[0]))

/* ---- the socket ---------------------------------------------------------- */

struct ntc_sock {
	int fd;
	__u16 family;
	__u32 runs_group;	/* the "runs" multicast group's id */
	bool joined;		/* ... and the socket is in it */
	__u32 seq;
	/*
	 * "runs" notifications read while waiting for something else (a
	 * reply, another run's result), oldest first, kept for whoever waits
	 * for their run next; each one malloc()ed, freed by who takes it or
	 * by ntc_close().
	 */
	int nr_notes;
	struct nlmsghdr *notes[MAX_NOTES];
};

struct ntc_err {
	int error;		/* 0 or -errno, from NLMSG_ERROR / NLMSG_DONE */
	bool has_msg;		/* NLMSGERR_ATTR_MSG came back */
	char msg[STR_MAX];
	bool has_offs;		/* NLMSGERR_ATTR_OFFS came back */
	__u32 offs;
	bool has_miss_type;	/* NLMSGERR_ATTR_MISS_TYPE came back */
	__u32 miss_type;
};

struct ntc_msg {
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
};

/*
 * An attribute more: its offset in the message (for an extack's OFFS). A
 * request too large for the buffer is a bug of the test: abort().
 * nl_fuzz builds its messages its own way (struct msg: lying lengths, and
 * what does not fit is left out) under the same names, and defines
 * NTC_NL_OWN_MSG_PUT to do without these.
 */
#ifndef NTC_NL_OWN_MSG_PUT
size_t msg_put(struct ntc_msg *m, __u16 type, const void *data,
	       size_t len);
size_t msg_put_u32(struct ntc_msg *m, __u16 type, __u32 v);
size_t msg_put_u64(struct ntc_msg *m, __u16 type, __u64 v);
size_t msg_put_str(struct ntc_msg *m, __u16 type, const char *s);
#endif

/*
 * The answer in an NLMSG_ERROR (ack or error) or NLMSG_DONE: its errno
 * (0 or -errno; -EPROTO for one too short to hold it) and its extack.
 */
void parse_ack(const struct nlmsghdr *nlh, struct ntc_err *err);

long long ms_since(const struct timespec *t0);

/* ---- reading attributes -------------------------------------------------- */

struct parse_state {
	bool malformed;
	char why[STR_MAX];
};

void bad(struct parse_state *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- the result layout (RUN_RESULT and stats) ---------------------------- */

#define MAX_METRICS	16
#define MAX_COUNTERS	32

struct ntc_metric {
	bool has[NTCORRAL_METRIC_A_MAX + 1];
	char name[NTCORRAL_NAME_MAX];
	__u64 count, min, mean, p50, p90, p99, max;
	__u64 hist[NTCORRAL_HIST_BUCKETS];
};

struct ntc_counter {
	bool has_name, has_value;
	char name[NTCORRAL_NAME_MAX];
	__u64 value;
};

struct ntc_result {
	struct parse_state p;
	int nr_msgs;
	bool has[NTCORRAL_A_MAX + 1];
	char experiment[NTCORRAL_NAME_MAX];
	char variant[NTCORRAL_NAME_MAX];
	__u64 runs, samples, violations, timeouts, duration_ns;
	__u32 iterations, nr_cpus, initiator_cpu;
	__u32 warmup, cooldown, phase_stamps, batch;
	__u64 clock_read_ns, sample_overhead_ns;
	__u64 cpus[NTCORRAL_CPUS_MAX_BYTES / 8];
	int cpus_len;
	int nr_metrics;
	struct ntc_metric metrics[MAX_METRICS];
	int nr_counters;
	struct ntc_counter counters[MAX_COUNTERS];
	/* a RUN_RESULT's (or GET_RESULT's) own */
	__u64 run_id;
	__u32 cancelled;		/* enum ntcorral_cancel */
	__u32 error;			/* a failure after the start */
	char error_msg[STR_MAX];
	/* the run's RUN_PROGRESS reports, while waiting for its result */
	int nr_progress;
	struct runs_progress progress;	/* the last one */
};

void result_poison(struct ntc_result *r);

#define MAX_STATS 64

struct ntc_stats {
	struct parse_state p;
	int n;
	struct ntc_result r[MAX_STATS];
};

/* ---- LIST_EXPERIMENTS replies -------------------------------------------- */

#define MAX_VARIANTS	16
#define MAX_PARAMS	16
#define MAX_EXPERIMENTS	16

struct ntc_variant_info {
	bool has[NTCORRAL_VARIANT_A_MAX + 1];
	char name[NTCORRAL_NAME_MAX];
	char description[STR_MAX];
};

struct ntc_param_info {
	bool has[NTCORRAL_PARAM_A_MAX + 1];
	char name[NTCORRAL_NAME_MAX];
	__u32 attr;
	char description[STR_MAX];
	char unit[NTCORRAL_NAME_MAX];
	__u64 min, max, def;
};

struct ntc_experiment {
	bool has[NTCORRAL_A_MAX + 1];
	char name[NTCORRAL_NAME_MAX];
	char seed[STR_MAX];
	char description[STR_MAX];
	int nr_variants;
	struct ntc_variant_info variants[MAX_VARIANTS];
	int nr_params;
	struct ntc_param_info params[MAX_PARAMS];
	int nr_metric_names;
	char metric_names[MAX_METRICS][NTCORRAL_NAME_MAX];
};

struct ntc_list {
	struct parse_state p;
	int n;
	struct ntc_experiment e[MAX_EXPERIMENTS];
};

/* ---- opening and requests ------------------------------------------------ */

/*
 * A generic netlink socket that asks for extended acks (NETLINK_EXT_ACK)
 * without the request echoed (NETLINK_CAP_ACK), blocking reads bounded by
 * @timeout_s: its fd, or -errno.
 */
int ntc_socket(int timeout_s);

/*
 * The family's id and its "runs" group's, into @s (whose fd is open):
 * 0 or -errno; ENOENT when the family is not registered, EPROTO when it
 * has no "runs" group (a module older than version 2).
 */
int ntc_resolve(struct ntc_sock *s);

/*
 * A socket, the family resolved (ntc_resolve()), in "runs": 0 or -errno.
 * A caller the kernel does not let in "runs" (EPERM) stays out, and a run
 * it started could not be waited for (ntc_start() says so).
 */
int ntc_open(struct ntc_sock *s);

void ntc_close(struct ntc_sock *s);

void run_msg(struct ntc_sock *s, struct ntc_msg *m,
	     const char *experiment, const char *variant);

void put_slack(struct ntc_msg *m);

/* ---- RUN: the start, the progress, the result ---------------------------- */

/* A run RUN started: its reply, and what its progress must say. */
struct ntc_started {
	struct parse_state p;
	int nr_msgs;
	bool has[NTCORRAL_A_MAX + 1];
	__u64 run_id;
	char experiment[NTCORRAL_NAME_MAX];
	char variant[NTCORRAL_NAME_MAX];
	__u32 max_runtime_ms;	/* asked for, or the default */
};

/*
 * Send RUN @m and read its reply: 0 and the run in @st (its id, never 0,
 * and the names it echoes, checked into st->p), or -errno as the kernel
 * refused it (a refusal comes with no reply: st->nr_msgs says), or -EPROTO
 * (an ack without a run id) or -ENOTCONN (the socket is not in "runs",
 * nothing to wait on) of our own, with no e->has_msg.
 */
int ntc_start(struct ntc_sock *s, struct ntc_msg *m,
	      struct ntc_started *st, struct ntc_err *e);

/*
 * Wait RESULT_WAIT_S at most for the RUN_RESULT of @st's run, checking
 * its RUN_PROGRESS on the way, into @r (poisoned by the caller:
 * result_poison()). Returns what take_result() does, or -errno of our own
 * (-ETIMEDOUT, -ENOBUFS: see ntc_recv()) with no e->has_msg.
 */
int ntc_wait_result(struct ntc_sock *s, const struct ntc_started *st,
		    struct ntc_result *r, struct ntc_err *e);

/*
 * Wait PROGRESS_WAIT_S at most for a RUN_PROGRESS of @st's run, checked
 * into @r as ntc_wait_result() does: 0; -EALREADY when its RUN_RESULT came
 * first (kept for ntc_wait_result()); -errno of our own.
 */
int ntc_wait_progress(struct ntc_sock *s, const struct ntc_started *st,
		      struct ntc_result *r);

/*
 * RUN @m and wait for its result: what a RUN used to answer. 0 and the
 * run's RUN_RESULT in @r, or -errno with the extack (a refusal), or the
 * error and message of a failure after the start, in @e.
 */
int ntc_run(struct ntc_sock *s, struct ntc_msg *m,
	    struct ntc_result *r, struct ntc_err *e);

int ntc_run_simple(struct ntc_sock *s, const char *variant,
		   __u32 iterations, struct ntc_result *r,
		   struct ntc_err *e);

/* GET_RESULT, of run @run_id or (0) of the last run that finished. */
int ntc_get_result(struct ntc_sock *s, __u64 run_id,
		   struct ntc_result *r, struct ntc_err *e);

/* CANCEL, of run @run_id or (0) of whichever is in progress. */
int ntc_cancel(struct ntc_sock *s, __u64 run_id, struct ntc_err *e);

int ntc_list(struct ntc_sock *s, const char *experiment,
	     struct ntc_list *l, struct ntc_err *e);

int ntc_stats(struct ntc_sock *s, const char *experiment,
	      const char *variant, struct ntc_stats *st,
	      struct ntc_err *e);

int ntc_reset(struct ntc_sock *s, const char *experiment,
	      const char *variant, struct ntc_err *e);

const struct ntc_result *stats_find(const struct ntc_stats *st,
				    const char *experiment,
				    const char *variant);

const struct ntc_metric *metric_find(const struct ntc_result *r,
				     const char *name);

const struct ntc_counter *counter_find(const struct ntc_result *r,
				       const char *name);

/* ---- CPUs ---------------------------------------------------------------- */

#define CPU_WORDS (NTCORRAL_MAX_CPUS / 64)

/* Parses a sysfs CPU list ("0-3,5") into @mask; returns the number set. */
int read_cpu_list(const char *path, __u64 mask[CPU_WORDS]);

int online_cpus(__u64 mask[CPU_WORDS]);

int lowest_cpu(const __u64 *mask, int words);

int highest_cpu(const __u64 *mask, int words);

int set_cpu_online(int cpu, bool online);

/* ---- what the family lists, and small helpers ---------------------------- */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What the family must list for an experiment (module/<experiment>.c). */
struct exp_desc {
	const char *name;
	const char *seed;
	const char *const *variants;
	size_t nr_variants;
	const char *baseline;		/* the one variant flagged baseline */
	const char *const *metrics;	/* the first is the primary one */
	size_t nr_metrics;
};

extern const struct exp_desc ipi_barrier, exclusivity, shootdown;

#define DEBUGFS_DIR "/sys/kernel/debug/ntcorral"
#define DEBUGFS_MAGIC 0x64626720

static inline int fls64_(__u64 v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

static inline int bucket_of(__u64 v)
{
	int b = fls64_(v);

	return b < NTCORRAL_HIST_BUCKETS ? b : NTCORRAL_HIST_BUCKETS - 1;
}

/*
 * Become uid 65534 with no capability left or (@net_admin) holding
 * CAP_NET_ADMIN alone : 0 or errno; *caps is
 * the effective set afterwards (0 without @net_admin).
 */
int become_nobody(bool net_admin, __u64 *caps);

#endif /* NTC_NL_H */
