/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntc_runs.h: the ntcorral family's "runs" multicast group for the selftests
 * that speak raw AF_NETLINK (ntc_nl.c, nl_fuzz): its id in a
 * CTRL_CMD_GETFAMILY reply, joining it, telling its notifications from
 * replies, and reading a RUN_PROGRESS strictly.
 */
#ifndef NTC_RUNS_H
#define NTC_RUNS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ntcorral.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* The attribute after @a, or NULL when @a does not fit in [@a, @end). */
static inline const struct nlattr *runs_nla_ok(const void *a, const void *end)
{
	const struct nlattr *nla = a;

	if ((const char *)end - (const char *)a < NLA_HDRLEN ||
	    nla->nla_len < NLA_HDRLEN ||
	    nla->nla_len > (const char *)end - (const char *)a)
		return NULL;
	return nla;
}

#define runs_for_each_attr(a, head, len)				\
	for ((a) = runs_nla_ok((head), (const char *)(head) + (len));	\
	     (a);							\
	     (a) = runs_nla_ok((const char *)(a) + NLA_ALIGN((a)->nla_len), \
			       (const char *)(head) + (len)))

/*
 * The id of the multicast group @name in a CTRL_CMD_GETFAMILY reply
 * (CTRL_ATTR_MCAST_GROUPS: one nest per group, with CTRL_ATTR_MCAST_GRP_NAME
 * and CTRL_ATTR_MCAST_GRP_ID), or 0 when the reply does not list it.
 */
static inline __u32 runs_group_id(const struct nlmsghdr *nlh, const char *name)
{
	const char *head = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	const struct nlattr *a, *grp, *x;

	if (len <= 0)
		return 0;
	runs_for_each_attr(a, head, len) {
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		runs_for_each_attr(grp, (const char *)a + NLA_HDRLEN,
				   a->nla_len - NLA_HDRLEN) {
			const char *gname = NULL;
			__u32 id = 0;

			runs_for_each_attr(x, (const char *)grp + NLA_HDRLEN,
					   grp->nla_len - NLA_HDRLEN) {
				const char *d = (const char *)x + NLA_HDRLEN;
				int dlen = x->nla_len - NLA_HDRLEN;

				switch (x->nla_type & NLA_TYPE_MASK) {
				case CTRL_ATTR_MCAST_GRP_NAME:
					if (dlen > 0 && !d[dlen - 1])
						gname = d;
					break;
				case CTRL_ATTR_MCAST_GRP_ID:
					if (dlen == sizeof(id))
						memcpy(&id, d, sizeof(id));
					break;
				}
			}
			if (gname && id && !strcmp(gname, name))
				return id;
		}
	}
	return 0;
}

/* Join multicast group @group on @fd: 0 or -errno. */
static inline int runs_join(int fd, __u32 group)
{
	if (!group)
		return -ENOENT;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		return -errno;
	return 0;
}

/*
 * A notification of family @family: the kernel multicasts them with
 * nlmsg_seq 0 and nlmsg_pid 0; a reply carries its request's seq (never 0
 * here) and the requester's port id.
 */
static inline bool runs_is_notification(const struct nlmsghdr *nlh,
					__u16 family)
{
	return family && nlh->nlmsg_type == family && !nlh->nlmsg_seq &&
	       !nlh->nlmsg_pid;
}

/* The genl command of a family message, or -1 if it is too short for one. */
static inline int runs_cmd(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -1;
	return ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
}

/* The NTCORRAL_A_RUN_ID of a family message, or 0 (no run has id 0). */
static inline __u64 runs_run_id(const struct nlmsghdr *nlh)
{
	const char *head = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	const struct nlattr *a;
	__u64 id = 0;

	if (len <= 0)
		return 0;
	runs_for_each_attr(a, head, len)
		if ((a->nla_type & NLA_TYPE_MASK) == NTCORRAL_A_RUN_ID &&
		    a->nla_len == NLA_HDRLEN + sizeof(id))
			memcpy(&id, (const char *)a + NLA_HDRLEN, sizeof(id));
	return id;
}

/* One NTCORRAL_CMD_RUN_PROGRESS, every attribute of it. */
struct runs_progress {
	__u64 run_id, done, total, elapsed_ns, budget_ns;
	char experiment[NTCORRAL_NAME_MAX];
	char variant[NTCORRAL_NAME_MAX];
};

