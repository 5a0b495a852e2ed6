// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz: the "ntcorral" generic netlink family under malformed and random
 * requests, over raw AF_NETLINK sockets (no libnl).
 *
 * Every request is a well-framed netlink message (nlmsg_len is the datagram's
 * length: framing is the socket's business, not the family's) with
 * NLM_F_REQUEST | NLM_F_ACK, so the kernel owes each one an answer: an
 * NLMSG_ERROR (an ack or an errno) or, for a dump, NLMSG_DONE. What is
 * inside is anything: unknown commands, truncated genl headers and
 * attributes, wrong attribute types and lengths, nested garbage, huge and
 * empty CPU sets, out-of-range values, random bytes, and valid requests:
 * cheap runs (iterations <= 3, a small deadline and run budget, always the
 * last attributes of the message, so they win over anything before them),
 * full dumps, resets, GET_RESULT and CANCEL of recent, near and random run
 * ids. A RUN answers at once with its run id; root's sockets join the
 * "runs" multicast group and wait for the run's RUN_RESULT there (every
 * notification on the way is checked too) before the next request: a run
 * counts as completed by its result. From three callers: root, uid 65534
 * with every capability dropped, and uid 65534 holding CAP_NET_ADMIN alone
 * (past GENL_ADMIN_PERM, short of the module's CAP_SYS_ADMIN). Then dumps
 * abandoned half-way (socket closed, process gone) while runs go on.
 *
 * Pass: total_messages requests across the three callers, every
 * one answered within RECV_TIMEOUT_S (a started run's result within
 * RESULT_TIMEOUT_S) and every reply parsed; each answer is one its caller
 * may get (check_answer() says which, and why); no run, reset or cancel
 * succeeds without CAP_SYS_ADMIN; afterwards LIST still names every
 * experiment and a clean shootdown/ipi run (5 iterations) has 0 violations.
 * Each caller's figures are printed as TAP diagnostics.
 *
 * The PRNG seed is $NTCORRAL_FUZZ_SEED, else the time; it is printed first,
 * and each test derives its stream from it, so a failure repeats.
 * $NTCORRAL_FUZZ_MESSAGES sets total_messages (default 100000, at least
 * 1000): the debug lane sends fewer, where each costs nine times as much.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

/* This file builds its messages its own way: struct msg, msg_put*() below. */
#define NTC_NL_OWN_MSG_PUT
#include "ntc_nl.h"
#include "kselftest_harness.h"

#define RECV_TIMEOUT_S	10		/* an unanswered request: a hang */
/* A started run's RUN_RESULT: its budget (30 s at most) and then some. */
#define RESULT_TIMEOUT_S	(NTCORRAL_MAX_RUNTIME_MS / 1000 + 30)
#define MSG_MAX		16384
#define RECV_BUF	(64 * 1024)
#define DUMP_SMALL_BUF	4096

/*
 * Messages across the three callers, all of them sent: four tenths are
 * root's, three tenths each the others'. Root's cost is its runs (a few ms
 * each under TCG); the others' requests are refused before anything runs.
 */
#define DEFAULT_TOTAL_MESSAGES	100000
#define MIN_TOTAL_MESSAGES	1000
static unsigned int total_messages = DEFAULT_TOTAL_MESSAGES;
#define ROOT_MESSAGES		(total_messages / 10 * 4)
#define UNPRIV_MESSAGES		(total_messages / 10 * 3)
#define NET_ADMIN_MESSAGES	(total_messages - ROOT_MESSAGES - UNPRIV_MESSAGES)
#define FUZZ_TIMEOUT_S		300	/* per caller: far above what it takes */
#define DUMP_ROUNDS		500
#define DUMP_SECONDS		15

/* Cheap runs: what a random valid RUN may ask for at most. */
#define CHEAP_MAX_ITERATIONS	3
#define CHEAP_MIN_DEADLINE_US	1000
#define CHEAP_MAX_DEADLINE_US	50000
#define CHEAP_MAX_RUNTIME_MS	500
#define CHEAP_MAX_HOLD_US	1000

/*
 * The experiments as debugfs has them (a directory each under
 * /sys/kernel/debug/ntcorral): another view of the module's registry than
 * LIST, for checking LIST against after the fuzz. Returns how many, at most
 * MAX_KNOWN; 0 when debugfs cannot be read.
 */
#define NTC_DEBUGFS	DEBUGFS_DIR
#define MAX_KNOWN	16

static unsigned int debugfs_experiments(char names[MAX_KNOWN][NTCORRAL_NAME_MAX])
{
	DIR *d = opendir(NTC_DEBUGFS);
	struct dirent *de;
	unsigned int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_KNOWN) {
		size_t len = strnlen(de->d_name, NTCORRAL_NAME_MAX);

		/* Longer than a name can be: not an experiment, LIST will say. */
		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len == NTCORRAL_NAME_MAX)
			continue;
		memcpy(names[n], de->d_name, len);
		names[n++][len] = '\0';
	}
	closedir(d);
	return n;
}

/*
 * What the module offers, learned from LIST (learn()): experiment and
 * variant names (a kernel may have more variants, e.g. shootdown/dpc_bh) and
 * the run parameters each experiment takes (it refuses the others).
 */
static struct known_exp {
	char name[NTCORRAL_NAME_MAX];
	char var[MAX_VARIANTS][NTCORRAL_NAME_MAX];
	unsigned int nvar;
	uint64_t params;	/* bit n: takes run attribute n */
} known[MAX_KNOWN];
static unsigned int nknown;

static uint64_t bit(unsigned int attr)
{
	return attr < 64 ? 1ULL << attr : 0;
}

static uint64_t base_seed;

/* ---- PRNG: xorshift64*, one stream per test ----------------------------- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

static uint32_t rnd_range(uint64_t *s, uint32_t lo, uint32_t hi)
{
	return lo + rnd_below(s, hi - lo + 1);
}

static void rnd_bytes(uint64_t *s, void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)rnd(s);
}

static uint64_t stream_seed(unsigned int test)
{
	uint64_t s = base_seed * 0x9E3779B97F4A7C15ULL + test * 0xBF58476D1CE4E5B9ULL;

	printf("# nl_fuzz seed %" PRIu64 " (NTCORRAL_FUZZ_SEED=%" PRIu64 " repeats it), stream %u\n",
	       base_seed, base_seed, test);
	fflush(stdout);

	return s ? s : 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- figures ------------------------------------------------------------ */

/* The callers, by what the kernel checks: see check_answer(). */
enum caller { C_ROOT, C_UNPRIV, C_NET_ADMIN, NR_CALLERS };

static const char *const caller_names[NR_CALLERS] = {
	"root", "uid 65534 no caps", "uid 65534 CAP_NET_ADMIN only",
};

#define NR_ERRNOS	200

struct figures {
	unsigned long sent, answered, acks, valid_replies, done_ok;
	unsigned long errnos[NR_ERRNOS];	/* answered with -errno */
	unsigned long with_extack;	/* rejections carrying a message */
	unsigned long runs_ok, runs_busy, unanswered, bad_replies;
	unsigned long runs_failed;	/* a RUN_RESULT with an error */
	unsigned long results_got, cancels_ok;	/* GET_RESULT, CANCEL acked */
	unsigned long progress_seen, results_seen;	/* notifications */
	unsigned long admin_eperm, admin_eperm_extack;	/* RUN/RESET/CANCEL refused */
	unsigned long dumps_full, dumps_interrupted, dump_busy;
	double seconds;
};

/*
 * Each caller's figures, shared with the parent: the harness runs every
 * test in a child of its own, and the last test adds them up.
 */
static struct figures *shared;

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOBUFS: return "ENOBUFS";
	case EFAULT: return "EFAULT";
	case E2BIG: return "E2BIG";
	case ENXIO: return "ENXIO";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ETIME: return "ETIME";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EINPROGRESS: return "EINPROGRESS";
	case ESHUTDOWN: return "ESHUTDOWN";
	default: return NULL;
	}
}

static void print_figures(const char *who, const struct figures *f)
{
	char line[1024];
	size_t n = 0;
	unsigned int e;

	printf("# %s: %lu sent, %lu answered (acks %lu, replies %lu, dumps done %lu), unanswered %lu, bad replies %lu, in %.1f s (%.0f/s)\n",
	       who, f->sent, f->answered, f->acks, f->valid_replies, f->done_ok,
	       f->unanswered, f->bad_replies, f->seconds,
	       f->seconds > 0 ? f->sent / f->seconds : 0.0);
	line[0] = 0;
	for (e = 0; e < NR_ERRNOS; e++) {
		const char *name = errno_name(e);

		if (!f->errnos[e])
			continue;
		if (name)
			n += snprintf(line + n, sizeof(line) - n, " %s %lu,", name, f->errnos[e]);
		else if (!e)
			n += snprintf(line + n, sizeof(line) - n, " errno>=%u %lu,", NR_ERRNOS,
				      f->errnos[e]);
		else
			n += snprintf(line + n, sizeof(line) - n, " errno%u %lu,", e, f->errnos[e]);
		if (n >= sizeof(line))
			break;
	}
	if (n && n < sizeof(line))
		line[n - 1] = 0;
	printf("# %s: errno histogram:%s; %lu of them with an extack message\n",
	       who, line[0] ? line : " none", f->with_extack);
	printf("# %s: runs completed %lu, failed after their start %lu, EBUSY %lu; GET_RESULT with a result %lu, CANCEL acked %lu; notifications: %lu RUN_PROGRESS, %lu RUN_RESULT\n",
	       who, f->runs_ok, f->runs_failed, f->runs_busy, f->results_got, f->cancels_ok,
	       f->progress_seen, f->results_seen);
	printf("# %s: RUN/RESET_STATS/CANCEL refused with EPERM %lu (%lu with the module's extack)\n",
	       who, f->admin_eperm, f->admin_eperm_extack);
	fflush(stdout);
}

/* ---- the socket --------------------------------------------------------- */

/* What a family message says that the fuzz looks at. */
struct fmsg {
	int cmd;
	bool experiment, variant;
	__u64 run_id;			/* 0: none */
	bool result;			/* the result layout (SAMPLES) */
	uint64_t samples, violations, timeouts;
	bool truncated;
	uint32_t error;			/* a run that failed after its start */
	bool error_msg;
};

#define NR_ENDS		32	/* RUN_RESULTs remembered */

