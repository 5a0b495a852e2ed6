// SPDX-License-Identifier: GPL-2.0
/*
 * ntcorral_test: kselftests for the ntcorral generic netlink family, spoken
 * over a raw AF_NETLINK socket so that every byte the kernel sends is checked.
 *
 * Every reply is parsed strictly (exact integer widths, NUL-terminated
 * strings, no leftover bytes); receive buffers and parsed results are
 * poisoned with 0xcc first, so a value the kernel did not write cannot pass
 * for one it did. Every error is checked for its errno and for the extack
 * message that must come with it.
 *
 * A RUN answers at once with its run id; the run's progress and its result
 * come on the family's "runs" multicast group, which every socket here
 * joins. ntc_run() reads the result of its run as the old RUN reply, and a
 * failure after the start as the errno and extack message a refused RUN
 * has, so most tests see one RUN as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ntcorral.h"
#include "ntc_runs.h"
#include "kselftest_harness.h"

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

static const char *const variants[] = { "dpc", "ipi", "stop_machine" };
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
	size_t nest[4];
	int depth;
};

static struct nlmsghdr *msg_hdr(struct ntc_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static void msg_init(struct ntc_msg *m, __u16 family, __u8 cmd, __u8 version)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	msg_hdr(m)->nlmsg_type = family;
	g = NLMSG_DATA(msg_hdr(m));
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Returns the offset of the attribute in the message. */
static size_t msg_put(struct ntc_msg *m, __u16 type, const void *data,
		      size_t len)
{
	struct nlattr *nla = (struct nlattr *)(m->buf + m->len);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);
	size_t off = m->len;

	if (m->len + total > sizeof(m->buf) || NLA_HDRLEN + len > 0xffff) {
		fprintf(stderr, "# test bug: request too large\n");
		abort();
	}
	memset(nla, 0, total);
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	m->len += total;
	return off;
}

static size_t msg_put_u32(struct ntc_msg *m, __u16 type, __u32 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

static size_t msg_put_u64(struct ntc_msg *m, __u16 type, __u64 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

static size_t msg_put_str(struct ntc_msg *m, __u16 type, const char *s)
{
	return msg_put(m, type, s, strlen(s) + 1);
}

static void parse_extack(const struct nlmsghdr *nlh, size_t off,
			 struct ntc_err *err)
{
	const struct nlattr *a;
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const char *p = (const char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(off);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (p + NLA_HDRLEN <= end) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG: {
			size_t len = a->nla_len - NLA_HDRLEN;

			if (len >= sizeof(err->msg))
				len = sizeof(err->msg) - 1;
			memcpy(err->msg, p + NLA_HDRLEN, len);
			err->msg[len] = '\0';
			err->has_msg = true;
			break;
		}
		case NLMSGERR_ATTR_OFFS:
			if (a->nla_len == NLA_HDRLEN + sizeof(__u32)) {
				memcpy(&err->offs, p + NLA_HDRLEN, sizeof(__u32));
				err->has_offs = true;
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (a->nla_len == NLA_HDRLEN + sizeof(__u32)) {
				memcpy(&err->miss_type, p + NLA_HDRLEN,
				       sizeof(__u32));
				err->has_miss_type = true;
			}
			break;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

typedef void (*ntc_cb)(const struct nlmsghdr *nlh, void *arg);

static void deadline_in(struct timespec *deadline, int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += seconds;
}

/* What is left until @deadline, in ms for poll(); 0 once it has passed. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000LL +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Keep a "runs" notification for later. Full, the oldest RUN_PROGRESS
 * makes room, else the oldest: a RUN_RESULT is what a waiter needs.
 */
static void note_keep(struct ntc_sock *s, const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy;
	int drop = 0;

	if (s->nr_notes == MAX_NOTES) {
		for (int i = 0; i < s->nr_notes; i++) {
			if (runs_cmd(s->notes[i]) == NTCORRAL_CMD_RUN_PROGRESS) {
				drop = i;
				break;
			}
		}
		free(s->notes[drop]);
		memmove(&s->notes[drop], &s->notes[drop + 1],
			(s->nr_notes - drop - 1) * sizeof(s->notes[0]));
		s->nr_notes--;
	}
	copy = malloc(nlh->nlmsg_len);
	if (!copy) {
		fprintf(stderr, "# test bug: no memory for a notification\n");
		abort();
	}
	memcpy(copy, nlh, nlh->nlmsg_len);
	s->notes[s->nr_notes++] = copy;
}

/* The oldest notification kept, taken (the caller frees it), or NULL. */
static struct nlmsghdr *note_take(struct ntc_sock *s)
{
	struct nlmsghdr *nlh;

	if (!s->nr_notes)
		return NULL;
	nlh = s->notes[0];
	memmove(&s->notes[0], &s->notes[1],
		(s->nr_notes - 1) * sizeof(s->notes[0]));
	s->nr_notes--;
	return nlh;
}

/* Give back a taken notification, first in line. */
static void note_put_back(struct ntc_sock *s, struct nlmsghdr *nlh)
{
	if (s->nr_notes == MAX_NOTES)
		free(s->notes[--s->nr_notes]);
	memmove(&s->notes[1], &s->notes[0], s->nr_notes * sizeof(s->notes[0]));
	s->notes[0] = nlh;
	s->nr_notes++;
}

/*
 * One datagram into @buf (RECV_BUF_SIZE, poisoned first) before @deadline:
 * its length, or -errno: -ETIMEDOUT once the deadline has passed, -EMSGSIZE
 * for a datagram larger than the buffer, -ENOBUFS when the socket lost
 * messages (notifications read too late).
 */
static ssize_t ntc_recv(struct ntc_sock *s, char *buf,
			const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	memset(buf, POISON, RECV_BUF_SIZE);
	ret = poll(&pfd, 1, ms_left(deadline));
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = recv(s->fd, buf, RECV_BUF_SIZE, MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n > RECV_BUF_SIZE) {
		fprintf(stderr, "# reply of %zd bytes truncated\n", n);
		return -EMSGSIZE;
	}
	return n;
}

static void err_reset(struct ntc_err *err)
{
	memset(err, POISON, sizeof(*err));
	err->error = INT_MIN;
	err->has_msg = false;
	err->msg[0] = '\0';
	err->has_offs = false;
	err->has_miss_type = false;
}

/*
 * Send one request and read until its NLMSG_ERROR (ack or error) or, for a
 * dump, its NLMSG_DONE, for XFER_WAIT_S at most. Every other message of the
 * request goes to @cb; "runs" notifications on the way are kept (note_keep()).
 * Returns 0 or -errno as the kernel answered; a transport failure of our own
 * is also returned as -errno but without err->has_msg.
 */
static int ntc_xfer(struct ntc_sock *s, struct ntc_msg *m, __u16 flags,
		    ntc_cb cb, void *arg, struct ntc_err *err)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *req = msg_hdr(m);
	struct timespec deadline;
	char *buf;
	int ret = 0;

	err_reset(err);

	req->nlmsg_len = m->len;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req->nlmsg_seq = ++s->seq;
	req->nlmsg_pid = 0;

	if (sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)m->len)
		return -errno;

	buf = aligned_alloc(NLMSG_ALIGNTO, RECV_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	deadline_in(&deadline, XFER_WAIT_S);
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		int rem;

		n = ntc_recv(s, buf, &deadline);
		if (n < 0) {
			ret = n;
			goto out;
		}
		rem = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, rem);
		     nlh = NLMSG_NEXT(nlh, rem)) {
			if (runs_is_notification(nlh, s->family)) {
				note_keep(s, nlh);
				continue;
			}
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;	/* stale */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				size_t off = sizeof(*e);

				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				err->error = e->error;
				parse_extack(nlh, off, err);
				ret = e->error;
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int e;

				memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
				err->error = e;
				parse_extack(nlh, sizeof(e), err);
				ret = e;
				goto out;
			}
			if (cb)
				cb(nlh, arg);
		}
	}
out:
	free(buf);
	return ret;
}

/* ---- reading attributes -------------------------------------------------- */

#define nla_for_each(a, head, len, rem)					\
	for ((a) = (head), (rem) = (len);				\
	     (rem) >= NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN &&	\
	     (a)->nla_len <= (rem);					\
	     (rem) -= NLA_ALIGN((a)->nla_len),				\
	     (a) = (const struct nlattr *)((const char *)(a) +		\
					   NLA_ALIGN((a)->nla_len)))

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static int attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

/* Strict readers: the wrong width or an unterminated string is malformed. */
static bool get_u64(const struct nlattr *a, __u64 *v)
{
	if (attr_len(a) != sizeof(*v))
		return false;
	memcpy(v, attr_data(a), sizeof(*v));
	return true;
}

static bool get_u32(const struct nlattr *a, __u32 *v)
{
	if (attr_len(a) != sizeof(*v))
		return false;
	memcpy(v, attr_data(a), sizeof(*v));
	return true;
}

static bool get_str(const struct nlattr *a, char *dst, size_t size)
{
	const char *s = attr_data(a);
	int len = attr_len(a);

	if (len < 1 || (size_t)len > size || s[len - 1] != '\0' ||
	    strlen(s) != (size_t)len - 1)
		return false;
	memcpy(dst, s, len);
	return true;
}

struct parse_state {
	bool malformed;
	char why[STR_MAX];
};

static void bad(struct parse_state *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bad(struct parse_state *p, const char *fmt, ...)
{
	va_list ap;

	if (p->malformed)
		return;		/* keep the first reason */
	p->malformed = true;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static const struct nlattr *genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	*len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (const struct nlattr *)((const char *)NLMSG_DATA(nlh) +
				       GENL_HDRLEN);
}

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

static void result_poison(struct ntc_result *r)
{
	memset(r, POISON, sizeof(*r));
	memset(&r->p, 0, sizeof(r->p));
	memset(r->has, 0, sizeof(r->has));
	r->nr_msgs = 0;
	r->nr_metrics = 0;
	r->nr_counters = 0;
	r->cpus_len = 0;
	r->nr_progress = 0;
}

static void parse_metric(const struct nlattr *nest, struct ntc_metric *mt,
			 struct parse_state *p)
{
	const struct nlattr *a;
	int rem;

	memset(mt, POISON, sizeof(*mt));
	memset(mt->has, 0, sizeof(mt->has));
	nla_for_each(a, attr_data(nest), attr_len(nest), rem) {
		int t = attr_type(a);
		bool ok = true;

		if (t > NTCORRAL_METRIC_A_MAX || t == NTCORRAL_METRIC_A_PAD)
			continue;
		if (mt->has[t])
			bad(p, "metric attribute %d twice", t);
		mt->has[t] = true;
		switch (t) {
		case NTCORRAL_METRIC_A_NAME:
			ok = get_str(a, mt->name, sizeof(mt->name));
			break;
		case NTCORRAL_METRIC_A_COUNT: ok = get_u64(a, &mt->count); break;
		case NTCORRAL_METRIC_A_MIN_NS: ok = get_u64(a, &mt->min); break;
		case NTCORRAL_METRIC_A_MEAN_NS: ok = get_u64(a, &mt->mean); break;
		case NTCORRAL_METRIC_A_P50_NS: ok = get_u64(a, &mt->p50); break;
		case NTCORRAL_METRIC_A_P90_NS: ok = get_u64(a, &mt->p90); break;
		case NTCORRAL_METRIC_A_P99_NS: ok = get_u64(a, &mt->p99); break;
		case NTCORRAL_METRIC_A_MAX_NS: ok = get_u64(a, &mt->max); break;
		case NTCORRAL_METRIC_A_HIST:
			ok = attr_len(a) == sizeof(mt->hist);
			if (ok)
				memcpy(mt->hist, attr_data(a), sizeof(mt->hist));
			break;
		default:
			ok = false;
		}
		if (!ok)
			bad(p, "metric attribute %d malformed (len %d)", t,
			    attr_len(a));
	}
	if (rem)
		bad(p, "%d bytes left over in a metric nest", rem);
}

static void parse_counter(const struct nlattr *nest, struct ntc_counter *c,
			  struct parse_state *p)
{
	const struct nlattr *a;
	int rem;

	memset(c, POISON, sizeof(*c));
	c->has_name = c->has_value = false;
	nla_for_each(a, attr_data(nest), attr_len(nest), rem) {
		switch (attr_type(a)) {
		case NTCORRAL_COUNTER_A_NAME:
			if (c->has_name || !get_str(a, c->name, sizeof(c->name)))
				bad(p, "counter name malformed or twice");
			c->has_name = true;
			break;
		case NTCORRAL_COUNTER_A_VALUE:
			if (c->has_value || !get_u64(a, &c->value))
				bad(p, "counter value malformed or twice");
			c->has_value = true;
			break;
		}
	}
	if (rem)
		bad(p, "%d bytes left over in a counter nest", rem);
}

/* What only a run's result carries, not a stats message. */
static bool run_result_only(int t)
{
	return t == NTCORRAL_A_RUN_ID || t == NTCORRAL_A_CANCELLED ||
	       t == NTCORRAL_A_ERROR || t == NTCORRAL_A_ERROR_MESSAGE;
}

/* A RUN_RESULT (@run_result: a run's, with its id) or a stats message. */
static void parse_result_msg(const struct nlmsghdr *nlh, struct ntc_result *r,
			     bool run_result)
{
	const struct nlattr *a, *head;
	int len, rem;

	r->nr_msgs++;
	head = genl_attrs(nlh, &len);
	nla_for_each(a, head, len, rem) {
		int t = attr_type(a);
		bool ok = true;

		if (t > NTCORRAL_A_MAX || t == NTCORRAL_A_PAD)
			continue;
		if (!run_result && run_result_only(t)) {
			bad(&r->p, "attribute %d of a run's result in stats", t);
			continue;
		}
		if (r->has[t] && t != NTCORRAL_A_METRIC &&
		    t != NTCORRAL_A_COUNTER)
			bad(&r->p, "attribute %d twice", t);
		r->has[t] = true;
		switch (t) {
		case NTCORRAL_A_EXPERIMENT:
			ok = get_str(a, r->experiment, sizeof(r->experiment));
			break;
		case NTCORRAL_A_VARIANT:
			ok = get_str(a, r->variant, sizeof(r->variant));
			break;
		case NTCORRAL_A_RUNS: ok = get_u64(a, &r->runs); break;
		case NTCORRAL_A_ITERATIONS: ok = get_u32(a, &r->iterations); break;
		case NTCORRAL_A_SAMPLES: ok = get_u64(a, &r->samples); break;
		case NTCORRAL_A_VIOLATIONS: ok = get_u64(a, &r->violations); break;
		case NTCORRAL_A_TIMEOUTS: ok = get_u64(a, &r->timeouts); break;
		case NTCORRAL_A_TRUNCATED: ok = attr_len(a) == 0; break;
		case NTCORRAL_A_NR_CPUS: ok = get_u32(a, &r->nr_cpus); break;
		case NTCORRAL_A_INITIATOR_CPU:
			ok = get_u32(a, &r->initiator_cpu);
			break;
		case NTCORRAL_A_DURATION_NS: ok = get_u64(a, &r->duration_ns); break;
		case NTCORRAL_A_WARMUP: ok = get_u32(a, &r->warmup); break;
		case NTCORRAL_A_COOLDOWN: ok = get_u32(a, &r->cooldown); break;
		case NTCORRAL_A_PHASE_STAMPS:
			ok = get_u32(a, &r->phase_stamps);
			break;
		case NTCORRAL_A_CLOCK_READ_NS:
			ok = get_u64(a, &r->clock_read_ns);
			break;
		case NTCORRAL_A_BATCH: ok = get_u32(a, &r->batch); break;
		case NTCORRAL_A_SAMPLE_OVERHEAD_NS:
			ok = get_u64(a, &r->sample_overhead_ns);
			break;
		case NTCORRAL_A_CPUS:
			ok = attr_len(a) > 0 && attr_len(a) % 8 == 0 &&
			     attr_len(a) <= (int)sizeof(r->cpus);
			if (ok) {
				r->cpus_len = attr_len(a);
				memcpy(r->cpus, attr_data(a), r->cpus_len);
			}
			break;
		case NTCORRAL_A_METRIC:
			if (r->nr_metrics == MAX_METRICS) {
				bad(&r->p, "more than %d metrics", MAX_METRICS);
				break;
			}
			parse_metric(a, &r->metrics[r->nr_metrics++], &r->p);
			break;
		case NTCORRAL_A_COUNTER:
			if (r->nr_counters == MAX_COUNTERS) {
				bad(&r->p, "more than %d counters", MAX_COUNTERS);
				break;
			}
			parse_counter(a, &r->counters[r->nr_counters++], &r->p);
			break;
		case NTCORRAL_A_RUN_ID:
			ok = get_u64(a, &r->run_id);
			break;
		case NTCORRAL_A_CANCELLED:
			ok = get_u32(a, &r->cancelled);
			break;
		case NTCORRAL_A_ERROR:
			ok = get_u32(a, &r->error);
			break;
		case NTCORRAL_A_ERROR_MESSAGE:
			ok = get_str(a, r->error_msg, sizeof(r->error_msg));
			break;
		default:
			bad(&r->p, "unexpected attribute %d in a result", t);
		}
		if (!ok)
			bad(&r->p, "attribute %d malformed (len %d)", t,
			    attr_len(a));
	}
	if (rem)
		bad(&r->p, "%d bytes left over in a result", rem);
}

/* GET_RESULT's reply: one RUN_RESULT. */
static void run_result_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ntc_result *r = arg;

	if (r->nr_msgs)
		bad(&r->p, "more than one reply message");
	parse_result_msg(nlh, r, true);
}

#define MAX_STATS 64

struct ntc_stats {
	struct parse_state p;
	int n;
	struct ntc_result r[MAX_STATS];
};