/*
 * Where attribute @t of a RUN_PROGRESS goes in @p: *@v (a u64) or *@s (a
 * name); false for an attribute a RUN_PROGRESS does not have.
 */
static inline bool runs_progress_field(struct runs_progress *p, int t,
				       __u64 **v, char **s)
{
	switch (t) {
	case NTCORRAL_A_RUN_ID:
		*v = &p->run_id;
		break;
	case NTCORRAL_A_DONE:
		*v = &p->done;
		break;
	case NTCORRAL_A_TOTAL:
		*v = &p->total;
		break;
	case NTCORRAL_A_ELAPSED_NS:
		*v = &p->elapsed_ns;
		break;
	case NTCORRAL_A_BUDGET_NS:
		*v = &p->budget_ns;
		break;
	case NTCORRAL_A_EXPERIMENT:
		*s = p->experiment;
		break;
	case NTCORRAL_A_VARIANT:
		*s = p->variant;
		break;
	default:
		return false;
	}
	return true;
}

/*
 * Read a RUN_PROGRESS strictly: every attribute once, at its exact width,
 * names NUL-terminated, nothing else (but padding), no bytes left over; a
 * run id, and DONE <= TOTAL. False with the reason in @why otherwise.
 */
static inline bool runs_progress_parse(const struct nlmsghdr *nlh,
				       struct runs_progress *p, char *why,
				       size_t why_size)
{
	const __u64 want = 1ULL << NTCORRAL_A_RUN_ID |
			   1ULL << NTCORRAL_A_EXPERIMENT |
			   1ULL << NTCORRAL_A_VARIANT | 1ULL << NTCORRAL_A_DONE |
			   1ULL << NTCORRAL_A_TOTAL |
			   1ULL << NTCORRAL_A_ELAPSED_NS |
			   1ULL << NTCORRAL_A_BUDGET_NS;
	const char *head = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	const struct nlattr *a;
	__u64 seen = 0;
	int used = 0;

	memset(p, 0, sizeof(*p));
	if (runs_cmd(nlh) != NTCORRAL_CMD_RUN_PROGRESS) {
		snprintf(why, why_size, "not a RUN_PROGRESS (command %d)",
			 runs_cmd(nlh));
		return false;
	}
	runs_for_each_attr(a, head, len) {
		int t = a->nla_type & NLA_TYPE_MASK;
		const char *d = (const char *)a + NLA_HDRLEN;
		int dlen = a->nla_len - NLA_HDRLEN;
		__u64 *v = NULL;
		char *s = NULL;

		used += NLA_ALIGN(a->nla_len);
		if (t == NTCORRAL_A_PAD)
			continue;
		if (!runs_progress_field(p, t, &v, &s)) {
			snprintf(why, why_size,
				 "RUN_PROGRESS: unexpected attribute %d", t);
			return false;
		}
		if (seen & 1ULL << t) {
			snprintf(why, why_size,
				 "RUN_PROGRESS: attribute %d twice", t);
			return false;
		}
		seen |= 1ULL << t;
		if (v && dlen == sizeof(*v)) {
			memcpy(v, d, sizeof(*v));
		} else if (s && dlen > 0 && dlen <= NTCORRAL_NAME_MAX &&
			   !d[dlen - 1] && strlen(d) == (size_t)dlen - 1) {
			memcpy(s, d, dlen);
		} else {
			snprintf(why, why_size,
				 "RUN_PROGRESS: attribute %d malformed (len %d)",
				 t, dlen);
			return false;
		}
	}
	if (len < 0 || used != len) {
		snprintf(why, why_size, "RUN_PROGRESS: %d bytes left over",
			 len - used);
		return false;
	}
	if (seen != want) {
		snprintf(why, why_size,
			 "RUN_PROGRESS lacks attributes (mask %#llx of %#llx)",
			 (unsigned long long)seen, (unsigned long long)want);
		return false;
	}
	if (!p->run_id) {
		snprintf(why, why_size, "RUN_PROGRESS of run id 0");
		return false;
	}
	if (p->done > p->total) {
		snprintf(why, why_size,
			 "RUN_PROGRESS of run %llu: DONE %llu > TOTAL %llu",
			 (unsigned long long)p->run_id,
			 (unsigned long long)p->done,
			 (unsigned long long)p->total);
		return false;
	}
	return true;
}

#endif /* NTC_RUNS_H */