struct nl {
	int fd;
	__u16 family;
	__u32 seq;
	uint8_t *rbuf;
	size_t rbuf_size;
	__u32 runs_group;	/* the "runs" group's id, from resolve_family() */
	bool joined;
	/*
	 * The last NR_ENDS RUN_RESULTs read, of any run: a run's result may
	 * come before its RUN reply, and others' come while waiting for it.
	 */
	struct fmsg ends[NR_ENDS];
	unsigned long nr_ends;		/* ever; ends[nr_ends % NR_ENDS] next */
	unsigned long nr_progress;	/* RUN_PROGRESS read, ever */
	__u64 last_run_id;	/* the latest a message named: for GET_RESULT, CANCEL */
};

static int nl_socket(struct nl *s, size_t rbuf_size)
{
	memset(s, 0, sizeof(*s));
	s->fd = ntc_socket(RECV_TIMEOUT_S);
	if (s->fd < 0)
		return s->fd;
	s->seq = (__u32)time(NULL);
	s->rbuf_size = rbuf_size;
	s->rbuf = malloc(rbuf_size);
	return s->rbuf ? 0 : -ENOMEM;
}

static void nl_close(struct nl *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->rbuf);
	s->rbuf = NULL;
}

/* A message under construction. */
struct msg {
	uint8_t buf[MSG_MAX];
	size_t len;
};

static struct nlmsghdr *msg_nlh(struct msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static void msg_start(struct msg *m, __u16 type, __u16 flags, __u8 cmd, __u8 version)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	msg_nlh(m)->nlmsg_type = type;
	msg_nlh(m)->nlmsg_flags = flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static bool msg_room(struct msg *m, size_t n)
{
	return m->len + NLA_ALIGN(n) <= sizeof(m->buf);
}

/* Append an attribute with a header length of its own (may lie). */
static void msg_put_raw(struct msg *m, __u16 type, __u16 nla_len, const void *data,
			size_t dlen)
{
	struct nlattr *a;

	if (!msg_room(m, NLA_HDRLEN + dlen))
		return;
	a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = nla_len;
	if (dlen)
		memcpy(m->buf + m->len + NLA_HDRLEN, data, dlen);
	memset(m->buf + m->len + NLA_HDRLEN + dlen, 0,
	       NLA_ALIGN(NLA_HDRLEN + dlen) - NLA_HDRLEN - dlen);
	m->len += NLA_ALIGN(NLA_HDRLEN + dlen);
}

static void msg_put(struct msg *m, __u16 type, const void *data, size_t dlen)
{
	msg_put_raw(m, type, NLA_HDRLEN + dlen, data, dlen);
}

static void msg_put_u32(struct msg *m, __u16 type, __u32 v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_str(struct msg *m, __u16 type, const char *str)
{
	msg_put(m, type, str, strlen(str) + 1);
}

/* Open a nest; returns its offset for msg_nest_end(). */
static size_t msg_nest_start(struct msg *m, __u16 type)
{
	size_t off = m->len;

	msg_put(m, type | NLA_F_NESTED, NULL, 0);
	return off;
}

static void msg_nest_end(struct msg *m, size_t off)
{
	if (off + NLA_HDRLEN <= m->len)
		((struct nlattr *)(m->buf + off))->nla_len = m->len - off;
}

/* ---- what came back ----------------------------------------------------- */

enum answer { ANS_ACK, ANS_ERRNO, ANS_DONE, ANS_NONE, ANS_BAD };

struct reply {
	enum answer ans;
	int err;		/* positive errno for ANS_ERRNO */
	bool extack_msg;
	unsigned int replies;	/* family messages of this seq */
	bool trunc;
	char why[160];		/* ANS_BAD / ANS_NONE */
	__u64 run_id;		/* a reply's (RUN's: the run it started) */
	bool run_named;		/* ... and the reply named its experiment and variant */
	/* the RUN_RESULT of the run a RUN started, when it came */
	uint64_t samples, violations, timeouts;
	bool truncated, have_result, run_failed;
};

static bool attrs_well_formed(const uint8_t *p, int len, int depth)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return false;
		if ((a->nla_type & NLA_F_NESTED) && depth < 4 &&
		    !attrs_well_formed(p + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, depth + 1))
			return false;
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	return len == 0 || len < 0;	/* the tail is alignment only */
}

static uint64_t attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a->nla_len - NLA_HDRLEN == 8)
		memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, 8);
	else if (a->nla_len - NLA_HDRLEN == 4) {
		uint32_t w;

		memcpy(&w, (const uint8_t *)a + NLA_HDRLEN, 4);
		v = w;
	}
	return v;
}

/* What attribute @a of a family message says, into @fm: false if malformed. */
static bool fmsg_attr(struct fmsg *fm, const struct nlattr *a)
{
	switch (a->nla_type & NLA_TYPE_MASK) {
	case NTCORRAL_A_EXPERIMENT:
		fm->experiment = true;
		break;
	case NTCORRAL_A_VARIANT:
		fm->variant = true;
		break;
	case NTCORRAL_A_RUN_ID:
		if (a->nla_len != NLA_HDRLEN + 8)
			return false;
		fm->run_id = attr_u64(a);
		break;
	case NTCORRAL_A_SAMPLES:
		fm->samples = attr_u64(a);
		fm->result = true;
		break;
	case NTCORRAL_A_VIOLATIONS:
		fm->violations = attr_u64(a);
		break;
	case NTCORRAL_A_TIMEOUTS:
		fm->timeouts = attr_u64(a);
		break;
	case NTCORRAL_A_TRUNCATED:
		fm->truncated = true;
		break;
	case NTCORRAL_A_ERROR:
		fm->error = (uint32_t)attr_u64(a);
		break;
	case NTCORRAL_A_ERROR_MESSAGE:
		fm->error_msg = a->nla_len > NLA_HDRLEN + 1;
		break;
	}
	return true;
}

/*
 * A family message: genl header, known command, attributes that parse, an
 * experiment named; a RUN_PROGRESS read strictly (ntc_runs.h), a RUN_RESULT
 * (or GET_RESULT's reply) with its run, names, and either the result or
 * the error of a failed run.
 */
static bool parse_family_msg(const struct nlmsghdr *nlh, struct fmsg *fm, char *why,
			     size_t why_size)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const uint8_t *p = (const uint8_t *)g + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	struct runs_progress pr;

	memset(fm, 0, sizeof(*fm));
	if (len < 0) {
		snprintf(why, why_size, "a message of %u bytes, shorter than its genl header",
			 nlh->nlmsg_len);
		return false;
	}
	fm->cmd = g->cmd;
	if (g->cmd < NTCORRAL_CMD_LIST_EXPERIMENTS || g->cmd > NTCORRAL_CMD_MAX) {
		snprintf(why, why_size, "a message with command %u", g->cmd);
		return false;
	}
	if (!attrs_well_formed(p, len, 0)) {
		snprintf(why, why_size, "a message (command %u) whose attributes do not parse",
			 g->cmd);
		return false;
	}
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (!fmsg_attr(fm, a)) {
			snprintf(why, why_size, "a message (command %u) with a %u-byte run id",
				 g->cmd, a->nla_len - NLA_HDRLEN);
			return false;
		}
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	if (!fm->experiment) {
		snprintf(why, why_size, "a message (command %u) without an experiment name",
			 g->cmd);
		return false;
	}
	if (g->cmd == NTCORRAL_CMD_RUN_PROGRESS)
		return runs_progress_parse(nlh, &pr, why, why_size);
	if (g->cmd != NTCORRAL_CMD_RUN_RESULT && g->cmd != NTCORRAL_CMD_GET_RESULT)
		return true;
	if (!fm->run_id || !fm->variant) {
		snprintf(why, why_size, "a RUN_RESULT without its run id or variant");
		return false;
	}
	if (fm->result == !!fm->error || (fm->error && fm->error >= 4096)) {
		snprintf(why, why_size, "RUN_RESULT of run %llu: %s, error %u",
			 (unsigned long long)fm->run_id,
			 fm->result ? "a result" : "no result", fm->error);
		return false;
	}
	return true;
}

/* A "runs" notification: checked, remembered if a RUN_RESULT. */
static bool take_note(struct nl *s, const struct nlmsghdr *nlh, char *why, size_t why_size)
{
	struct fmsg fm;
	char inner[128];

	if (!parse_family_msg(nlh, &fm, inner, sizeof(inner))) {
		snprintf(why, why_size, "a notification: %s", inner);
		return false;
	}
	if (fm.cmd != NTCORRAL_CMD_RUN_PROGRESS && fm.cmd != NTCORRAL_CMD_RUN_RESULT) {
		snprintf(why, why_size, "a notification with command %d", fm.cmd);
		return false;
	}
	s->last_run_id = fm.run_id;
	if (fm.cmd == NTCORRAL_CMD_RUN_PROGRESS) {
		s->nr_progress++;
		return true;
	}
	s->ends[s->nr_ends++ % NR_ENDS] = fm;
	return true;
}

static const struct fmsg *find_end(const struct nl *s, __u64 run_id)
{
	unsigned long i, n = s->nr_ends < NR_ENDS ? s->nr_ends : NR_ENDS;

	for (i = 0; i < n; i++)
		if (s->ends[i].run_id == run_id)
			return &s->ends[i];
	return NULL;
}

/*
 * One datagram into s->rbuf before @end (now_s()): its length (more than
 * the buffer's when MSG_TRUNC cut it), or -errno, -ETIMEDOUT past @end.
 */
static ssize_t nl_recv(struct nl *s, double end)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	do {
		double left = end - now_s();

		ret = left > 0 ? poll(&pfd, 1, (int)(left * 1000) + 1) : 0;
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = recv(s->fd, s->rbuf, s->rbuf_size, MSG_TRUNC);
	return n < 0 ? -errno : n;
}

/*
 * The answer to a request, an NLMSG_ERROR (ack or errno) or NLMSG_DONE
 * (parse_ack()), into @r: a short NLMSG_ERROR or a positive errno is bad;
 * a bare NLMSG_DONE ends a dump.
 */