static void stats_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ntc_stats *st = arg;

	if (st->n == MAX_STATS) {
		bad(&st->p, "more than %d stats messages", MAX_STATS);
		return;
	}
	result_poison(&st->r[st->n]);
	parse_result_msg(nlh, &st->r[st->n], false);
	if (st->r[st->n].p.malformed)
		bad(&st->p, "stats message %d: %s", st->n, st->r[st->n].p.why);
	st->n++;
}

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

static void parse_variant_info(const struct nlattr *nest,
			       struct ntc_variant_info *v, struct parse_state *p)
{
	const struct nlattr *a;
	int rem;

	memset(v, POISON, sizeof(*v));
	memset(v->has, 0, sizeof(v->has));
	nla_for_each(a, attr_data(nest), attr_len(nest), rem) {
		int t = attr_type(a);
		bool ok = true;

		if (t > NTCORRAL_VARIANT_A_MAX)
			continue;
		if (v->has[t])
			bad(p, "variant attribute %d twice", t);
		v->has[t] = true;
		switch (t) {
		case NTCORRAL_VARIANT_A_NAME:
			ok = get_str(a, v->name, sizeof(v->name));
			break;
		case NTCORRAL_VARIANT_A_DESCRIPTION:
			ok = get_str(a, v->description, sizeof(v->description));
			break;
		case NTCORRAL_VARIANT_A_BASELINE:
			ok = attr_len(a) == 0;
			break;
		}
		if (!ok)
			bad(p, "variant attribute %d malformed", t);
	}
	if (rem)
		bad(p, "%d bytes left over in a variant nest", rem);
}

static void parse_param_info(const struct nlattr *nest,
			     struct ntc_param_info *pi, struct parse_state *p)
{
	const struct nlattr *a;
	int rem;

	memset(pi, POISON, sizeof(*pi));
	memset(pi->has, 0, sizeof(pi->has));
	nla_for_each(a, attr_data(nest), attr_len(nest), rem) {
		int t = attr_type(a);
		bool ok = true;

		if (t > NTCORRAL_PARAM_A_MAX || t == NTCORRAL_PARAM_A_PAD)
			continue;
		if (pi->has[t])
			bad(p, "param attribute %d twice", t);
		pi->has[t] = true;
		switch (t) {
		case NTCORRAL_PARAM_A_NAME:
			ok = get_str(a, pi->name, sizeof(pi->name));
			break;
		case NTCORRAL_PARAM_A_ATTR: ok = get_u32(a, &pi->attr); break;
		case NTCORRAL_PARAM_A_DESCRIPTION:
			ok = get_str(a, pi->description, sizeof(pi->description));
			break;
		case NTCORRAL_PARAM_A_UNIT:
			ok = get_str(a, pi->unit, sizeof(pi->unit));
			break;
		case NTCORRAL_PARAM_A_MIN_VALUE: ok = get_u64(a, &pi->min); break;
		case NTCORRAL_PARAM_A_MAX_VALUE: ok = get_u64(a, &pi->max); break;
		case NTCORRAL_PARAM_A_DEFAULT_VALUE: ok = get_u64(a, &pi->def); break;
		}
		if (!ok)
			bad(p, "param attribute %d malformed (len %d)", t,
			    attr_len(a));
	}
	if (rem)
		bad(p, "%d bytes left over in a param nest", rem);
}

static void list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ntc_list *l = arg;
	struct ntc_experiment *e;
	const struct nlattr *a, *head;
	int len, rem;

	if (l->n == MAX_EXPERIMENTS) {
		bad(&l->p, "more than %d experiments", MAX_EXPERIMENTS);
		return;
	}
	e = &l->e[l->n++];
	memset(e, POISON, sizeof(*e));
	memset(e->has, 0, sizeof(e->has));
	e->nr_variants = e->nr_params = e->nr_metric_names = 0;

	head = genl_attrs(nlh, &len);
	nla_for_each(a, head, len, rem) {
		int t = attr_type(a);
		bool ok = true;

		if (t > NTCORRAL_A_MAX || t == NTCORRAL_A_PAD)
			continue;
		if (e->has[t] && t != NTCORRAL_A_VARIANT_INFO &&
		    t != NTCORRAL_A_PARAM_INFO && t != NTCORRAL_A_METRIC_NAME)
			bad(&l->p, "list attribute %d twice", t);
		e->has[t] = true;
		switch (t) {
		case NTCORRAL_A_EXPERIMENT:
			ok = get_str(a, e->name, sizeof(e->name));
			break;
		case NTCORRAL_A_SEED:
			ok = get_str(a, e->seed, sizeof(e->seed));
			break;
		case NTCORRAL_A_DESCRIPTION:
			ok = get_str(a, e->description, sizeof(e->description));
			break;
		case NTCORRAL_A_VARIANT_INFO:
			if (e->nr_variants == MAX_VARIANTS) {
				bad(&l->p, "too many variants");
				break;
			}
			parse_variant_info(a, &e->variants[e->nr_variants++],
					   &l->p);
			break;
		case NTCORRAL_A_PARAM_INFO:
			if (e->nr_params == MAX_PARAMS) {
				bad(&l->p, "too many params");
				break;
			}
			parse_param_info(a, &e->params[e->nr_params++], &l->p);
			break;
		case NTCORRAL_A_METRIC_NAME:
			if (e->nr_metric_names == MAX_METRICS) {
				bad(&l->p, "too many metric names");
				break;
			}
			ok = get_str(a, e->metric_names[e->nr_metric_names++],
				     NTCORRAL_NAME_MAX);
			break;
		default:
			bad(&l->p, "unexpected attribute %d in a list reply", t);
		}
		if (!ok)
			bad(&l->p, "list attribute %d malformed (len %d)", t,
			    attr_len(a));
	}
	if (rem)
		bad(&l->p, "%d bytes left over in a list reply", rem);
}

/* ---- opening and requests ------------------------------------------------ */

struct ntc_family {
	int id;
	__u32 runs_group;
};

static void family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *head;
	struct ntc_family *f = arg;
	int len, rem;

	head = genl_attrs(nlh, &len);
	nla_for_each(a, head, len, rem) {
		__u16 v;

		if (attr_type(a) == CTRL_ATTR_FAMILY_ID &&
		    attr_len(a) == sizeof(v)) {
			memcpy(&v, attr_data(a), sizeof(v));
			f->id = v;
		}
	}
	f->runs_group = runs_group_id(nlh, NTCORRAL_MCGRP_RUNS);
}

/*
 * Returns 0 or -errno; ENOENT when the family is not registered, EPROTO
 * when it has no "runs" group (a module older than version 2). The socket
 * joins "runs"; a caller the kernel does not let in (EPERM) stays out, and
 * a run it started could not be waited for (ntc_start() says so).
 */
static int ntc_open(struct ntc_sock *s)
{
	struct timeval tv = { .tv_sec = XFER_WAIT_S };
	struct ntc_family f = { .id = -1 };
	struct ntc_msg m;
	struct ntc_err e;
	int one = 1, ret;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		ret = -errno;
		goto fail;
	}
	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2);
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, NTCORRAL_FAMILY_NAME);
	ret = ntc_xfer(s, &m, 0, family_cb, &f, &e);
	if (ret)
		goto fail;
	if (f.id <= 0 || !f.runs_group) {
		ret = -EPROTO;
		goto fail;
	}
	s->family = f.id;
	s->runs_group = f.runs_group;
	ret = runs_join(s->fd, s->runs_group);
	if (ret && ret != -EPERM)
		goto fail;
	s->joined = !ret;
	return 0;
fail:
	close(s->fd);
	s->fd = -1;
	return ret;
}

static void ntc_close(struct ntc_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	while (s->nr_notes)
		free(s->notes[--s->nr_notes]);
}

static void run_msg(struct ntc_sock *s, struct ntc_msg *m,
		    const char *experiment, const char *variant)
{
	msg_init(m, s->family, NTCORRAL_CMD_RUN, NTCORRAL_FAMILY_VERSION);
	if (experiment)
		msg_put_str(m, NTCORRAL_A_EXPERIMENT, experiment);
	if (variant)
		msg_put_str(m, NTCORRAL_A_VARIANT, variant);
}

static void put_slack(struct ntc_msg *m)
{
	msg_put_u32(m, NTCORRAL_A_DEADLINE_US, RUN_DEADLINE_US);
	msg_put_u32(m, NTCORRAL_A_MAX_RUNTIME_MS, RUN_MAX_RUNTIME_MS);
}

/* The last attribute @type of request @m (the one the kernel keeps), or NULL. */
static const struct nlattr *msg_find(const struct ntc_msg *m, int type)
{
	const struct nlattr *a, *found = NULL;
	int rem;

	nla_for_each(a, (const struct nlattr *)(m->buf + NLMSG_HDRLEN + GENL_HDRLEN),
		     (int)(m->len - NLMSG_HDRLEN - GENL_HDRLEN), rem) {
		if (attr_type(a) == type)
			found = a;
	}
	return found;
}

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

static void started_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ntc_started *st = arg;
	const struct nlattr *a, *head;
	int len, rem;

	if (st->nr_msgs++)
		bad(&st->p, "more than one reply to RUN");
	head = genl_attrs(nlh, &len);
	nla_for_each(a, head, len, rem) {
		int t = attr_type(a);
		bool ok;

		if (t == NTCORRAL_A_PAD)
			continue;
		if (t <= NTCORRAL_A_MAX && st->has[t])
			bad(&st->p, "attribute %d twice in a RUN reply", t);
		switch (t) {
		case NTCORRAL_A_RUN_ID:
			ok = get_u64(a, &st->run_id);
			break;
		case NTCORRAL_A_EXPERIMENT:
			ok = get_str(a, st->experiment, sizeof(st->experiment));
			break;
		case NTCORRAL_A_VARIANT:
			ok = get_str(a, st->variant, sizeof(st->variant));
			break;
		default:
			bad(&st->p, "unexpected attribute %d in a RUN reply", t);
			continue;
		}
		st->has[t] = true;
		if (!ok)
			bad(&st->p, "attribute %d malformed in a RUN reply (len %d)",
			    t, attr_len(a));
	}
	if (rem)
		bad(&st->p, "%d bytes left over in a RUN reply", rem);
}

/* The reply must name what @m asked for. */
static void check_echo(struct parse_state *p, const char *what,
		       const struct ntc_msg *m, int type, bool has,
		       const char *got)
{
	const struct nlattr *a = msg_find(m, type);

	if (!a)
		return;
	if (!has)
		bad(p, "%s without attribute %d", what, type);
	else if (strcmp(got, attr_data(a)))
		bad(p, "%s names '%s', not '%s'", what, got,
		    (const char *)attr_data(a));
}

/*
 * Send RUN @m and read its reply: 0 and the run in @st (its id, never 0,
 * and the names it echoes, checked into st->p), or -errno as the kernel
 * refused it (a refusal comes with no reply: st->nr_msgs says), or -EPROTO
 * (an ack without a run id) or -ENOTCONN (the socket is not in "runs",
 * nothing to wait on) of our own, with no e->has_msg.
 */
static int ntc_start(struct ntc_sock *s, struct ntc_msg *m,
		     struct ntc_started *st, struct ntc_err *e)
{
	const struct nlattr *a;
	int ret;

	memset(st, POISON, sizeof(*st));
	memset(&st->p, 0, sizeof(st->p));
	memset(st->has, 0, sizeof(st->has));
	st->nr_msgs = 0;
	st->run_id = 0;
	ret = ntc_xfer(s, m, 0, started_cb, st, e);
	if (ret)
		return ret;
	if (st->nr_msgs != 1 || !st->has[NTCORRAL_A_RUN_ID] || !st->run_id) {
		snprintf(e->msg, sizeof(e->msg),
			 "test: RUN acknowledged with %d replies, %s run id",
			 st->nr_msgs, st->has[NTCORRAL_A_RUN_ID] ? "a zero" : "no");
		return -EPROTO;
	}
	check_echo(&st->p, "RUN reply", m, NTCORRAL_A_EXPERIMENT,
		   st->has[NTCORRAL_A_EXPERIMENT], st->experiment);
	check_echo(&st->p, "RUN reply", m, NTCORRAL_A_VARIANT,
		   st->has[NTCORRAL_A_VARIANT], st->variant);
	a = msg_find(m, NTCORRAL_A_MAX_RUNTIME_MS);
	st->max_runtime_ms = NTCORRAL_DEFAULT_RUNTIME_MS;
	if (a && attr_len(a) == sizeof(__u32))
		memcpy(&st->max_runtime_ms, attr_data(a), sizeof(__u32));
	if (!s->joined) {
		snprintf(e->msg, sizeof(e->msg),
			 "test: run %llu started, but this caller may not join \"%s\"",
			 (unsigned long long)st->run_id, NTCORRAL_MCGRP_RUNS);
		return -ENOTCONN;
	}
	return 0;
}

/*
 * Whether "runs" notification @nlh is of run @run_id. Every one is checked
 * on the way (into @p): a RUN_PROGRESS strictly, no other command than
 * RUN_PROGRESS and RUN_RESULT.
 */
static bool note_of(const struct nlmsghdr *nlh, __u64 run_id,
		    struct parse_state *p)
{
	struct runs_progress pr;
	char why[STR_MAX];

	switch (runs_cmd(nlh)) {
	case NTCORRAL_CMD_RUN_PROGRESS:
		if (!runs_progress_parse(nlh, &pr, why, sizeof(why)))
			bad(p, "%s", why);
		return runs_run_id(nlh) == run_id;
	case NTCORRAL_CMD_RUN_RESULT:
		return runs_run_id(nlh) == run_id;
	default:
		bad(p, "a \"%s\" notification with command %d",
		    NTCORRAL_MCGRP_RUNS, runs_cmd(nlh));
		return false;
	}
}

/*
 * The next notification of run @run_id, kept or read before @deadline: a
 * copy the caller frees, or NULL and -errno in *err. Other runs'
 * notifications are checked and dropped, replies to nothing we wait for
 * ignored.
 */
static struct nlmsghdr *ntc_next_note(struct ntc_sock *s, __u64 run_id,
				      const struct timespec *deadline,
				      struct parse_state *p, int *err)
{
	struct nlmsghdr *nlh;
	char *buf = NULL;

	for (;;) {
		ssize_t n;
		int rem;

		while ((nlh = note_take(s))) {
			if (note_of(nlh, run_id, p)) {
				free(buf);
				return nlh;
			}
			free(nlh);
		}
		if (!buf)
			buf = aligned_alloc(NLMSG_ALIGNTO, RECV_BUF_SIZE);
		if (!buf) {
			*err = -ENOMEM;
			return NULL;
		}
		n = ntc_recv(s, buf, deadline);
		if (n < 0) {
			*err = n;
			free(buf);
			return NULL;
		}
		rem = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, rem);
		     nlh = NLMSG_NEXT(nlh, rem)) {
			if (runs_is_notification(nlh, s->family))
				note_keep(s, nlh);
		}
	}
}

/*
 * A RUN_PROGRESS of @st's run: its names, its budget as asked, and DONE and
 * ELAPSED never going back.
 */
static void check_progress(const struct ntc_started *st,
			   const struct nlmsghdr *nlh, struct ntc_result *r)
{
	struct runs_progress pr;
	char why[STR_MAX];

	if (!runs_progress_parse(nlh, &pr, why, sizeof(why))) {
		bad(&r->p, "%s", why);
		return;
	}
	if (strcmp(pr.experiment, st->experiment) ||
	    strcmp(pr.variant, st->variant))
		bad(&r->p, "RUN_PROGRESS of run %llu names %s/%s, not %s/%s",
		    (unsigned long long)pr.run_id, pr.experiment, pr.variant,
		    st->experiment, st->variant);
	if (pr.budget_ns != st->max_runtime_ms * 1000000ULL)
		bad(&r->p, "RUN_PROGRESS: budget %llu ns, the run has %u ms",
		    (unsigned long long)pr.budget_ns, st->max_runtime_ms);
	if (r->nr_progress && (pr.done < r->progress.done ||
			       pr.elapsed_ns < r->progress.elapsed_ns))
		bad(&r->p, "RUN_PROGRESS went back: done %llu after %llu, elapsed %llu ns after %llu",
		    (unsigned long long)pr.done,
		    (unsigned long long)r->progress.done,
		    (unsigned long long)pr.elapsed_ns,
		    (unsigned long long)r->progress.elapsed_ns);
	r->progress = pr;
	r->nr_progress++;
}

/*
 * Run @st's RUN_RESULT into @r: 0, or the run's failure after its start as
 * -errno with its message where a refusal has its extack message.
 */
static int take_result(const struct ntc_started *st, const struct nlmsghdr *nlh,
		       struct ntc_result *r, struct ntc_err *e)
{
	struct parse_state p;
	int nr_progress;

	parse_result_msg(nlh, r, true);
	if (!r->has[NTCORRAL_A_EXPERIMENT] || !r->has[NTCORRAL_A_VARIANT] ||
	    strcmp(r->experiment, st->experiment) ||
	    strcmp(r->variant, st->variant))
		bad(&r->p, "RUN_RESULT of run %llu does not name %s/%s",
		    (unsigned long long)st->run_id, st->experiment, st->variant);
	if (!r->has[NTCORRAL_A_ERROR]) {
		if (r->has[NTCORRAL_A_ERROR_MESSAGE])
			bad(&r->p, "RUN_RESULT with an error message, no error");
		e->error = 0;
		return 0;
	}
	if (r->has[NTCORRAL_A_SAMPLES] || r->has[NTCORRAL_A_RUNS])
		bad(&r->p, "a failed run's RUN_RESULT with a result");
	if (!r->error || r->error >= 4096) {
		bad(&r->p, "RUN_RESULT with error %u", r->error);
		e->error = -EPROTO;
	} else {
		e->error = -(int)r->error;
	}
	e->has_msg = r->has[NTCORRAL_A_ERROR_MESSAGE];
	if (e->has_msg)
		snprintf(e->msg, sizeof(e->msg), "%s", r->error_msg);
	/* As a refused RUN: no result to show, but what was wrong. */
	p = r->p;
	nr_progress = r->nr_progress;
	result_poison(r);
	r->p = p;
	r->nr_progress = nr_progress;
	return e->error;
}

