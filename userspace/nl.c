// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: generic-netlink plumbing on libnl-3. Resolves the family
 * (which makes the kernel load the module if needed), asks for extended
 * ACKs, and turns every error from the kernel into one line for the user:
 * the kernel's own message when it gave one, else strerror().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "sluice.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct talk_state {
	int err;		/* 0, or -errno from the kernel */
	int quiet;		/* sl_nl.quiet */
	const struct sl_nl_part *parts;	/* sl_nl.parts */
	size_t nparts;
	bool done;
	int (*cb)(struct nl_msg *msg, void *arg);
	void *arg;
};

static int libnl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_PERM:		return -EPERM;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOACCESS:	return -EACCES;
	default:		return -EIO;
	}
}

int sl_nl_open(struct sl_nl *nl)
{
	int one = 1, err;

	nl->quiet = 0;
	nl->parts = NULL;
	nl->nparts = 0;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		sl_err("out of memory");
		return -ENOMEM;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		sl_err("cannot open a generic netlink socket: %s", nl_geterror(err));
		goto fail;
	}
	/* Ask for the kernel's messages; keep error replies short. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, SLUICE_GENL_NAME);
	if (nl->family < 0) {
		sl_err("the sluice kernel module is not loaded and could not be "
		       "loaded (try 'modprobe sluice'): %s",
		       nl_geterror(nl->family));
		err = -ENOENT;
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return err < 0 && err > -4096 ? libnl_errno(err) : err;
}

void sl_nl_close(struct sl_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *sl_nl_msg(struct sl_nl *nl, uint8_t cmd, int flags)
{
	return sl_nl_msg_sized(nl, cmd, flags, 0);
}

struct nl_msg *sl_nl_msg_sized(struct sl_nl *nl, uint8_t cmd, int flags,
			       size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 NLM_F_REQUEST | NLM_F_ACK | flags, cmd,
			 SLUICE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * From an extended ACK's attributes @tb, its message and (in *offs, 0 if
 * none) the offset of the attribute it names in the request, each only if
 * it is what it claims to be: a string with its NUL, a u32.
 */
static const char *extack_get(struct nlattr **tb, uint32_t *offs)
{
	struct nlattr *m = tb[NLMSGERR_ATTR_MSG], *o = tb[NLMSGERR_ATTR_OFFS];

	*offs = 0;
	if (o && nla_len(o) >= (int)sizeof(uint32_t))
		*offs = nla_get_u32(o);
	if (!m || nla_len(m) < 1 || !memchr(nla_data(m), '\0', (size_t)nla_len(m)))
		return NULL;
	return nla_data(m);
}

/*
 * The extended-ACK message that follows an error, if the kernel sent one,
 * and the offset of the attribute it names in the request (0 if none).
 */
static const char *extack_msg(struct nlmsgerr *e, uint32_t *offs)
{
	struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	*offs = 0;
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	off = sizeof(*e);
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + off >= hdr->nlmsg_len)
		return NULL;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)e + off),
		      hdr->nlmsg_len - NLMSG_HDRLEN - off, NULL) < 0)
		return NULL;
	return extack_get(tb, offs);
}

static const char *errno_hint(int err)
{
	switch (err) {
	case EPERM:
		return " (CAP_NET_ADMIN is required)";
	case EOPNOTSUPP:
		return " (the module does not know this command: is it older than the CLI?)";
	default:
		return "";
	}
}

/* Print the kernel's error @err, with its extended-ACK message @m if any,
 * prefixed with the name of the part of the request that holds the
 * attribute at @offs, unless the caller handles it (sl_nl.quiet). */
static void report(const struct talk_state *st, int err, const char *m,
		   uint32_t offs)
{
	const char *part = "", *sep = "";
	size_t i;

	if (!err || err == st->quiet)
		return;
	for (i = 0; offs && i < st->nparts; i++) {
		if (offs >= st->parts[i].start && offs < st->parts[i].end) {
			part = st->parts[i].name;
			sep = ": ";
			break;
		}
	}
	if (m && *m)
		sl_err("%s%s%s", part, sep, m);
	else
		sl_err("%s%s%s%s", part, sep, strerror(-err), errno_hint(-err));
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct talk_state *st = arg;
	uint32_t offs;
	const char *m = extack_msg(e, &offs);

	(void)who;
	st->err = e->error;
	st->done = true;
	report(st, e->error, m, offs);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct talk_state *st = arg;

	(void)msg;
	st->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct talk_state *st = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	int err = 0;

	/* A dump that failed: the error, then maybe the extended ACK's
	 * attributes, are the payload of NLMSG_DONE. */
	if (hdr->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&err, nlmsg_data(hdr), sizeof(err));
	if (err < 0) {
		struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
		int off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int));
		uint32_t offs;

		if (hdr->nlmsg_flags & NLM_F_ACK_TLVS && (int)hdr->nlmsg_len > off &&
		    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)hdr + off),
			      hdr->nlmsg_len - off, NULL) < 0)
			memset(tb, 0, sizeof(tb));
		report(st, err, extack_get(tb, &offs), 0);
		st->err = err;
	}
	/* A dump whose objects changed under it: the caller retries. */
	if (hdr->nlmsg_flags & NLM_F_DUMP_INTR && !st->err)
		st->err = -EAGAIN;
	st->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct talk_state *st = arg;

	if (nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP_INTR)
		st->err = -EAGAIN;
	if (st->cb)
		return st->cb(msg, st->arg);
	return NL_OK;
}