static void take_ack(const struct nlmsghdr *nlh, struct reply *r)
{
	bool done = nlh->nlmsg_type == NLMSG_DONE;
	struct ntc_err e;

	if (!done && nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
		r->ans = ANS_BAD;
		snprintf(r->why, sizeof(r->why), "a short NLMSG_ERROR");
		return;
	}
	parse_ack(nlh, &e);
	if (done && nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
		e.error = 0;
	if (e.error > 0) {
		r->ans = ANS_BAD;
		snprintf(r->why, sizeof(r->why), "%s with error %d > 0",
			 done ? "NLMSG_DONE" : "an NLMSG_ERROR", e.error);
		return;
	}
	r->ans = e.error ? ANS_ERRNO : done ? ANS_DONE : ANS_ACK;
	r->err = -e.error;
	/* NLMSGERR_ATTR_MSG, not empty */
	r->extack_msg = (!done || e.error) && e.has_msg && e.msg[0];
}

/*
 * Read until the answer to @seq: NLMSG_ERROR (ack or errno) or NLMSG_DONE,
 * RECV_TIMEOUT_S at most; "runs" notifications on the way are checked and
 * taken (take_note()). @max_recvs > 0 stops early (an interrupted dump):
 * ANS_NONE, no failure.
 */
static void nl_receive(struct nl *s, __u32 seq, struct reply *r, int max_recvs)
{
	double end = now_s() + RECV_TIMEOUT_S;
	int recvs = 0;

	while (max_recvs <= 0 || recvs < max_recvs) {
		ssize_t n = nl_recv(s, end);
		struct nlmsghdr *nlh;
		struct fmsg fm;
		int len;

		recvs++;
		if (n < 0) {
			r->ans = ANS_NONE;
			snprintf(r->why, sizeof(r->why), "recv: %s", strerror(-n));
			return;
		}
		if ((size_t)n > s->rbuf_size) {
			r->trunc = true;
			if (max_recvs <= 0) {
				r->ans = ANS_BAD;
				snprintf(r->why, sizeof(r->why), "a %zd-byte datagram, larger than %zu",
					 n, s->rbuf_size);
				return;
			}
			continue;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)s->rbuf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (runs_is_notification(nlh, s->family)) {
				if (!take_note(s, nlh, r->why, sizeof(r->why))) {
					r->ans = ANS_BAD;
					return;
				}
				continue;
			}
			if (nlh->nlmsg_seq != seq)
				continue;	/* not this request's */
			if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
				take_ack(nlh, r);
				return;
			}
			if (nlh->nlmsg_type != s->family) {
				r->ans = ANS_BAD;
				snprintf(r->why, sizeof(r->why), "a message of type %u", nlh->nlmsg_type);
				return;
			}
			if (!parse_family_msg(nlh, &fm, r->why, sizeof(r->why))) {
				r->ans = ANS_BAD;
				return;
			}
			if (fm.run_id) {
				r->run_id = s->last_run_id = fm.run_id;
				r->run_named = fm.experiment && fm.variant;
			}
			r->replies++;
		}
	}
	r->ans = ANS_NONE;
	snprintf(r->why, sizeof(r->why), "stopped reading after %d recv", recvs);
}

static int nl_send(struct nl *s, struct msg *m, __u32 *seq)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = msg_nlh(m);

	nlh->nlmsg_len = m->len;
	nlh->nlmsg_seq = *seq = ++s->seq;
	nlh->nlmsg_pid = 0;
	if (sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/*
 * Run r->run_id started: wait RESULT_TIMEOUT_S at most for its RUN_RESULT,
 * checking every notification on the way, and answer as the run ended:
 * its figures (have_result), or its failure after the start as ANS_ERRNO
 * with its message as the extack's.
 */
static void wait_result(struct nl *s, struct reply *r)
{
	double end = now_s() + RESULT_TIMEOUT_S;
	const struct fmsg *fm;

	while (!(fm = find_end(s, r->run_id))) {
		ssize_t n = nl_recv(s, end);
		struct nlmsghdr *nlh;
		int len;

		if (n < 0) {
			r->ans = ANS_NONE;
			snprintf(r->why, sizeof(r->why), "no RUN_RESULT of run %llu: %s",
				 (unsigned long long)r->run_id, strerror(-n));
			return;
		}
		if ((size_t)n > s->rbuf_size) {
			r->ans = ANS_BAD;
			snprintf(r->why, sizeof(r->why), "a %zd-byte datagram, larger than %zu",
				 n, s->rbuf_size);
			return;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)s->rbuf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (runs_is_notification(nlh, s->family) &&
			    !take_note(s, nlh, r->why, sizeof(r->why))) {
				r->ans = ANS_BAD;
				return;
			}
		}
	}
	if (fm->error) {
		r->ans = ANS_ERRNO;
		r->err = (int)fm->error;
		r->extack_msg = fm->error_msg;
		r->run_failed = true;
		return;
	}
	r->have_result = true;
	r->samples = fm->samples;
	r->violations = fm->violations;
	r->timeouts = fm->timeouts;
	r->truncated = fm->truncated;
}

/*
 * Send @m and read its answer. An acked RUN has started a run: its reply
 * must carry the run's id and names, and on a socket in "runs" the answer
 * is then how the run ended. An acked GET_RESULT has its RUN_RESULT.
 */
static void xfer(struct nl *s, struct msg *m, struct reply *r)
{
	bool full = m->len >= NLMSG_HDRLEN + GENL_HDRLEN;
	__u8 cmd = full ? ((struct genlmsghdr *)(m->buf + NLMSG_HDRLEN))->cmd : 0;
	__u32 seq;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = nl_send(s, m, &seq);
	if (ret) {
		r->ans = ANS_BAD;
		snprintf(r->why, sizeof(r->why), "send: %s", strerror(-ret));
		return;
	}
	nl_receive(s, seq, r, 0);
	if (!full || r->ans != ANS_ACK)
		return;
	if (cmd == NTCORRAL_CMD_GET_RESULT && r->replies != 1) {
		r->ans = ANS_BAD;
		snprintf(r->why, sizeof(r->why), "GET_RESULT acknowledged with %u replies",
			 r->replies);
		return;
	}
	if (cmd != NTCORRAL_CMD_RUN)
		return;
	if (r->replies != 1 || !r->run_id || !r->run_named) {
		r->ans = ANS_BAD;
		snprintf(r->why, sizeof(r->why),
			 "RUN acknowledged with %u replies, run id %llu%s", r->replies,
			 (unsigned long long)r->run_id,
			 r->run_named ? "" : ", its names missing");
		return;
	}
	if (s->joined)
		wait_result(s, r);
}

/*
 * CTRL_CMD_GETFAMILY "ntcorral": its id, and its "runs" group's
 * (ntc_resolve(), on this socket: not in "runs" yet, nothing is kept).
 */
/*
 * On a socket of its own: the kernel sizes a dump's datagrams by the
 * largest read a socket has made (up to 32 KiB), and ntc_resolve() reads
 * with a large buffer; on @s it would make the dump tests' datagrams larger
 * than their small buffer.
 */
static int resolve_family(struct nl *s)
{
	struct ntc_sock ns = { .fd = ntc_socket(RECV_TIMEOUT_S) };
	int ret;

	if (ns.fd < 0)
		return ns.fd;
	ret = ntc_resolve(&ns);
	close(ns.fd);
	s->family = ns.family;
	s->runs_group = ns.runs_group;
	return ret;
}

/* A socket with the family resolved; not in "runs" (nl_join()). */
static int nl_open(struct nl *s, size_t rbuf_size)
{
	int ret = nl_socket(s, rbuf_size);

	if (ret)
		return ret;
	ret = resolve_family(s);
	if (ret)
		nl_close(s);
	return ret;
}

/*
 * Join "runs": then a RUN's answer is its result (xfer()). Only the sockets
 * that run do: the dump tests' small buffers would not hold a RUN_RESULT.
 */
static int nl_join(struct nl *s)
{
	int ret = runs_join(s->fd, s->runs_group);

	s->joined = !ret;
	return ret;
}


/* Copy a string attribute's payload, NUL-terminated, into @dst. */
static void attr_str(const struct nlattr *a, char *dst, size_t size)
{
	size_t n = a->nla_len - NLA_HDRLEN;

	if (n >= size)
		n = size - 1;
	memcpy(dst, (const uint8_t *)a + NLA_HDRLEN, n);
	dst[n] = 0;
}

/*
 * LIST (ntc_list(), read strictly): the experiments, their variants and
 * the parameters they take.
 */
static int learn(struct nl *s)
{
	struct ntc_sock ns = { .fd = s->fd, .family = s->family };
	struct ntc_list *l = malloc(sizeof(*l));
	struct ntc_err e;
	int ret, i, j;

	nknown = 0;
	if (!l)
		return -ENOMEM;
	ret = ntc_list(&ns, NULL, l, &e);
	if (!ret && l->p.malformed)
		ret = -EPROTO;
	for (i = 0; !ret && i < l->n && nknown < MAX_KNOWN; i++) {
		const struct ntc_experiment *x = &l->e[i];
		struct known_exp *k = &known[nknown++];

		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", x->name);
		for (j = 0; j < x->nr_variants && k->nvar < MAX_VARIANTS; j++)
			snprintf(k->var[k->nvar++], sizeof(k->var[0]), "%s",
				 x->variants[j].name);
		for (j = 0; j < x->nr_params; j++)
			k->params |= bit(x->params[j].attr);
	}
	free(l);
	while (ns.nr_notes)
		free(ns.notes[--ns.nr_notes]);
	if (!ret && !nknown)
		ret = -ENOENT;
	return ret;
}

static void print_known(void)
{
	unsigned int e, v, n = 0;

	for (e = 0; e < nknown; e++)
		n += known[e].nvar;
	printf("# the module offers %u experiments, %u variants:", nknown, n);
	for (e = 0; e < nknown; e++)
		for (v = 0; v < known[e].nvar; v++)
			printf(" %s/%s", known[e].name, known[e].var[v]);
	printf("\n");
	fflush(stdout);
}

/*
 * Open, resolve and learn what the module offers (once per process); @join:
 * then join "runs".
 */
static int nl_open_learn(struct nl *s, size_t rbuf_size, bool join)
{
	int ret = nl_open(s, rbuf_size);

	if (!ret && !nknown)
		ret = learn(s);
	if (!ret && join)
		ret = nl_join(s);
	return ret;
}
/* ---- the generator ------------------------------------------------------ */

static int nr_cpus_conf(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : 1;
}