/*
 * Wait RESULT_WAIT_S at most for the RUN_RESULT of @st's run, checking
 * its RUN_PROGRESS on the way, into @r (poisoned by the caller:
 * result_poison()). Returns what take_result() does, or -errno of our own
 * (-ETIMEDOUT, -ENOBUFS: see ntc_recv()) with no e->has_msg.
 */
static int ntc_wait_result(struct ntc_sock *s, const struct ntc_started *st,
			   struct ntc_result *r, struct ntc_err *e)
{
	struct timespec deadline;
	struct nlmsghdr *nlh;
	int ret = 0;

	err_reset(e);
	deadline_in(&deadline, RESULT_WAIT_S);
	while ((nlh = ntc_next_note(s, st->run_id, &deadline, &r->p, &ret))) {
		if (runs_cmd(nlh) == NTCORRAL_CMD_RUN_PROGRESS) {
			check_progress(st, nlh, r);
			free(nlh);
			continue;
		}
		ret = take_result(st, nlh, r, e);
		free(nlh);
		return ret;
	}
	e->error = ret;
	snprintf(e->msg, sizeof(e->msg), "test: no RUN_RESULT of run %llu: %s",
		 (unsigned long long)st->run_id, strerror(-ret));
	return ret;
}

/*
 * Wait PROGRESS_WAIT_S at most for a RUN_PROGRESS of @st's run, checked
 * into @r as ntc_wait_result() does: 0; -EALREADY when its RUN_RESULT came
 * first (kept for ntc_wait_result()); -errno of our own.
 */
static int ntc_wait_progress(struct ntc_sock *s, const struct ntc_started *st,
			     struct ntc_result *r)
{
	struct timespec deadline;
	struct nlmsghdr *nlh;
	int ret = 0;

	deadline_in(&deadline, PROGRESS_WAIT_S);
	nlh = ntc_next_note(s, st->run_id, &deadline, &r->p, &ret);
	if (!nlh)
		return ret;
	if (runs_cmd(nlh) == NTCORRAL_CMD_RUN_RESULT) {
		note_put_back(s, nlh);
		return -EALREADY;
	}
	check_progress(st, nlh, r);
	free(nlh);
	return 0;
}

/*
 * RUN @m and wait for its result: what a RUN used to answer. 0 and the
 * run's RUN_RESULT in @r, or -errno with the extack (a refusal), or the
 * error and message of a failure after the start, in @e.
 */
static int ntc_run(struct ntc_sock *s, struct ntc_msg *m,
		   struct ntc_result *r, struct ntc_err *e)
{
	struct ntc_started st;
	int ret;

	result_poison(r);
	ret = ntc_start(s, m, &st, e);
	if (st.p.malformed)
		bad(&r->p, "%s", st.p.why);
	if (ret) {
		r->nr_msgs = st.nr_msgs;	/* a refusal has none */
		return ret;
	}
	return ntc_wait_result(s, &st, r, e);
}

static int ntc_run_simple(struct ntc_sock *s, const char *variant,
			  __u32 iterations, struct ntc_result *r,
			  struct ntc_err *e)
{
	struct ntc_msg m;

	run_msg(s, &m, EXPERIMENT, variant);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, iterations);
	put_slack(&m);
	return ntc_run(s, &m, r, e);
}

/* GET_RESULT, of run @run_id or (0) of the last run that finished. */
static int ntc_get_result(struct ntc_sock *s, __u64 run_id,
			  struct ntc_result *r, struct ntc_err *e)
{
	struct ntc_msg m;

	msg_init(&m, s->family, NTCORRAL_CMD_GET_RESULT,
		 NTCORRAL_FAMILY_VERSION);
	if (run_id)
		msg_put_u64(&m, NTCORRAL_A_RUN_ID, run_id);
	result_poison(r);
	return ntc_xfer(s, &m, 0, run_result_cb, r, e);
}

/* CANCEL, of run @run_id or (0) of whichever is in progress. */
static int ntc_cancel(struct ntc_sock *s, __u64 run_id, struct ntc_err *e)
{
	struct ntc_msg m;

	msg_init(&m, s->family, NTCORRAL_CMD_CANCEL, NTCORRAL_FAMILY_VERSION);
	if (run_id)
		msg_put_u64(&m, NTCORRAL_A_RUN_ID, run_id);
	return ntc_xfer(s, &m, 0, NULL, NULL, e);
}

static int ntc_list(struct ntc_sock *s, const char *experiment,
		    struct ntc_list *l, struct ntc_err *e)
{
	struct ntc_msg m;

	memset(l, POISON, sizeof(*l));
	memset(&l->p, 0, sizeof(l->p));
	l->n = 0;
	msg_init(&m, s->family, NTCORRAL_CMD_LIST_EXPERIMENTS,
		 NTCORRAL_FAMILY_VERSION);
	if (experiment)
		msg_put_str(&m, NTCORRAL_A_EXPERIMENT, experiment);
	return ntc_xfer(s, &m, NLM_F_DUMP, list_cb, l, e);
}

static int ntc_stats(struct ntc_sock *s, const char *experiment,
		     const char *variant, struct ntc_stats *st,
		     struct ntc_err *e)
{
	struct ntc_msg m;

	memset(&st->p, 0, sizeof(st->p));
	st->n = 0;
	msg_init(&m, s->family, NTCORRAL_CMD_GET_STATS,
		 NTCORRAL_FAMILY_VERSION);
	if (experiment)
		msg_put_str(&m, NTCORRAL_A_EXPERIMENT, experiment);
	if (variant)
		msg_put_str(&m, NTCORRAL_A_VARIANT, variant);
	return ntc_xfer(s, &m, NLM_F_DUMP, stats_cb, st, e);
}

static int ntc_reset(struct ntc_sock *s, const char *experiment,
		     const char *variant, struct ntc_err *e)
{
	struct ntc_msg m;

	msg_init(&m, s->family, NTCORRAL_CMD_RESET_STATS,
		 NTCORRAL_FAMILY_VERSION);
	if (experiment)
		msg_put_str(&m, NTCORRAL_A_EXPERIMENT, experiment);
	if (variant)
		msg_put_str(&m, NTCORRAL_A_VARIANT, variant);
	return ntc_xfer(s, &m, 0, NULL, NULL, e);
}

static const struct ntc_result *stats_find(const struct ntc_stats *st,
					   const char *experiment,
					   const char *variant)
{
	for (int i = 0; i < st->n; i++)
		if (st->r[i].has[NTCORRAL_A_EXPERIMENT] &&
		    st->r[i].has[NTCORRAL_A_VARIANT] &&
		    !strcmp(st->r[i].experiment, experiment) &&
		    !strcmp(st->r[i].variant, variant))
			return &st->r[i];
	return NULL;
}

static const struct ntc_metric *metric_find(const struct ntc_result *r,
					    const char *name)
{
	for (int i = 0; i < r->nr_metrics; i++)
		if (r->metrics[i].has[NTCORRAL_METRIC_A_NAME] &&
		    !strcmp(r->metrics[i].name, name))
			return &r->metrics[i];
	return NULL;
}

static const struct ntc_counter *counter_find(const struct ntc_result *r,
					      const char *name)
{
	for (int i = 0; i < r->nr_counters; i++)
		if (r->counters[i].has_name && !strcmp(r->counters[i].name, name))
			return &r->counters[i];
	return NULL;
}

/* ---- CPUs ---------------------------------------------------------------- */

#define CPU_WORDS (NTCORRAL_MAX_CPUS / 64)

/* Parses a sysfs CPU list ("0-3,5") into @mask; returns the number set. */
static int read_cpu_list(const char *path, __u64 mask[CPU_WORDS])
{
	char buf[1024], *p;
	int n = 0;
	FILE *f;

	memset(mask, 0, CPU_WORDS * sizeof(__u64));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = buf;
	while (*p && *p != '\n') {
		unsigned long lo, hi;
		char *end;

		lo = strtoul(p, &end, 10);
		if (end == p)
			return -EINVAL;
		hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi && c < NTCORRAL_MAX_CPUS; c++) {
			mask[c / 64] |= 1ULL << (c % 64);
			n++;
		}
		p = end;
		if (*p == ',')
			p++;
	}
	return n;
}

static int online_cpus(__u64 mask[CPU_WORDS])
{
	return read_cpu_list("/sys/devices/system/cpu/online", mask);
}

static int lowest_cpu(const __u64 *mask, int words)
{
	for (int w = 0; w < words; w++)
		if (mask[w])
			return w * 64 + __builtin_ctzll(mask[w]);
	return -1;
}

static int highest_cpu(const __u64 *mask, int words)
{
	for (int w = words - 1; w >= 0; w--)
		if (mask[w])
			return w * 64 + 63 - __builtin_clzll(mask[w]);
	return -1;
}

static int set_cpu_online(int cpu, bool online)
{
	char path[96];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, online ? "1" : "0", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- checks shared by the tests ------------------------------------------ */

static int fls64_(__u64 v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

static int bucket_of(__u64 v)
{
	int b = fls64_(v);

	return b < NTCORRAL_HIST_BUCKETS ? b : NTCORRAL_HIST_BUCKETS - 1;
}

/*
 * A metric must be complete and consistent with itself: ordered figures,
 * a histogram whose counts add up to COUNT, whose lowest and highest
 * non-empty buckets hold MIN and MAX.
 */
static void check_metric(struct __test_metadata *_metadata,
			 const struct ntc_metric *mt, __u64 expected_count)
{
	__u64 sum = 0;
	int lo = -1, hi = -1;

	for (int t = NTCORRAL_METRIC_A_NAME; t <= NTCORRAL_METRIC_A_MAX; t++) {
		ASSERT_TRUE(mt->has[t]) TH_LOG("metric %s lacks attribute %d",
					       mt->has[NTCORRAL_METRIC_A_NAME] ?
					       mt->name : "?", t);
	}
	ASSERT_NE(0, strlen(mt->name));
	ASSERT_EQ(expected_count, mt->count) TH_LOG("metric %s", mt->name);
	if (!mt->count)
		return;
	ASSERT_LE(mt->min, mt->p50) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->p50, mt->p90) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->p90, mt->p99) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->p99, mt->max) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->min, mt->mean) TH_LOG("metric %s", mt->name);
	ASSERT_LE(mt->mean, mt->max) TH_LOG("metric %s", mt->name);
	for (int b = 0; b < NTCORRAL_HIST_BUCKETS; b++) {
		sum += mt->hist[b];
		if (mt->hist[b]) {
			if (lo < 0)
				lo = b;
			hi = b;
		}
	}
	ASSERT_EQ(mt->count, sum) TH_LOG("metric %s: histogram sums to %llu",
					 mt->name, (unsigned long long)sum);
	ASSERT_EQ(bucket_of(mt->min), lo) TH_LOG("metric %s: min %llu",
						 mt->name,
						 (unsigned long long)mt->min);
	ASSERT_EQ(bucket_of(mt->max), hi) TH_LOG("metric %s: max %llu",
						 mt->name,
						 (unsigned long long)mt->max);
}

static void check_counters(struct __test_metadata *_metadata,
			   const struct ntc_result *r)
{
	ASSERT_LT(0, r->nr_counters) TH_LOG("%s/%s has no counters",
					    r->experiment, r->variant);
	for (int i = 0; i < r->nr_counters; i++) {
		ASSERT_TRUE(r->counters[i].has_name);
		ASSERT_TRUE(r->counters[i].has_value);
		ASSERT_NE(0, strlen(r->counters[i].name));
		for (int j = 0; j < i; j++) {
			ASSERT_NE(0, strcmp(r->counters[i].name,
					    r->counters[j].name));
		}
	}
}

/*
 * The reply of a clean RUN of @experiment/@variant, @iterations on the CPUs
 * in @cpus: every iteration a sample, no violation, no timeout, and the
 * primary metric (the first one) is @primary with a sample per iteration.
 */
