// SPDX-License-Identifier: GPL-2.0
/*
 * sl-mangle.so: damages what a program reads from netlink, as a broken
 * module would send it, so that the tests can see what the CLI makes of
 * replies the module never sends. Loaded with LD_PRELOAD, it wraps
 * recvmsg() (libnl reads every message with it) and changes what
 * SL_MANGLE names in each message read:
 *
 *   version-nul      the last byte of SLUICE_A_VERSION (its NUL) becomes 'x'
 *   feature-nul      the same in the first SLUICE_A_FEATURE of SLUICE_A_FEATURES
 *   no-unattributed  SLUICE_A_UNATTRIBUTED gets a type past every parser's
 *                    maximum: the message goes on without it
 *   extack-nul       the same as version-nul in an error's extended-ACK
 *                    message (NLMSGERR_ATTR_MSG), of an ack or a dump's end
 *
 * The first three apply to generic-netlink messages of any family but the
 * controller (the CLI's socket hears only sluice's). Each change made is
 * a line in the file SL_MANGLE_LOG, if set, so that a test knows it
 * happened. Without SL_MANGLE nothing changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sluice.h>

static void note(const char *what)
{
	const char *path = getenv("SL_MANGLE_LOG");
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	fprintf(f, "%s\n", what);
	fclose(f);
}

/* The attribute of @type among those in [p, p + len), or NULL. */
static struct nlattr *find(void *p, size_t len, int type)
{
	struct nlattr *a = p;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		size_t step = NLA_ALIGN(a->nla_len);

		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if (step >= len)
			break;
		len -= step;
		a = (struct nlattr *)((char *)a + step);
	}
	return NULL;
}

/* Its last byte, the NUL of a string, made 'x'. */
static void unterminate(struct nlattr *a, const char *what)
{
	if (!a || a->nla_len <= NLA_HDRLEN)
		return;
	((char *)a)[a->nla_len - 1] = 'x';
	note(what);
}

static void mangle_genl(struct nlmsghdr *h, const char *how)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN, len;
	struct nlattr *a;
	void *p;

	if (h->nlmsg_len < off)
		return;
	p = (char *)h + off;
	len = h->nlmsg_len - off;
	if (!strcmp(how, "version-nul")) {
		unterminate(find(p, len, SLUICE_A_VERSION), "version");
	} else if (!strcmp(how, "feature-nul")) {
		a = find(p, len, SLUICE_A_FEATURES);
		if (a)
			unterminate(find((char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN,
					 SLUICE_A_FEATURE), "feature");
	} else if (!strcmp(how, "no-unattributed")) {
		a = find(p, len, SLUICE_A_UNATTRIBUTED);
		if (a) {
			a->nla_type = (a->nla_type & ~NLA_TYPE_MASK) | 0x3fff;
			note("unattributed");
		}
	}
}

/* The extended ACK that follows an error (NLMSG_ERROR, or NLMSG_DONE of
 * a dump that failed). */
static void mangle_extack(struct nlmsghdr *h)
{
	size_t off;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (h->nlmsg_type == NLMSG_DONE) {
		off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int));
	} else {
		struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
			return;
		off = NLMSG_HDRLEN + sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(e->msg.nlmsg_len - sizeof(e->msg));
	}
	if (h->nlmsg_len > off)
		unterminate(find((char *)h + off, h->nlmsg_len - off, NLMSGERR_ATTR_MSG),
			    "extack");
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	const char *how = getenv("SL_MANGLE");
	struct nlmsghdr *h;
	ssize_t n;
	size_t len;

	if (!real)
		real = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT, "recvmsg");
	n = real(fd, msg, flags);
	if (n <= 0 || !how || !*how || msg->msg_iovlen < 1)
		return n;
	len = (size_t)n < msg->msg_iov[0].iov_len ? (size_t)n : msg->msg_iov[0].iov_len;
	for (h = msg->msg_iov[0].iov_base; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (!strcmp(how, "extack-nul")) {
			if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
				mangle_extack(h);
		} else if (h->nlmsg_type > GENL_ID_CTRL) {
			mangle_genl(h, how);
		}
	}
	return n;
}
