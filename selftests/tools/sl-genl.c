// SPDX-License-Identifier: GPL-2.0
/*
 * sl-genl: send one raw request to the sluice generic-netlink family, so
 * that tests can feed it what the CLI never would (unknown commands, wrong
 * attribute types and lengths, unknown attributes).
 *
 *   sl-genl [--bufsize BYTES] [--dump] CMD [ATTR...]
 *
 * CMD is a number. Each ATTR is TYPE:KIND[:VALUE] with KIND one of u8, u16,
 * u32, u64 (decimal VALUE), str, bin (VALUE in hex), flag, nest (opens a
 * nested attribute) or the word `end` (closes the innermost nest).
 * --bufsize reads every message with a buffer of BYTES, without peeking
 * first (libnl's default peeks with 16 KiB): netlink sizes a dump's
 * messages by the reader's last read, so this is a reader with a small
 * buffer.
 *
 * Prints "ok <n> messages" and exits 0, or "error <errno>: <strerror>
 * [: <extended ack message>]" and exits 1; 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct state {
	int done, err, msgs;
	char ext[256];
};

static int on_err(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct state *st = arg;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	(void)who;
	st->err = e->error;
	st->done = 1;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) && NLMSG_HDRLEN + off < hdr->nlmsg_len &&
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      hdr->nlmsg_len - NLMSG_HDRLEN - off, NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(st->ext, sizeof(st->ext), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int on_done(struct nl_msg *m, void *arg)
{
	struct nlmsghdr *hdr = nlmsg_hdr(m);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct state *st = arg;
	int err = 0;

	/* A dump that failed: its error is the payload of NLMSG_DONE, its
	 * extended ACK's attributes follow. */
	if (hdr->nlmsg_type == NLMSG_DONE && hdr->nlmsg_len >= NLMSG_HDRLEN + sizeof(err))
		memcpy(&err, nlmsg_data(hdr), sizeof(err));
	if (err < 0)
		st->err = err;
	if (err < 0 && (hdr->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    hdr->nlmsg_len > NLMSG_HDRLEN + sizeof(err) &&
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlmsg_data(hdr) + sizeof(err)),
		      hdr->nlmsg_len - NLMSG_HDRLEN - sizeof(err), NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(st->ext, sizeof(st->ext), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	st->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *m, void *arg)
{
	(void)m;
	((struct state *)arg)->msgs++;
	return NL_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: sl-genl [--bufsize BYTES] [--dump] CMD [TYPE:KIND[:VALUE]|end ...]\n"
		"  KIND: u8 u16 u32 u64 str bin(hex) flag nest\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct nlattr *nests[16];
	struct state st = { 0 };
	int depth = 0, i = 1, flags = 0, fam, one = 1, cmd, bufsize = 0;
	struct nl_sock *sk;
	struct nl_msg *msg;
	struct nl_cb *cb;

	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--dump")) {
			flags = NLM_F_DUMP;
		} else if (!strcmp(argv[i], "--bufsize") && i + 1 < argc) {
			bufsize = atoi(argv[++i]);
			if (bufsize < 64)
				return usage();
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage();
	cmd = atoi(argv[i++]);

	sk = nl_socket_alloc();
	if (sk && bufsize) {
		nl_socket_disable_msg_peek(sk);
		nl_socket_set_msg_buf_size(sk, (size_t)bufsize);
	}
	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "sl-genl: cannot open a netlink socket\n");
		return 1;
	}
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	fam = genl_ctrl_resolve(sk, "sluice");
	if (fam < 0) {
		fprintf(stderr, "sl-genl: family sluice not found\n");
		return 1;
	}
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0,
				 NLM_F_REQUEST | NLM_F_ACK | flags, cmd, 1))
		return 1;

	for (; i < argc; i++) {
		char *a = argv[i], *kind, *val;
		int type, ok = 0;

		if (!strcmp(a, "end")) {
			if (!depth)
				return usage();
			nla_nest_end(msg, nests[--depth]);
			continue;
		}
		type = atoi(a);
		kind = strchr(a, ':');
		if (!kind)
			return usage();
		kind++;
		val = strchr(kind, ':');
		if (val)
			*val++ = 0;
		if (!strcmp(kind, "nest")) {
			if (depth == 16)
				return usage();
			nests[depth++] = nla_nest_start(msg, type);
			continue;
		}
		if (!strcmp(kind, "flag")) {
			ok = !nla_put_flag(msg, type);
		} else if (!val) {
			return usage();
		} else if (!strcmp(kind, "u8")) {
			ok = !nla_put_u8(msg, type, strtoul(val, NULL, 0));
		} else if (!strcmp(kind, "u16")) {
			ok = !nla_put_u16(msg, type, strtoul(val, NULL, 0));
		} else if (!strcmp(kind, "u32")) {
			ok = !nla_put_u32(msg, type, strtoul(val, NULL, 0));
		} else if (!strcmp(kind, "u64")) {
			ok = !nla_put_u64(msg, type, strtoull(val, NULL, 0));
		} else if (!strcmp(kind, "str")) {
			ok = !nla_put_string(msg, type, val);
		} else if (!strcmp(kind, "bin")) {
			unsigned char buf[256];
			size_t n = strlen(val) / 2, j;

			if (n > sizeof(buf))
				return usage();
			for (j = 0; j < n; j++) {
				int hi = hexval(val[2 * j]), lo = hexval(val[2 * j + 1]);

				if (hi < 0 || lo < 0)
					return usage();
				buf[j] = hi << 4 | lo;
			}
			ok = !nla_put(msg, type, n, buf);
		} else {
			return usage();
		}
		if (!ok) {
			fprintf(stderr, "sl-genl: message too large\n");
			return 1;
		}
	}
	while (depth)
		nla_nest_end(msg, nests[--depth]);

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	nl_cb_err(cb, NL_CB_CUSTOM, on_err, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &st);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);
	if (nl_send_auto(sk, msg) < 0) {
		fprintf(stderr, "sl-genl: send failed\n");
		return 1;
	}
	while (!st.done) {
		int r = nl_recvmsgs(sk, cb);

		if (r < 0 && !st.done) {
			printf("error: %s\n", nl_geterror(r));
			return 1;
		}
	}
	if (st.err) {
		printf("error %d: %s%s%s\n", -st.err, strerror(-st.err),
		       st.ext[0] ? ": " : "", st.ext);
		return 1;
	}
	printf("ok %d messages\n", st.msgs);
	return 0;
}