static void check_run_reply_of(struct __test_metadata *_metadata,
			       const struct ntc_result *r,
			       const char *experiment, const char *primary,
			       const char *variant, __u32 iterations,
			       const __u64 cpus[CPU_WORDS])
{
	int nr = 0, words = r->cpus_len / 8;

	ASSERT_FALSE(r->p.malformed) TH_LOG("malformed reply: %s", r->p.why);
	ASSERT_EQ(1, r->nr_msgs);
	if (r->has[NTCORRAL_A_SAMPLES] && r->has[NTCORRAL_A_VIOLATIONS] &&
	    r->has[NTCORRAL_A_TIMEOUTS] &&
	    (r->samples != iterations || r->violations || r->timeouts ||
	     r->has[NTCORRAL_A_TRUNCATED]))
		TH_LOG("%s/%s: %u iterations gave %llu samples, %llu violations, "
		       "%llu timeouts%s", experiment, variant, iterations,
		       (unsigned long long)r->samples,
		       (unsigned long long)r->violations,
		       (unsigned long long)r->timeouts,
		       r->has[NTCORRAL_A_TRUNCATED] ? ", truncated" : "");
	ASSERT_TRUE(r->has[NTCORRAL_A_EXPERIMENT]);
	ASSERT_STREQ(experiment, r->experiment);
	ASSERT_TRUE(r->has[NTCORRAL_A_VARIANT]);
	ASSERT_STREQ(variant, r->variant);
	ASSERT_TRUE(r->has[NTCORRAL_A_RUNS]);
	ASSERT_EQ(1, r->runs);
	ASSERT_TRUE(r->has[NTCORRAL_A_ITERATIONS]);
	ASSERT_EQ(iterations, r->iterations);
	ASSERT_FALSE(r->has[NTCORRAL_A_TRUNCATED])
		TH_LOG("%u iterations of %s were truncated", iterations, variant);
	ASSERT_TRUE(r->has[NTCORRAL_A_SAMPLES]);
	ASSERT_EQ(iterations, r->samples);
	ASSERT_TRUE(r->has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(0, r->violations);
	ASSERT_TRUE(r->has[NTCORRAL_A_TIMEOUTS]);
	ASSERT_EQ(0, r->timeouts);
	ASSERT_TRUE(r->has[NTCORRAL_A_DURATION_NS]);
	ASSERT_LT(0, r->duration_ns);

	/* The CPUs taking part are exactly the ones asked for. */
	for (int c = 0; c < NTCORRAL_MAX_CPUS; c++)
		nr += !!(cpus[c / 64] & (1ULL << (c % 64)));
	ASSERT_TRUE(r->has[NTCORRAL_A_NR_CPUS]);
	ASSERT_EQ(nr, r->nr_cpus);
	ASSERT_TRUE(r->has[NTCORRAL_A_CPUS]);
	for (int w = 0; w < CPU_WORDS; w++) {
		ASSERT_EQ(cpus[w], w < words ? r->cpus[w] : 0)
			TH_LOG("CPU word %d of the reply", w);
	}
	ASSERT_TRUE(r->has[NTCORRAL_A_INITIATOR_CPU]);
	ASSERT_EQ(lowest_cpu(cpus, CPU_WORDS), r->initiator_cpu);

	ASSERT_LT(0, r->nr_metrics);
	ASSERT_STREQ(primary, r->metrics[0].name);
	for (int i = 0; i < r->nr_metrics; i++) {
		check_metric(_metadata, &r->metrics[i],
			     i == 0 ? iterations : r->metrics[i].count);
		for (int j = 0; j < i; j++) {
			ASSERT_NE(0, strcmp(r->metrics[i].name,
					    r->metrics[j].name));
		}
	}
	check_counters(_metadata, r);
}

/* The same for the shootdown, whose primary metric is "window". */
static void check_run_reply(struct __test_metadata *_metadata,
			    const struct ntc_result *r, const char *variant,
			    __u32 iterations, const __u64 cpus[CPU_WORDS])
{
	check_run_reply_of(_metadata, r, EXPERIMENT, "window", variant,
			   iterations, cpus);
}

/* A rejected request: the errno, and an extack message saying why. */
static void __expect_run_error(struct __test_metadata *_metadata,
			       struct ntc_sock *s, struct ntc_msg *m,
			       int expected_errno, const char *what,
			       struct ntc_err *out)
{
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ret = ntc_run(s, m, &r, &e);
	ASSERT_EQ(-expected_errno, ret)
		TH_LOG("%s: expected %s, got %d (%s), extack '%s'", what,
		       strerror(expected_errno), ret,
		       ret < 0 ? strerror(-ret) : "success", e.msg);
	ASSERT_EQ(0, r.nr_msgs) TH_LOG("%s: a rejected RUN sent a reply", what);
	ASSERT_TRUE(e.has_msg) TH_LOG("%s: no extack message came back", what);
	ASSERT_NE(0, strlen(e.msg)) TH_LOG("%s: empty extack message", what);
	TH_LOG("%s: %s, extack: %s", what, strerror(expected_errno), e.msg);
	if (out)
		*out = e;
}

static void expect_run_error(struct __test_metadata *_metadata,
			     struct ntc_sock *s, struct ntc_msg *m,
			     int expected_errno, const char *what)
{
	__expect_run_error(_metadata, s, m, expected_errno, what, NULL);
}

/* As above, and the extack must point at the attribute at @offset. */
static void expect_run_error_at(struct __test_metadata *_metadata,
				struct ntc_sock *s, struct ntc_msg *m,
				int expected_errno, size_t offset,
				const char *what)
{
	struct ntc_err e;

	__expect_run_error(_metadata, s, m, expected_errno, what, &e);
	ASSERT_TRUE(e.has_offs) TH_LOG("%s: extack names no attribute", what);
	ASSERT_EQ(offset, e.offs) TH_LOG("%s: extack points elsewhere", what);
}

/*
 * A required attribute left out: EINVAL, NLMSGERR_ATTR_MISS_TYPE naming it
 * when the kernel says which (GENL_REQ_ATTR_CHECK), and a message all the
 * same, for people.
 */
static void expect_run_error_missing(struct __test_metadata *_metadata,
				     struct ntc_sock *s, struct ntc_msg *m,
				     __u32 attr, const char *what)
{
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ret = ntc_run(s, m, &r, &e);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("%s: got %d (%s), extack '%s'", what,
				       ret, ret < 0 ? strerror(-ret) : "success",
				       e.msg);
	ASSERT_EQ(0, r.nr_msgs);
	if (e.has_miss_type) {
		ASSERT_EQ(attr, e.miss_type) TH_LOG("%s: wrong MISS_TYPE", what);
	}
	TH_LOG("%s: EINVAL, miss_type %d, extack message '%s'", what,
	       e.has_miss_type ? (int)e.miss_type : -1, e.msg);
	ASSERT_TRUE(e.has_msg) TH_LOG("%s: no extack message came back", what);
	ASSERT_NE(0, strlen(e.msg)) TH_LOG("%s: empty extack message", what);
}

/* ---- the fixture --------------------------------------------------------- */

/* The kernel's thread creator: PID 2 on every Linux since 2.6.22. */
#define KTHREADD_PID	2

FIXTURE(ntcorral) {
	struct ntc_sock s;
	__u64 online[CPU_WORDS];
	int nr_online;
	int offlined_cpu;	/* to bring back online in teardown */
	struct ntc_started long_run;	/* start_long_run()'s */
	bool long_run_going;		/* to cancel in teardown */
	cpu_set_t kthreadd_cpus;	/* to give back to kthreadd in teardown */
	bool kthreadd_pinned;
};

FIXTURE_SETUP(ntcorral)
{
	int ret;

	self->offlined_cpu = -1;
	ret = ntc_open(&self->s);
	ASSERT_EQ(0, ret) TH_LOG("generic netlink family \"%s\": %s%s",
				 NTCORRAL_FAMILY_NAME, strerror(-ret),
				 ret == -ENOENT ? " (is the module loaded?)" :
				 ret == -EPROTO ? " (no \"" NTCORRAL_MCGRP_RUNS
				 "\" group: a module older than version 2?)" : "");
	self->nr_online = online_cpus(self->online);
	ASSERT_LT(0, self->nr_online);
	ASSERT_EQ(sysconf(_SC_NPROCESSORS_ONLN), self->nr_online);
}

FIXTURE_TEARDOWN(ntcorral)
{
	if (self->long_run_going) {
		struct ntc_result *r = malloc(sizeof(*r));
		struct ntc_err e;

		/* A test that failed half-way leaves no run to the next. */
		ntc_cancel(&self->s, self->long_run.run_id, &e);
		if (r) {
			result_poison(r);
			ntc_wait_result(&self->s, &self->long_run, r, &e);
		}
		free(r);
	}
	if (self->offlined_cpu >= 0)
		set_cpu_online(self->offlined_cpu, true);
	if (self->kthreadd_pinned)
		sched_setaffinity(KTHREADD_PID, sizeof(self->kthreadd_cpus),
				  &self->kthreadd_cpus);
	ntc_close(&self->s);
}

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
		switch (pi->attr) {
		case NTCORRAL_A_ITERATIONS:
			min = NTCORRAL_MIN_ITERATIONS;
			max = NTCORRAL_MAX_ITERATIONS;
			def = NTCORRAL_DEFAULT_ITERATIONS;
			break;
		case NTCORRAL_A_HOLD_US:
			min = 0;
			max = NTCORRAL_MAX_HOLD_US;
			def = NTCORRAL_DEFAULT_HOLD_US;
			break;
		case NTCORRAL_A_DEADLINE_US:
			min = NTCORRAL_MIN_DEADLINE_US;
			max = NTCORRAL_MAX_DEADLINE_US;
			def = NTCORRAL_DEFAULT_DEADLINE_US;
			break;
		case NTCORRAL_A_MAX_RUNTIME_MS:
			min = NTCORRAL_MIN_RUNTIME_MS;
			max = NTCORRAL_MAX_RUNTIME_MS;
			def = NTCORRAL_DEFAULT_RUNTIME_MS;
			break;
		case NTCORRAL_A_PCI_DEVICE:
			min = 0;
			max = NTCORRAL_MAX_PCI_DEVICE;
			def = NTCORRAL_DEFAULT_PCI_DEVICE;
			break;
		case NTCORRAL_A_RATE_HZ:
			min = NTCORRAL_MIN_RATE_HZ;
			max = NTCORRAL_MAX_RATE_HZ;
			def = NTCORRAL_DEFAULT_RATE_HZ;
			break;
		case NTCORRAL_A_WARMUP:
			min = 0;
			max = NTCORRAL_MAX_WARMUP;
			def = NTCORRAL_DEFAULT_WARMUP;
			break;
		case NTCORRAL_A_COOLDOWN:
			min = 0;
			max = NTCORRAL_MAX_WARMUP;
			def = NTCORRAL_DEFAULT_COOLDOWN;
			break;
		case NTCORRAL_A_PHASE_STAMPS:
			min = 0;
			max = 1;
			def = NTCORRAL_DEFAULT_PHASE_STAMPS;
			break;
		case NTCORRAL_A_BATCH:
			min = NTCORRAL_MIN_BATCH;
			max = NTCORRAL_MAX_BATCH;
			def = NTCORRAL_DEFAULT_BATCH;
			break;
		case NTCORRAL_A_BURST:
			min = NTCORRAL_MIN_BURST;
			max = NTCORRAL_MAX_BURST;
			def = NTCORRAL_DEFAULT_BURST;
			break;
		default:
			ASSERT_TRUE(false) TH_LOG("param %s names attribute %u, "
						  "which is no run parameter",
						  pi->name, pi->attr);
			return;
		}
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

/* ---- RUN ----------------------------------------------------------------- */

static void run_variant(struct __test_metadata *_metadata,
			FIXTURE_DATA(ntcorral) *self, const char *variant)
{
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ret = ntc_run_simple(&self->s, variant, 50, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("RUN %s: %s, extack '%s'", variant,
				 strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, variant, 50, self->online);
}

TEST_F_TIMEOUT(ntcorral, run_dpc_has_no_violations_or_timeouts, 120)
{
	run_variant(_metadata, self, "dpc");
}

TEST_F_TIMEOUT(ntcorral, run_ipi_has_no_violations_or_timeouts, 120)
{
	run_variant(_metadata, self, "ipi");
}

TEST_F_TIMEOUT(ntcorral, run_stop_machine_has_no_violations_or_timeouts, 120)
{
	run_variant(_metadata, self, "stop_machine");
}

TEST_F_TIMEOUT(ntcorral, run_without_iterations_does_the_default_count, 180)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	put_slack(&m);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", NTCORRAL_DEFAULT_ITERATIONS,
			self->online);
}

TEST_F_TIMEOUT(ntcorral, run_accepts_the_smallest_bounds, 60)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, NTCORRAL_MIN_ITERATIONS);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, 0);
	msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, NTCORRAL_MAX_RUNTIME_MS);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, NTCORRAL_MAX_DEADLINE_US);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_DEFAULT_PCI_DEVICE);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", NTCORRAL_MIN_ITERATIONS,
			self->online);
}

static void run_on_cpus(struct __test_metadata *_metadata,
			FIXTURE_DATA(ntcorral) *self, int a, int b)
{
	__u64 cpus[CPU_WORDS] = { 0 };
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	cpus[a / 64] |= 1ULL << (a % 64);
	cpus[b / 64] |= 1ULL << (b % 64);
	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 20);
	put_slack(&m);
	msg_put(&m, NTCORRAL_A_CPUS, cpus, ((highest_cpu(cpus, CPU_WORDS) / 64) + 1) * 8);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 20, cpus);
	ASSERT_EQ(2, r.nr_cpus);
	ASSERT_EQ(a, r.initiator_cpu);
}

TEST_F_TIMEOUT(ntcorral, run_on_cpus_0_1_takes_two_cpus_with_initiator_0, 60)
{
	if (self->nr_online < 2 || !(self->online[0] & 3))
		SKIP(return, "needs CPUs 0 and 1 online");
	run_on_cpus(_metadata, self, 0, 1);
}

TEST_F_TIMEOUT(ntcorral, run_on_cpus_1_2_takes_two_cpus_with_initiator_1, 60)
{
	if ((self->online[0] & 6) != 6)
		SKIP(return, "needs CPUs 1 and 2 online");
	run_on_cpus(_metadata, self, 1, 2);
}

/* ---- RUN: bad input ------------------------------------------------------ */

TEST_F_TIMEOUT(ntcorral, run_rejects_unknown_experiment, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, "nosuch", "dpc");
	expect_run_error(_metadata, &self->s, &m, ENOENT, "experiment nosuch");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_unknown_variant, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, EXPERIMENT, "nosuch");
	expect_run_error(_metadata, &self->s, &m, ENOENT, "variant nosuch");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_missing_experiment, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, NULL, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	expect_run_error_missing(_metadata, &self->s, &m, NTCORRAL_A_EXPERIMENT,
				 "no experiment");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_missing_variant, 30)
{
	struct ntc_msg m;

	run_msg(&self->s, &m, EXPERIMENT, NULL);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	expect_run_error_missing(_metadata, &self->s, &m, NTCORRAL_A_VARIANT,
				 "no variant");
}

static void expect_u32_out_of_range(struct __test_metadata *_metadata,
				    struct ntc_sock *s, int attr, __u32 value,
				    const char *what)
{
	struct ntc_msg m;
	size_t off;

	run_msg(s, &m, EXPERIMENT, "dpc");
	off = msg_put_u32(&m, attr, value);
	expect_run_error_at(_metadata, s, &m, ERANGE, off, what);
}

TEST_F_TIMEOUT(ntcorral, run_rejects_zero_iterations, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_ITERATIONS, 0,
				"iterations 0");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_too_many_iterations, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_ITERATIONS,
				NTCORRAL_MAX_ITERATIONS + 1, "iterations max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_hold_us_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_HOLD_US,
				NTCORRAL_MAX_HOLD_US + 1, "hold_us max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_deadline_us_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_DEADLINE_US,
				NTCORRAL_MIN_DEADLINE_US - 1, "deadline_us min-1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_DEADLINE_US,
				NTCORRAL_MAX_DEADLINE_US + 1, "deadline_us max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_max_runtime_ms_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_MAX_RUNTIME_MS,
				NTCORRAL_MIN_RUNTIME_MS - 1, "max_runtime_ms min-1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_MAX_RUNTIME_MS,
				NTCORRAL_MAX_RUNTIME_MS + 1, "max_runtime_ms max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_pci_device_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_PCI_DEVICE,
				NTCORRAL_MAX_PCI_DEVICE + 1, "pci_device max+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_a_parameter_its_experiment_does_not_take, 30)
{
	struct ntc_msg m;
	size_t off;

	/* The IPI barrier holds no window; the shootdown has no device. */
	run_msg(&self->s, &m, "ipi_barrier", "counter");
	off = msg_put_u32(&m, NTCORRAL_A_HOLD_US, 5);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "ipi_barrier with hold_us");
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	off = msg_put_u32(&m, NTCORRAL_A_RATE_HZ, 1000);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "shootdown with rate_hz");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_iterations_of_the_wrong_width, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	off = msg_put_u64(&m, NTCORRAL_A_ITERATIONS, 10);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "iterations as a u64");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_unknown_attribute_type, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	off = msg_put_u32(&m, NTCORRAL_A_MAX + 1, 1);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "attribute A_MAX+1");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_attribute_outside_its_policy, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	off = msg_put_u64(&m, NTCORRAL_A_SAMPLES, 1);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "attribute SAMPLES in a RUN");
}

/*
 * NTCORRAL_A_EXPERIMENT is an NLA_NUL_STRING of at most NTCORRAL_NAME_MAX - 1
 * characters: for a longer one, validate_nla() finds no NUL within the
 * first .len + 1 bytes and answers EINVAL (an NLA_STRING would be ERANGE).
 */
TEST_F_TIMEOUT(ntcorral, run_rejects_overlong_experiment_name, 30)
{
	char name[NTCORRAL_NAME_MAX + 8];
	struct ntc_msg m;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	run_msg(&self->s, &m, name, "dpc");
	expect_run_error(_metadata, &self->s, &m, EINVAL, "40-byte experiment");

	/* One past the longest name allowed */
	name[NTCORRAL_NAME_MAX] = '\0';
	run_msg(&self->s, &m, name, "dpc");
	expect_run_error(_metadata, &self->s, &m, EINVAL, "32-byte experiment");
}

static void expect_cpus_rejected(struct __test_metadata *_metadata,
				 struct ntc_sock *s, const void *cpus,
				 size_t len, const char *what)
{
	struct ntc_msg m;

	run_msg(s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	msg_put(&m, NTCORRAL_A_CPUS, cpus, len);
	expect_run_error(_metadata, s, &m, EINVAL, what);
}

TEST_F_TIMEOUT(ntcorral, run_rejects_cpu_set_not_in_whole_words, 30)
{
	__u8 cpus[16];

	memset(cpus, 0, sizeof(cpus));
	cpus[0] = 3;
	expect_cpus_rejected(_metadata, &self->s, cpus, 7, "7-byte CPU set");
	expect_cpus_rejected(_metadata, &self->s, cpus, 9, "9-byte CPU set");
	expect_cpus_rejected(_metadata, &self->s, cpus, 1, "1-byte CPU set");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_empty_cpu_set, 30)
{
	__u64 cpus[2] = { 0, 0 };

	expect_cpus_rejected(_metadata, &self->s, cpus, 8, "empty CPU set");
	expect_cpus_rejected(_metadata, &self->s, cpus, 16,
			     "empty 2-word CPU set");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_cpu_beyond_nr_cpu_ids, 30)
{
	__u64 cpus[CPU_WORDS] = { 0 };

	cpus[0] = 1;
	cpus[1000 / 64] = 1ULL << (1000 % 64);
	expect_cpus_rejected(_metadata, &self->s, cpus, sizeof(cpus),
			     "CPUs 0 and 1000");
	cpus[0] = 0;
	expect_cpus_rejected(_metadata, &self->s, cpus, sizeof(cpus),
			     "CPU 1000");
	/* the first CPU past the ones present */
	memset(cpus, 0, sizeof(cpus));
	{
		__u64 possible[CPU_WORDS];
		int hi, nr = read_cpu_list("/sys/devices/system/cpu/possible",
					   possible);

		ASSERT_LT(0, nr);
		hi = highest_cpu(possible, CPU_WORDS) + 1;
		if (hi < NTCORRAL_MAX_CPUS) {
			cpus[0] |= 1;
			cpus[hi / 64] |= 1ULL << (hi % 64);
			expect_cpus_rejected(_metadata, &self->s, cpus,
					     sizeof(cpus),
					     "CPU 0 and the first impossible CPU");
		}
	}
}

TEST_F_TIMEOUT(ntcorral, run_rejects_oversized_cpu_set, 30)
{
	__u64 cpus[CPU_WORDS + 1] = { 1 };
	struct ntc_msg m;
	size_t off;

	/* NLA_BINARY with .len = NTCORRAL_CPUS_MAX_BYTES: the policy's ERANGE */
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	off = msg_put(&m, NTCORRAL_A_CPUS, cpus, sizeof(cpus));
	expect_run_error_at(_metadata, &self->s, &m, ERANGE, off,
			    "CPU set of 1032 bits");
}

TEST_F_TIMEOUT(ntcorral, run_rejects_offline_cpu_and_runs_without_it, 180)
{
	__u64 cpus[CPU_WORDS] = { 0 }, now[CPU_WORDS];
	struct ntc_result r;
	struct ntc_err e;
	int cpu, ret;

	cpu = highest_cpu(self->online, CPU_WORDS);
	if (self->nr_online < 2 || cpu <= 0)
		SKIP(return, "needs two online CPUs");
	ret = set_cpu_online(cpu, false);
	if (ret)
		SKIP(return, "cannot offline CPU %d: %s", cpu, strerror(-ret));
	self->offlined_cpu = cpu;
	ASSERT_EQ(self->nr_online - 1, online_cpus(now));

	cpus[0] = 1;
	cpus[cpu / 64] |= 1ULL << (cpu % 64);
	expect_cpus_rejected(_metadata, &self->s, cpus,
			     ((cpu / 64) + 1) * 8, "an offline CPU");

	/* Without a CPU set, the run takes the CPUs online now. */
	ret = ntc_run_simple(&self->s, "ipi", 20, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 20, now);

	/* And all of them again once it is back. */
	ASSERT_EQ(0, set_cpu_online(cpu, true));
	self->offlined_cpu = -1;
	ASSERT_EQ(self->nr_online, online_cpus(now));
	ret = ntc_run_simple(&self->s, "ipi", 20, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 20, self->online);
}

TEST_F_TIMEOUT(ntcorral, rejected_runs_leave_stats_untouched, 60)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	__u64 cpus[1] = { 0 };
	struct ntc_msg m;
	struct ntc_err e;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);

	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 0);
	expect_run_error(_metadata, &self->s, &m, ERANGE, "iterations 0");
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put(&m, NTCORRAL_A_CPUS, cpus, sizeof(cpus));
	expect_run_error(_metadata, &self->s, &m, EINVAL, "empty CPU set");

	ASSERT_EQ(0, ntc_stats(&self->s, NULL, NULL, st, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_LE(NR_VARIANTS, st->n);
	for (int i = 0; i < st->n; i++) {
		ASSERT_EQ(0, st->r[i].runs) TH_LOG("%s/%s", st->r[i].experiment,
						   st->r[i].variant);
		ASSERT_EQ(0, st->r[i].samples);
	}
	free(st);
}

/* ---- permissions --------------------------------------------------------- */

struct unpriv_report {
	int setup;		/* 0, or errno of the uid/gid change */
	int open;
	int run, reset, list, stats;
	int list_n, stats_n;
	bool run_replied;
};

TEST_F_TIMEOUT(ntcorral, unprivileged_run_gets_eperm, 60)
{
	struct unpriv_report *rep;
	int status;
	pid_t pid;

	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, POISON, sizeof(*rep));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ntc_list *l = malloc(sizeof(*l));
		struct ntc_stats *st = malloc(sizeof(*st));
		struct ntc_result r;
		struct ntc_sock s;
		struct ntc_err e;

		rep->setup = 0;
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534) ||
		    geteuid() != 65534)
			rep->setup = errno ?: EPERM;
		rep->open = ntc_open(&s);
		if (rep->setup || rep->open || !l || !st)
			_exit(1);
		rep->run = ntc_run_simple(&s, "dpc", 1, &r, &e);
		rep->run_replied = r.nr_msgs > 0;
		rep->reset = ntc_reset(&s, NULL, NULL, &e);
		rep->list = ntc_list(&s, NULL, l, &e);
		rep->list_n = l->p.malformed ? -1 : l->n;
		rep->stats = ntc_stats(&s, NULL, NULL, st, &e);
		rep->stats_n = st->p.malformed ? -1 : st->n;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, rep->setup) TH_LOG("dropping to uid 65534: %s",
					strerror(rep->setup));
	ASSERT_EQ(0, rep->open) TH_LOG("unprivileged open: %s",
				       strerror(-rep->open));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(-EPERM, rep->run);
	ASSERT_FALSE(rep->run_replied);
	ASSERT_EQ(-EPERM, rep->reset);
	ASSERT_EQ(0, rep->list);
	ASSERT_LE(1, rep->list_n);
	ASSERT_EQ(0, rep->stats);
	ASSERT_LE((int)NR_VARIANTS, rep->stats_n);
	munmap(rep, sizeof(*rep));
}