static uint64_t online_mask(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	uint64_t mask = 0;
	int a, b;
	char c;

	if (!f)
		return 1;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		c = (char)fgetc(f);
		if (c == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			c = (char)fgetc(f);
		}
		for (; a <= b && a < 64; a++)
			mask |= 1ULL << a;
		if (c != ',')
			break;
	}
	fclose(f);
	return mask ? mask : 1;
}

/* A known experiment and one of its variants; returns the experiment's index. */
static unsigned int pick_names(uint64_t *rs, const char **exp, const char **var)
{
	unsigned int e = rnd_below(rs, nknown);

	*exp = known[e].name;
	*var = known[e].nvar ? known[e].var[rnd_below(rs, known[e].nvar)] : "none";
	return e;
}

/* Names that are not: empty, too long, no NUL, near misses. */
static void put_bad_name(struct msg *m, uint64_t *rs, __u16 type)
{
	char s[80];
	unsigned int k = rnd_below(rs, 6), n;

	switch (k) {
	case 0:
		msg_put(m, type, "", 1);
		break;
	case 1:		/* 40 chars: longer than NTCORRAL_NAME_MAX */
		memset(s, 'x', 40);
		s[40] = 0;
		msg_put_str(m, type, s);
		break;
	case 2:		/* no NUL */
		msg_put(m, type, "shootdown", 9);
		break;
	case 3:
		msg_put_str(m, type, "shootdow");
		break;
	case 4:		/* embedded NUL then garbage */
		msg_put(m, type, "dpc\0garbage", 12);
		break;
	default:
		n = rnd_below(rs, 40);
		rnd_bytes(rs, s, n);
		msg_put(m, type, s, n);
		break;
	}
}

/*
 * Cheap parameters, last in the message: they win over anything before.
 * Every experiment takes these three (module/netlink.c, ntc_param_used()).
 */
static void put_cheap_params(struct msg *m, uint64_t *rs)
{
	msg_put_u32(m, NTCORRAL_A_ITERATIONS, rnd_range(rs, 1, CHEAP_MAX_ITERATIONS));
	msg_put_u32(m, NTCORRAL_A_DEADLINE_US,
		    rnd_range(rs, CHEAP_MIN_DEADLINE_US, CHEAP_MAX_DEADLINE_US));
	msg_put_u32(m, NTCORRAL_A_MAX_RUNTIME_MS,
		    rnd_range(rs, NTCORRAL_MIN_RUNTIME_MS, CHEAP_MAX_RUNTIME_MS));
}

/* A random attribute: any type (flags included), any length, any bytes. */
static void put_random_attr(struct msg *m, uint64_t *rs)
{
	uint8_t data[256];
	__u16 type = rnd_below(rs, NTCORRAL_A_MAX + 8);
	size_t len;

	switch (rnd_below(rs, 4)) {
	case 0:
		len = 4;
		break;
	case 1:
		len = 8;
		break;
	case 2:
		len = rnd_below(rs, 12);
		break;
	default:
		len = rnd_below(rs, sizeof(data));
		break;
	}
	if (rnd_below(rs, 8) == 0)
		type |= NLA_F_NESTED;
	if (rnd_below(rs, 16) == 0)
		type |= NLA_F_NET_BYTEORDER;
	rnd_bytes(rs, data, len);
	/* Keep the run parameters from naming anything expensive. */
	if (len == 4 && (type & NLA_TYPE_MASK) == NTCORRAL_A_ITERATIONS)
		*(uint32_t *)data %= 4;
	msg_put(m, type, data, len);
}

/* Garbage inside nests: nests of nests, lying lengths, deep nesting. */
static void put_nested_garbage(struct msg *m, uint64_t *rs, int depth)
{
	unsigned int i, n = rnd_range(rs, 1, 4);
	size_t off;

	off = msg_nest_start(m, rnd_below(rs, NTCORRAL_A_MAX + 4));
	for (i = 0; i < n; i++) {
		if (depth < 12 && rnd_below(rs, 2))
			put_nested_garbage(m, rs, depth + 1);
		else
			put_random_attr(m, rs);
	}
	msg_nest_end(m, off);
	if (rnd_below(rs, 8) == 0 && off + NLA_HDRLEN <= m->len)	/* lie */
		((struct nlattr *)(m->buf + off))->nla_len += rnd_range(rs, 1, 64);
}

/* The CPU set, in every wrong (and a few right) shapes. */
static void put_cpu_set(struct msg *m, uint64_t *rs)
{
	uint64_t words[NTCORRAL_CPUS_MAX_BYTES / 8 + 64];
	uint64_t online = online_mask();
	unsigned int k = rnd_below(rs, 10);
	size_t len = 8;

	memset(words, 0, sizeof(words));
	switch (k) {
	case 0:		/* empty attribute */
		len = 0;
		break;
	case 1:		/* not whole words */
		len = rnd_range(rs, 1, 15);
		if (len == 8)
			len = 7;
		words[0] = online;
		break;
	case 2:		/* all zeros */
		len = 8 * rnd_range(rs, 1, 16);
		break;
	case 3:		/* all ones: CPUs this machine does not have */
		len = 8 * rnd_range(rs, 1, 16);
		memset(words, 0xff, len);
		break;
	case 4:		/* huge: beyond NTCORRAL_CPUS_MAX_BYTES */
		len = NTCORRAL_CPUS_MAX_BYTES + 8 * rnd_range(rs, 1, 60);
		words[0] = online;
		break;
	case 5:		/* exactly the maximum size, the online CPUs */
		len = NTCORRAL_CPUS_MAX_BYTES;
		words[0] = online;
		break;
	case 6:		/* a CPU just past the last one */
		words[0] = 1ULL << (nr_cpus_conf() % 64);
		if (nr_cpus_conf() >= 64)
			len = 16, words[1] = 1;
		break;
	case 7:		/* a far CPU in a later word */
		len = 8 * rnd_range(rs, 2, 16);
		words[len / 8 - 1] = 1ULL << rnd_below(rs, 64);
		break;
	default:	/* a random subset of the online CPUs: valid */
		words[0] = rnd(rs) & online;
		if (!words[0])
			words[0] = online & -online;
		break;
	}
	msg_put(m, NTCORRAL_A_CPUS, words, len);
}

/* Values just outside the policy's ranges; the others cheap. */
static void put_out_of_range(struct msg *m, uint64_t *rs)
{
	static const struct { __u16 type; uint32_t v[4]; } bad[] = {
		{ NTCORRAL_A_ITERATIONS, { 0, NTCORRAL_MAX_ITERATIONS + 1, 0xffffffff, 0x80000000 } },
		{ NTCORRAL_A_HOLD_US, { NTCORRAL_MAX_HOLD_US + 1, 0xffffffff, 1u << 31, 100000 } },
		{ NTCORRAL_A_DEADLINE_US, { 0, NTCORRAL_MIN_DEADLINE_US - 1,
					    NTCORRAL_MAX_DEADLINE_US + 1, 0xffffffff } },
		{ NTCORRAL_A_MAX_RUNTIME_MS, { 0, NTCORRAL_MIN_RUNTIME_MS - 1,
					       NTCORRAL_MAX_RUNTIME_MS + 1, 0xffffffff } },
		{ NTCORRAL_A_PCI_DEVICE, { NTCORRAL_MAX_PCI_DEVICE + 1, 0xffffffff, 0x20000, 0x7fffffff } },
		{ NTCORRAL_A_RATE_HZ, { 0, NTCORRAL_MIN_RATE_HZ - 1, NTCORRAL_MAX_RATE_HZ + 1,
					0xffffffff } },
		{ NTCORRAL_A_WARMUP, { NTCORRAL_MAX_WARMUP + 1, 0xffffffff, 1u << 31, 100000 } },
		{ NTCORRAL_A_COOLDOWN, { NTCORRAL_MAX_WARMUP + 1, 0xffffffff, 1u << 31, 100000 } },
		{ NTCORRAL_A_PHASE_STAMPS, { 2, 3, 0xffffffff, 1u << 31 } },
		{ NTCORRAL_A_BURST, { 0, NTCORRAL_MAX_BURST + 1, 0xffffffff, 1u << 31 } },
		{ NTCORRAL_A_BATCH, { 0, NTCORRAL_MAX_BATCH + 1, 0xffffffff, 1u << 31 } },
	};
	unsigned int i = rnd_below(rs, sizeof(bad) / sizeof(bad[0]));
	const char *exp, *var;

	pick_names(rs, &exp, &var);
	msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
	msg_put_str(m, NTCORRAL_A_VARIANT, var);
	/* Cheap first, the bad value last so it is the one that counts. */
	put_cheap_params(m, rs);
	if (rnd_below(rs, 4) == 0)		/* u64 where a u32 belongs */
		msg_put(m, bad[i].type, (uint64_t[]){ bad[i].v[rnd_below(rs, 4)] }, 8);
	else
		msg_put_u32(m, bad[i].type, bad[i].v[rnd_below(rs, 4)]);
}

/* Right attribute, wrong type or length. */
static void put_wrong_type(struct msg *m, uint64_t *rs)
{
	static const __u16 u32_attrs[] = {
		NTCORRAL_A_ITERATIONS, NTCORRAL_A_HOLD_US, NTCORRAL_A_DEADLINE_US,
		NTCORRAL_A_MAX_RUNTIME_MS, NTCORRAL_A_PCI_DEVICE, NTCORRAL_A_RATE_HZ,
		NTCORRAL_A_WARMUP, NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS,
		NTCORRAL_A_BURST, NTCORRAL_A_BATCH,
	};
	static const size_t lens[] = { 0, 1, 2, 3, 5, 8, 16 };
	uint8_t data[16] = { 1 };
	const char *exp, *var;

	pick_names(rs, &exp, &var);
	switch (rnd_below(rs, 5)) {
	case 0:		/* a u32 of the wrong length */
		msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
		msg_put_str(m, NTCORRAL_A_VARIANT, var);
		put_cheap_params(m, rs);
		msg_put(m, u32_attrs[rnd_below(rs, sizeof(u32_attrs) / sizeof(u32_attrs[0]))],
			data, lens[rnd_below(rs, 7)]);
		break;
	case 1:		/* names as numbers */
		msg_put_u32(m, NTCORRAL_A_EXPERIMENT, rnd(rs));
		msg_put_u32(m, NTCORRAL_A_VARIANT, rnd(rs));
		break;
	case 2:		/* a bad experiment name */
		put_bad_name(m, rs, NTCORRAL_A_EXPERIMENT);
		msg_put_str(m, NTCORRAL_A_VARIANT, var);
		break;
	case 3:		/* a bad variant name, or a variant without its experiment */
		if (rnd_below(rs, 2))
			msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
		put_bad_name(m, rs, NTCORRAL_A_VARIANT);
		break;
	default:	/* attributes the family does not know, or output-only ones */
		msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
		msg_put_str(m, NTCORRAL_A_VARIANT, var);
		put_cheap_params(m, rs);
		msg_put_u32(m, rnd_range(rs, NTCORRAL_A_SEED, NTCORRAL_A_MAX + 20), 1);
		break;
	}
}

