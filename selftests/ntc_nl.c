// SPDX-License-Identifier: GPL-2.0
/*
 * ntc_nl.c: the raw-netlink layer of the ntcorral C test programs; what it
 * offers, and how it reads replies, is said in ntc_nl.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ntc_nl.h"

#define nla_for_each(a, head, len, rem)					\
	for ((a) = (head), (rem) = (len);				\
	     (rem) >= NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN &&	\
	     (a)->nla_len <= (rem);					\
	     (rem) -= NLA_ALIGN((a)->nla_len),				\
	     (a) = (const struct nlattr *)((const char *)(a) +		\
					   NLA_ALIGN((a)->nla_len)))

typedef void (*ntc_cb)(const struct nlmsghdr *nlh, void *arg);

struct ntc_family {
	int id;
	__u32 runs_group;
};

const char *const variants[3] = { "dpc", "ipi", "stop_machine" };

/* ---- building requests, sending them, reading the answer ----------------- */

static struct nlmsghdr *msg_hdr(struct ntc_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

/* A request of @family's command @cmd, no attribute yet. */
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

size_t msg_put(struct ntc_msg *m, __u16 type, const void *data,
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

size_t msg_put_u32(struct ntc_msg *m, __u16 type, __u32 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

size_t msg_put_u64(struct ntc_msg *m, __u16 type, __u64 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

size_t msg_put_str(struct ntc_msg *m, __u16 type, const char *s)
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

long long ms_since(const struct timespec *t0)
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

void parse_ack(const struct nlmsghdr *nlh, struct ntc_err *err)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off;
	int done;

	err_reset(err);
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
			err->error = -EPROTO;
			return;
		}
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		err->error = e->error;
	} else {
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(done)) {
			err->error = -EPROTO;
			return;
		}
		memcpy(&done, NLMSG_DATA(nlh), sizeof(done));
		off = sizeof(done);
		err->error = done;
	}
	parse_extack(nlh, off, err);
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
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				parse_ack(nlh, err);
				ret = err->error;
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

/* Malformed, for the first reason given. */
void bad(struct parse_state *p, const char *fmt, ...)
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

void result_poison(struct ntc_result *r)
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

/* Attribute @a (of type @t) of a result into @r: false when malformed. */
static bool result_attr(struct ntc_result *r, const struct nlattr *a, int t)
{
	bool ok = true;

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
	return ok;
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
		if (!result_attr(r, a, t))
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
		case NTCORRAL_VARIANT_A_WRONG:
		case NTCORRAL_VARIANT_A_DEFECT:
		case NTCORRAL_VARIANT_A_WAITS_IN_IRQ:
			ok = attr_len(a) == 0;	/* flags */
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

int ntc_socket(int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	int fd, one = 1, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int ntc_resolve(struct ntc_sock *s)
{
	struct ntc_family f = { .id = -1 };
	struct ntc_msg m;
	struct ntc_err e;
	int ret;

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2);
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, NTCORRAL_FAMILY_NAME);
	ret = ntc_xfer(s, &m, 0, family_cb, &f, &e);
	if (ret)
		return ret;
	if (f.id <= 0 || !f.runs_group)
		return -EPROTO;
	s->family = f.id;
	s->runs_group = f.runs_group;
	return 0;
}

int ntc_open(struct ntc_sock *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = ntc_socket(XFER_WAIT_S);
	if (s->fd < 0)
		return s->fd;
	ret = ntc_resolve(s);
	if (ret)
		goto fail;
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

void ntc_close(struct ntc_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	while (s->nr_notes)
		free(s->notes[--s->nr_notes]);
}

void run_msg(struct ntc_sock *s, struct ntc_msg *m,
	     const char *experiment, const char *variant)
{
	msg_init(m, s->family, NTCORRAL_CMD_RUN, NTCORRAL_FAMILY_VERSION);
	if (experiment)
		msg_put_str(m, NTCORRAL_A_EXPERIMENT, experiment);
	if (variant)
		msg_put_str(m, NTCORRAL_A_VARIANT, variant);
}

void put_slack(struct ntc_msg *m)
{
	msg_put_u32(m, NTCORRAL_A_DEADLINE_US, RUN_DEADLINE_US);
	msg_put_u32(m, NTCORRAL_A_MAX_RUNTIME_MS, RUN_MAX_RUNTIME_MS);
}

/* ---- RUN: the start, the progress, the result ---------------------------- */

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

int ntc_start(struct ntc_sock *s, struct ntc_msg *m,
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

int ntc_wait_result(struct ntc_sock *s, const struct ntc_started *st,
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

int ntc_wait_progress(struct ntc_sock *s, const struct ntc_started *st,
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

int ntc_run(struct ntc_sock *s, struct ntc_msg *m,
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

int ntc_run_simple(struct ntc_sock *s, const char *variant,
		   __u32 iterations, struct ntc_result *r,
		   struct ntc_err *e)
{
	struct ntc_msg m;

	run_msg(s, &m, EXPERIMENT, variant);
	msg_put_u32(&m, NTCORRAL_A_ITERATIONS, iterations);
	put_slack(&m);
	return ntc_run(s, &m, r, e);
}

int ntc_get_result(struct ntc_sock *s, __u64 run_id,
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

int ntc_cancel(struct ntc_sock *s, __u64 run_id, struct ntc_err *e)
{
	struct ntc_msg m;

	msg_init(&m, s->family, NTCORRAL_CMD_CANCEL, NTCORRAL_FAMILY_VERSION);
	if (run_id)
		msg_put_u64(&m, NTCORRAL_A_RUN_ID, run_id);
	return ntc_xfer(s, &m, 0, NULL, NULL, e);
}

int ntc_list(struct ntc_sock *s, const char *experiment,
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

int ntc_stats(struct ntc_sock *s, const char *experiment,
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

int ntc_reset(struct ntc_sock *s, const char *experiment,
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

const struct ntc_result *stats_find(const struct ntc_stats *st,
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

const struct ntc_metric *metric_find(const struct ntc_result *r,
				     const char *name)
{
	for (int i = 0; i < r->nr_metrics; i++)
		if (r->metrics[i].has[NTCORRAL_METRIC_A_NAME] &&
		    !strcmp(r->metrics[i].name, name))
			return &r->metrics[i];
	return NULL;
}

const struct ntc_counter *counter_find(const struct ntc_result *r,
				       const char *name)
{
	for (int i = 0; i < r->nr_counters; i++)
		if (r->counters[i].has_name && !strcmp(r->counters[i].name, name))
			return &r->counters[i];
	return NULL;
}

/* ---- CPUs ---------------------------------------------------------------- */

int read_cpu_list(const char *path, __u64 mask[CPU_WORDS])
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

int online_cpus(__u64 mask[CPU_WORDS])
{
	return read_cpu_list("/sys/devices/system/cpu/online", mask);
}

int lowest_cpu(const __u64 *mask, int words)
{
	for (int w = 0; w < words; w++)
		if (mask[w])
			return w * 64 + __builtin_ctzll(mask[w]);
	return -1;
}

int highest_cpu(const __u64 *mask, int words)
{
	for (int w = words - 1; w >= 0; w--)
		if (mask[w])
			return w * 64 + 63 - __builtin_clzll(mask[w]);
	return -1;
}

int set_cpu_online(int cpu, bool online)
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

/* ---- what the family lists for each experiment --------------------------- */

static const char *const ib_variants[] = {
	"counter", "lockflag", "sense", "stop_machine", "static_key", "bare_ipi",
};
static const char *const ib_metrics[] = { "call", "arrival", "phase1" };

const struct exp_desc ipi_barrier = {
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

const struct exp_desc exclusivity = {
	.name = "exclusivity",
	.seed = "003-gain-exclusivity-dpc",
	.variants = ex_variants,
	.nr_variants = ARRAY_LEN(ex_variants),
	.baseline = "stop_machine",
	.metrics = ex_metrics,
	.nr_metrics = ARRAY_LEN(ex_metrics),
};

static const char *const sd_metrics[] = { "window", "corral", "work", "release" };

const struct exp_desc shootdown = {
	.name = EXPERIMENT,
	.seed = SEED,
	.variants = variants,
	.nr_variants = NR_VARIANTS,
	.baseline = "stop_machine",
	.metrics = sd_metrics,
	.nr_metrics = ARRAY_LEN(sd_metrics),
};

/* ---- callers with fewer capabilities ------------------------------------- */

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

int become_nobody(bool net_admin, __u64 *caps)
{
	if (net_admin)
		return keep_only_cap_net_admin(caps);
	*caps = 0;
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534) ||
	    geteuid() != 65534)
		return errno ?: EPERM;
	return 0;
}