/*
 * CAP_NET_ADMIN without CAP_SYS_ADMIN: past generic netlink's
 * GENL_ADMIN_PERM, so only the module's own check (ntc_check_admin()) can
 * refuse RUN and RESET_STATS. The test above drops every capability, and
 * there GENL_ADMIN_PERM answers first, with no word from the module.
 */
struct net_admin_report {
	int setup;		/* 0, or errno of the uid/capability change */
	__u64 caps;		/* the effective set the child ended with */
	int open;
	int ret;		/* the request's answer */
	bool has_msg;
	char msg[STR_MAX];
	int replies;
};

/*
 * uid 65534 holding CAP_NET_ADMIN alone, permitted and effective:
 * PR_SET_KEEPCAPS keeps the permitted set across setuid(), capset() then
 * sets exactly one capability. Returns 0 or errno; *caps is the effective
 * set capget() reports afterwards.
 */
static int keep_only_cap_net_admin(__u64 *caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	*caps = ~0ULL;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return errno;
	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return errno;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return errno;
	*caps = d[0].effective | (__u64)d[1].effective << 32;
	return geteuid() == 65534 ? 0 : EPERM;
}

/* Send @cmd (RUN of shootdown/dpc, or RESET_STATS) as that caller. */
static void as_net_admin_only(struct __test_metadata *_metadata, __u8 cmd,
			      struct net_admin_report *rep)
{
	int status;
	pid_t pid;

	memset(rep, POISON, sizeof(*rep));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ntc_result r;
		struct ntc_sock s;
		struct ntc_err e;

		/* The socket is opened after the change: the kernel checks its opener too. */
		rep->setup = keep_only_cap_net_admin(&rep->caps);
		rep->open = rep->setup ? -EPERM : ntc_open(&s);
		if (rep->setup || rep->open)
			_exit(1);
		if (cmd == NTCORRAL_CMD_RUN) {
			rep->ret = ntc_run_simple(&s, "dpc", 1, &r, &e);
			rep->replies = r.nr_msgs;
		} else {
			rep->ret = ntc_reset(&s, NULL, NULL, &e);
			rep->replies = 0;
		}
		rep->has_msg = e.has_msg;
		snprintf(rep->msg, sizeof(rep->msg), "%s", e.has_msg ? e.msg : "");
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, rep->setup) TH_LOG("keeping CAP_NET_ADMIN alone as uid 65534: %s",
					strerror(rep->setup));
	ASSERT_EQ(1ULL << CAP_NET_ADMIN, rep->caps)
		TH_LOG("effective capabilities %#llx, not CAP_NET_ADMIN alone",
		       (unsigned long long)rep->caps);
	ASSERT_EQ(0, rep->open) TH_LOG("open as CAP_NET_ADMIN only: %s",
				       strerror(-rep->open));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* The refusal is the module's: EPERM, and its sentence naming CAP_SYS_ADMIN. */
static void expect_module_eperm(struct __test_metadata *_metadata,
				const struct net_admin_report *rep, const char *what)
{
	ASSERT_EQ(-EPERM, rep->ret)
		TH_LOG("%s with CAP_NET_ADMIN alone: got %d (%s), extack '%s'", what,
		       rep->ret, rep->ret < 0 ? strerror(-rep->ret) : "success",
		       rep->has_msg ? rep->msg : "");
	ASSERT_EQ(0, rep->replies) TH_LOG("%s: a refused request sent a reply", what);
	ASSERT_TRUE(rep->has_msg)
		TH_LOG("%s: EPERM without an extack message: generic netlink refused it, not the module",
		       what);
	ASSERT_NE(NULL, strstr(rep->msg, "CAP_SYS_ADMIN"))
		TH_LOG("%s: extack '%s' does not name CAP_SYS_ADMIN", what, rep->msg);
	TH_LOG("%s with CAP_NET_ADMIN alone: EPERM, extack: %s", what, rep->msg);
}

TEST_F_TIMEOUT(ntcorral, run_needs_cap_sys_admin_even_with_cap_net_admin, 60)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct net_admin_report *rep;
	struct ntc_err e;
	__u64 runs;

	ASSERT_NE(NULL, st);
	if (geteuid() != 0)
		SKIP(return, "needs root to keep CAP_NET_ADMIN alone");
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	runs = st->r[0].runs;

	as_net_admin_only(_metadata, NTCORRAL_CMD_RUN, rep);
	expect_module_eperm(_metadata, rep, "RUN");
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	ASSERT_EQ(runs, st->r[0].runs) TH_LOG("the refused run was counted");
	munmap(rep, sizeof(*rep));
	free(st);
}

TEST_F_TIMEOUT(ntcorral, reset_stats_needs_cap_sys_admin_even_with_cap_net_admin, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct net_admin_report *rep;
	struct ntc_result r;
	struct ntc_err e;
	__u64 runs;
	int ret;

	ASSERT_NE(NULL, st);
	if (geteuid() != 0)
		SKIP(return, "needs root to keep CAP_NET_ADMIN alone");
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	/* Something to reset: at least one run in the stats. */
	ret = ntc_run_simple(&self->s, "dpc", 1, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	runs = st->r[0].runs;
	ASSERT_LE(1, runs);

	as_net_admin_only(_metadata, NTCORRAL_CMD_RESET_STATS, rep);
	expect_module_eperm(_metadata, rep, "RESET_STATS");
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, st->n);
	ASSERT_EQ(runs, st->r[0].runs) TH_LOG("the refused reset cleared the stats");
	munmap(rep, sizeof(*rep));
	free(st);
}

/* ---- concurrency --------------------------------------------------------- */

struct race_report {
	int open;
	int ret;
	bool has_msg;
	char msg[STR_MAX];
	bool malformed;
	__u64 samples, violations, timeouts;
	bool truncated;
};

TEST_F_TIMEOUT(ntcorral, concurrent_runs_never_hang, 240)
{
	struct race_report *rep;
	int ready[2], go[2], ok = 0, ret;
	struct ntc_result r;
	struct ntc_err e;
	pid_t pid[2];
	char c;

	rep = mmap(NULL, 2 * sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, POISON, 2 * sizeof(*rep));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));

	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			struct race_report *me = &rep[i];
			struct ntc_result r;
			struct ntc_sock s;
			struct ntc_err e;

			alarm(180);	/* a hung RUN ends as SIGALRM */
			close(ready[0]);
			close(go[1]);
			me->open = ntc_open(&s);
			if (write(ready[1], "r", 1) != 1 || me->open)
				_exit(1);
			if (read(go[0], &c, 1) != 1)
				_exit(1);
			me->ret = ntc_run_simple(&s, "ipi", 100, &r, &e);
			me->has_msg = e.has_msg && e.msg[0];
			snprintf(me->msg, sizeof(me->msg), "%s", e.msg);
			me->malformed = r.p.malformed;
			me->samples = r.samples;
			me->violations = r.violations;
			me->timeouts = r.timeouts;
			me->truncated = r.has[NTCORRAL_A_TRUNCATED];
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(1, read(ready[0], &c, 1));
	}
	ASSERT_EQ(2, write(go[1], "gg", 2));

	for (int i = 0; i < 2; i++) {
		int status;

		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status))
			TH_LOG("runner %d died by signal %d (SIGALRM: it hung)",
			       i, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		ASSERT_EQ(0, WEXITSTATUS(status));
		ASSERT_EQ(0, rep[i].open);
		TH_LOG("runner %d: %s%s%s", i,
		       rep[i].ret ? strerror(-rep[i].ret) : "ok",
		       rep[i].has_msg ? ", extack: " : "", rep[i].msg);
		if (rep[i].ret == 0) {
			ok++;
			ASSERT_FALSE(rep[i].malformed);
			ASSERT_FALSE(rep[i].truncated);
			ASSERT_EQ(100, rep[i].samples);
			ASSERT_EQ(0, rep[i].violations);
			ASSERT_EQ(0, rep[i].timeouts);
		} else {
			ASSERT_EQ(-EBUSY, rep[i].ret);
			ASSERT_TRUE(rep[i].has_msg) TH_LOG("EBUSY without extack");
		}
	}
	ASSERT_LE(1, ok);

	/* Nothing is left busy afterwards. */
	ret = ntc_run_simple(&self->s, "ipi", 10, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("RUN after the race: %s, extack '%s'",
				 strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 10, self->online);
	munmap(rep, 2 * sizeof(*rep));
}

/* ---- GET_RESULT and CANCEL ----------------------------------------------- */

/*
 * A run that goes on until cancelled: the shootdown's ipi variant (the
 * cheapest, the one the suite runs most), as many iterations as RUN takes,
 * each holding the corral 100 us, no PCI read: more than 10 s of work on
 * any machine, within a LONG_RUN_MS budget. The fixture's teardown cancels
 * it if the test does not get to.
 */
#define LONG_RUN_VARIANT	"ipi"
#define LONG_RUN_ITERATIONS	NTCORRAL_MAX_ITERATIONS
#define LONG_RUN_HOLD_US	100
#define LONG_RUN_MS		20000

static void start_long_run(struct __test_metadata *_metadata,
			   FIXTURE_DATA(ntcorral) *self)
{
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, EXPERIMENT, LONG_RUN_VARIANT);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, LONG_RUN_ITERATIONS);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, LONG_RUN_HOLD_US);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_PCI_DEVICE_NONE);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, RUN_DEADLINE_US);
	msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, LONG_RUN_MS);
	ret = ntc_start(&self->s, &m, &self->long_run, &e);
	self->long_run_going = ret == 0;
	ASSERT_EQ(0, ret) TH_LOG("RUN of %u iterations: %s, extack '%s'",
				 LONG_RUN_ITERATIONS, strerror(-ret), e.msg);
	ASSERT_FALSE(self->long_run.p.malformed)
		TH_LOG("RUN reply: %s", self->long_run.p.why);
}

/*
 * CANCEL the long run and take its RUN_RESULT: what it measured so far,
 * TRUNCATED, and CANCELLED as a cancel request.
 */