/*
 * A RUN_ID for GET_RESULT and CANCEL: none, the latest any message named,
 * one next to it, or any (never 0, which no run has); with @malformed, also
 * a u32 for it (the policy's EINVAL).
 */
static void put_run_id(struct msg *m, uint64_t *rs, __u64 recent, bool malformed)
{
	__u64 id;

	switch (rnd_below(rs, malformed ? 5 : 4)) {
	case 0:
		return;
	case 1:
		id = recent;
		break;
	case 2:
		id = recent + rnd_below(rs, 3) - 1;
		break;
	case 3:
		id = rnd(rs);
		break;
	default:
		msg_put_u32(m, NTCORRAL_A_RUN_ID, (__u32)recent);
		return;
	}
	if (!id)
		id = 1;
	msg_put(m, NTCORRAL_A_RUN_ID, &id, sizeof(id));
}

enum kind {
	K_UNKNOWN_CMD, K_SHORT_GENL, K_RANDOM_BYTES, K_RANDOM_ATTRS, K_TRUNC_ATTR,
	K_WRONG_TYPE, K_CPU_SET, K_OUT_OF_RANGE, K_NESTED, K_EMPTY, K_VALID_RUN,
	K_DUMP, K_RESET, K_GET_RESULT, K_CANCEL, NR_KINDS
};

static const char *const kind_names[NR_KINDS] = {
	"unknown command", "truncated genl header", "random bytes", "random attributes",
	"truncated attribute", "wrong type/length", "CPU set", "out of range",
	"nested garbage", "empty", "valid run", "dump", "reset", "get result",
	"cancel",
};

/*
 * Weights per caller, out of 1000. Root's runs are real ones (a few ms each
 * under TCG, ~100 ms on the debug kernel); the others' are refused before
 * anything runs, and their share of RUN/RESET requests is what they are
 * here for. A full dump (an empty LIST/GET_STATS request is one) builds
 * tens of kilobytes of replies, the debug kernel's dearest requests: one
 * in twenty. Root's CANCELs end the background run loop's runs; the
 * others' are refused, as their RUNs.
 */
static const unsigned int kind_weight[NR_CALLERS][NR_KINDS] = {
	[C_ROOT] = { 60, 40, 80, 155, 60, 140, 95, 130, 80, 10, 15, 50, 45, 25, 15 },
	[C_UNPRIV] = { 60, 40, 80, 115, 60, 135, 90, 120, 80, 10, 50, 50, 50, 25, 35 },
	[C_NET_ADMIN] = { 60, 40, 80, 115, 60, 135, 90, 120, 80, 10, 50, 50, 50, 25, 35 },
};

static enum kind pick_kind(uint64_t *rs, enum caller who)
{
	unsigned int r = rnd_below(rs, 1000), acc = 0, k;

	for (k = 0; k < NR_KINDS; k++) {
		acc += kind_weight[who][k];
		if (r < acc)
			return k;
	}
	return K_RANDOM_ATTRS;
}

/* Any command of the family, the notification-only ones included. */
static __u8 known_cmd(uint64_t *rs)
{
	return rnd_range(rs, NTCORRAL_CMD_LIST_EXPERIMENTS, NTCORRAL_CMD_MAX);
}

/* The flags a command wants: dump commands dump, mostly. */
static __u16 flags_for(uint64_t *rs, __u8 cmd)
{
	bool dump = cmd == NTCORRAL_CMD_LIST_EXPERIMENTS || cmd == NTCORRAL_CMD_GET_STATS;

	if (rnd_below(rs, 10) == 0)
		dump = !dump;
	return NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
}

/*
 * Names (and for a RUN the cheap parameters), then a random attribute cut
 * short: the message ends inside it, or its nla_len runs past the end or
 * stays below the header.
 */
static void put_trunc_attr(struct msg *m, uint64_t *rs, __u8 cmd)
{
	const char *exp, *var;
	size_t keep;

	pick_names(rs, &exp, &var);
	msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
	msg_put_str(m, NTCORRAL_A_VARIANT, var);
	if (cmd == NTCORRAL_CMD_RUN)
		put_cheap_params(m, rs);
	keep = m->len;
	put_random_attr(m, rs);
	switch (rnd_below(rs, 3)) {
	case 0:		/* the message ends inside the attribute */
		if (m->len - keep > 1)
			m->len = keep + rnd_range(rs, 1, m->len - keep - 1);
		break;
	case 1:		/* nla_len past the end */
		((struct nlattr *)(m->buf + keep))->nla_len += rnd_range(rs, 1, 200);
		break;
	default:	/* nla_len below the header */
		((struct nlattr *)(m->buf + keep))->nla_len = rnd_below(rs, NLA_HDRLEN);
		break;
	}
}

/*
 * A RUN the module must take: names it has, at times a CPU set of online
 * CPUs, only the parameters the experiment takes, the cheap ones last.
 */
static void put_valid_run(struct msg *m, uint64_t *rs)
{
	const char *exp, *var;
	unsigned int e;

	e = pick_names(rs, &exp, &var);
	msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
	msg_put_str(m, NTCORRAL_A_VARIANT, var);
	if (rnd_below(rs, 3) == 0) {
		uint64_t w = rnd(rs) & online_mask();

		if (!w)
			w = online_mask() & -online_mask();
		msg_put(m, NTCORRAL_A_CPUS, &w, 8);
	}
	/* Only what the experiment takes: the others are refused. */
	if ((known[e].params & bit(NTCORRAL_A_RATE_HZ)) && rnd_below(rs, 2))
		msg_put_u32(m, NTCORRAL_A_RATE_HZ,
			    rnd_range(rs, NTCORRAL_MIN_RATE_HZ, NTCORRAL_MAX_RATE_HZ));
	if ((known[e].params & bit(NTCORRAL_A_PCI_DEVICE)) && rnd_below(rs, 4) == 0)
		msg_put_u32(m, NTCORRAL_A_PCI_DEVICE, rnd_below(rs, 0x100));
	if ((known[e].params & bit(NTCORRAL_A_HOLD_US)) && rnd_below(rs, 2))
		msg_put_u32(m, NTCORRAL_A_HOLD_US, rnd_range(rs, 0, CHEAP_MAX_HOLD_US));
	put_cheap_params(m, rs);
}

/* Half the time a filter: an experiment and, half of those, its variant. */
static void put_filter(struct msg *m, uint64_t *rs)
{
	const char *exp, *var;

	if (!rnd_below(rs, 2))
		return;
	pick_names(rs, &exp, &var);
	msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
	if (rnd_below(rs, 2))
		msg_put_str(m, NTCORRAL_A_VARIANT, var);
}

/*
 * Build one request of kind @k; @recent is the latest run id seen. Returns
 * the command. A request that may start a run has the cheap parameters last.
 *
 * Over 80 lines: one case per kind, each its kind's whole recipe, and the
 * stream's draws must stay in this order for a seed to repeat; the longer
 * recipes are helpers (put_*()).
 */
static __u8 build(struct msg *m, uint64_t *rs, __u16 family, enum kind k, __u64 recent)
{
	const char *exp, *var;
	uint8_t junk[512];
	unsigned int i, n;
	__u8 cmd = known_cmd(rs);

	switch (k) {
	case K_UNKNOWN_CMD:
		cmd = rnd_below(rs, 4) ? rnd_range(rs, NTCORRAL_CMD_MAX + 1, 255) : 0;
		msg_start(m, family, flags_for(rs, cmd), cmd, rnd(rs));
		n = rnd_below(rs, 4);
		for (i = 0; i < n; i++)
			put_random_attr(m, rs);
		break;
	case K_SHORT_GENL:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		m->len = NLMSG_HDRLEN + rnd_below(rs, GENL_HDRLEN);
		break;
	case K_RANDOM_BYTES:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		n = rnd_below(rs, sizeof(junk));
		rnd_bytes(rs, junk, n);
		memcpy(m->buf + m->len, junk, n);
		m->len += n;
		break;
	case K_RANDOM_ATTRS:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		if (rnd_below(rs, 2)) {
			pick_names(rs, &exp, &var);
			msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
			msg_put_str(m, NTCORRAL_A_VARIANT, var);
		}
		n = rnd_range(rs, 1, 8);
		for (i = 0; i < n; i++)
			put_random_attr(m, rs);
		if (cmd == NTCORRAL_CMD_RUN)
			put_cheap_params(m, rs);
		break;
	case K_TRUNC_ATTR:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		put_trunc_attr(m, rs, cmd);
		break;
	case K_WRONG_TYPE:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		put_wrong_type(m, rs);
		break;
	case K_CPU_SET:
		cmd = NTCORRAL_CMD_RUN;
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		pick_names(rs, &exp, &var);
		msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
		msg_put_str(m, NTCORRAL_A_VARIANT, var);
		put_cpu_set(m, rs);
		put_cheap_params(m, rs);
		break;
	case K_OUT_OF_RANGE:
		cmd = NTCORRAL_CMD_RUN;
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		put_out_of_range(m, rs);
		break;
	case K_NESTED:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		n = rnd_range(rs, 1, 3);
		for (i = 0; i < n; i++)
			put_nested_garbage(m, rs, 0);
		if (cmd == NTCORRAL_CMD_RUN)
			put_cheap_params(m, rs);
		break;
	case K_EMPTY:
		msg_start(m, family, flags_for(rs, cmd), cmd, NTCORRAL_FAMILY_VERSION);
		break;
	case K_VALID_RUN:
		cmd = NTCORRAL_CMD_RUN;
		msg_start(m, family, NLM_F_REQUEST | NLM_F_ACK, cmd, NTCORRAL_FAMILY_VERSION);
		put_valid_run(m, rs);
		break;
	case K_DUMP:
		cmd = rnd_below(rs, 2) ? NTCORRAL_CMD_LIST_EXPERIMENTS : NTCORRAL_CMD_GET_STATS;
		msg_start(m, family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, cmd, NTCORRAL_FAMILY_VERSION);
		put_filter(m, rs);
		break;
	case K_RESET:
		cmd = NTCORRAL_CMD_RESET_STATS;
		msg_start(m, family, NLM_F_REQUEST | NLM_F_ACK, cmd, NTCORRAL_FAMILY_VERSION);
		put_filter(m, rs);
		break;
	case K_GET_RESULT:
		cmd = NTCORRAL_CMD_GET_RESULT;
		msg_start(m, family, NLM_F_REQUEST | NLM_F_ACK, cmd, NTCORRAL_FAMILY_VERSION);
		put_run_id(m, rs, recent, true);
		break;
	case K_CANCEL:
		cmd = NTCORRAL_CMD_CANCEL;
		msg_start(m, family, NLM_F_REQUEST | NLM_F_ACK, cmd, NTCORRAL_FAMILY_VERSION);
		put_run_id(m, rs, recent, false);
		break;
	default:
		msg_start(m, family, NLM_F_REQUEST | NLM_F_ACK, 0, NTCORRAL_FAMILY_VERSION);
		break;
	}
	return cmd;
}