/*
 * Make room in the socket's send buffer for a request of @len bytes (a
 * long list of backends): netlink refuses a message larger than it.
 * SO_SNDBUFFORCE passes net.core.wmem_max, but only with CAP_NET_ADMIN in
 * the initial user namespace; else SO_SNDBUF, capped by wmem_max. 0, or
 * -EMSGSIZE (printed) if the request still does not fit.
 */
static int grow_sndbuf(struct sl_nl *nl, uint32_t len)
{
	int fd = nl_socket_get_fd(nl->sk), size, cur;
	socklen_t sl = sizeof(cur);

	/* the kernel doubles what it is given; a message needs len + 32 */
	if (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) &&
	    (int64_t)cur >= (int64_t)len + 32)
		return 0;
	size = len > (1u << 29) ? 1 << 29 : (int)len + 4096;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	sl = sizeof(cur);
	if (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) &&
	    (int64_t)cur >= (int64_t)len + 32)
		return 0;
	sl_err("the request takes %u bytes, more than this socket may send "
	       "(%d; raise net.core.wmem_max, or split it)", len, cur - 32);
	return -EMSGSIZE;
}

int sl_nl_talk(struct sl_nl *nl, struct nl_msg *msg,
	       int (*cb)(struct nl_msg *msg, void *arg), void *arg)
{
	struct talk_state st = {
		.cb = cb, .arg = arg, .quiet = nl->quiet,
		.parts = nl->parts, .nparts = nl->nparts,
	};
	struct nl_cb *c;
	int err;

	c = nl_cb_alloc(NL_CB_DEFAULT);
	if (!c) {
		nlmsg_free(msg);
		sl_err("out of memory");
		return -ENOMEM;
	}
	nl_cb_err(c, NL_CB_CUSTOM, on_error, &st);
	nl_cb_set(c, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
	nl_cb_set(c, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(c, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);

	err = grow_sndbuf(nl, nlmsg_hdr(msg)->nlmsg_len);
	if (err) {
		nlmsg_free(msg);
		nl_cb_put(c);
		return err;
	}
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		sl_err("cannot send the request: %s", nl_geterror(err));
		nl_cb_put(c);
		return libnl_errno(err);
	}
	while (!st.done) {
		err = nl_recvmsgs(nl->sk, c);
		if (err < 0 && !st.done) {
			sl_err("cannot read the reply: %s", nl_geterror(err));
			st.err = libnl_errno(err);
			break;
		}
	}
	nl_cb_put(c);
	return st.err;
}

void *sl_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 16;

	if (n < *cap)
		return v;
	v = reallocarray(v, c, size);
	if (!v) {
		sl_err("out of memory");
		return NULL;
	}
	*cap = c;
	return v;
}

int sl_nl_malformed(const char *what)
{
	sl_err("malformed reply from the kernel: %s", what);
	return -EINVAL;
}

/* What a reply's top level may hold. */
static const struct nla_policy reply_policy[SLUICE_A_MAX + 1] = {
	[SLUICE_A_VERSION]	= { .type = NLA_STRING },
	[SLUICE_A_FEATURES]	= { .type = NLA_NESTED },
	[SLUICE_A_SERVICE]	= { .type = NLA_NESTED },
	[SLUICE_A_BACKEND]	= { .type = NLA_NESTED },
	[SLUICE_A_CGROUP]	= { .type = NLA_NESTED },
	[SLUICE_A_UNATTRIBUTED]	= { .type = NLA_NESTED },
};

int sl_nl_parse(struct nl_msg *msg, struct nlattr **tb)
{
	int err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, SLUICE_A_MAX,
				reply_policy);

	if (err < 0)
		return sl_nl_malformed(nl_geterror(err));
	return 0;
}

int sl_nl_parse_nested(struct nlattr **tb, int max, struct nlattr *nest,
		       const struct nla_policy *policy)
{
	int err = nla_parse_nested(tb, max, nest, policy);

	if (err < 0)
		return sl_nl_malformed(nl_geterror(err));
	return 0;
}