static void cancel_long_run(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ntcorral) *self, struct ntc_result *r)
{
	const struct ntc_started *st = &self->long_run;
	struct ntc_err e;
	int ret;

	ret = ntc_cancel(&self->s, st->run_id, &e);
	ASSERT_EQ(0, ret) TH_LOG("CANCEL of run %llu: %s, extack '%s'",
				 (unsigned long long)st->run_id, strerror(-ret),
				 e.msg);
	result_poison(r);
	ret = ntc_wait_result(&self->s, st, r, &e);
	self->long_run_going = false;
	ASSERT_EQ(0, ret) TH_LOG("run %llu, cancelled: %s, '%s'",
				 (unsigned long long)st->run_id, strerror(-ret),
				 e.msg);
	ASSERT_FALSE(r->p.malformed) TH_LOG("malformed: %s", r->p.why);
	ASSERT_EQ(1, r->nr_msgs);
	TH_LOG("run %llu cancelled after %llu of %u iterations (%llu timeouts), %d progress reports",
	       (unsigned long long)st->run_id, (unsigned long long)r->samples,
	       LONG_RUN_ITERATIONS, (unsigned long long)r->timeouts,
	       r->nr_progress);
	ASSERT_TRUE(r->has[NTCORRAL_A_RUN_ID]);
	ASSERT_EQ(st->run_id, r->run_id);
	ASSERT_STREQ(EXPERIMENT, r->experiment);
	ASSERT_STREQ(LONG_RUN_VARIANT, r->variant);
	ASSERT_TRUE(r->has[NTCORRAL_A_RUNS]);
	ASSERT_EQ(1, r->runs);
	ASSERT_TRUE(r->has[NTCORRAL_A_ITERATIONS]);
	ASSERT_EQ(LONG_RUN_ITERATIONS, r->iterations);
	ASSERT_TRUE(r->has[NTCORRAL_A_TRUNCATED]) TH_LOG("a cancelled run is truncated");
	ASSERT_TRUE(r->has[NTCORRAL_A_CANCELLED]);
	ASSERT_EQ(NTCORRAL_CANCEL_REQUEST, r->cancelled);
	ASSERT_TRUE(r->has[NTCORRAL_A_SAMPLES]);
	ASSERT_GT(LONG_RUN_ITERATIONS, r->samples);
	ASSERT_TRUE(r->has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(0, r->violations);
	ASSERT_TRUE(r->has[NTCORRAL_A_TIMEOUTS]);
	/* What it measured so far holds together. */
	ASSERT_LT(0, r->nr_metrics);
	for (int i = 0; i < r->nr_metrics; i++)
		check_metric(_metadata, &r->metrics[i],
			     i == 0 ? r->samples : r->metrics[i].count);
	check_counters(_metadata, r);
}

/* @g, from GET_RESULT, is run @r's RUN_RESULT again. */
static void check_same_result(struct __test_metadata *_metadata,
			      const struct ntc_result *r,
			      const struct ntc_result *g)
{
	ASSERT_FALSE(g->p.malformed) TH_LOG("GET_RESULT: %s", g->p.why);
	ASSERT_EQ(1, g->nr_msgs);
	ASSERT_TRUE(g->has[NTCORRAL_A_RUN_ID]);
	ASSERT_EQ(r->run_id, g->run_id);
	ASSERT_FALSE(g->has[NTCORRAL_A_ERROR]);
	ASSERT_STREQ(r->experiment, g->experiment);
	ASSERT_STREQ(r->variant, g->variant);
	ASSERT_TRUE(g->has[NTCORRAL_A_RUNS]);
	ASSERT_EQ(r->runs, g->runs);
	ASSERT_TRUE(g->has[NTCORRAL_A_ITERATIONS]);
	ASSERT_EQ(r->iterations, g->iterations);
	ASSERT_TRUE(g->has[NTCORRAL_A_SAMPLES]);
	ASSERT_EQ(r->samples, g->samples);
	ASSERT_TRUE(g->has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(r->violations, g->violations);
	ASSERT_TRUE(g->has[NTCORRAL_A_TIMEOUTS]);
	ASSERT_EQ(r->timeouts, g->timeouts);
	ASSERT_EQ(r->has[NTCORRAL_A_TRUNCATED], g->has[NTCORRAL_A_TRUNCATED]);
	ASSERT_EQ(r->has[NTCORRAL_A_CANCELLED], g->has[NTCORRAL_A_CANCELLED]);
	if (r->has[NTCORRAL_A_CANCELLED]) {
		ASSERT_EQ(r->cancelled, g->cancelled);
	}
	ASSERT_TRUE(g->has[NTCORRAL_A_DURATION_NS]);
	ASSERT_EQ(r->duration_ns, g->duration_ns);
	ASSERT_EQ(r->nr_metrics, g->nr_metrics);
	for (int i = 0; i < g->nr_metrics; i++) {
		ASSERT_STREQ(r->metrics[i].name, g->metrics[i].name);
		ASSERT_EQ(r->metrics[i].count, g->metrics[i].count)
			TH_LOG("metric %s", g->metrics[i].name);
	}
}

TEST_F_TIMEOUT(ntcorral, get_result_returns_the_last_finished_runs_run_result, 120)
{
	struct ntc_result r[2], g;
	struct ntc_err e;
	int ret;

	for (int i = 0; i < 2; i++) {
		ret = ntc_run_simple(&self->s, "ipi", 10, &r[i], &e);
		ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
		check_run_reply(_metadata, &r[i], "ipi", 10, self->online);
		ASSERT_TRUE(r[i].has[NTCORRAL_A_RUN_ID]);
	}
	ASSERT_NE(r[0].run_id, r[1].run_id);

	/* By its id, and without one: the last run that finished. */
	ret = ntc_get_result(&self->s, r[1].run_id, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT of run %llu: %s, extack '%s'",
				 (unsigned long long)r[1].run_id,
				 strerror(-ret), e.msg);
	check_same_result(_metadata, &r[1], &g);
	ret = ntc_get_result(&self->s, 0, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT: %s, extack '%s'", strerror(-ret),
				 e.msg);
	check_same_result(_metadata, &r[1], &g);

	/* The run before it is not the last one any more. */
	ret = ntc_get_result(&self->s, r[0].run_id, &g, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("GET_RESULT of the run before the last: %d (%s)",
				       ret, strerror(-ret));
	ASSERT_EQ(0, g.nr_msgs);
	TH_LOG("GET_RESULT of the run before the last: ENOENT, extack '%s'",
	       e.msg);
}

TEST_F_TIMEOUT(ntcorral, cancel_ends_a_long_run_early_truncated_and_cancelled, 60)
{
	struct timespec t0;
	struct ntc_result r, g;
	struct ntc_err e;
	long long ms;
	int ret;

	start_long_run(_metadata, self);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Under way: a progress report of it first. */
	result_poison(&r);
	ret = ntc_wait_progress(&self->s, &self->long_run, &r);
	ASSERT_EQ(0, ret) TH_LOG("no RUN_PROGRESS of run %llu: %s",
				 (unsigned long long)self->long_run.run_id,
				 strerror(-ret));
	ASSERT_FALSE(r.p.malformed) TH_LOG("%s", r.p.why);

	cancel_long_run(_metadata, self, &r);
	ms = ms_since(&t0);
	TH_LOG("%lld ms from the RUN reply to the result, of a %d ms budget",
	       ms, LONG_RUN_MS);
	ASSERT_GT(LONG_RUN_MS / 2, ms)
		TH_LOG("the cancelled run went on for %lld ms", ms);

	/* GET_RESULT says the same. */
	ret = ntc_get_result(&self->s, r.run_id, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT of run %llu: %s, extack '%s'",
				 (unsigned long long)r.run_id, strerror(-ret),
				 e.msg);
	check_same_result(_metadata, &r, &g);
}

TEST_F_TIMEOUT(ntcorral, cancel_without_a_run_in_progress_is_enoent, 60)
{
	struct ntc_result r, g;
	struct ntc_err e;
	int ret;

	ret = ntc_cancel(&self->s, 0, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("CANCEL with no run: %d (%s), extack '%s'",
				       ret, strerror(-ret), e.msg);
	TH_LOG("CANCEL with no run: ENOENT, extack '%s'", e.msg);

	/* Nor once a run has finished: by its id or not. */
	ret = ntc_run_simple(&self->s, "ipi", 1, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	check_run_reply(_metadata, &r, "ipi", 1, self->online);
	ret = ntc_cancel(&self->s, r.run_id, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("CANCEL of finished run %llu: %d (%s)",
				       (unsigned long long)r.run_id, ret,
				       strerror(-ret));
	ret = ntc_cancel(&self->s, 0, &e);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("CANCEL after the run: %d (%s)", ret,
				       strerror(-ret));

	/* Its result stands, not cancelled. */
	ret = ntc_get_result(&self->s, r.run_id, &g, &e);
	ASSERT_EQ(0, ret) TH_LOG("GET_RESULT: %s, extack '%s'", strerror(-ret),
				 e.msg);
	check_same_result(_metadata, &r, &g);
	ASSERT_FALSE(g.has[NTCORRAL_A_TRUNCATED]);
}

TEST_F_TIMEOUT(ntcorral, run_while_another_is_in_progress_is_ebusy, 60)
{
	struct ntc_result r;
	struct ntc_sock s2;
	struct ntc_msg m;
	int ret;

	start_long_run(_metadata, self);

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	put_slack(&m);
	expect_run_error(_metadata, &self->s, &m, EBUSY,
			 "RUN during a run, same socket");

	ret = ntc_open(&s2);
	ASSERT_EQ(0, ret) TH_LOG("a second socket: %s", strerror(-ret));
	run_msg(&s2, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	put_slack(&m);
	expect_run_error(_metadata, &s2, &m, EBUSY,
			 "RUN during a run, another socket");
	ntc_close(&s2);

	/* The refused RUNs left it alone: it goes on until cancelled. */
	cancel_long_run(_metadata, self, &r);
}

struct refused_report {
	int setup;		/* 0, or errno of the uid/capability change */
	__u64 caps;		/* the effective set the child ended with */
	int open;
	int cancel_it, cancel_any, run, get_result;
	int run_replies;
	bool cancel_has_msg, run_has_msg;
	char cancel_msg[STR_MAX], run_msg[STR_MAX];
};

/*
 * As uid 65534, without capabilities or (@net_admin) with CAP_NET_ADMIN
 * alone, on a socket of its own: CANCEL of run @run_id, CANCEL of any run,
 * RUN of shootdown/dpc, GET_RESULT of @run_id.
 */
static void as_unprivileged(struct __test_metadata *_metadata, bool net_admin,
			    __u64 run_id, struct refused_report *rep)
{
	int status;
	pid_t pid;

	memset(rep, POISON, sizeof(*rep));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ntc_result r;
		struct ntc_sock s;
		struct ntc_err e;

		if (net_admin) {
			rep->setup = keep_only_cap_net_admin(&rep->caps);
		} else {
			rep->caps = 0;
			rep->setup = 0;
			if (setgroups(0, NULL) || setgid(65534) ||
			    setuid(65534) || geteuid() != 65534)
				rep->setup = errno ?: EPERM;
		}
		rep->open = rep->setup ? -EPERM : ntc_open(&s);
		if (rep->setup || rep->open)
			_exit(1);
		rep->cancel_it = ntc_cancel(&s, run_id, &e);
		rep->cancel_has_msg = e.has_msg;
		snprintf(rep->cancel_msg, sizeof(rep->cancel_msg), "%s",
			 e.has_msg ? e.msg : "");
		rep->cancel_any = ntc_cancel(&s, 0, &e);
		rep->run = ntc_run_simple(&s, "dpc", 1, &r, &e);
		rep->run_replies = r.nr_msgs;
		rep->run_has_msg = e.has_msg;
		snprintf(rep->run_msg, sizeof(rep->run_msg), "%s",
			 e.has_msg ? e.msg : "");
		rep->get_result = ntc_get_result(&s, run_id, &r, &e);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, rep->setup) TH_LOG("becoming uid 65534: %s",
					strerror(rep->setup));
	if (net_admin) {
		ASSERT_EQ(1ULL << CAP_NET_ADMIN, rep->caps)
			TH_LOG("effective capabilities %#llx, not CAP_NET_ADMIN alone",
			       (unsigned long long)rep->caps);
	}
	ASSERT_EQ(0, rep->open) TH_LOG("open as uid 65534: %s",
				       strerror(-rep->open));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F_TIMEOUT(ntcorral, cancel_and_run_need_cap_sys_admin_while_a_run_goes_on, 60)
{
	struct refused_report *rep;
	struct ntc_result r;

	if (geteuid() != 0)
		SKIP(return, "needs root to become uid 65534");
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	start_long_run(_metadata, self);

	for (int net_admin = 0; net_admin < 2; net_admin++) {
		const char *who = net_admin ? "CAP_NET_ADMIN alone" :
					      "no capability";

		as_unprivileged(_metadata, net_admin, self->long_run.run_id, rep);
		TH_LOG("%s: CANCEL %d, CANCEL of any %d, RUN %d, GET_RESULT %d",
		       who, rep->cancel_it, rep->cancel_any, rep->run,
		       rep->get_result);
		ASSERT_EQ(-EPERM, rep->cancel_it)
			TH_LOG("%s: CANCEL of run %llu: %s, extack '%s'", who,
			       (unsigned long long)self->long_run.run_id,
			       strerror(-rep->cancel_it), rep->cancel_msg);
		ASSERT_EQ(-EPERM, rep->cancel_any)
			TH_LOG("%s: CANCEL: %s", who, strerror(-rep->cancel_any));
		ASSERT_EQ(-EPERM, rep->run)
			TH_LOG("%s: RUN: %s, extack '%s'", who,
			       strerror(-rep->run), rep->run_msg);
		ASSERT_EQ(0, rep->run_replies);
		if (net_admin) {
			/* past GENL_ADMIN_PERM: the module's own refusal */
			ASSERT_TRUE(rep->cancel_has_msg);
			ASSERT_NE(NULL, strstr(rep->cancel_msg, "CAP_SYS_ADMIN"))
				TH_LOG("CANCEL's extack '%s'", rep->cancel_msg);
			ASSERT_TRUE(rep->run_has_msg);
			ASSERT_NE(NULL, strstr(rep->run_msg, "CAP_SYS_ADMIN"))
				TH_LOG("RUN's extack '%s'", rep->run_msg);
		}
		/* Anyone may ask for a result; this one is not there yet. */
		ASSERT_EQ(-EINPROGRESS, rep->get_result)
			TH_LOG("%s: GET_RESULT of the run in progress: %s", who,
			       strerror(-rep->get_result));
	}

	/* The refused cancels left the run going: this one ends it. */
	cancel_long_run(_metadata, self, &r);
	munmap(rep, sizeof(*rep));
}

TEST_F_TIMEOUT(ntcorral, run_replies_with_its_id_before_the_result_of_a_long_run, 60)
{
	const struct ntc_started *st = &self->long_run;
	struct ntc_result r;
	int ret;

	start_long_run(_metadata, self);
	/* Its reply is in; nothing of its result yet. */
	for (int i = 0; i < self->s.nr_notes; i++) {
		ASSERT_FALSE(runs_cmd(self->s.notes[i]) == NTCORRAL_CMD_RUN_RESULT &&
			     runs_run_id(self->s.notes[i]) == st->run_id)
			TH_LOG("the RUN_RESULT of run %llu came before its reply",
			       (unsigned long long)st->run_id);
	}
	ASSERT_EQ(1, st->nr_msgs);
	ASSERT_STREQ(EXPERIMENT, st->experiment);
	ASSERT_STREQ(LONG_RUN_VARIANT, st->variant);

	/* And it goes on after the reply, reporting its progress. */
	result_poison(&r);
	ret = ntc_wait_progress(&self->s, st, &r);
	ASSERT_EQ(0, ret) TH_LOG("after the reply of run %llu: %s%s",
				 (unsigned long long)st->run_id, strerror(-ret),
				 ret == -EALREADY ? " (it ended)" : "");
	ASSERT_FALSE(r.p.malformed) TH_LOG("%s", r.p.why);
	ASSERT_EQ(1, r.nr_progress);
	ASSERT_EQ(st->run_id, r.progress.run_id);
	ASSERT_EQ(LONG_RUN_ITERATIONS, r.progress.total);
	ASSERT_GT(LONG_RUN_ITERATIONS, r.progress.done);
	ASSERT_EQ(LONG_RUN_MS * 1000000ULL, r.progress.budget_ns);
	TH_LOG("run %llu: %llu of %llu iterations done after %llu ns",
	       (unsigned long long)st->run_id,
	       (unsigned long long)r.progress.done,
	       (unsigned long long)r.progress.total,
	       (unsigned long long)r.progress.elapsed_ns);

	cancel_long_run(_metadata, self, &r);
}

/* ---- statistics ---------------------------------------------------------- */

TEST_F_TIMEOUT(ntcorral, stats_accumulate_and_reset, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_result r[2];
	const struct ntc_result *s;
	struct ntc_err e;
	int ret;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	for (int i = 0; i < 2; i++) {
		ret = ntc_run_simple(&self->s, "dpc", 20, &r[i], &e);
		ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
		check_run_reply(_metadata, &r[i], "dpc", 20, self->online);
	}

	ASSERT_EQ(0, ntc_stats(&self->s, NULL, NULL, st, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	for (size_t v = 0; v < NR_VARIANTS; v++) {
		s = stats_find(st, EXPERIMENT, variants[v]);
		ASSERT_NE(NULL, s) TH_LOG("no stats for %s", variants[v]);
		ASSERT_TRUE(s->has[NTCORRAL_A_RUNS]);
		ASSERT_TRUE(s->has[NTCORRAL_A_SAMPLES]);
		ASSERT_TRUE(s->has[NTCORRAL_A_VIOLATIONS]);
		ASSERT_TRUE(s->has[NTCORRAL_A_TIMEOUTS]);
		/* run-reply-only attributes stay out of stats */
		ASSERT_FALSE(s->has[NTCORRAL_A_ITERATIONS]);
		ASSERT_FALSE(s->has[NTCORRAL_A_NR_CPUS]);
		ASSERT_FALSE(s->has[NTCORRAL_A_INITIATOR_CPU]);
		ASSERT_FALSE(s->has[NTCORRAL_A_CPUS]);
		if (strcmp(variants[v], "dpc")) {
			ASSERT_EQ(0, s->runs) TH_LOG("%s", variants[v]);
			ASSERT_EQ(0, s->samples) TH_LOG("%s", variants[v]);
		}
	}

	s = stats_find(st, EXPERIMENT, "dpc");
	ASSERT_EQ(2, s->runs);
	ASSERT_EQ(40, s->samples);
	ASSERT_EQ(0, s->violations);
	ASSERT_EQ(0, s->timeouts);
	ASSERT_TRUE(s->has[NTCORRAL_A_DURATION_NS]);
	ASSERT_EQ(r[0].duration_ns + r[1].duration_ns, s->duration_ns);
	ASSERT_EQ(r[0].nr_metrics, s->nr_metrics);
	for (int i = 0; i < s->nr_metrics; i++) {
		const struct ntc_metric *a = &r[0].metrics[i];
		const struct ntc_metric *b = &r[1].metrics[i];
		const struct ntc_metric *sm = &s->metrics[i];
		__u64 lo = (a->mean * a->count + b->mean * b->count) /
			   (a->count + b->count ?: 1);
		__u64 hi = ((a->mean + 1) * a->count + (b->mean + 1) * b->count) /
			   (a->count + b->count ?: 1);

		ASSERT_STREQ(a->name, sm->name);
		check_metric(_metadata, sm, a->count + b->count);
		ASSERT_EQ(a->min < b->min ? a->min : b->min, sm->min)
			TH_LOG("metric %s", sm->name);
		ASSERT_EQ(a->max > b->max ? a->max : b->max, sm->max)
			TH_LOG("metric %s", sm->name);
		ASSERT_LE(lo, sm->mean) TH_LOG("metric %s", sm->name);
		ASSERT_GE(hi, sm->mean) TH_LOG("metric %s", sm->name);
		for (int bk = 0; bk < NTCORRAL_HIST_BUCKETS; bk++) {
			ASSERT_EQ(a->hist[bk] + b->hist[bk], sm->hist[bk])
				TH_LOG("metric %s bucket %d", sm->name, bk);
		}
	}
	ASSERT_EQ(r[0].nr_counters, s->nr_counters);
	for (int i = 0; i < s->nr_counters; i++) {
		const struct ntc_counter *a = counter_find(&r[0], s->counters[i].name);
		const struct ntc_counter *b = counter_find(&r[1], s->counters[i].name);

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, b);
		ASSERT_EQ(a->value + b->value, s->counters[i].value)
			TH_LOG("counter %s", a->name);
	}

	/* Reset: back to zero, and still listed. */
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "dpc", st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(1, st->n);
	ASSERT_STREQ("dpc", st->r[0].variant);
	ASSERT_EQ(0, st->r[0].runs);
	ASSERT_EQ(0, st->r[0].samples);
	ASSERT_EQ(0, st->r[0].violations);
	ASSERT_EQ(0, st->r[0].timeouts);
	for (int i = 0; i < st->r[0].nr_metrics; i++) {
		ASSERT_EQ(0, st->r[0].metrics[i].count);
		for (int bk = 0; bk < NTCORRAL_HIST_BUCKETS; bk++) {
			ASSERT_EQ(0, st->r[0].metrics[i].hist[bk]);
		}
	}
	for (int i = 0; i < st->r[0].nr_counters; i++) {
		ASSERT_EQ(0, st->r[0].counters[i].value);
	}
	free(st);
}

/* How many variants the module lists for @experiment (kernel-dependent:
 * the shootdown has dpc_bh where the kernel has BH workqueues). */
static int listed_variants(struct ntc_sock *s, const char *experiment)
{
	struct ntc_list *l = malloc(sizeof(*l));
	struct ntc_err e;
	int n = -1;

	if (l && !ntc_list(s, experiment, l, &e) && l->n == 1)
		n = l->e[0].nr_variants;
	free(l);
	return n;
}

TEST_F_TIMEOUT(ntcorral, reset_of_one_variant_leaves_the_others, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_result r;
	struct ntc_err e;
	int ret;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	ret = ntc_run_simple(&self->s, "dpc", 10, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	ret = ntc_run_simple(&self->s, "ipi", 10, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);

	ASSERT_EQ(0, ntc_reset(&self->s, EXPERIMENT, "dpc", &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, NULL, st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(listed_variants(&self->s, EXPERIMENT), st->n);
	ASSERT_EQ(0, stats_find(st, EXPERIMENT, "dpc")->runs);
	ASSERT_EQ(0, stats_find(st, EXPERIMENT, "dpc")->samples);
	ASSERT_EQ(1, stats_find(st, EXPERIMENT, "ipi")->runs);
	ASSERT_EQ(10, stats_find(st, EXPERIMENT, "ipi")->samples);
	free(st);
}

TEST_F_TIMEOUT(ntcorral, stats_filtered_by_variant_returns_only_it, 30)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_err e;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, "stop_machine", st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(1, st->n);
	ASSERT_STREQ(EXPERIMENT, st->r[0].experiment);
	ASSERT_STREQ("stop_machine", st->r[0].variant);
	free(st);
}

/* ---- debugfs ------------------------------------------------------------- */

#define DEBUGFS_DIR "/sys/kernel/debug/ntcorral"
#define DEBUGFS_MAGIC 0x64626720

/*
 * Compares one debugfs file with the GET_STATS figures for the same variant:
 * "<key>: <u64>" lines, "metric <name>: count N min N mean N p50 N p90 N
 * p99 N max N", "counter <name>: N", and the "histogram <name>:" rows
 * "[lo, hi) count |###".
 */
static void check_debugfs_file(struct __test_metadata *_metadata,
			       const struct ntc_result *s)
{
	int metrics_seen = 0, counters_seen = 0, keys_seen = 0;
	const struct ntc_metric *hist_metric = NULL;
	__u64 hist_sum[MAX_METRICS] = { 0 };
	char path[256], line[512];
	bool first = true;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s/%s", s->experiment,
		 s->variant);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));

	while (fgets(line, sizeof(line), f)) {
		unsigned long long n[7], v, lo, hi;
		char name[NTCORRAL_NAME_MAX + 1], key[64];

		line[strcspn(line, "\n")] = '\0';
		if (first) {
			char want[2 * NTCORRAL_NAME_MAX + 2];

			/* "shootdown/stop_machine (baseline)" is fine too */
			snprintf(want, sizeof(want), "%s/%s", s->experiment,
				 s->variant);
			ASSERT_EQ(0, strncmp(want, line, strlen(want)))
				TH_LOG("%s: first line '%s'", path, line);
			ASSERT_TRUE(line[strlen(want)] == '\0' ||
				    line[strlen(want)] == ' ')
				TH_LOG("%s: first line '%s'", path, line);
			first = false;
			continue;
		}
		if (sscanf(line, "metric %32[^:]: count %llu min %llu mean %llu "
			   "p50 %llu p90 %llu p99 %llu max %llu", name, &n[0],
			   &n[1], &n[2], &n[3], &n[4], &n[5], &n[6]) == 8) {
			const struct ntc_metric *mt = metric_find(s, name);

			ASSERT_NE(NULL, mt) TH_LOG("%s: metric %s", path, name);
			ASSERT_EQ(mt->count, n[0]) TH_LOG("%s: %s count", path, name);
			ASSERT_EQ(mt->min, n[1]) TH_LOG("%s: %s min", path, name);
			ASSERT_EQ(mt->mean, n[2]) TH_LOG("%s: %s mean", path, name);
			ASSERT_EQ(mt->p50, n[3]) TH_LOG("%s: %s p50", path, name);
			ASSERT_EQ(mt->p90, n[4]) TH_LOG("%s: %s p90", path, name);
			ASSERT_EQ(mt->p99, n[5]) TH_LOG("%s: %s p99", path, name);
			ASSERT_EQ(mt->max, n[6]) TH_LOG("%s: %s max", path, name);
			metrics_seen++;
		} else if (sscanf(line, "counter %32[^:]: %llu", name, &v) == 2) {
			const struct ntc_counter *c = counter_find(s, name);

			ASSERT_NE(NULL, c) TH_LOG("%s: counter %s", path, name);
			ASSERT_EQ(c->value, v) TH_LOG("%s: counter %s", path, name);
			counters_seen++;
		} else if (sscanf(line, "histogram %32[^:]:", name) == 1) {
			hist_metric = metric_find(s, name);
			ASSERT_NE(NULL, hist_metric)
				TH_LOG("%s: histogram %s", path, name);
		} else if (sscanf(line, " [ %llu , %llu ) %llu", &lo, &hi, &v) == 3) {
			int b = fls64_(lo);

			ASSERT_NE(NULL, hist_metric)
				TH_LOG("%s: a histogram row outside a histogram",
				       path);
			ASSERT_EQ(lo, b ? 1ULL << (b - 1) : 0)
				TH_LOG("%s: row '%s' is no bucket", path, line);
			ASSERT_EQ(hist_metric->hist[b], v)
				TH_LOG("%s: %s row '%s'", path,
				       hist_metric->name, line);
			hist_sum[hist_metric - s->metrics] += v;
		} else if (sscanf(line, "%63[a-z_]: %llu", key, &v) == 2) {
			__u64 want;

			if (!strcmp(key, "runs"))
				want = s->runs;
			else if (!strcmp(key, "samples"))
				want = s->samples;
			else if (!strcmp(key, "violations"))
				want = s->violations;
			else if (!strcmp(key, "timeouts"))
				want = s->timeouts;
			else if (!strcmp(key, "duration_ns"))
				want = s->duration_ns;
			else if (!strcmp(key, "truncated"))
				want = s->has[NTCORRAL_A_TRUNCATED];
			else
				continue;
			ASSERT_EQ(want, v) TH_LOG("%s: %s", path, key);
			keys_seen++;
		}
	}
	fclose(f);
	ASSERT_FALSE(first) TH_LOG("%s is empty", path);
	ASSERT_LE(5, keys_seen) TH_LOG("%s: runs/samples/violations/timeouts/"
				       "duration_ns lines", path);
	ASSERT_EQ(s->nr_metrics, metrics_seen) TH_LOG("%s: metric lines", path);
	ASSERT_EQ(s->nr_counters, counters_seen) TH_LOG("%s: counter lines", path);
	for (int i = 0; i < s->nr_metrics; i++) {
		ASSERT_EQ(s->metrics[i].count, hist_sum[i])
			TH_LOG("%s: histogram rows of %s", path,
			       s->metrics[i].name);
	}
}

TEST_F_TIMEOUT(ntcorral, debugfs_agrees_with_stats, 120)
{
	struct ntc_stats *st = malloc(sizeof(*st));
	struct ntc_result r;
	struct ntc_err e;
	struct statfs fs;
	struct stat sb;
	int ret;

	ASSERT_NE(NULL, st);
	if (statfs("/sys/kernel/debug", &fs) || fs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at /sys/kernel/debug");
	ASSERT_EQ(0, stat(DEBUGFS_DIR, &sb)) TH_LOG("%s: %s", DEBUGFS_DIR,
						    strerror(errno));

	ASSERT_EQ(0, ntc_reset(&self->s, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	for (int i = 0; i < 2; i++) {
		ret = ntc_run_simple(&self->s, "dpc", 20, &r, &e);
		ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);
	}
	ret = ntc_run_simple(&self->s, "stop_machine", 20, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("%s, extack '%s'", strerror(-ret), e.msg);

	ASSERT_EQ(0, ntc_stats(&self->s, EXPERIMENT, NULL, st, &e))
		TH_LOG("%s", e.msg);
	ASSERT_FALSE(st->p.malformed) TH_LOG("%s", st->p.why);
	ASSERT_EQ(listed_variants(&self->s, EXPERIMENT), st->n);
	ASSERT_EQ(2, stats_find(st, EXPERIMENT, "dpc")->runs);
	ASSERT_EQ(1, stats_find(st, EXPERIMENT, "stop_machine")->runs);
	for (int i = 0; i < st->n; i++)
		check_debugfs_file(_metadata, &st->r[i]);
	free(st);
}

/* ---- ipi_barrier and exclusivity ----------------------------------------- */

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

static const char *const ib_variants[] = {
	"counter", "lockflag", "sense", "stop_machine", "static_key", "bare_ipi",
};
static const char *const ib_metrics[] = { "call", "arrival", "phase1" };

static const struct exp_desc ipi_barrier = {
	.name = "ipi_barrier",
	.seed = "002-ipi-synchronization-barrier",
	.variants = ib_variants,
	.nr_variants = ARRAY_LEN(ib_variants),
	.baseline = "bare_ipi",
	.metrics = ib_metrics,
	.nr_metrics = ARRAY_LEN(ib_metrics),
};

static const char *const ex_variants[] = {
	"seed", "generic_call_dpc", "stop_machine",
};
static const char *const ex_metrics[] = { "window", "gain", "hold", "release" };

static const struct exp_desc exclusivity = {
	.name = "exclusivity",
	.seed = "003-gain-exclusivity-dpc",
	.variants = ex_variants,
	.nr_variants = ARRAY_LEN(ex_variants),
	.baseline = "stop_machine",
	.metrics = ex_metrics,
	.nr_metrics = ARRAY_LEN(ex_metrics),
};

static const char *const sd_metrics[] = { "window", "corral", "work", "release" };

static const struct exp_desc shootdown = {
	.name = EXPERIMENT,
	.seed = SEED,
	.variants = variants,
	.nr_variants = NR_VARIANTS,
	.baseline = "stop_machine",
	.metrics = sd_metrics,
	.nr_metrics = ARRAY_LEN(sd_metrics),
};

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

/* One line of every counter of a reply, for the log. */
static void log_counters(struct __test_metadata *_metadata,
			 const struct ntc_result *r)
{
	char line[1024];
	size_t n = 0;

	line[0] = '\0';
	for (int i = 0; i < r->nr_counters && n < sizeof(line); i++) {
		if (!r->counters[i].has_name || !r->counters[i].has_value)
			continue;
		n += snprintf(line + n, sizeof(line) - n, " %s=%llu",
			      r->counters[i].name,
			      (unsigned long long)r->counters[i].value);
	}
	TH_LOG("%s/%s: samples %llu, violations %llu, timeouts %llu;%s",
	       r->experiment, r->variant, (unsigned long long)r->samples,
	       (unsigned long long)r->violations,
	       (unsigned long long)r->timeouts, line);
}

static void expect_counter(struct __test_metadata *_metadata,
			   const struct ntc_result *r, const char *name,
			   __u64 want)
{
	const struct ntc_counter *c = counter_find(r, name);

	ASSERT_NE(NULL, c) TH_LOG("%s/%s has no counter %s", r->experiment,
				  r->variant, name);
	ASSERT_EQ(want, c->value) TH_LOG("%s/%s: counter %s", r->experiment,
					 r->variant, name);
}

/* RUN @d/@variant, @iterations with the slack, on every online CPU: clean. */
static void run_clean(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ntcorral) *self, const struct exp_desc *d,
		      const char *variant, __u32 iterations,
		      const __u64 cpus[CPU_WORDS], struct ntc_result *r)
{
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	run_msg(&self->s, &m, d->name, variant);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, iterations);
	put_slack(&m);
	ret = ntc_run(&self->s, &m, r, &e);
	ASSERT_EQ(0, ret) TH_LOG("RUN %s/%s: %s, extack '%s'", d->name,
				 variant, strerror(-ret), e.msg);
	if (!r->p.malformed)
		log_counters(_metadata, r);
	check_run_reply_of(_metadata, r, d->name, d->metrics[0], variant,
			   iterations, cpus);
}

#define IB_ITERATIONS 30

/*
 * Every two-phase variant: phase 1 once per iteration, phase 2 once per
 * CPU and iteration and after phase 1, no CPU gave up, no call at the
 * wrong IRQL. Those that wait for every CPU never run phase 1 early.
 */
static void run_ipi_barrier_two_phase(struct __test_metadata *_metadata,
				      FIXTURE_DATA(ntcorral) *self,
				      const char *variant, bool waits_for_all)
{
	const struct ntc_counter *early;
	struct ntc_result r;

	run_clean(_metadata, self, &ipi_barrier, variant, IB_ITERATIONS,
		  self->online, &r);
	expect_counter(_metadata, &r, "phase1_runs", IB_ITERATIONS);
	expect_counter(_metadata, &r, "phase2_runs",
		       (__u64)IB_ITERATIONS * self->nr_online);
	expect_counter(_metadata, &r, "stale_phase2", 0);
	expect_counter(_metadata, &r, "barrier_timeouts", 0);
	expect_counter(_metadata, &r, "irql_violations", 0);
	if (waits_for_all) {
		expect_counter(_metadata, &r, "phase1_before_all_arrived", 0);
		return;
	}
	/* lockflag: evidence that depends on timing, not an invariant */
	early = counter_find(&r, "phase1_before_all_arrived");
	ASSERT_NE(NULL, early) TH_LOG("no counter phase1_before_all_arrived");
	TH_LOG("%s: phase 1 ran before every CPU had arrived in %llu of %d "
	       "iterations (%d CPUs)", variant,
	       (unsigned long long)early->value, IB_ITERATIONS, self->nr_online);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_counter_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "counter", true);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_lockflag_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "lockflag", false);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_sense_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "sense", true);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_stop_machine_runs_clean_phase1_once_phase2_on_every_cpu, 120)
{
	run_ipi_barrier_two_phase(_metadata, self, "stop_machine", true);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_static_key_runs_clean_every_cpu_takes_the_new_branch, 120)
{
	struct ntc_result r;

	run_clean(_metadata, self, &ipi_barrier, "static_key", IB_ITERATIONS,
		  self->online, &r);
	expect_counter(_metadata, &r, "static_key_mismatches", 0);
	expect_counter(_metadata, &r, "irql_violations", 0);
}

TEST_F_TIMEOUT(ntcorral, ipi_barrier_bare_ipi_runs_clean, 120)
{
	struct ntc_result r;

	run_clean(_metadata, self, &ipi_barrier, "bare_ipi", IB_ITERATIONS,
		  self->online, &r);
	expect_counter(_metadata, &r, "irql_violations", 0);
}

#define EX_ITERATIONS 30

/*
 * Exclusivity held on every iteration: the work ran once each time with
 * every other CPU of @cpus held, no target was offline, no call at the
 * wrong IRQL.
 */
static void run_exclusivity(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ntcorral) *self, const char *variant,
			    __u32 iterations, const __u64 cpus[CPU_WORDS])
{
	struct ntc_result r;
	int nr = 0;

	for (int c = 0; c < NTCORRAL_MAX_CPUS; c++)
		nr += !!(cpus[c / 64] & (1ULL << (c % 64)));
	run_clean(_metadata, self, &exclusivity, variant, iterations, cpus, &r);
	expect_counter(_metadata, &r, "work_runs", iterations);
	expect_counter(_metadata, &r, "corralled_cpus",
		       (__u64)iterations * (nr - 1));
	expect_counter(_metadata, &r, "offline_targets", 0);
	expect_counter(_metadata, &r, "irql_violations", 0);
}

TEST_F_TIMEOUT(ntcorral, exclusivity_seed_runs_clean_holding_every_other_cpu, 120)
{
	run_exclusivity(_metadata, self, "seed", EX_ITERATIONS, self->online);
}

TEST_F_TIMEOUT(ntcorral, exclusivity_generic_call_dpc_runs_clean_holding_every_other_cpu, 120)
{
	run_exclusivity(_metadata, self, "generic_call_dpc", EX_ITERATIONS,
			self->online);
}

TEST_F_TIMEOUT(ntcorral, exclusivity_stop_machine_runs_clean_holding_every_other_cpu, 120)
{
	run_exclusivity(_metadata, self, "stop_machine", EX_ITERATIONS,
			self->online);
}

static void expect_seed_cpus_rejected(struct __test_metadata *_metadata,
				      struct ntc_sock *s,
				      const __u64 cpus[CPU_WORDS],
				      const char *what)
{
	struct ntc_msg m;

	run_msg(s, &m, exclusivity.name, "seed");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	put_slack(&m);
	msg_put(&m, NTCORRAL_A_CPUS, cpus,
		((highest_cpu(cpus, CPU_WORDS) / 64) + 1) * 8);
	expect_run_error(_metadata, s, &m, EINVAL, what);
}

/*
 * The seed always targets processors 0..KeNumberProcessors-1: it takes no
 * CPU set but all the online CPUs (named or, by default, implied).
 */
TEST_F_TIMEOUT(ntcorral, exclusivity_seed_rejects_a_cpu_set_that_is_not_all_online_cpus, 120)
{
	__u64 cpus[CPU_WORDS] = { 0 };
	int lo = lowest_cpu(self->online, CPU_WORDS);
	int hi = highest_cpu(self->online, CPU_WORDS);
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	if (self->nr_online < 2)
		SKIP(return, "needs two online CPUs (%d online)", self->nr_online);

	cpus[lo / 64] = 1ULL << (lo % 64);
	expect_seed_cpus_rejected(_metadata, &self->s, cpus,
				  "seed on the lowest online CPU alone");

	memcpy(cpus, self->online, sizeof(cpus));
	cpus[hi / 64] &= ~(1ULL << (hi % 64));
	expect_seed_cpus_rejected(_metadata, &self->s, cpus,
				  "seed on every online CPU but the highest");

	/* Every online CPU, named: that set it takes. */
	run_msg(&self->s, &m, exclusivity.name, "seed");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
	put_slack(&m);
	msg_put(&m, NTCORRAL_A_CPUS, self->online, ((hi / 64) + 1) * 8);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("seed on every online CPU, named: %s, "
				 "extack '%s'", strerror(-ret), e.msg);
	check_run_reply_of(_metadata, &r, exclusivity.name, "window", "seed", 5,
			   self->online);
}

/*
 * The seed's defect 1: it counts processors and targets ids 0..N-1, so
 * with CPU 1 offline one target does not exist and a live CPU is never
 * held. The original spins forever; the port must refuse the offline
 * target, time out every gain (3 iterations, 3 timeouts, no sample, the
 * work never done) and return. With CPU 1 still offline, the variants
 * that take the online CPUs as they are run clean.
 */
TEST_F_TIMEOUT(ntcorral, exclusivity_seed_with_cpu_1_offline_times_out_every_gain_and_returns, 180)
{
	__u64 now[CPU_WORDS];
	const struct ntc_metric *window;
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;
	int nr_now, ret;

	if (self->nr_online < 3 || !(self->online[0] & 2))
		SKIP(return, "needs three online CPUs, CPU 1 among them (%d online)",
		     self->nr_online);
	ret = set_cpu_online(1, false);
	if (ret)
		SKIP(return, "cannot offline CPU 1: %s", strerror(-ret));
	self->offlined_cpu = 1;
	nr_now = online_cpus(now);
	ASSERT_EQ(self->nr_online - 1, nr_now);
	ASSERT_EQ(0, now[0] & 2) TH_LOG("CPU 1 is still online");

	/*
	 * Each gain waits the whole deadline: 3 s. A shorter one is faster
	 * but not exact: with 2 ms, a TCG vCPU stall past the held DPC's own
	 * wait (twice the deadline) or the release's added a dpc_timeouts or
	 * release_timeouts in 8 runs of 20; with the slack, in none of 6.
	 */
	run_msg(&self->s, &m, exclusivity.name, "seed");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 3);
	put_slack(&m);
	ret = ntc_run(&self->s, &m, &r, &e);
	ASSERT_EQ(0, ret) TH_LOG("seed with CPU 1 offline: %s, extack '%s'",
				 strerror(-ret), e.msg);
	ASSERT_FALSE(r.p.malformed) TH_LOG("malformed reply: %s", r.p.why);
	ASSERT_EQ(1, r.nr_msgs);
	log_counters(_metadata, &r);
	ASSERT_STREQ(exclusivity.name, r.experiment);
	ASSERT_STREQ("seed", r.variant);
	ASSERT_TRUE(r.has[NTCORRAL_A_ITERATIONS]);
	ASSERT_EQ(3, r.iterations);
	ASSERT_FALSE(r.has[NTCORRAL_A_TRUNCATED]);
	ASSERT_TRUE(r.has[NTCORRAL_A_NR_CPUS]);
	ASSERT_EQ(nr_now, r.nr_cpus);
	ASSERT_TRUE(r.has[NTCORRAL_A_SAMPLES]);
	ASSERT_EQ(0, r.samples);
	ASSERT_TRUE(r.has[NTCORRAL_A_TIMEOUTS]);
	ASSERT_EQ(3, r.timeouts);
	ASSERT_TRUE(r.has[NTCORRAL_A_VIOLATIONS]);
	ASSERT_EQ(0, r.violations);
	window = metric_find(&r, "window");
	ASSERT_NE(NULL, window);
	ASSERT_EQ(0, window->count);
	expect_counter(_metadata, &r, "offline_targets", 3);
	expect_counter(_metadata, &r, "gain_timeouts", 3);
	expect_counter(_metadata, &r, "release_timeouts", 0);
	expect_counter(_metadata, &r, "dpc_timeouts", 0);
	expect_counter(_metadata, &r, "work_runs", 0);

	/* The online CPUs as they are: every one of them held, clean. */
	run_exclusivity(_metadata, self, "generic_call_dpc", 10, now);
	run_clean(_metadata, self, &shootdown, "dpc", 10, now, &r);
	ASSERT_EQ(nr_now, r.nr_cpus);
}

/*
 * Last: the mapping layer's IRQL assertion (Driver Verifier's check) never
 * fired since the module was loaded, through every variant run above.
 */
TEST_F_TIMEOUT(ntcorral, irql_assertion_never_fired_during_the_suite, 30)
{
	char buf[64], *end;
	unsigned long long v;
	struct statfs fs;
	ssize_t n;
	int fd;

	if (statfs("/sys/kernel/debug", &fs) || fs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at /sys/kernel/debug");
	fd = open(DEBUGFS_DIR "/irql_violations", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", DEBUGFS_DIR "/irql_violations",
				strerror(errno));
	memset(buf, 0, sizeof(buf));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n) TH_LOG("reading irql_violations: %s",
			       n < 0 ? strerror(errno) : "empty");
	errno = 0;
	v = strtoull(buf, &end, 10);
	ASSERT_TRUE(end != buf && errno == 0 && !strcmp(end, "\n"))
		TH_LOG("irql_violations reads '%s'", buf);
	ASSERT_EQ(0, v) TH_LOG("%llu calls at the wrong IRQL since the module "
			       "was loaded (the console has the first)", v);
}

/* ---- the timing method (warm-up, cool-down, lean runs, overhead) --------- */

static __u64 counter_value(struct __test_metadata *_metadata,
			   const struct ntc_result *r, const char *name)
{
	const struct ntc_counter *c = counter_find(r, name);

	EXPECT_NE(NULL, c) TH_LOG("%s/%s has no counter %s", r->experiment,
				  r->variant, name);
	return c ? c->value : 0;
}

/*
 * Warm-up and cool-down iterations run (the work ran once per iteration of
 * all three stretches) but only the measured ones are samples; the reply
 * says what was asked, and carries the instrumentation's measured cost.
 */
TEST_F_TIMEOUT(ntcorral, warmup_and_cooldown_run_but_are_not_recorded, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 10);
	msg_put_u32(&m, NTCORRAL_A_WARMUP, 5);
	msg_put_u32(&m, NTCORRAL_A_COOLDOWN, 3);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, 0);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply(_metadata, &r, "ipi", 10, self->online);
	ASSERT_TRUE(r.has[NTCORRAL_A_WARMUP]);
	ASSERT_EQ(5, r.warmup);
	ASSERT_TRUE(r.has[NTCORRAL_A_COOLDOWN]);
	ASSERT_EQ(3, r.cooldown);
	ASSERT_TRUE(r.has[NTCORRAL_A_PHASE_STAMPS]);
	ASSERT_EQ(1, r.phase_stamps);
	ASSERT_EQ(18, counter_value(_metadata, &r, "work_runs"))
		TH_LOG("the work ran once per iteration of warm-up, measured run and cool-down");
	for (int i = 0; i < r.nr_metrics; i++) {
		ASSERT_EQ(10, r.metrics[i].count)
			TH_LOG("metric %s", r.metrics[i].name);
	}
	ASSERT_TRUE(r.has[NTCORRAL_A_CLOCK_READ_NS]);
	ASSERT_TRUE(r.has[NTCORRAL_A_SAMPLE_OVERHEAD_NS]);
	ASSERT_LT(0, r.sample_overhead_ns);
	/* Two timestamps and a record cost at least one timestamp. */
	ASSERT_LE(r.clock_read_ns, r.sample_overhead_ns);
	TH_LOG("one timestamp %llu ns, an empty timed sample %llu ns",
	       (unsigned long long)r.clock_read_ns,
	       (unsigned long long)r.sample_overhead_ns);
}

/* A lean run times its primary metric only, and still checks everything. */
TEST_F_TIMEOUT(ntcorral, lean_run_times_the_primary_metric_only, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	run_msg(&self->s, &m, "ipi_barrier", "sense");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 10);
	msg_put_u32(&m, NTCORRAL_A_PHASE_STAMPS, 0);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply_of(_metadata, &r, "ipi_barrier", "call", "sense", 10,
			   self->online);
	ASSERT_TRUE(r.has[NTCORRAL_A_PHASE_STAMPS]);
	ASSERT_EQ(0, r.phase_stamps);
	ASSERT_LT(1, r.nr_metrics);
	for (int i = 1; i < r.nr_metrics; i++) {
		ASSERT_EQ(0, r.metrics[i].count)
			TH_LOG("phase metric %s", r.metrics[i].name);
	}
	ASSERT_EQ(10, counter_value(_metadata, &r, "phase1_runs"));
}