static void hexdump_msg(const struct msg *m)
{
	size_t i;

	printf("# the request (%zu bytes):", m->len);
	for (i = 0; i < m->len && i < 256; i++)
		printf("%s%02x", i % 32 ? " " : "\n#   ", m->buf[i]);
	printf("%s\n", m->len > 256 ? " ..." : "");
	fflush(stdout);
}

/*
 * Whether @r is an answer @who may get to request @i (kind @k, command
 * @cmd); if not, why not, in @why. What answers first, in the order the
 * kernel looks (net/netlink/genetlink.c, genl_rcv_msg() and
 * genl_family_rcv_msg(); module/netlink.c):
 *
 *  1. A genl header cut short: EINVAL, whoever asks.
 *  2. An unknown command, or a known one with the wrong dump flag: EOPNOTSUPP.
 *     Up to 6.1 the flag is looked at after the permission check (a doit-only
 *     command sent as a dump finds no dumpit); from 6.2 the split-ops lookup
 *     takes the flag, before the permission check.
 *  3. GENL_ADMIN_PERM on RUN, RESET_STATS and CANCEL: EPERM without
 *     CAP_NET_ADMIN, generic netlink's answer (no extack message).
 *     RUN_PROGRESS and RUN_RESULT are notifications, no request's command:
 *     EOPNOTSUPP.
 *  4. The command's policy: EINVAL (wrong type or length, unknown or
 *     reply-only attribute, NLA_REJECT, nesting) or ERANGE (a value or a
 *     string length outside the policy), lib/nlattr.c.
 *  5. The module: RUN, RESET_STATS and CANCEL call ntc_check_admin() first,
 *     EPERM with "this command needs CAP_SYS_ADMIN"; then for root:
 *     EINVAL (missing name, a parameter the experiment does not take, a bad
 *     CPU set, a parameter set that cannot work), ENOENT (an unknown
 *     experiment or variant, also as a dump filter; CANCEL: no such run in
 *     progress), EBUSY (another run in progress: the run loop's; a CPU
 *     still owing an earlier corral's answer, a DPC of an earlier call not
 *     finished). GET_RESULT, anyone's: ENOENT (not the last run that
 *     finished), EINPROGRESS (that run has not finished). The module sends
 *     an extack message with every ENOENT and EBUSY: one without it would
 *     be generic netlink's ENOENT for a family that went away, or a dump
 *     already running on the socket, neither of which may happen here.
 *  6. A RUN that started: its RUN_RESULT, the result, or an error after
 *     the start (ERROR, with ERROR_MESSAGE as its extack), held to the
 *     same rules as RUN's own answer.
 *
 * Nothing else is legitimate: not ENOMEM or EMSGSIZE (a reply that does
 * not fit is a module bug), not EAGAIN or ENODEV (no CPU goes offline
 * during the fuzz), not ETIMEDOUT (a run reports its timeouts in its
 * result), not ESHUTDOWN (the module stays loaded).
 */
static bool __attribute__((format(printf, 3, 4)))
refuse(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return false;
}

static bool check_answer(enum caller who, unsigned int i, enum kind k, __u8 cmd,
			 bool full_header, bool dump, const struct reply *r,
			 char *why, size_t why_size)
{
	bool admin = full_header &&
		     (cmd == NTCORRAL_CMD_RUN || cmd == NTCORRAL_CMD_RESET_STATS ||
		      cmd == NTCORRAL_CMD_CANCEL);
	bool well_formed = k == K_VALID_RUN || k == K_RESET || k == K_CANCEL;
	int e = r->ans == ANS_ERRNO ? r->err : 0;

	if (k == K_DUMP && e && e != ENOENT)
		return refuse(why, why_size, "dump %u (command %u): %s, a filter miss is ENOENT", i, cmd, strerror(e));
	if (admin && who != C_ROOT) {
		if (!e)
			return refuse(why, why_size, "%s: %s %u (command %u) was not refused", caller_names[who],
			       kind_names[k], i, cmd);
		if (dump && !(e == EOPNOTSUPP || (who == C_UNPRIV && e == EPERM)))
			return refuse(why, why_size, "%s: %s %u (command %u, a dump): %s, expected EOPNOTSUPP%s",
			       caller_names[who], kind_names[k], i, cmd, strerror(e),
			       who == C_UNPRIV ? " or EPERM" : "");
		if (!dump && who == C_UNPRIV && e != EPERM)
			return refuse(why, why_size, "%s: %s %u (command %u): %s, expected EPERM (GENL_ADMIN_PERM)",
			       caller_names[who], kind_names[k], i, cmd, strerror(e));
		if (!dump && who == C_NET_ADMIN &&
		    !(e == EPERM || (!well_formed && (e == EINVAL || e == ERANGE))))
			return refuse(why, why_size, "%s: %s %u (command %u): %s, expected EPERM%s",
			       caller_names[who], kind_names[k], i, cmd, strerror(e),
			       well_formed ? "" : " or the policy's EINVAL/ERANGE");
		if (!dump && who == C_NET_ADMIN && e == EPERM && !r->extack_msg)
			return refuse(why, why_size, "%s: %s %u (command %u): EPERM without the module's extack: GENL_ADMIN_PERM answered, not ntc_check_admin()",
			       caller_names[who], kind_names[k], i, cmd);
		return true;
	}
	switch (e) {
	case 0:
	case EINVAL:
	case ERANGE:
	case EOPNOTSUPP:
		return true;
	case EPERM:
		if (!admin)
			return refuse(why, why_size, "%s: %s %u (command %u): EPERM for a command anyone may send",
			       caller_names[who], kind_names[k], i, cmd);
		return refuse(why, why_size, "root: %s %u (command %u): EPERM", kind_names[k], i, cmd);
	case ENOENT:
		if (!r->extack_msg)
			return refuse(why, why_size, "%s: %s %u (command %u): ENOENT without an extack message: the family went away?",
			       caller_names[who], kind_names[k], i, cmd);
		return true;
	case EBUSY:
		if (who != C_ROOT || cmd != NTCORRAL_CMD_RUN)
			return refuse(why, why_size, "%s: %s %u (command %u): EBUSY, only a root RUN may be busy",
			       caller_names[who], kind_names[k], i, cmd);
		if (!r->extack_msg)
			return refuse(why, why_size, "root: run %u: EBUSY without an extack message", i);
		return true;
	case EINPROGRESS:
		if (!full_header || cmd != NTCORRAL_CMD_GET_RESULT)
			return refuse(why, why_size, "%s: %s %u (command %u): EINPROGRESS, only GET_RESULT may say a run is not done",
			       caller_names[who], kind_names[k], i, cmd);
		return true;
	default:
		return refuse(why, why_size, "%s: %s %u (command %u): %s (errno %d), not an answer this request may get",
		       caller_names[who], kind_names[k], i, cmd, strerror(e), e);
	}
}

/*
 * Send @n requests as @who. Every one must be answered, and as
 * check_answer() allows; returns false at the first that is not.
 */
static bool fuzz(struct nl *s, uint64_t *rs, struct figures *f, unsigned int n,
		 enum caller who, char *why, size_t why_size)
{
	double t0 = now_s();
	unsigned int i;
	struct msg *m = malloc(sizeof(*m));
	struct reply r;
	bool ok = true;

	if (!m) {
		snprintf(why, why_size, "no memory");
		return false;
	}
	unsigned long progress0 = s->nr_progress, ends0 = s->nr_ends;