TEST_F_TIMEOUT(ntcorral, run_rejects_timing_parameters_out_of_range, 30)
{
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_WARMUP,
				NTCORRAL_MAX_WARMUP + 1, "warmup max+1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_COOLDOWN,
				NTCORRAL_MAX_WARMUP + 1, "cooldown max+1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_PHASE_STAMPS,
				2, "phase_stamps 2");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BURST, 0,
				"burst 0");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BATCH, 0,
				"batch 0");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BATCH,
				NTCORRAL_MAX_BATCH + 1, "batch max+1");
	expect_u32_out_of_range(_metadata, &self->s, NTCORRAL_A_BURST,
				NTCORRAL_MAX_BURST + 1, "burst max+1");
}

/*
 * Batches: 10 iterations timed in batches of 4 give 10 samples (every
 * iteration ran and was checked) but 3 primary-metric values (4, 4 and the
 * last 2), no phase metric, and the reply says the run was lean.
 */
TEST_F_TIMEOUT(ntcorral, batches_time_iterations_together, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	run_msg(&self->s, &m, "ipi_barrier", "bare_ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 10);
	msg_put_u32(&m, NTCORRAL_A_BATCH, 4);
	msg_put_u32(&m, NTCORRAL_A_WARMUP, 3);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	ASSERT_FALSE(r.p.malformed) TH_LOG("malformed reply: %s", r.p.why);
	ASSERT_EQ(10, r.samples);
	ASSERT_EQ(0, r.violations);
	ASSERT_EQ(0, r.timeouts);
	ASSERT_FALSE(r.has[NTCORRAL_A_TRUNCATED]);
	ASSERT_TRUE(r.has[NTCORRAL_A_BATCH]);
	ASSERT_EQ(4, r.batch);
	ASSERT_EQ(0, r.phase_stamps) TH_LOG("a batch implies a lean run");
	ASSERT_LT(1, r.nr_metrics);
	ASSERT_STREQ("call", r.metrics[0].name);
	check_metric(_metadata, &r.metrics[0], 3);
	for (int i = 1; i < r.nr_metrics; i++) {
		ASSERT_EQ(0, r.metrics[i].count)
			TH_LOG("phase metric %s", r.metrics[i].name);
	}
}

/* Warm-up is for iterated experiments, bursts for the queue's device. */
TEST_F_TIMEOUT(ntcorral, run_rejects_timing_parameters_where_not_taken, 30)
{
	struct ntc_msg m;
	size_t off;

	run_msg(&self->s, &m, "interlocked_queue", "slist");
	off = msg_put_u32(&m, NTCORRAL_A_WARMUP, 5);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "interlocked_queue with warmup");
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	off = msg_put_u32(&m, NTCORRAL_A_BURST, 4);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "shootdown with burst");
	run_msg(&self->s, &m, "spinlock", "raw");
	off = msg_put_u32(&m, NTCORRAL_A_BATCH, 4);
	expect_run_error_at(_metadata, &self->s, &m, EINVAL, off,
			    "spinlock with batch");
}