	for (i = 0; i < n; i++) {
		enum kind k = pick_kind(rs, who);
		__u8 cmd = build(m, rs, s->family, k, s->last_run_id);
		bool dump = (msg_nlh(m)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
		bool full_header = m->len >= NLMSG_HDRLEN + GENL_HDRLEN;

		f->sent++;
		xfer(s, m, &r);
		if (r.ans == ANS_NONE || r.ans == ANS_BAD) {
			if (r.ans == ANS_NONE)
				f->unanswered++;
			else
				f->bad_replies++;
			snprintf(why, why_size, "request %u (%s, command %u): %s",
				 i, kind_names[k], cmd, r.why);
			hexdump_msg(m);
			ok = false;
			break;
		}
		f->answered++;
		f->valid_replies += r.replies;
		if (r.ans == ANS_ACK)
			f->acks++;
		else if (r.ans == ANS_DONE)
			f->done_ok++;
		else {
			f->errnos[r.err < NR_ERRNOS ? r.err : 0]++;
			f->with_extack += r.extack_msg;
		}
		if (cmd == NTCORRAL_CMD_RUN && r.have_result)
			f->runs_ok++;
		f->runs_failed += r.run_failed;
		if (cmd == NTCORRAL_CMD_RUN && r.ans == ANS_ERRNO && r.err == EBUSY)
			f->runs_busy++;
		if (full_header && r.ans == ANS_ACK && cmd == NTCORRAL_CMD_GET_RESULT)
			f->results_got++;
		if (full_header && r.ans == ANS_ACK && cmd == NTCORRAL_CMD_CANCEL)
			f->cancels_ok++;
		if (full_header && r.ans == ANS_ERRNO && r.err == EPERM &&
		    (cmd == NTCORRAL_CMD_RUN || cmd == NTCORRAL_CMD_RESET_STATS ||
		     cmd == NTCORRAL_CMD_CANCEL)) {
			f->admin_eperm++;
			f->admin_eperm_extack += r.extack_msg;
		}
		if (!check_answer(who, i, k, cmd, full_header, dump, &r, why, why_size)) {
			hexdump_msg(m);
			ok = false;
			break;
		}
	}
	f->seconds += now_s() - t0;
	f->progress_seen += s->nr_progress - progress0;
	f->results_seen += s->nr_ends - ends0;
	free(m);
	return ok;
}

/* ---- the tests ---------------------------------------------------------- */

/*
 * Cheap runs in a loop until killed, each waited for to its RUN_RESULT:
 * requests collide with them (EBUSY), root's CANCELs end them, dumps get
 * abandoned while they go on.
 */
static void run_loop(void)
{
	struct msg *m = malloc(sizeof(*m));
	struct nl s = { .fd = -1 };
	uint64_t rs = stream_seed(4);
	const char *exp, *var;
	struct reply r;

	if (!m || nl_open_learn(&s, RECV_BUF, true))
		_exit(1);
	for (;;) {
		msg_start(m, s.family, NLM_F_REQUEST | NLM_F_ACK, NTCORRAL_CMD_RUN, NTCORRAL_FAMILY_VERSION);
		pick_names(&rs, &exp, &var);
		msg_put_str(m, NTCORRAL_A_EXPERIMENT, exp);
		msg_put_str(m, NTCORRAL_A_VARIANT, var);
		put_cheap_params(m, &rs);
		xfer(&s, m, &r);
		if (r.ans == ANS_NONE || r.ans == ANS_BAD)
			_exit(2);
	}
}

FIXTURE(fuzz) {
	struct nl s;
	struct figures f;
	char why[512];
};

FIXTURE_SETUP(fuzz)
{
	memset(&self->f, 0, sizeof(self->f));
	self->why[0] = 0;
	self->s.fd = -1;
	self->s.rbuf = NULL;
}

FIXTURE_TEARDOWN(fuzz)
{
	nl_close(&self->s);
}

/*
 * Become @who; the harness runs each test in a child of its own. The
 * CAP_NET_ADMIN-only caller keeps its capabilities across setuid()
 * (PR_SET_KEEPCAPS) and then sets exactly that one, permitted and
 * effective; capget() confirms what the kernel will see. Returns 0 or
 * -errno.
 */
static int become(enum caller who)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint64_t want = 0, have;