/*
 * Bursts: every interrupt produces @burst items; every item produced is
 * consumed exactly once, in order, and the throughput window is non-empty.
 * A session's reply has no warm-up to echo but its overhead figures.
 */
TEST_F_TIMEOUT(ntcorral, queue_bursts_lose_nothing, 120)
{
	static const char *const kinds[] = { "exinterlocked", "slist" };

	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		struct ntc_result r;
		struct ntc_msg m;
		struct ntc_err e;
		__u64 produced, isr;

		run_msg(&self->s, &m, "interlocked_queue", kinds[k]);
		msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 64);
		msg_put_u32(&m, NTCORRAL_A_BURST, 16);
		msg_put_u32(&m, NTCORRAL_A_RATE_HZ, 1000);
		put_slack(&m);
		ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e))
			TH_LOG("%s: %s", kinds[k], e.msg);
		ASSERT_FALSE(r.p.malformed) TH_LOG("malformed reply: %s", r.p.why);
		ASSERT_EQ(0, r.violations) TH_LOG("%s", kinds[k]);
		ASSERT_FALSE(r.has[NTCORRAL_A_TRUNCATED]) TH_LOG("%s", kinds[k]);
		ASSERT_FALSE(r.has[NTCORRAL_A_WARMUP]);
		ASSERT_TRUE(r.has[NTCORRAL_A_SAMPLE_OVERHEAD_NS]);
		produced = counter_value(_metadata, &r, "produced");
		isr = counter_value(_metadata, &r, "produced_by_isr");
		ASSERT_EQ((__u64)self->nr_online * 64, isr)
			TH_LOG("%s: every CPU's ISRs produce their 64 items in bursts of 16",
			       kinds[k]);
		ASSERT_EQ(produced, counter_value(_metadata, &r, "consumed"))
			TH_LOG("%s", kinds[k]);
		ASSERT_EQ(0, counter_value(_metadata, &r, "lost"));
		ASSERT_EQ(0, counter_value(_metadata, &r, "duplicates"));
		ASSERT_EQ(0, counter_value(_metadata, &r, "order_breaks"));
		ASSERT_LT(0, counter_value(_metadata, &r, "items_per_sec"));
	}
}

/*
 * The thread's work is a raw PCI config read of 00:00.0 (QEMU's host bridge,
 * as on most PCs) with the whole machine corralled: once per iteration, and
 * it agrees with the kernel's own read. NTCORRAL_PCI_DEVICE_NONE takes it
 * out of the window, as the bench does to time the corral alone.
 */
TEST_F_TIMEOUT(ntcorral, shootdown_reads_pci_config_raw_unless_told_none, 120)
{
	struct ntc_result r;
	struct ntc_msg m;
	struct ntc_err e;

	if (access("/sys/bus/pci/devices/0000:00:00.0", F_OK))
		SKIP(return, "no PCI device 00:00.0 on this machine");
	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply(_metadata, &r, "ipi", 5, self->online);
	ASSERT_EQ(5, counter_value(_metadata, &r, "pci_reads"));
	ASSERT_EQ(0, counter_value(_metadata, &r, "pci_mismatches"));

	run_msg(&self->s, &m, EXPERIMENT, "ipi");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_PCI_DEVICE_NONE);
	put_slack(&m);
	ASSERT_EQ(0, ntc_run(&self->s, &m, &r, &e)) TH_LOG("%s", e.msg);
	check_run_reply(_metadata, &r, "ipi", 5, self->online);
	ASSERT_EQ(0, counter_value(_metadata, &r, "pci_reads"));
	ASSERT_EQ(0, counter_value(_metadata, &r, "pci_skipped"));
	ASSERT_EQ(5, counter_value(_metadata, &r, "work_runs"));
}

/* ---- an answer owed to an abandoned corral ------------------------------ */

static void kmsg(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	/* best effort: a marker that did not land shows as a console splat */
	n = write(fd, line, strlen(line));
	(void)n;
	close(fd);
}

static int debugfs_put(const char *name, unsigned long long value)
{
	char path[128], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%llu\n", value);
	if (write(fd, buf, n) != n)
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * CPU 3 answers a corral on CPUs 0-3 3 s late (the longest injected
 * delay): long after that run is over and the next one, on CPUs 0-2, has
 * started. Both runs come from this one process, back to back: a new
 * client process can take seconds to start while CPU 3 spins with
 * interrupts off. The later run must not count CPU 3's answer: it waits
 * for it before it begins (owed_answers_awaited), and a stale arrival
 * counts only in its own, abandoned corral. Most of each iteration is the
 * 10 ms hold, so an answer that counted would land inside a window: a
 * violation.
 *
 * Even back to back, the kernel itself can hold the later RUN until CPU 3
 * is back (seen on the debug kernel: a memory allocation on the way to the
 * run's thread waited 2.8 s, as a cross-CPU flush or drain does for a CPU
 * with interrupts off). Such a try proves nothing, so the pair is tried
 * up to 5 times until the later run began while CPU 3 still owed; every
 * try must still be clean.
 */
static void stale_try(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ntcorral) *self, struct ntc_result *r)
{
	__u64 all4[CPU_WORDS] = { 0xf }, first3[CPU_WORDS] = { 0x7 };
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	kmsg("ntcorral-test: expect !!! begin: shootdown/dpc: CPU 3 answers 3 s late");
	ASSERT_EQ(0, debugfs_put("fault_cpu", 3));
	ASSERT_EQ(0, debugfs_put("fault_delay_us", 3000000));
	ASSERT_EQ(0, debugfs_put("fault_mode", 1));
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, 100000);
	msg_put(&m, NTCORRAL_A_CPUS, all4, sizeof(all4[0]));
	ret = ntc_run(&self->s, &m, r, &e);
	debugfs_put("fault_mode", 0);
	kmsg("ntcorral-test: expect !!! end");
	ASSERT_EQ(0, ret) TH_LOG("the faulted run: %s, extack '%s'",
				 strerror(-ret), e.msg);
	ASSERT_LT(0, r->timeouts) TH_LOG("CPU 3 was not late: the fault did not take");

	/* Small: its sample arrays come from kmalloc, not vmalloc. */
	run_msg(&self->s, &m, EXPERIMENT, "dpc");
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 1000);
	msg_put_u32(&m, NTCORRAL_A_HOLD_US, 10000);
	msg_put_u32(&m, NTCORRAL_A_PCI_DEVICE, NTCORRAL_PCI_DEVICE_NONE);
	msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, 1000000);
	msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, 4000);
	msg_put(&m, NTCORRAL_A_CPUS, first3, sizeof(first3[0]));
	ret = ntc_run(&self->s, &m, r, &e);
	ASSERT_EQ(0, ret) TH_LOG("the later run: %s, extack '%s'",
				 strerror(-ret), e.msg);
	log_counters(_metadata, r);
	ASSERT_LT(0, r->samples);
	ASSERT_EQ(0, r->violations);
	ASSERT_EQ(0, r->timeouts);
}

TEST_F_TIMEOUT(ntcorral, stale_shootdown_target_never_counts_in_a_later_corral, 180)
{
	struct ntc_result r;
	cpu_set_t on0;
	int try;

	if ((self->online[0] & 0xf) != 0xf)
		SKIP(return, "needs CPUs 0-3 online (the VM has them)");
	if (access(DEBUGFS_DIR "/fault_mode", W_OK))
		SKIP(return, "no %s/fault_mode (debugfs not mounted?)", DEBUGFS_DIR);
	/* Never on CPU 3: it is busy for 3 s with interrupts off. */
	CPU_ZERO(&on0);
	CPU_SET(0, &on0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(on0), &on0));
	/*
	 * Nor kthreadd, which creates each run's thread. CPU 3, spinning in
	 * a DPC from the idle loop, looks idle to the scheduler, so waking
	 * kthreadd could pick it: the wakeup then waits in CPU 3's wake list
	 * for its interrupts, and so does the later run (seen on the KCSAN
	 * kernel, every try of one boot: ttwu_queue_wakelist's IPI to CPU 3
	 * from this process, the run's start 3 s later).
	 */
	ASSERT_EQ(0, sched_getaffinity(KTHREADD_PID, sizeof(self->kthreadd_cpus),
				       &self->kthreadd_cpus));
	ASSERT_EQ(0, sched_setaffinity(KTHREADD_PID, sizeof(on0), &on0));
	self->kthreadd_pinned = true;

	for (try = 1; try <= 5; try++) {
		stale_try(_metadata, self, &r);
		if (counter_value(_metadata, &r, "owed_answers_awaited"))
			break;
		TH_LOG("try %d: the later run began after CPU 3 had answered", try);
	}
	ASSERT_LE(try, 5) TH_LOG("in 5 tries the later run never began while "
				 "CPU 3 still owed an answer: it proves nothing");
}

TEST_HARNESS_MAIN