	if (who == C_ROOT)
		return geteuid() == 0 ? 0 : -EPERM;
	if (who == C_NET_ADMIN && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (geteuid() == 0 && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
		return -errno;
	memset(d, 0, sizeof(d));
	if (who == C_NET_ADMIN) {
		want = 1ULL << CAP_NET_ADMIN;
		d[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
		d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
		if (syscall(SYS_capset, &h, d))
			return -errno;
	}
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	have = d[0].effective | (uint64_t)d[1].effective << 32;
	return geteuid() != 0 && have == want ? 0 : -EPERM;
}

static void publish(enum caller who, const struct figures *f)
{
	if (shared)
		shared[who] = *f;
}

TEST_F_TIMEOUT(fuzz, root_requests_are_all_answered_with_the_errnos_they_may_get,
	       FUZZ_TIMEOUT_S)
{
	uint64_t rs = stream_seed(1);
	pid_t runner;
	int status;
	bool ok;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, nl_open_learn(&self->s, RECV_BUF, true))
		TH_LOG("the family does not resolve, or has no \"%s\" group: is the module (version %d) loaded?",
		       NTCORRAL_MCGRP_RUNS, NTCORRAL_FAMILY_VERSION);
	print_known();
	/* Runs in the background half the time: the fuzz's runs meet EBUSY. */
	runner = fork();
	ASSERT_LE(0, runner);
	if (runner == 0)
		run_loop();
	ok = fuzz(&self->s, &rs, &self->f, ROOT_MESSAGES / 2, C_ROOT,
		  self->why, sizeof(self->why));
	kill(runner, SIGKILL);
	ASSERT_EQ(runner, waitpid(runner, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("the run loop exited %d", WEXITSTATUS(status));
	if (ok)
		ok = fuzz(&self->s, &rs, &self->f, ROOT_MESSAGES - ROOT_MESSAGES / 2, C_ROOT,
			  self->why, sizeof(self->why));
	print_figures(caller_names[C_ROOT], &self->f);
	publish(C_ROOT, &self->f);
	EXPECT_TRUE(ok) TH_LOG("%s", self->why);
	EXPECT_EQ(ROOT_MESSAGES, self->f.sent);
	EXPECT_EQ(self->f.sent, self->f.answered);
	EXPECT_LT(0, self->f.runs_ok) TH_LOG("not one of root's runs ran");
}

/*
 * A caller without CAP_SYS_ADMIN: answered, every RUN, RESET and CANCEL
 * refused. Its socket stays out of "runs": it has no run to wait for.
 */
static void fuzz_unprivileged(struct __test_metadata *_metadata, struct nl *s,
			      struct figures *f, char *why, size_t why_size,
			      enum caller who, unsigned int n, unsigned int stream)
{
	uint64_t rs = stream_seed(stream);
	int ret;
	bool ok;

	if (who == C_NET_ADMIN && geteuid() != 0)
		SKIP(return, "needs root to keep CAP_NET_ADMIN alone");
	ret = become(who);
	ASSERT_EQ(0, ret) TH_LOG("becoming %s: %s", caller_names[who], strerror(-ret));
	ASSERT_EQ(0, nl_open_learn(s, RECV_BUF, false)) TH_LOG("the family does not resolve as %s",
								caller_names[who]);
	ok = fuzz(s, &rs, f, n, who, why, why_size);
	print_figures(caller_names[who], f);
	publish(who, f);
	EXPECT_TRUE(ok) TH_LOG("%s", why);
	EXPECT_EQ(n, f->sent);
	EXPECT_EQ(f->sent, f->answered);
	EXPECT_EQ(0, f->runs_ok);
	EXPECT_LT(0, f->admin_eperm) TH_LOG("no RUN, RESET_STATS or CANCEL was sent");
	if (who == C_NET_ADMIN)
		EXPECT_LT(0, f->admin_eperm_extack)
			TH_LOG("no EPERM came from the module's CAP_SYS_ADMIN check");
}

TEST_F_TIMEOUT(fuzz, unprivileged_requests_are_all_answered_and_refused, FUZZ_TIMEOUT_S)
{
	fuzz_unprivileged(_metadata, &self->s, &self->f, self->why, sizeof(self->why),
			  C_UNPRIV, UNPRIV_MESSAGES, 2);
}

TEST_F_TIMEOUT(fuzz, cap_net_admin_only_requests_are_answered_and_refused_cap_sys_admin,
	       FUZZ_TIMEOUT_S)
{
	fuzz_unprivileged(_metadata, &self->s, &self->f, self->why, sizeof(self->why),
			  C_NET_ADMIN, NET_ADMIN_MESSAGES, 5);
}

/* The goal: total_messages across the three callers, every one answered. */
TEST_F(fuzz, callers_sent_every_message_and_all_were_answered)
{
	unsigned long sent = 0, answered = 0;
	double seconds = 0;
	unsigned int c;

	if (geteuid() != 0)
		SKIP(return, "the three callers need root");
	ASSERT_NE(NULL, shared);
	for (c = 0; c < NR_CALLERS; c++) {
		printf("# %s: %lu sent, %lu answered in %.1f s\n", caller_names[c],
		       shared[c].sent, shared[c].answered, shared[c].seconds);
		sent += shared[c].sent;
		answered += shared[c].answered;
		seconds += shared[c].seconds;
	}
	printf("# all callers: %lu sent (of %u), %lu answered in %.1f s\n", sent,
	       total_messages, answered, seconds);
	fflush(stdout);
	EXPECT_EQ(total_messages, sent);
	EXPECT_EQ(sent, answered);
}

/*
 * Over 80 lines: the rounds, the children and the checks after them are
 * one story, kept as it was written.
 */
TEST_F_TIMEOUT(fuzz, dumps_abandoned_half_way_leave_the_family_working, DUMP_SECONDS + 60)
{
	uint64_t rs = stream_seed(3);
	double end = now_s() + DUMP_SECONDS;
	unsigned int round, modes[5] = { 0 };
	struct msg m;
	pid_t runner;
	int status;

	char names[MAX_KNOWN][NTCORRAL_NAME_MAX];
	unsigned int nr_names;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	nr_names = debugfs_experiments(names);
	ASSERT_LT(0, nr_names) TH_LOG("no experiment under %s", NTC_DEBUGFS);
	runner = fork();
	ASSERT_LE(0, runner);
	if (runner == 0)
		run_loop();

	for (round = 0; round < DUMP_ROUNDS && now_s() < end; round++) {
		unsigned int mode = rnd_below(&rs, 5);
		__u8 cmd = rnd_below(&rs, 3) ? NTCORRAL_CMD_GET_STATS : NTCORRAL_CMD_LIST_EXPERIMENTS;
		struct nl s = { .fd = -1 };
		struct reply r;
		__u32 seq, seq2;
		struct reply r2;
		pid_t child;

		modes[mode]++;
		if (mode == 4) {
			/* A process that asks for a dump and dies without reading. */
			child = fork();
			ASSERT_LE(0, child);
			if (child == 0) {
				if (nl_open(&s, DUMP_SMALL_BUF))
					_exit(1);
				msg_start(&m, s.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, cmd, NTCORRAL_FAMILY_VERSION);
				_exit(nl_send(&s, &m, &seq) ? 1 : 0);
			}
			ASSERT_EQ(child, waitpid(child, &status, 0));
			ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			self->f.sent++;
			self->f.dumps_interrupted++;
			continue;
		}
		ASSERT_EQ(0, nl_open(&s, DUMP_SMALL_BUF));
		msg_start(&m, s.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, cmd, NTCORRAL_FAMILY_VERSION);
		if (cmd == NTCORRAL_CMD_GET_STATS && rnd_below(&rs, 4) == 0)
			msg_put_str(&m, NTCORRAL_A_EXPERIMENT, names[rnd_below(&rs, nr_names)]);
		ASSERT_EQ(0, nl_send(&s, &m, &seq));
		self->f.sent++;
		memset(&r, 0, sizeof(r));
		switch (mode) {
		case 0:		/* closed before reading anything */
			break;
		case 1:		/* one datagram, maybe truncated */
			nl_receive(&s, seq, &r, 1);
			break;
		case 2:		/* a few datagrams */
			nl_receive(&s, seq, &r, rnd_range(&rs, 2, 4));
			break;
		case 3:		/* a second dump on the same socket mid-way */
			nl_receive(&s, seq, &r, 1);
			if (r.ans != ANS_NONE)
				break;
			ASSERT_EQ(0, nl_send(&s, &m, &seq2));
			self->f.sent++;
			/* Its answer: EBUSY while the first one is not done. */
			memset(&r2, 0, sizeof(r2));
			nl_receive(&s, seq2, &r2, 0);
			ASSERT_TRUE(r2.ans == ANS_ERRNO || r2.ans == ANS_DONE)
				TH_LOG("round %u: the second dump: answer %d, %s", round, r2.ans, r2.why);
			self->f.answered++;
			if (r2.ans == ANS_ERRNO && r2.err == EBUSY)
				self->f.dump_busy++;
			break;
		}
		if (r.ans == ANS_BAD) {
			nl_close(&s);
			kill(runner, SIGKILL);
			waitpid(runner, NULL, 0);
			ASSERT_NE(ANS_BAD, r.ans) TH_LOG("round %u: %s", round, r.why);
		}
		if (r.ans == ANS_DONE || r.ans == ANS_ERRNO) {
			self->f.answered++;
			self->f.dumps_full++;
		} else {
			self->f.dumps_interrupted++;
		}
		nl_close(&s);
	}
	kill(runner, SIGKILL);
	ASSERT_EQ(runner, waitpid(runner, &status, 0));
	/* Killed by us, not dead of an unanswered run. */
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("the run loop exited %d", WEXITSTATUS(status));
	printf("# dumps: %u rounds, interrupted %lu (closed unread %u, after 1 read %u, after a few %u, second dump %u, process died %u), completed anyway %lu, second dump EBUSY %lu\n",
	       round, self->f.dumps_interrupted, modes[0], modes[1], modes[2], modes[3],
	       modes[4], self->f.dumps_full, self->f.dump_busy);
	fflush(stdout);
	EXPECT_LT(0, self->f.dumps_interrupted);
}

/*
 * After all that: LIST names every experiment that debugfs has, once each,
 * and nothing else; a clean run is clean.
 *
 * Over 80 lines: LIST read by hand against debugfs, then a clean run, one
 * after the other, kept as it was written.
 */
TEST_F_TIMEOUT(fuzz, family_still_lists_and_runs_clean, 120)
{
	char experiments[MAX_KNOWN][NTCORRAL_NAME_MAX];
	unsigned int e, tries, msgs = 0, nr_experiments;
	bool seen[MAX_KNOWN] = { false };
	struct fmsg fm;
	struct msg m;
	struct reply r;
	__u32 seq;
	int ret;

	if (geteuid() != 0)
		SKIP(return, "debugfs, the list to check LIST against, needs root");
	nr_experiments = debugfs_experiments(experiments);
	ASSERT_LT(0, nr_experiments) TH_LOG("no experiment under %s", NTC_DEBUGFS);
	ASSERT_EQ(0, nl_open(&self->s, RECV_BUF));

	/* LIST, read by hand to see every experiment's name. */
	msg_start(&m, self->s.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		  NTCORRAL_CMD_LIST_EXPERIMENTS, 1);
	msg_nlh(&m)->nlmsg_len = m.len;
	ASSERT_EQ(0, nl_send(&self->s, &m, &seq));
	for (;;) {
		ssize_t n = recv(self->s.fd, self->s.rbuf, self->s.rbuf_size, 0);
		struct nlmsghdr *nlh;
		int len;
		bool done = false;

		ASSERT_LT(0, n) TH_LOG("LIST: recv: %s", strerror(errno));
		len = (int)n;
		for (nlh = (struct nlmsghdr *)self->s.rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const uint8_t *p;
			int alen;

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			ASSERT_EQ(self->s.family, nlh->nlmsg_type);
			memset(&r, 0, sizeof(r));
			ASSERT_TRUE(parse_family_msg(nlh, &fm, r.why, sizeof(r.why))) TH_LOG("%s", r.why);
			ASSERT_EQ(NTCORRAL_CMD_LIST_EXPERIMENTS, fm.cmd);
			msgs++;
			p = (const uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN;
			alen = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			while (alen >= NLA_HDRLEN) {
				const struct nlattr *a = (const struct nlattr *)p;

				if (a->nla_type == NTCORRAL_A_EXPERIMENT) {
					char name[NTCORRAL_NAME_MAX];

					attr_str(a, name, sizeof(name));
					for (e = 0; e < nr_experiments; e++)
						if (!strcmp(name, experiments[e]))
							break;
					EXPECT_GT(nr_experiments, e)
						TH_LOG("LIST names %s, which debugfs has not", name);
					if (e < nr_experiments) {
						EXPECT_FALSE(seen[e]) TH_LOG("%s listed twice", name);
						seen[e] = true;
					}
				}
				alen -= NLA_ALIGN(a->nla_len);
				p += NLA_ALIGN(a->nla_len);
			}
		}
		if (done) {
			ASSERT_EQ(NLMSG_DONE, nlh->nlmsg_type);
			break;
		}
	}
	EXPECT_EQ(nr_experiments, msgs);
	for (e = 0; e < nr_experiments; e++)
		EXPECT_TRUE(seen[e]) TH_LOG("LIST does not name %s", experiments[e]);

	/* Its result comes on "runs". */
	ret = nl_join(&self->s);
	ASSERT_EQ(0, ret) TH_LOG("joining \"%s\": %s", NTCORRAL_MCGRP_RUNS, strerror(-ret));
	/* A corral the fuzz left owing an answer says EBUSY for a while. */
	for (tries = 0; tries < 20; tries++) {
		msg_start(&m, self->s.family, NLM_F_REQUEST | NLM_F_ACK, NTCORRAL_CMD_RUN,
			  NTCORRAL_FAMILY_VERSION);
		msg_put_str(&m, NTCORRAL_A_EXPERIMENT, "shootdown");
		msg_put_str(&m, NTCORRAL_A_VARIANT, "ipi");
		msg_put_u32(&m, NTCORRAL_A_ITERATIONS, 5);
		msg_put_u32(&m, NTCORRAL_A_DEADLINE_US, NTCORRAL_MAX_DEADLINE_US);
		msg_put_u32(&m, NTCORRAL_A_MAX_RUNTIME_MS, NTCORRAL_MAX_RUNTIME_MS);
		xfer(&self->s, &m, &r);
		if (!(r.ans == ANS_ERRNO && r.err == EBUSY))
			break;
		usleep(500000);
	}
	ASSERT_EQ(ANS_ACK, r.ans) TH_LOG("the clean run: answer %d errno %d %s", r.ans, r.err, r.why);
	ASSERT_TRUE(r.have_result);
	EXPECT_EQ(5, r.samples);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, r.timeouts);
	EXPECT_FALSE(r.truncated);
	printf("# clean shootdown/ipi run after the fuzz: %" PRIu64 " samples, %" PRIu64
	       " violations, %" PRIu64 " timeouts (%u EBUSY retries)\n",
	       r.samples, r.violations, r.timeouts, tries);
	fflush(stdout);
}

/*
 * NTCORRAL_FUZZ_HOLD_DUMP=S: not the tests, a helper for stress_test.sh.
 * Start a GET_STATS dump, read its first datagram, say "# held" and keep
 * the dump half-read for S seconds; then read the rest. Exit 0 when the
 * dump came to its end (DONE or an errno), 1 otherwise.
 */
static void hold_dump(const char *seconds)
{
	struct nl s = { .fd = -1 };
	struct reply r;
	struct msg m;
	__u32 seq;
	int ret;

	ret = nl_open(&s, DUMP_SMALL_BUF);
	if (ret) {
		printf("# hold: the family does not resolve: %s\n", strerror(-ret));
		fflush(stdout);
		_exit(1);
	}
	msg_start(&m, s.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, NTCORRAL_CMD_GET_STATS,
		  NTCORRAL_FAMILY_VERSION);
	if (nl_send(&s, &m, &seq)) {
		printf("# hold: send: %s\n", strerror(errno));
		fflush(stdout);
		_exit(1);
	}
	memset(&r, 0, sizeof(r));
	nl_receive(&s, seq, &r, 1);
	printf("# held: %u messages read, the dump %s\n", r.replies,
	       r.ans == ANS_NONE ? "half-way" : "already ended");
	fflush(stdout);
	sleep(atoi(seconds));
	if (r.ans == ANS_NONE) {
		unsigned int first = r.replies;

		memset(&r, 0, sizeof(r));
		nl_receive(&s, seq, &r, 0);
		r.replies += first;
	}
	printf("# rest: %u messages in all, %s (errno %d) %s\n", r.replies,
	       r.ans == ANS_DONE ? "DONE" : r.ans == ANS_ERRNO ? "an error" :
	       r.ans == ANS_ACK ? "an ack" : "no end", r.err, r.why);
	fflush(stdout);
	_exit(r.ans == ANS_DONE || r.ans == ANS_ERRNO ? 0 : 1);
}

static void __attribute__((constructor)) pick_seed(void)
{
	const char *env = getenv("NTCORRAL_FUZZ_SEED");
	const char *hold = getenv("NTCORRAL_FUZZ_HOLD_DUMP");
	const char *messages = getenv("NTCORRAL_FUZZ_MESSAGES");

	if (hold && *hold)
		hold_dump(hold);
	if (messages && *messages) {
		unsigned long n = strtoul(messages, NULL, 0);

		if (n < MIN_TOTAL_MESSAGES || n > UINT_MAX / 10) {
			fprintf(stderr, "nl_fuzz: NTCORRAL_FUZZ_MESSAGES=%s: give %d to %u\n",
				messages, MIN_TOTAL_MESSAGES, UINT_MAX / 10);
			exit(KSFT_FAIL);
		}
		total_messages = n;
	}

	base_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	shared = mmap(NULL, NR_CALLERS * sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		shared = NULL;
	else
		memset(shared, 0, NR_CALLERS * sizeof(*shared));
}

TEST_HARNESS_MAIN
